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

export interface Box {
  type: string
  /** Payload start and end in the buffer (after the header). */
  start: number
  end: number
}

/** The child boxes in [start, end) of `data` (a box running past `end` ends the list). */
export function childBoxes(data: Buffer, start: number, end: number): Box[] {
  const out: Box[] = []
  let at = start
  while (at + 8 <= end) {
    let size = data.readUInt32BE(at)
    const type = data.toString('latin1', at + 4, at + 8)
    let header = 8
    if (size === 1) {
      if (at + 16 > end) break
      size = Number(data.readBigUInt64BE(at + 8))
      header = 16
    } else if (size === 0) {
      size = end - at
    }
    if (size < header || at + size > end) break
    out.push({type, start: at + header, end: at + size})
    at += size
  }
  return out
}

function uintBE(data: Buffer, at: number, size: number): number {
  if (size === 0) return 0
  if (size === 8) return Number(data.readBigUInt64BE(at))
  return data.readUIntBE(at, size)
}

/** The cap on EXIF bytes read from an Exif item (EXIF in a JPEG is at most 64 KiB). */
const MAX_EXIF_ITEM_BYTES = 1 << 20

/**
 * The TIFF bytes of the 'Exif' item (ISO/IEC 23008-12 Annex A.2.1: a 4-byte offset to
 * the TIFF header, then the EXIF data), all its extents joined. `meta` is the meta
 * box payload. Returns undefined when the file has no Exif item.
 */
export async function readHeifExifItem(
  handle: FileHandle,
  fileSize: number,
  meta: Buffer,
  metaOffset: number,
): Promise<Buffer | {problem: string} | undefined> {
  const children = childBoxes(meta, 4, meta.length)
  const iinf = children.find((b) => b.type === 'iinf')
  const iloc = children.find((b) => b.type === 'iloc')
  if (!iinf || !iloc) return undefined
  // iinf (FullBox): entry count, then 'infe' boxes; version 2/3 carry the item type.
  const entriesAt = iinf.start + 4 + (meta[iinf.start] === 0 ? 2 : 4)
  let exifItem: number | undefined
  for (const infe of childBoxes(meta, entriesAt, iinf.end)) {
    if (infe.type !== 'infe') continue
    const version = meta[infe.start]
    if (version < 2 || infe.end - infe.start < 12) continue
    const idSize = version === 3 ? 4 : 2
    const type = meta.toString('latin1', infe.start + 4 + idSize + 2, infe.start + 4 + idSize + 6)
    if (type === 'Exif') {
      exifItem = uintBE(meta, infe.start + 4, idSize)
      break
    }
  }
  if (exifItem === undefined) return undefined
  // iloc (ISO/IEC 14496-12 §8.11.3)
  const version = meta[iloc.start]
  let at = iloc.start + 4
  const offsetSize = meta[at] >> 4
  const lengthSize = meta[at] & 15
  const baseOffsetSize = meta[at + 1] >> 4
  const indexSize = version === 1 || version === 2 ? meta[at + 1] & 15 : 0
  at += 2
  const itemCount = version < 2 ? meta.readUInt16BE(at) : meta.readUInt32BE(at)
  at += version < 2 ? 2 : 4
  for (let i = 0; i < itemCount && at < iloc.end; i++) {
    const itemId = version < 2 ? meta.readUInt16BE(at) : meta.readUInt32BE(at)
    at += version < 2 ? 2 : 4
    const construction = version === 1 || version === 2 ? meta.readUInt16BE(at) & 15 : 0
    if (version === 1 || version === 2) at += 2
    at += 2 // data_reference_index
    const baseOffset = uintBE(meta, at, baseOffsetSize)
    at += baseOffsetSize
    const extentCount = meta.readUInt16BE(at)
    at += 2
    const extents: Array<[number, number]> = []
    for (let e = 0; e < extentCount; e++) {
      at += indexSize
      extents.push([baseOffset + uintBE(meta, at, offsetSize), uintBE(meta, at + offsetSize, lengthSize)])
      at += offsetSize + lengthSize
    }
    if (itemId !== exifItem) continue
    if (construction === 1) {
      // offsets into the 'idat' box of this meta box
      const idat = children.find((b) => b.type === 'idat')
      if (!idat) return {problem: 'HEIF Exif item stored in an idat box that is missing'}
      for (const extent of extents) extent[0] += metaOffset + idat.start
    } else if (construction !== 0) {
      return {problem: `HEIF Exif item uses construction method ${construction}, which trawl does not read`}
    }
    const parts: Buffer[] = []
    let total = 0
    for (const [offset, length] of extents) {
      if (offset + length > fileSize || length === 0) return {problem: `HEIF Exif item extent (offset ${offset}, ${length} bytes) lies outside the file`}
      if (total + length > MAX_EXIF_ITEM_BYTES) return {problem: `HEIF Exif item is larger than ${MAX_EXIF_ITEM_BYTES} bytes`}
      const part = Buffer.alloc(length)
      await handle.read(part, 0, length, offset)
      parts.push(part)
      total += length
    }
    const item = Buffer.concat(parts)
    if (item.length < 4) return {problem: 'HEIF Exif item is shorter than its header'}
    const tiffAt = 4 + item.readUInt32BE(0)
    if (tiffAt >= item.length) return {problem: `HEIF Exif item's TIFF header offset ${tiffAt} lies outside the item`}
    return item.subarray(tiffAt)
  }
  return {problem: `HEIF Exif item ${exifItem} has no location in iloc`}
}
