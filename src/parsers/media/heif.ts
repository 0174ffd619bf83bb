/**
 * HEIF/AVIF top level (ISO/IEC 14496-12 §4.2 box header): 'ftyp', then boxes up to
 * the 'meta' box that holds item locations and properties. Walked here before exifr
 * is given the file: exifr steps from box to box by the declared size, and a box of
 * size 0 ("to the end of the file") or a 64-bit size of 0 makes it loop forever
 * without yielding, so no timer can stop it. A file whose walk fails is reported as
 * damaged instead.
 */
import type {FileHandle} from 'node:fs/promises'

export interface HeifMetaBox {
  /** Payload offset and length (after the 8- or 16-byte header). */
  offset: number
  length: number
}

/** More top-level boxes than a real picture holds. */
const MAX_TOP_LEVEL_BOXES = 1024

export async function findHeifMeta(handle: FileHandle, fileSize: number): Promise<HeifMetaBox | {problem: string}> {
  const head = Buffer.alloc(16)
  const read = async (at: number) => (await handle.read(head, 0, 16, at)).bytesRead
  if ((await read(0)) < 8) return {problem: 'HEIF file shorter than its ftyp box header'}
  // exifr starts after 'ftyp' using its declared size, as is done here.
  let at = head.readUInt32BE(0)
  for (let count = 0; count < MAX_TOP_LEVEL_BOXES; count++) {
    if (at + 8 > fileSize || (await read(at)) < 8) return {problem: 'HEIF file has no meta box'}
    let size = head.readUInt32BE(0)
    const type = head.toString('latin1', 4, 8)
    let header = 8
    if (size === 1) {
      size = head.length >= 16 ? Number(head.readBigUInt64BE(8)) : 0
      header = 16
    }
    if (size < header) return {problem: `HEIF box ${JSON.stringify(type)} at offset ${at} declares size ${size}`}
    if (type === 'meta') return {offset: at + header, length: Math.min(size - header, fileSize - at - header)}
    at += size
  }
  return {problem: `HEIF file has more than ${MAX_TOP_LEVEL_BOXES} top-level boxes before its meta box`}
}
