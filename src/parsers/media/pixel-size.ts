/**
 * The picture's size as its image data declares it, read from the container and
 * not from EXIF (EXIF PixelX/YDimension can be stale after an edit: a mismatch is
 * itself a finding). Reads only headers:
 *   JPEG: the SOFn segment (ITU T.81 B.2.2), walking segment headers from the start;
 *   PNG: IHDR (the first chunk); WebP: VP8X canvas, 'VP8 ' frame or 'VP8L' header;
 *   HEIF/AVIF: the 'ispe' property of the primary item (ISO/IEC 23008-12 6.5.3, via
 *   pitm and ipma in the top-level 'meta' box).
 */
import type {FileHandle} from 'node:fs/promises'
import {childBoxes, findHeifMeta, type Box} from './heif.js'
import type {PictureFormat} from './sniff.js'

export interface PixelSize {
  width: number
  height: number
}

/** Bounds against crafted files: segments walked, bytes of 'meta' box read. */
const MAX_JPEG_SEGMENTS = 4096
const MAX_META_BYTES = 4 << 20

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const {bytesRead} = await handle.read(buffer, 0, length, offset)
  return buffer.subarray(0, bytesRead)
}

/** SOF0-3, 5-7, 9-11, 13-15 carry the frame size; C4 (DHT), C8 (JPG), CC (DAC) do not. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
}

async function jpegSize(handle: FileHandle, fileSize: number): Promise<PixelSize | undefined> {
  let at = 2
  for (let segments = 0; segments < MAX_JPEG_SEGMENTS && at + 4 <= fileSize; segments++) {
    const head = await readAt(handle, at, 9)
    if (head.length < 4 || head[0] !== 0xff) return undefined
    const marker = head[1]
    if (marker === 0xff) {
      at += 1 // fill byte before a marker
      continue
    }
    if (marker === 0xd9 || marker === 0xda) return undefined // EOI, or SOS before any frame header
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2 // markers without a length
      continue
    }
    const length = head.readUInt16BE(2)
    if (length < 2) return undefined
    if (isStartOfFrame(marker)) {
      if (head.length < 9) return undefined
      const height = head.readUInt16BE(5)
      const width = head.readUInt16BE(7)
      return width > 0 && height > 0 ? {width, height} : undefined
    }
    at += 2 + length
  }
  return undefined
}

function pngSize(head: Buffer): PixelSize | undefined {
  if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined
  return {width: head.readUInt32BE(16), height: head.readUInt32BE(20)}
}

export function webpSize(head: Buffer): PixelSize | undefined {
  if (head.length < 30) return undefined
  const chunk = head.toString('latin1', 12, 16)
  if (chunk === 'VP8X') return {width: 1 + head.readUIntLE(24, 3), height: 1 + head.readUIntLE(27, 3)}
  // 'VP8 ': frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height
  if (chunk === 'VP8 ' && head[23] === 0x9d && head[24] === 0x01 && head[25] === 0x2a) {
    return {width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff}
  }
  // 'VP8L': signature 0x2F, then 14-bit width-1 and height-1
  if (chunk === 'VP8L' && head[20] === 0x2f) {
    const bits = head.readUInt32LE(21)
    return {width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff)}
  }
  return undefined
}

function heifPrimarySize(meta: Buffer): PixelSize | undefined {
  // 'meta' is a FullBox: 4 bytes of version and flags before its children.
  const children = childBoxes(meta, 4, meta.length)
  const pitm = children.find((b) => b.type === 'pitm')
  const iprp = children.find((b) => b.type === 'iprp')
  if (!iprp) return undefined
  const inner = childBoxes(meta, iprp.start, iprp.end)
  const ipco = inner.find((b) => b.type === 'ipco')
  const ipma = inner.find((b) => b.type === 'ipma')
  if (!ipco) return undefined
  const properties = childBoxes(meta, ipco.start, ipco.end)
  const ispeOf = (box: Box | undefined): PixelSize | undefined =>
    box && box.type === 'ispe' && box.end - box.start >= 12 ? {width: meta.readUInt32BE(box.start + 4), height: meta.readUInt32BE(box.start + 8)} : undefined
  if (pitm && ipma && pitm.end - pitm.start >= 6) {
    const primary = meta[pitm.start] === 0 ? meta.readUInt16BE(pitm.start + 4) : meta.readUInt32BE(pitm.start + 4)
    const version = meta[ipma.start]
    const flags = meta.readUIntBE(ipma.start + 1, 3)
    let at = ipma.start + 4
    const entries = meta.readUInt32BE(at)
    at += 4
    for (let e = 0; e < entries && at < ipma.end; e++) {
      const item = version < 1 ? meta.readUInt16BE(at) : meta.readUInt32BE(at)
      at += version < 1 ? 2 : 4
      const count = meta[at++]
      for (let a = 0; a < count && at < ipma.end; a++) {
        // property index, 1-based, without the 'essential' top bit
        const index = flags & 1 ? meta.readUInt16BE(at) & 0x7fff : meta[at] & 0x7f
        at += flags & 1 ? 2 : 1
        if (item === primary) {
          const size = ispeOf(properties[index - 1])
          if (size) return size
        }
      }
    }
  }
  // No usable association: the first ispe (files with a single image).
  return ispeOf(properties.find((b) => b.type === 'ispe'))
}

async function heifSize(handle: FileHandle, fileSize: number): Promise<PixelSize | undefined> {
  const meta = await findHeifMeta(handle, fileSize)
  if ('problem' in meta) return undefined
  return heifPrimarySize(await readAt(handle, meta.offset, Math.min(meta.length, MAX_META_BYTES)))
}

/** The size the image data declares, for the formats whose header trawl reads; undefined otherwise. */
export async function pixelSize(handle: FileHandle, format: PictureFormat, head: Buffer, fileSize: number): Promise<PixelSize | undefined> {
  try {
    switch (format) {
      case 'jpeg':
        return await jpegSize(handle, fileSize)
      case 'png':
        return pngSize(head)
      case 'webp':
        return webpSize(head)
      case 'heic':
      case 'heif':
      case 'avif':
        return await heifSize(handle, fileSize)
      default:
        return undefined
    }
  } catch {
    // a header cut short or pointing outside the buffer: no size rather than a wrong one
    return undefined
  }
}
