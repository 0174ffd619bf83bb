import {closeSync, openSync, readSync} from 'node:fs'
import {resolve} from 'node:path'
import {SourceNotFoundError, TrawlError, errorMessage} from '../errors.js'
import type {SourceDescription} from '../source/types.js'
import type {ByteSource} from './byte-source.js'
import {EwfImage, isEwf} from './ewf.js'
import {RawImage} from './raw.js'
import {SplitRawImage, findSplitRawSegments} from './split-raw.js'

/** An image file opened as the byte source of its media data. */
export interface OpenedImage {
  source: ByteSource
  /** kind 'image' with format, segments, size, stored hashes and EWF metadata. */
  description: SourceDescription
  /** Set for EWF images: media geometry and warnings found while opening. */
  ewf?: EwfImage
}

/** The first bytes of a file (fewer if it is shorter). */
export function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    const n = readSync(fd, buffer, 0, length, 0)
    return buffer.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** The image format of `path` by its content (EWF signature), then by split naming, else raw. */
export function detectImageFormat(path: string): 'ewf' | 'split-raw' | 'raw' {
  if (isEwf(readHead(path, 8))) return 'ewf'
  return findSplitRawSegments(path) ? 'split-raw' : 'raw'
}

/**
 * Opens any image path as a ByteSource: an EWF segment (any of the set), a
 * segment of a split raw image, or a single raw file. Throws CorruptImageError
 * for a damaged EWF set or a split set with a missing segment.
 */
export function openImage(path: string): OpenedImage {
  try {
    return openImageUnchecked(resolve(path))
  } catch (error) {
    // A segment that cannot be opened (permissions, vanished, a device in use) is an unreadable source.
    const code = (error as NodeJS.ErrnoException).code
    if (!(error instanceof TrawlError) && typeof code === 'string') {
      throw new SourceNotFoundError((error as NodeJS.ErrnoException).path ?? path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(error)})`)
    }
    throw error
  }
}

function openImageUnchecked(absolute: string): OpenedImage {
  if (isEwf(readHead(absolute, 8))) {
    const ewf = EwfImage.open(absolute)
    const metadata: Record<string, string> = {...ewf.metadata}
    metadata.bytesPerSector = String(ewf.media.bytesPerSector)
    metadata.sectorCount = String(ewf.media.sectorCount)
    metadata.chunkSize = String(ewf.chunkSize)
    const storedHashes = {...ewf.storedHashes}
    return {
      source: ewf,
      ewf,
      description: {
        kind: 'image',
        path: absolute,
        format: 'ewf',
        segments: ewf.segments,
        size: ewf.size,
        ...(storedHashes.md5 || storedHashes.sha1 ? {storedHashes} : {}),
        metadata,
      },
    }
  }
  const segments = findSplitRawSegments(absolute)
  if (segments) {
    const split = new SplitRawImage(segments)
    return {source: split, description: {kind: 'image', path: absolute, format: 'split-raw', segments, size: split.size}}
  }
  const raw = new RawImage(absolute)
  return {source: raw, description: {kind: 'image', path: absolute, format: 'raw', segments: [absolute], size: raw.size}}
}
