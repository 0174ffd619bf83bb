/**
 * The LevelDB write-ahead log (doc/log_format.md): 32 KiB blocks of records, each with a
 * 7-byte header (masked CRC-32C of type and data, 2-byte length, type). A user record too
 * big for the rest of a block is split into FIRST, MIDDLE..., LAST fragments; FULL holds one
 * whole. Fewer than 7 bytes left in a block are zero padding. Each user record is a write
 * batch (db/write_batch.cc): 8-byte sequence, 4-byte count, then Put (tag 1, key, value)
 * and Delete (tag 0, key) entries with varint-length strings; entry i has sequence + i.
 */
import {Cursor, LevelDbFormatError, crc32c, readFixed32, unmaskCrc} from './coding.js'
import type {LevelDbProblem, LevelDbRecord} from './types.js'

export const LOG_BLOCK_SIZE = 32768
const HEADER = 7
const FULL = 1
const FIRST = 2
const MIDDLE = 3
const LAST = 4

export interface LogResult {
  records: LevelDbRecord[]
  problems: LevelDbProblem[]
}

/** Reads every write batch in a .log file. Damage is reported and skipped, never thrown. */
export function parseLog(bytes: Uint8Array, file: string): LogResult {
  const records: LevelDbRecord[] = []
  const problems: LevelDbProblem[] = []
  readLogRecords(bytes, file, problems, (data, at) => decodeBatch(data, file, at, records, problems))
  return {records, problems}
}

/**
 * Reassembles the user records of a file in log format (a .log, and the MANIFEST, whose
 * records are version edits) and hands each to `visit` with the offset of its first fragment.
 */
export function readLogRecords(bytes: Uint8Array, file: string, problems: LevelDbProblem[], visit: (data: Uint8Array, offset: number) => void): void {
  let pending: Uint8Array[] | null = null
  let pendingAt = 0
  const dropPending = (why: string) => {
    if (pending) problems.push({file, offset: pendingAt, message: `fragmented record dropped: ${why}`})
    pending = null
  }
  let pos = 0
  while (pos < bytes.length) {
    const blockEnd = Math.min(bytes.length, (Math.floor(pos / LOG_BLOCK_SIZE) + 1) * LOG_BLOCK_SIZE)
    if (blockEnd - pos < HEADER) {
      // Trailer padding; at the end of the file a shorter run is a cut-off header unless it is all zeros.
      if (blockEnd === bytes.length && bytes.subarray(pos, blockEnd).some((b) => b !== 0)) {
        problems.push({file, offset: pos, message: 'log ends inside a record header'})
      }
      pos = blockEnd
      continue
    }
    const length = bytes[pos + 4] | (bytes[pos + 5] << 8)
    const type = bytes[pos + 6]
    if (type === 0 && length === 0) {
      // Zero-filled space (preallocated or a mapped file's unused tail): nothing in the rest of the block.
      pos = blockEnd
      continue
    }
    if (pos + HEADER + length > blockEnd) {
      problems.push({file, offset: pos, message: `log record of ${length} bytes runs past its ${blockEnd === bytes.length ? 'file' : 'block'}`})
      dropPending('a later fragment is damaged')
      pos = blockEnd
      continue
    }
    const stored = unmaskCrc(readFixed32(bytes, pos))
    const actual = crc32c(bytes.subarray(pos + 6, pos + HEADER + length))
    if (stored !== actual) {
      problems.push({file, offset: pos, message: 'log record checksum does not match; rest of the block skipped'})
      dropPending('a later fragment has a bad checksum')
      pos = blockEnd
      continue
    }
    const data = bytes.subarray(pos + HEADER, pos + HEADER + length)
    const at = pos
    pos += HEADER + length
    if (type === FULL) {
      dropPending('a whole record follows it')
      visit(data, at)
    } else if (type === FIRST) {
      dropPending('a new record starts before its last fragment')
      pending = [data]
      pendingAt = at
    } else if (type === MIDDLE || type === LAST) {
      if (!pending) {
        problems.push({file, offset: at, message: `${type === LAST ? 'last' : 'middle'} fragment without a first one`})
        continue
      }
      ;(pending as Uint8Array[]).push(data)
      if (type === LAST) {
        visit(Buffer.concat(pending), pendingAt)
        pending = null
      }
    } else {
      problems.push({file, offset: at, message: `unknown log record type ${type}`})
      dropPending('an unknown record type follows it')
    }
  }
  dropPending('the log ends before its last fragment')
}

/** Decodes one write batch into records; a damaged batch keeps the entries before the damage. */
export function decodeBatch(data: Uint8Array, file: string, offset: number, records: LevelDbRecord[], problems: LevelDbProblem[]): void {
  const c = new Cursor(data)
  try {
    const sequence = c.fixed64('write batch sequence')
    const count = c.fixed32('write batch count')
    let index = 0
    while (c.remaining > 0) {
      const tag = c.take(1, 'write batch tag')[0]
      const key = c.lengthPrefixed('write batch key')
      if (tag === 1) {
        records.push({key, value: c.lengthPrefixed('write batch value'), sequence: sequence + index, state: 'live', file, offset, index, source: 'log'})
      } else if (tag === 0) {
        records.push({key, value: null, sequence: sequence + index, state: 'deleted', file, offset, index, source: 'log'})
      } else {
        throw new LevelDbFormatError(`unknown write batch tag ${tag}`, c.pos - key.length - 1)
      }
      index++
    }
    if (index !== count) problems.push({file, offset, message: `write batch says ${count} records, holds ${index}`})
  } catch (error) {
    if (!(error instanceof LevelDbFormatError)) throw error
    problems.push({file, offset, message: `write batch damaged at byte ${error.offset} of the batch: ${error.message}`})
  }
}
