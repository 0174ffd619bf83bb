/**
 * LevelDB table files, .ldb (and the older .sst) (doc/table_format.md): data blocks, a meta
 * index, an index block, and a 48-byte footer (two block handles as varints, padding, the
 * magic 0xdb4775248b80fb57). Each block is followed by a type byte (0 raw, 1 snappy) and the
 * masked CRC-32C of contents and type. A block holds entries (shared prefix length, unshared
 * length, value length, unshared key bytes, value) and ends with restart offsets and their
 * count. Data-block keys are internal keys: user key + 8 bytes of (sequence << 8 | type).
 */
import {Cursor, LevelDbFormatError, crc32c, readFixed32, unmaskCrc} from './coding.js'
import {SnappyError, snappyDecompress} from './snappy.js'
import type {LevelDbProblem, LevelDbRecord} from './types.js'

const FOOTER = 48
const MAGIC_LOW = 0x8b80fb57
const MAGIC_HIGH = 0xdb477524
const TRAILER = 5

export interface BlockHandle {
  offset: number
  size: number
}

export interface BlockEntry {
  key: Uint8Array
  value: Uint8Array
}

export interface TableResult {
  records: LevelDbRecord[]
  problems: LevelDbProblem[]
  /** Data blocks read, and how many of them were snappy-compressed. */
  blocks: number
  compressedBlocks: number
}

/**
 * The entries of one block's contents (after decompression). Entries up to any damage are
 * returned; `error` says what stopped the walk.
 */
export function parseBlock(contents: Uint8Array): {entries: BlockEntry[]; error?: LevelDbFormatError} {
  const entries: BlockEntry[] = []
  if (contents.length < 4) return {entries, error: new LevelDbFormatError('block is shorter than its restart count', 0)}
  const restarts = readFixed32(contents, contents.length - 4)
  const restartsAt = contents.length - 4 - restarts * 4
  if (restarts === 0 || restartsAt < 0) return {entries, error: new LevelDbFormatError(`block restart count ${restarts} does not fit the block`, contents.length - 4)}
  const c = new Cursor(contents, 0, restartsAt)
  let previous: Uint8Array = new Uint8Array(0)
  try {
    while (c.remaining > 0) {
      const at = c.pos
      const shared = c.varint('block entry shared length')
      const unshared = c.varint('block entry key length')
      const valueLength = c.varint('block entry value length')
      if (shared > previous.length) throw new LevelDbFormatError(`block entry shares ${shared} bytes of a ${previous.length}-byte key`, at)
      const tail = c.take(unshared, 'block entry key')
      const key = new Uint8Array(shared + unshared)
      key.set(previous.subarray(0, shared))
      key.set(tail, shared)
      entries.push({key, value: c.take(valueLength, 'block entry value')})
      previous = key
    }
  } catch (error) {
    if (!(error instanceof LevelDbFormatError)) throw error
    return {entries, error}
  }
  return {entries}
}

export function decodeHandle(c: Cursor): BlockHandle {
  return {offset: c.varint('block handle offset'), size: c.varint('block handle size')}
}

/** Reads, checks and (if snappy) decompresses one block. Throws LevelDbFormatError. */
export function readBlock(bytes: Uint8Array, handle: BlockHandle, what: string): {contents: Uint8Array; compressed: boolean} {
  const end = handle.offset + handle.size
  if (end + TRAILER > bytes.length) throw new LevelDbFormatError(`${what} of ${handle.size} bytes runs past the end of the file`, handle.offset)
  const type = bytes[end]
  const stored = unmaskCrc(readFixed32(bytes, end + 1))
  if (crc32c(bytes.subarray(handle.offset, end + 1)) !== stored) throw new LevelDbFormatError(`${what} checksum does not match`, handle.offset)
  const raw = bytes.subarray(handle.offset, end)
  if (type === 0) return {contents: raw, compressed: false}
  if (type === 1) {
    try {
      return {contents: snappyDecompress(raw), compressed: true}
    } catch (error) {
      if (error instanceof SnappyError) throw new LevelDbFormatError(`${what}: ${error.message}`, handle.offset)
      throw error
    }
  }
  throw new LevelDbFormatError(`${what} has unknown compression type ${type}`, handle.offset)
}

/** Splits an internal key into user key, sequence and type (db/dbformat.h). */
export function splitInternalKey(key: Uint8Array): {userKey: Uint8Array; sequence: number; type: number} | null {
  if (key.length < 8) return null
  const n = key.length - 8
  let sequence = 0
  for (let i = 7; i >= 1; i--) sequence = sequence * 256 + key[n + i]
  return {userKey: key.subarray(0, n), sequence, type: key[n]}
}

/** Reads every entry of every data block of a table file. Damage is reported, never thrown. */
export function parseTable(bytes: Uint8Array, file: string): TableResult {
  const result: TableResult = {records: [], problems: [], blocks: 0, compressedBlocks: 0}
  const problem = (offset: number, message: string) => result.problems.push({file, offset, message})
  if (bytes.length < FOOTER) {
    problem(0, `table file of ${bytes.length} bytes is shorter than its 48-byte footer`)
    return result
  }
  const footerAt = bytes.length - FOOTER
  if (readFixed32(bytes, bytes.length - 8) !== MAGIC_LOW || readFixed32(bytes, bytes.length - 4) !== MAGIC_HIGH) {
    problem(footerAt, 'table footer has no LevelDB magic number')
    return result
  }
  let index: BlockEntry[]
  try {
    const c = new Cursor(bytes, footerAt, bytes.length - 8)
    decodeHandle(c) // meta index: names the filter block, which only speeds up look-ups
    const indexHandle = decodeHandle(c)
    const parsed = parseBlock(readBlock(bytes, indexHandle, 'index block').contents)
    if (parsed.error) problem(indexHandle.offset, `index block damaged: ${parsed.error.message}; data blocks after it not found`)
    index = parsed.entries
  } catch (error) {
    if (!(error instanceof LevelDbFormatError)) throw error
    problem(error.offset, `${error.message}; no data block of this table can be found`)
    return result
  }
  for (const entry of index) {
    let handle: BlockHandle
    try {
      handle = decodeHandle(new Cursor(entry.value))
    } catch {
      problem(footerAt, 'index block entry holds no block handle')
      continue
    }
    let block: {contents: Uint8Array; compressed: boolean}
    try {
      block = readBlock(bytes, handle, 'data block')
    } catch (error) {
      if (!(error instanceof LevelDbFormatError)) throw error
      problem(error.offset, error.message)
      continue
    }
    result.blocks++
    if (block.compressed) result.compressedBlocks++
    const parsed = parseBlock(block.contents)
    if (parsed.error) problem(handle.offset, `data block damaged at byte ${parsed.error.offset} of its contents: ${parsed.error.message}`)
    parsed.entries.forEach((e, i) => {
      const split = splitInternalKey(e.key)
      if (!split || split.type > 1) {
        problem(handle.offset, `entry ${i} of the data block has no valid internal key`)
        return
      }
      const live = split.type === 1
      result.records.push({key: split.userKey, value: live ? e.value : null, sequence: split.sequence, state: live ? 'live' : 'deleted', file, offset: handle.offset, index: i, source: 'table'})
    })
  }
  return result
}
