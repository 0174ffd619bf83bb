/**
 * Internet Explorer 4-9 cache files (index.dat, MSIE Cache File "MSIECF", WinInet
 * url cache): a header with the container's cache directories and an allocation bitmap,
 * a chain of 4 KiB hash tables whose entries point at 128-byte-block records (URL, REDR,
 * LEAK). Spec: libyal/libmsiecf "MSIE Cache File (index.dat) format" (file header, cache
 * directory table, allocation bitmap, hash table record, record hash); the URL record
 * layout as libmsiecf reads it (times at 8 and 16, FAT times at 24 and 80, offsets of
 * location and filename at 52 and 60). Read-only, from a buffer; nothing here knows parsers.
 */
import {ParseError} from '../errors.js'
import {filetimeToIso} from '../time.js'

const SIGNATURE = 'Client UrlCache MMF Ver '
export const BLOCK_SIZE = 128
const FIRST_RECORD_OFFSET = 0x4000
const HASH_TABLE_SIZE = 4096

export interface CacheDirectory {
  index: number
  name: string
  files: number
}

export interface IndexHeader {
  version: string
  fileSize: number
  hashTableOffset: number
  blocks: number
  allocatedBlocks: number
  cacheLimit: bigint
  cacheSize: bigint
  directories: CacheDirectory[]
}

export type RecordKind = 'URL' | 'REDR' | 'LEAK'

export interface CacheRecord {
  kind: RecordKind
  offset: number
  size: number
  /** Found through the hash table (allocated), or in blocks the hash table no longer points at (recovered). */
  recovered: boolean
  location: string | null
  /** URL/LEAK: FILETIMEs. In History.IE5 primary = last visited, in Content.IE5 primary = last accessed, secondary = last modified. */
  primaryTime: string | null
  secondaryTime: string | null
  /** FAT date-time values (2-second resolution; as WinInet writes them), ISO 8601 without a zone designator of their own. */
  expirationTime: string | null
  lastCheckedTime: string | null
  fileSize: number | null
  cacheDirectoryIndex: number | null
  filename: string | null
  hits: number | null
  /** Response headers (Content.IE5) or the data block, as text when it is text. */
  data: string | null
  flags: number | null
}

export interface HashEntryTally {
  /** Entries pointing at a record of a known kind. */
  records: number
  /** Entries never used or freed (0x0BADF00D, 0xDEADBEEF, or an offset that is the hash itself). */
  unused: number
  /** Entries pointing at an offset where no known record starts. */
  dangling: number
}

export interface IndexDat {
  header: IndexHeader
  hashTables: number[]
  entries: HashEntryTally
  records: CacheRecord[]
  /** Problems met on the way (a hash table chain that loops or leaves the file, a record that runs past it). */
  problems: Array<{offset: number; message: string}>
}

const KINDS: Record<string, RecordKind> = {'URL ': 'URL', REDR: 'REDR', LEAK: 'LEAK'}

/** FAT date (high word of the pair as stored: date first, then time), seconds at 2 s resolution. */
export function fatDateTime(buf: Buffer, at: number): string | null {
  const date = buf.readUInt16LE(at)
  const time = buf.readUInt16LE(at + 2)
  if (date === 0 && time === 0) return null
  const year = 1980 + (date >> 9)
  const month = (date >> 5) & 0x0f
  const day = date & 0x1f
  const p = (n: number) => String(n).padStart(2, '0')
  if (month < 1 || month > 12 || day < 1) return null
  return `${year}-${p(month)}-${p(day)}T${p(time >> 11)}:${p((time >> 5) & 0x3f)}:${p((time & 0x1f) * 2)}`
}

function asciiz(buf: Buffer, start: number, end: number): string | null {
  if (start <= 0 || start >= end) return null
  let stop = buf.indexOf(0, start)
  if (stop < 0 || stop > end) stop = end
  // WinInet writes the locations in the system code page; bytes above 0x7f are kept as Latin-1
  return buf.toString('latin1', start, stop)
}

function recordSize(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at + 4) * BLOCK_SIZE
}

export function parseHeader(buf: Buffer, where: string): IndexHeader {
  if (buf.length < 0x250 || buf.toString('latin1', 0, SIGNATURE.length) !== SIGNATURE) throw new ParseError('not an Internet Explorer index.dat (no "Client UrlCache MMF" signature)', where)
  const version = buf.toString('latin1', SIGNATURE.length, 27).replace(/\0.*$/, '')
  const count = Math.min(buf.readUInt32LE(72), 32)
  const directories: CacheDirectory[] = []
  for (let i = 0; i < count; i++) {
    const at = 76 + i * 12
    directories.push({index: i, files: buf.readUInt32LE(at), name: buf.toString('latin1', at + 4, at + 12).replace(/\0+$/, '')})
  }
  return {
    version,
    fileSize: buf.readUInt32LE(28),
    hashTableOffset: buf.readUInt32LE(32),
    blocks: buf.readUInt32LE(36),
    allocatedBlocks: buf.readUInt32LE(40),
    cacheLimit: buf.readBigUInt64LE(48),
    cacheSize: buf.readBigUInt64LE(56),
    directories,
  }
}

function readRecord(buf: Buffer, at: number, kind: RecordKind, recovered: boolean, v47: boolean): CacheRecord {
  const size = recordSize(buf, at)
  const end = Math.min(at + size, buf.length)
  const base: CacheRecord = {kind, offset: at, size, recovered, location: null, primaryTime: null, secondaryTime: null, expirationTime: null, lastCheckedTime: null, fileSize: null, cacheDirectoryIndex: null, filename: null, hits: null, data: null, flags: null}
  if (kind === 'REDR') return {...base, location: asciiz(buf, at + 16, end)}
  if (size < 104) return base
  // version 4.7 keeps the expiration time as a FILETIME: the fields after it sit 4 bytes later
  const shift = v47 ? 4 : 0
  const rel = (o: number) => at + o + shift
  const locationOffset = buf.readUInt32LE(rel(52))
  const filenameOffset = buf.readUInt32LE(rel(60))
  const dataOffset = buf.readUInt32LE(rel(68))
  const dataSize = buf.readUInt32LE(rel(72))
  const directory = buf[rel(56)]!
  let data: string | null = null
  if (dataOffset > 0 && dataSize > 0 && dataOffset + dataSize <= size) {
    const bytes = buf.subarray(at + dataOffset, at + dataOffset + dataSize)
    // response headers are text; other data blocks (the visit counts of History) are shown as hex
    data = /^[\x09\x0a\x0d\x20-\x7e]*\0*$/.test(bytes.toString('latin1')) ? bytes.toString('latin1').replace(/\0+$/, '') : bytes.toString('hex')
  }
  return {
    ...base,
    location: locationOffset < size ? asciiz(buf, at + locationOffset, end) : null,
    secondaryTime: filetimeToIso(buf.readBigUInt64LE(at + 8)),
    primaryTime: filetimeToIso(buf.readBigUInt64LE(at + 16)),
    expirationTime: v47 ? filetimeToIso(buf.readBigUInt64LE(at + 24)) : fatDateTime(buf, at + 24),
    lastCheckedTime: fatDateTime(buf, rel(80)),
    fileSize: buf.readUInt32LE(rel(32)),
    cacheDirectoryIndex: directory,
    filename: filenameOffset > 0 && filenameOffset < size ? asciiz(buf, at + filenameOffset, end) : null,
    hits: buf.readUInt32LE(rel(84)),
    data,
    flags: buf.readUInt32LE(rel(64)),
  }
}

function kindAt(buf: Buffer, at: number): RecordKind | undefined {
  if (at < FIRST_RECORD_OFFSET || at % BLOCK_SIZE !== 0 || at + 8 > buf.length) return undefined
  const kind = KINDS[buf.toString('latin1', at, at + 4)]
  if (!kind) return undefined
  const size = recordSize(buf, at)
  return size >= BLOCK_SIZE && at + size <= buf.length ? kind : undefined
}

/**
 * Reads the whole file: the hash-table chain (every entry counted: record, unused or
 * dangling), the records the entries point at, then the records still whole in blocks no
 * entry points at ('recovered', as libmsiecf and plaso report them).
 */
export function readIndexDat(buf: Buffer, where: string): IndexDat {
  const header = parseHeader(buf, where)
  const v47 = header.version.startsWith('4.')
  const problems: IndexDat['problems'] = []
  const entries: HashEntryTally = {records: 0, unused: 0, dangling: 0}
  const hashTables: number[] = []
  const allocated = new Map<number, RecordKind>()
  let next = header.hashTableOffset
  const seen = new Set<number>()
  while (next !== 0) {
    if (seen.has(next)) {
      problems.push({offset: next, message: 'hash table chain loops back on itself: stopped'})
      break
    }
    if (next + HASH_TABLE_SIZE > buf.length || buf.toString('latin1', next, next + 4) !== 'HASH') {
      problems.push({offset: next, message: 'hash table expected here is missing or runs past the file: the chain ends here'})
      break
    }
    seen.add(next)
    hashTables.push(next)
    const blocks = buf.readUInt32LE(next + 4)
    const end = Math.min(next + Math.max(blocks, 1) * BLOCK_SIZE, buf.length)
    for (let e = next + 16; e + 8 <= end; e += 8) {
      const hash = buf.readUInt32LE(e)
      const offset = buf.readUInt32LE(e + 4)
      // flag 0x01 without 0x04 (redirected: REDR entries carry 0x05) marks a freed entry (libmsiecf, record hash flags): its record, if still whole, is found by the block scan as recovered
      if (hash === 0x0badf00d || hash === 0xdeadbeef || offset === hash || offset === 0 || (hash & 0x05) === 0x01) {
        entries.unused++
        continue
      }
      const kind = kindAt(buf, offset)
      if (!kind) {
        entries.dangling++
        continue
      }
      entries.records++
      allocated.set(offset, kind)
    }
    next = buf.readUInt32LE(next + 8)
  }
  const records: CacheRecord[] = []
  for (const [offset, kind] of [...allocated].sort((a, b) => a[0] - b[0])) {
    records.push(readRecord(buf, offset, kind, false, v47))
  }
  // blocks covered by the header, the hash tables and the allocated records are not searched again
  const covered = new Uint8Array(Math.ceil(buf.length / BLOCK_SIZE))
  const cover = (from: number, size: number) => {
    for (let b = Math.floor(from / BLOCK_SIZE); b < Math.min(covered.length, Math.ceil((from + size) / BLOCK_SIZE)); b++) covered[b] = 1
  }
  for (const t of hashTables) cover(t, HASH_TABLE_SIZE)
  for (const r of records) cover(r.offset, r.size)
  for (let at = FIRST_RECORD_OFFSET; at + 8 <= buf.length; at += BLOCK_SIZE) {
    if (covered[at / BLOCK_SIZE]) continue
    const kind = kindAt(buf, at)
    if (!kind) continue
    const record = readRecord(buf, at, kind, true, v47)
    records.push(record)
    cover(at, record.size)
  }
  return {header, hashTables, entries, records, problems}
}
