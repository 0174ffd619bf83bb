import {open} from 'node:fs/promises'

/**
 * The bytes of the JPEG stream at the start of a file, from SOI through EOI, read in
 * chunks and no further: what a JPEG decoder reads. A camera's motion photo carries a
 * video after the picture's EOI, and a picture may be padded: neither is read for the
 * picture's pixels. Markers are followed by their lengths (an APP1 segment holding an EXIF
 * thumbnail with its own SOI and EOI is skipped whole), and the entropy-coded data after
 * each SOS is scanned for the next marker (0xFF not followed by 0x00, a restart marker or a
 * fill byte), as ITU-T T.81 B.1 lays them out.
 */

/** The first read: a thumbnail-sized JPEG ends in it; a larger one doubles the buffer read by read. */
const FIRST_READ = 64 * 1024

export type JpegStream = {bytes: Buffer} | {tooLarge: number}

type Scan = {end: number} | {resume: number; inScan: boolean} | {invalid: true}

/** Where the stream in `buf` (`length` bytes read) ends, or where to resume once more is read. */
export function scanJpeg(buf: Buffer, length: number, from: number, inScan: boolean): Scan {
  let at = from
  for (;;) {
    if (inScan) {
      const ff = buf.indexOf(0xff, at)
      if (ff === -1 || ff >= length - 1) return {resume: ff === -1 || ff >= length ? length : ff, inScan: true}
      const next = buf[ff + 1]
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        at = next === 0xff ? ff + 1 : ff + 2
        continue
      }
      inScan = false
      at = ff
    }
    if (at + 2 > length) return {resume: at, inScan: false}
    if (buf[at] !== 0xff) return {invalid: true}
    const marker = buf[at + 1]
    if (marker === 0xff) {
      at++ // a fill byte before a marker
      continue
    }
    if (marker === 0xd9) return {end: at + 2}
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2
      continue
    }
    if (marker === 0xd8 || marker === 0x00) return {invalid: true}
    if (at + 4 > length) return {resume: at, inScan: false}
    const segment = buf.readUInt16BE(at + 2)
    if (segment < 2) return {invalid: true}
    if (at + 2 + segment > length) return {resume: at, inScan: false}
    at += 2 + segment
    if (marker === 0xda) inScan = true
  }
}

/**
 * The JPEG stream of the file at `path` (which starts with SOI), at most `maxBytes` of it.
 * A file whose markers do not hold together is read whole (up to `maxBytes`), for the decoder
 * to judge; one whose stream has not ended by `maxBytes` is not read further.
 */
export async function readJpegStream(path: string, maxBytes: number): Promise<JpegStream> {
  const handle = await open(path, 'r')
  try {
    const size = (await handle.stat()).size
    let buf = Buffer.allocUnsafe(Math.min(size, FIRST_READ, maxBytes + 1))
    let length = 0
    let state: Scan = {resume: 2, inScan: false}
    for (;;) {
      if (length === buf.length) {
        if (length > maxBytes) return {tooLarge: size}
        const larger = Buffer.allocUnsafe(Math.min(size, buf.length * 2, maxBytes + 1))
        if (larger.length === buf.length) break
        buf.copy(larger, 0, 0, length)
        buf = larger
      }
      const {bytesRead} = await handle.read(buf, length, buf.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      // not SOI: no markers to follow, the whole file goes to the decoder to judge
      if (length >= 2 && 'resume' in state && state.resume === 2 && !state.inScan && (buf[0] !== 0xff || buf[1] !== 0xd8)) state = {invalid: true}
      if ('resume' in state) {
        state = scanJpeg(buf, length, state.resume, state.inScan)
        if ('end' in state) return {bytes: buf.subarray(0, state.end)}
      }
    }
    if (length > maxBytes) return {tooLarge: size}
    return {bytes: buf.subarray(0, length)}
  } finally {
    await handle.close()
  }
}
