/**
 * Canon CR3 (ISO base media file, brand 'crx '): the metadata sits in the 'moov' box,
 * in a 'uuid' box with Canon's UUID 85c0b687-820f-11e0-8111-f4ce462b6a48, as boxes
 * CMT1 (IFD0), CMT2 (EXIF IFD), CMT3 (MakerNote) and CMT4 (GPS IFD), each a complete
 * TIFF structure with that IFD as its first. (Layout as documented by ExifTool's
 * Canon.pm "CR3" tables and LibRaw's parseCR3.)
 */
import type {FileHandle} from 'node:fs/promises'
import {childBoxes} from './heif.js'

const CANON_UUID = Buffer.from('85c0b687820f11e08111f4ce462b6a48', 'hex')
const MAX_TOP_LEVEL_BOXES = 1024
const MAX_MOOV_BYTES = 16 << 20

export interface Cr3Metadata {
  /** TIFF bytes of each CMT box found. */
  ifd0?: Buffer
  exif?: Buffer
  gps?: Buffer
}

export async function readCr3Metadata(handle: FileHandle, fileSize: number): Promise<Cr3Metadata | {problem: string}> {
  const head = Buffer.alloc(16)
  let at = 0
  for (let count = 0; count < MAX_TOP_LEVEL_BOXES; count++) {
    if (at + 8 > fileSize || (await handle.read(head, 0, 16, at)).bytesRead < 8) return {problem: 'CR3 file has no moov box'}
    let size = head.readUInt32BE(0)
    let header = 8
    if (size === 1) {
      size = Number(head.readBigUInt64BE(8))
      header = 16
    } else if (size === 0) {
      size = fileSize - at
    }
    if (size < header) return {problem: `CR3 box ${JSON.stringify(head.toString('latin1', 4, 8))} at offset ${at} declares size ${size}`}
    if (head.toString('latin1', 4, 8) === 'moov') {
      const length = Math.min(size - header, fileSize - at - header, MAX_MOOV_BYTES)
      const moov = Buffer.alloc(length)
      const {bytesRead} = await handle.read(moov, 0, length, at + header)
      return canonBoxes(moov.subarray(0, bytesRead))
    }
    at += size
  }
  return {problem: 'CR3 file has too many boxes before moov'}
}

function canonBoxes(moov: Buffer): Cr3Metadata | {problem: string} {
  for (const box of childBoxes(moov, 0, moov.length)) {
    if (box.type !== 'uuid' || box.end - box.start < 16 || !moov.subarray(box.start, box.start + 16).equals(CANON_UUID)) continue
    const found: Cr3Metadata = {}
    for (const child of childBoxes(moov, box.start + 16, box.end)) {
      const tiff = moov.subarray(child.start, child.end)
      if (child.type === 'CMT1') found.ifd0 = tiff
      else if (child.type === 'CMT2') found.exif = tiff
      else if (child.type === 'CMT4') found.gps = tiff
    }
    return found
  }
  return {problem: 'CR3 moov box holds no Canon metadata box'}
}
