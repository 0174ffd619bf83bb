import {stat} from 'node:fs/promises'
import {SourceNotFoundError, UnsupportedFormatError, errorMessage} from '../errors.js'
import {directoryOpener} from './directory.js'
import {imageOpener} from './image.js'
import type {EvidenceSource, SourceOpener} from './types.js'

/**
 * Source openers, tried in order. A new image format adds its opener here;
 * each detects its own format by content.
 */
const openers: SourceOpener[] = [directoryOpener, imageOpener]

export async function openSource(path: string): Promise<EvidenceSource> {
  try {
    await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SourceNotFoundError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(error)})`)
  }
  for (const opener of openers) {
    if (await opener.detect(path)) return opener.open(path)
  }
  throw new UnsupportedFormatError(`${path}: not a directory or a disk image format trawl reads`)
}
