/**
 * WebP (RIFF container, Google "WebP Container Specification", extended format):
 * EXIF lives in an 'EXIF' chunk, usually after the image data. exifr does not read
 * WebP, so the chunk is located by walking chunk headers (8 bytes each, never the
 * image data) and its bytes are handed to exifr.
 */
import type {FileHandle} from 'node:fs/promises'

export interface ByteRange {
  offset: number
  length: number
}

/** More chunks than any real WebP holds: a bound against crafted files. */
const MAX_CHUNKS = 100_000

export interface WebpExifLocation {
  /** The EXIF chunk's payload (cut at the end of the file), when there is one. */
  range?: ByteRange
  /** Structural damage met on the way (a chunk running past the end of the file). */
  problem?: string
}

/** Locates the EXIF chunk's payload by walking the chunk headers. */
export async function findWebpExif(handle: FileHandle, fileSize: number): Promise<WebpExifLocation> {
  const header = Buffer.alloc(8)
  // RIFF header (12 bytes) then chunks: FourCC, little-endian payload size, payload padded to even.
  let at = 12
  const riffEnd = Math.min(fileSize, 8 + (await readUInt32LEAt(handle, 4)))
  for (let chunks = 0; at + 8 <= riffEnd && chunks < MAX_CHUNKS; chunks++) {
    const {bytesRead} = await handle.read(header, 0, 8, at)
    if (bytesRead < 8) return {}
    const fourcc = header.toString('latin1', 0, 4)
    const size = header.readUInt32LE(4)
    const available = fileSize - (at + 8)
    if (fourcc === 'EXIF') {
      const length = Math.min(size, available)
      const problem = size > available ? `WebP EXIF chunk at offset ${at} claims ${size} bytes, the file holds ${available}` : undefined
      return {range: length > 0 ? {offset: at + 8, length} : undefined, problem}
    }
    if (size > available) return {problem: `WebP chunk ${JSON.stringify(fourcc)} at offset ${at} runs past the end of the file`}
    at += 8 + size + (size % 2)
  }
  return {}
}

async function readUInt32LEAt(handle: FileHandle, offset: number): Promise<number> {
  const b = Buffer.alloc(4)
  const {bytesRead} = await handle.read(b, 0, 4, offset)
  return bytesRead === 4 ? b.readUInt32LE(0) : 0
}
