/**
 * ESE (Extensible Storage Engine, "JET Blue") database file header: the first page
 * of the file, with a copy in the second ("shadow"). Offsets from the libyal/libesedb
 * format description ("(Database) file header"); the checksum is an XOR of the
 * little-endian 32-bit words from offset 4 to the end of the header page, seeded with
 * 0x89abcdef. When the primary header fails its signature or checksum the shadow is
 * used, and the header says so.
 */
import {CorruptImageError} from '../errors.js'

export const ESE_SIGNATURE = 0x89abcdef
/** Where the header and its shadow sit: the page size is not known before the header is read. */
const HEADER_MIN = 668

/** JET_dbstate values (libesedb "Database state"). */
export const DATABASE_STATES: Record<number, string> = {
  1: 'just created',
  2: 'dirty shutdown',
  3: 'clean shutdown',
  4: 'being converted',
  5: 'force detach',
}

export interface EseHeader {
  formatVersion: number
  formatRevision: number
  /** 0 database, 1 streaming file. */
  fileType: number
  pageSize: number
  /** JET_dbstate number and its name ('clean shutdown', 'dirty shutdown', ...). */
  state: number
  stateName: string
  creationFormatVersion: number
  creationFormatRevision: number
  /** Windows version that last updated the indexes (major.minor.build). */
  osVersion: string
  /** Which copy was used: 'primary', or 'shadow' when the primary is damaged. */
  copy: 'primary' | 'shadow'
  /** Problems found in the copy not used (or in both). */
  problems: string[]
}

/** XOR of the 32-bit little-endian words of `bytes` from `start` to the end, seeded with `seed`. */
export function xorChecksum(bytes: Uint8Array, start: number, seed: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let sum = seed >>> 0
  const end = bytes.byteLength - (bytes.byteLength % 4)
  for (let offset = start; offset < end; offset += 4) sum = (sum ^ view.getUint32(offset, true)) >>> 0
  return sum
}

/** Checks one header copy; returns why it is unusable, or undefined when it is sound. */
export function headerProblem(page: Buffer): string | undefined {
  if (page.length < HEADER_MIN) return 'shorter than a header'
  if (page.readUInt32LE(4) !== ESE_SIGNATURE) return 'no ESE signature'
  const pageSize = page.readUInt32LE(236)
  if (![2048, 4096, 8192, 16384, 32768].includes(pageSize)) return `page size ${pageSize} is not one ESE uses`
  if (page.length < pageSize) return 'header page is cut short'
  const stored = page.readUInt32LE(0)
  const computed = xorChecksum(page.subarray(0, pageSize), 4, ESE_SIGNATURE)
  if (stored !== computed) return `checksum 0x${stored.toString(16)} does not match the header (0x${computed.toString(16)})`
  return undefined
}

function decodeHeader(page: Buffer, copy: 'primary' | 'shadow', problems: string[]): EseHeader {
  const state = page.readUInt32LE(52)
  return {
    formatVersion: page.readUInt32LE(8),
    formatRevision: page.readUInt32LE(232),
    fileType: page.readUInt32LE(12),
    pageSize: page.readUInt32LE(236),
    state,
    stateName: DATABASE_STATES[state] ?? `unknown state ${state}`,
    creationFormatVersion: page.readUInt32LE(340),
    creationFormatRevision: page.readUInt32LE(344),
    osVersion: `${page.readUInt32LE(216)}.${page.readUInt32LE(220)}.${page.readUInt32LE(224)}`,
    copy,
    problems,
  }
}

/**
 * Reads the header from the first page, falling back to the shadow copy in the second.
 * `read(offset, length)` returns the file's bytes. Throws CorruptImageError when neither copy is sound.
 */
export function readEseHeader(read: (offset: number, length: number) => Buffer, fileSize: number, where: string): EseHeader {
  // The page size is in the header itself; read the largest ESE page and cut it down.
  const primary = read(0, Math.min(32768, fileSize))
  const primaryProblem = headerProblem(primary.subarray(0, primary.length >= 240 ? Math.min(primary.length, sizeFrom(primary)) : primary.length))
  if (primaryProblem === undefined) return decodeHeader(primary, 'primary', [])
  // The shadow copy sits one page further; try every page size, since the primary's may be the damaged field.
  for (const pageSize of [4096, 8192, 16384, 32768, 2048]) {
    if (fileSize < 2 * pageSize) continue
    const shadow = read(pageSize, pageSize)
    if (shadow.length >= 240 && shadow.readUInt32LE(236) === pageSize && headerProblem(shadow) === undefined) {
      return decodeHeader(shadow, 'shadow', [`primary header: ${primaryProblem}`])
    }
  }
  throw new CorruptImageError(`${where}: not a usable ESE database (primary header: ${primaryProblem}; no sound shadow header)`, 0)
}

function sizeFrom(page: Buffer): number {
  const size = page.readUInt32LE(236)
  return size > 0 && size <= page.length ? size : page.length
}
