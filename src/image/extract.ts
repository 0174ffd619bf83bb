import type {Readable} from 'node:stream'
import {openSource} from '../source/open.js'
import {chooseVolume, splitStreamPath} from './listing.js'

/**
 * `trawl image cat`: the byte-exact content of one file (or one alternate data
 * stream, 'path:stream') of a volume in an image, like The Sleuth Kit's icat.
 */
export async function openImageFile(image: string, spec: string, options: {partition?: number} = {}): Promise<{stream: Readable; close(): Promise<void>}> {
  const source = await openSource(image)
  try {
    const volume = chooseVolume(source, options.partition)
    const {path, stream} = splitStreamPath(spec.replace(/\\/g, '/').replace(/^\/+/, ''))
    const readable = await volume.fs.open(path, stream ? {stream} : undefined)
    return {stream: readable, close: () => source.close()}
  } catch (error) {
    await source.close()
    throw error
  }
}
