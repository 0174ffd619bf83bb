/**
 * The simple disk cache (net/disk_cache/simple, Chromium's backend on Linux, macOS and
 * Android, and Electron apps there): one file per entry, `<entry hash, 16 hex>_0` holding
 * streams 0 and 1, `_1` stream 2, `_s` sparse data. Layout (simple_entry_format.h): a
 * SimpleFileHeader (initial magic 0xfcfb6d1ba7725c30, version, key length, key hash; 24
 * bytes), the key, stream 1, a SimpleFileEOF (final magic 0xf4fa6f45970d41d8, flags, CRC-32
 * of the stream, stream size; 24 bytes), stream 0, the SHA-256 of the key when flag 2 is set,
 * and stream 0's EOF: the file is read from its end. `index-dir/the-real-index` lists the
 * entry hashes as of its last write (it is rewritten lazily, so it can name fewer entries
 * than the folder holds).
 */
import {createHash} from 'node:crypto'
import {crc32} from 'node:zlib'
import {persistentHash} from './hash.js'
import {parseHttpResponseInfo} from './http-response.js'
import {parseCacheKey} from './key.js'
import {cacheTime} from './time.js'
import type {CacheEntry, CacheStream} from './types.js'

export const SIMPLE_INITIAL_MAGIC = 0xfcfb6d1ba7725c30n
export const SIMPLE_FINAL_MAGIC = 0xf4fa6f45970d41d8n
const INDEX_MAGIC = 0x656e74657220796fn
const SPARSE_RANGE_MAGIC = 0xeb97bf016553676bn
/** SimpleFileSparseRangeHeader: magic, offset and length in the resource (int64), CRC-32 of the data, padding. */
const SPARSE_RANGE_HEADER_SIZE = 32
const HEADER_SIZE = 24
const EOF_SIZE = 24
const FLAG_HAS_CRC32 = 1
const FLAG_HAS_KEY_SHA256 = 2

/** An entry file (`_0`, `_1`) or the fake `index` start with the initial magic. */
export function isSimpleCacheFile(head: Buffer): boolean {
  return head.length >= 8 && head.readBigUInt64LE(0) === SIMPLE_INITIAL_MAGIC
}

/** A simple cache entry file name: 16 hex digits, '_', the file number. */
export function simpleEntryFileName(name: string): {hash: string; file: number} | null {
  const m = /^([0-9a-f]{16})_([01])$/.exec(name)
  return m ? {hash: m[1], file: Number(m[2])} : null
}

interface Eof {
  flags: number
  crc: number
  streamSize: number
}

function readEof(data: Buffer, offset: number): Eof | string {
  if (offset < 0 || offset + EOF_SIZE > data.length) return `no room for an EOF record at byte ${offset}`
  if (data.readBigUInt64LE(offset) !== SIMPLE_FINAL_MAGIC) return `no EOF record (magic 0xf4fa6f45970d41d8) at byte ${offset}`
  return {flags: data.readUInt32LE(offset + 8), crc: data.readUInt32LE(offset + 12), streamSize: data.readInt32LE(offset + 16)}
}

function stream(index: number, data: Buffer, file: string, offset: number, size: number, eof: Eof): CacheStream {
  const bytes = data.subarray(offset, offset + size)
  const hasCrc = (eof.flags & FLAG_HAS_CRC32) !== 0
  const crcValid = hasCrc ? (crc32(bytes) >>> 0) === eof.crc : null
  return {index, size, file, offset, crc32: hasCrc ? eof.crc : null, crcValid, data: bytes, problem: crcValid === false ? `stream ${index}: its CRC-32 does not match the stored one (damaged, or written by a run that did not finish)` : null}
}

/** The 64-bit entry hash of a key, as the file names write it: the first 8 bytes of its SHA-1, little-endian. */
export function simpleEntryHash(key: string): string {
  const sha1 = createHash('sha1').update(key, 'latin1').digest()
  return sha1.readBigUInt64LE(0).toString(16).padStart(16, '0')
}

/** Reads the `_0` file of one entry; `streamTwo` is its `_1` file when there is one. */
export function readSimpleEntry(name: string, data: Buffer, streamTwo?: Buffer): CacheEntry {
  const problems: string[] = []
  const named = simpleEntryFileName(name)
  if (data.length < HEADER_SIZE || !isSimpleCacheFile(data)) throw new Error(`${name} is not a simple cache entry file (magic 0xfcfb6d1ba7725c30)`)
  const keyLength = data.readUInt32LE(12)
  const keyHash = data.readUInt32LE(16)
  const keyEnd = HEADER_SIZE + keyLength
  if (keyEnd > data.length) throw new Error(`${name}: its key of ${keyLength} bytes runs past the end of the file (${data.length} bytes)`)
  const keyText = data.subarray(HEADER_SIZE, keyEnd).toString('latin1')
  const keyHashValid = persistentHash(data.subarray(HEADER_SIZE, keyEnd)) === keyHash
  if (!keyHashValid) problems.push('the stored key hash does not match the key')
  const hash = simpleEntryHash(keyText)
  if (named && named.hash !== hash) problems.push(`the file name's hash ${named.hash} is not the key's (${hash})`)
  const streams: CacheStream[] = []
  const eof0 = readEof(data, data.length - EOF_SIZE)
  if (typeof eof0 === 'string') problems.push(`stream 0: ${eof0} (the file is truncated or was not finished)`)
  else {
    const shaSize = eof0.flags & FLAG_HAS_KEY_SHA256 ? 32 : 0
    const start0 = data.length - EOF_SIZE - shaSize - eof0.streamSize
    const eof1At = start0 - EOF_SIZE
    if (eof0.streamSize < 0 || eof1At < keyEnd) problems.push(`stream 0 of ${eof0.streamSize} bytes does not fit the file`)
    else {
      if (shaSize) {
        const stored = data.subarray(data.length - EOF_SIZE - 32, data.length - EOF_SIZE)
        if (!stored.equals(createHash('sha256').update(data.subarray(HEADER_SIZE, keyEnd)).digest())) problems.push('the stored SHA-256 of the key does not match the key')
      }
      const eof1 = readEof(data, eof1At)
      if (typeof eof1 === 'string') problems.push(`stream 1: ${eof1}`)
      else streams.push(stream(1, data, name, keyEnd, eof1At - keyEnd, eof1))
      streams.unshift(stream(0, data, name, start0, eof0.streamSize, eof0))
    }
  }
  if (streamTwo) {
    const file1 = `${name.slice(0, -2)}_1`
    const eof2 = readEof(streamTwo, streamTwo.length - EOF_SIZE)
    const start = HEADER_SIZE + (streamTwo.length >= HEADER_SIZE ? streamTwo.readUInt32LE(12) : 0)
    if (typeof eof2 !== 'string' && start > streamTwo.length - EOF_SIZE) streams.push({index: 2, size: 0, file: file1, offset: null, data: null, problem: `stream 2: the key of ${file1} runs into its EOF record`})
    else if (typeof eof2 === 'string') streams.push({index: 2, size: 0, file: file1, offset: null, data: null, problem: `stream 2: ${eof2}`})
    else streams.push(stream(2, streamTwo, file1, start, streamTwo.length - EOF_SIZE - start, eof2))
  }
  for (const s of streams) if (s.problem) problems.push(s.problem)
  let response = null
  const head = streams.find((s) => s.index === 0)
  if (head?.data && head.crcValid !== false) {
    try {
      response = parseHttpResponseInfo(head.data)
    } catch (error) {
      problems.push(`stream 0 (HTTP response info): ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return {
    backend: 'simple', key: parseCacheKey(keyText), hash, file: name, offset: 0, reachable: true, blocks: null, state: null, dirty: false,
    created: null, lastUsed: null, lastModified: null, reuseCount: null, refetchCount: null,
    streams, response, keyHashValid, selfHashValid: null, problems,
  }
}

export interface SimpleSparseRange {
  /** Byte offsets in the resource (end exclusive). */
  start: number
  end: number
  /** Where the range's bytes are in the _s file. */
  fileOffset: number
  crcValid: boolean
}

/**
 * The `_s` file of a range-requested resource: SimpleFileHeader and key, then ranges as they
 * were written, each a SimpleFileSparseRangeHeader (magic 0xeb97bf016553676b) and its bytes.
 */
export function readSimpleSparse(name: string, data: Buffer): {ranges: SimpleSparseRange[]; problems: string[]} {
  const problems: string[] = []
  if (data.length < HEADER_SIZE || !isSimpleCacheFile(data)) return {ranges: [], problems: [`${name} is not a simple cache sparse file (magic 0xfcfb6d1ba7725c30)`]}
  let p = HEADER_SIZE + data.readUInt32LE(12)
  const ranges: SimpleSparseRange[] = []
  while (p < data.length) {
    if (p + SPARSE_RANGE_HEADER_SIZE > data.length || data.readBigUInt64LE(p) !== SPARSE_RANGE_MAGIC) {
      problems.push(`${name}: no sparse range header at byte ${p} (the file is damaged or was cut short): later ranges are lost`)
      break
    }
    const start = Number(data.readBigInt64LE(p + 8))
    const length = Number(data.readBigInt64LE(p + 16))
    const at = p + SPARSE_RANGE_HEADER_SIZE
    if (length < 0 || at + length > data.length) {
      problems.push(`${name}: the range at byte ${p} declares ${length} bytes, ${data.length - at} are stored (truncated)`)
      break
    }
    const crcValid = (crc32(data.subarray(at, at + length)) >>> 0) === data.readUInt32LE(p + 24)
    if (!crcValid) problems.push(`${name}: the range of bytes ${start}-${start + length} fails its CRC-32`)
    ranges.push({start, end: start + length, fileOffset: at, crcValid})
    p = at + length
  }
  return {ranges, problems}
}

export interface SimpleIndexEntry {
  hash: string
  lastUsed: string | null
  size: number
}

/** index-dir/the-real-index: the entries it names as of its last write. */
export function readSimpleRealIndex(data: Buffer): {version: number; entries: SimpleIndexEntry[]; modified: string | null; problems: string[]} {
  const problems: string[] = []
  if (data.length < 8 + 28) throw new Error(`the-real-index of ${data.length} bytes is shorter than its header`)
  const payload = data.readUInt32LE(0)
  if (payload + 8 > data.length) problems.push(`the-real-index declares ${payload} payload bytes, ${data.length - 8} stored (truncated)`)
  else if ((crc32(data.subarray(8, 8 + payload)) >>> 0) !== data.readUInt32LE(4)) problems.push('the-real-index: its CRC-32 does not match (damaged or partly written)')
  if (data.readBigUInt64LE(8) !== INDEX_MAGIC) throw new Error('the-real-index has no index magic')
  const version = data.readUInt32LE(16)
  const count = Number(data.readBigUInt64LE(20))
  let p = 36 + (version >= 7 ? 4 : 0)
  // each entry: the hash (uint64), last used (int64, microseconds since 1601), the size (uint64;
  // from version 8 its low byte is in-memory data and the rest counts 256-byte chunks)
  const entrySize = 24
  const entries: SimpleIndexEntry[] = []
  for (let i = 0; i < count; i++) {
    if (p + entrySize > data.length) {
      problems.push(`the-real-index names ${count} entries, ${i} are stored`)
      break
    }
    const hash = data.readBigUInt64LE(p).toString(16).padStart(16, '0')
    const size = data.readBigUInt64LE(p + 16)
    entries.push({hash, lastUsed: cacheTime(data.readBigInt64LE(p + 8), `entry ${hash} last used time`, problems), size: version >= 8 ? Number((size & 0xffffffffn) >> 8n) * 256 : Number(size)})
    p += entrySize
  }
  const modified = p + 8 <= data.length ? cacheTime(data.readBigInt64LE(p), 'index modification time', problems) : null
  return {version, entries, modified, problems}
}
