/**
 * Registry transaction logs (.LOG, .LOG1, .LOG2) and their replay onto a dirty
 * primary hive (Suhanov, "Format of transaction log files", "Dirty state of a hive",
 * "Multiple transaction log files"; libregf "Dirty vector").
 *
 * Old format (up to Windows 8): base block copy, a "DIRT" dirty vector whose bits
 * mark 512-byte pages of the hive bins data, then those pages in order.
 * New format (Windows 8.1 and later): base block copy (file type 6), then "HvLE"
 * log entries, each with dirty page references, the pages, and two Marvin32 hashes.
 *
 * Replay works on a copy in memory: the evidence (and the working copy) is never written.
 */
import {BASE_BLOCK_SIZE, type BaseBlock, FileType, isDirty, parseBaseBlock, rewriteBaseBlock} from './base-block.js'
import {marvin32, REGISTRY_LOG_SEED} from './marvin32.js'

const SECTOR = 512

export interface TransactionLogFile {
  /** Name shown in the report, e.g. 'SYSTEM.LOG1'. */
  name: string
  data: Buffer
}

export interface LogEntry {
  /** File offset of the entry within its log file. */
  offset: number
  size: number
  flags: number
  sequence: number
  hiveBinsDataSize: number
  pages: Array<{offset: number; data: Buffer}>
  hashValid: boolean
}

/** What replay did, for the examiner's report. */
export interface LogReplay {
  /** The primary file was dirty (bad checksum or sequence numbers that differ). */
  dirty: boolean
  /** Log files whose content was written onto the hive, in the order applied. */
  applied: Array<{file: string; format: 'old' | 'new'; entries: number; pages: number; sequences?: [number, number]}>
  /** Log files present but not used, with the reason. */
  skipped: Array<{file: string; reason: string}>
  /** Base block sequence numbers before and after replay. */
  sequenceBefore: [number, number]
  sequenceAfter: [number, number]
}

/** Parses the "HvLE" log entries of a new-format log, stopping at the first that is not one. */
export function parseLogEntries(data: Buffer): LogEntry[] {
  const entries: LogEntry[] = []
  let offset = SECTOR
  while (offset + 40 <= data.length) {
    if (data.toString('latin1', offset, offset + 4) !== 'HvLE') break
    const size = data.readUInt32LE(offset + 4)
    // an entry is a whole number of sectors and fits in the file; anything else ends the list
    if (size < 40 || size % SECTOR !== 0 || offset + size > data.length) break
    const count = data.readUInt32LE(offset + 20)
    if (40 + count * 8 > size) break
    const entry = data.subarray(offset, offset + size)
    const hash1 = entry.readBigUInt64LE(24)
    const hash2 = entry.readBigUInt64LE(32)
    const hashValid = marvin32(entry.subarray(40), REGISTRY_LOG_SEED) === hash1 && marvin32(entry.subarray(0, 32), REGISTRY_LOG_SEED) === hash2
    const pages: Array<{offset: number; data: Buffer}> = []
    let pageAt = 40 + count * 8
    let fits = true
    for (let i = 0; i < count; i++) {
      const pageOffset = entry.readUInt32LE(40 + i * 8)
      const pageSize = entry.readUInt32LE(44 + i * 8)
      if (pageAt + pageSize > size) {
        fits = false
        break
      }
      pages.push({offset: pageOffset, data: entry.subarray(pageAt, pageAt + pageSize)})
      pageAt += pageSize
    }
    if (!fits) break
    entries.push({
      offset,
      size,
      flags: entry.readUInt32LE(8),
      sequence: entry.readUInt32LE(12),
      hiveBinsDataSize: entry.readUInt32LE(16),
      pages,
      hashValid,
    })
    offset += size
  }
  return entries
}

/** Old format: the dirty vector's set bits, as 512-byte page indexes, and where their copies start. */
export function parseDirtyVector(data: Buffer, hiveBinsDataSize: number): {pages: number[]; pagesOffset: number} | undefined {
  for (const at of [SECTOR, 1024, BASE_BLOCK_SIZE]) {
    if (at + 4 > data.length || data.toString('latin1', at, at + 4) !== 'DIRT') continue
    const bits = Math.floor(hiveBinsDataSize / SECTOR)
    const bytes = Math.ceil(bits / 8)
    if (at + 4 + bytes > data.length) return undefined
    const pages: number[] = []
    for (let bit = 0; bit < bits; bit++) {
      if (data[at + 4 + (bit >> 3)] & (1 << (bit & 7))) pages.push(bit)
    }
    const pagesOffset = Math.ceil((at + 4 + bytes) / SECTOR) * SECTOR
    return {pages, pagesOffset}
  }
  return undefined
}

function currentBinsSize(hive: Buffer): number {
  return hive.readUInt32LE(40)
}

function grow(hive: Buffer, size: number): Buffer {
  if (hive.length >= size) return hive
  const bigger = Buffer.alloc(size)
  hive.copy(bigger)
  return bigger
}

/**
 * Replays transaction logs onto a copy of a primary hive. Returns the replayed
 * bytes (the input itself when nothing applied) and the report.
 */
export function replayTransactionLogs(primary: Buffer, logs: TransactionLogFile[]): {data: Buffer; replay: LogReplay} {
  const block = parseBaseBlock(primary)
  const replay: LogReplay = {
    dirty: isDirty(block),
    applied: [],
    skipped: [],
    sequenceBefore: [block.primarySequence, block.secondarySequence],
    sequenceAfter: [block.primarySequence, block.secondarySequence],
  }
  if (!replay.dirty) {
    for (const log of logs) replay.skipped.push({file: log.name, reason: 'hive is clean'})
    return {data: primary, replay}
  }
  let hive: Buffer = Buffer.from(primary)
  let current: BaseBlock = block

  const readable: Array<{log: TransactionLogFile; block: BaseBlock}> = []
  for (const log of logs) {
    if (log.data.length === 0) {
      replay.skipped.push({file: log.name, reason: 'empty'})
      continue
    }
    try {
      readable.push({log, block: parseBaseBlock(log.data, log.name)})
    } catch (error) {
      replay.skipped.push({file: log.name, reason: (error as Error).message})
    }
  }

  // A primary base block with a wrong checksum is recovered from a log's copy (Suhanov, notes 4 and 6).
  if (!current.checksumValid) {
    const donor = readable.find((r) => r.block.checksumValid)
    if (donor) {
      log512Into(hive, donor.log.data)
      rewriteBaseBlock(hive, {fileType: FileType.primary})
      current = parseBaseBlock(hive)
    }
  }

  // New format: LOG1 then LOG2; entries of both form one sequence starting at the secondary sequence number.
  const newFormat = readable.filter((r) => r.block.fileType === FileType.logNew)
  if (newFormat.length > 0) {
    const candidates: Array<{file: string; entry: LogEntry}> = []
    for (const {log} of newFormat) for (const entry of parseLogEntries(log.data)) candidates.push({file: log.name, entry})
    candidates.sort((a, b) => a.entry.sequence - b.entry.sequence)
    let expected = current.secondarySequence
    const used = new Map<string, {entries: number; pages: number; first: number; last: number}>()
    for (const {file, entry} of candidates) {
      if (entry.sequence < expected) continue // already applied before the hive was written
      if (entry.sequence !== expected) break // a gap ends recovery
      if (!entry.hashValid || entry.hiveBinsDataSize % 4096 !== 0) break // a bogus entry ends recovery
      // a hive only grows by bins the entry carries: a size beyond the pages given (a crafted or
      // damaged entry) would make us allocate gigabytes of nothing, so it ends recovery too
      const covered = Math.max(currentBinsSize(hive), ...entry.pages.map((p) => p.offset + p.data.length))
      if (entry.hiveBinsDataSize > Math.ceil(covered / 4096) * 4096) break
      if (entry.pages.some((p) => p.offset + p.data.length > entry.hiveBinsDataSize)) break
      hive = grow(hive, BASE_BLOCK_SIZE + entry.hiveBinsDataSize)
      for (const page of entry.pages) page.data.copy(hive, BASE_BLOCK_SIZE + page.offset)
      rewriteBaseBlock(hive, {hiveBinsDataSize: entry.hiveBinsDataSize, flags: entry.flags})
      const stats = used.get(file) ?? {entries: 0, pages: 0, first: entry.sequence, last: entry.sequence}
      stats.entries++
      stats.pages += entry.pages.length
      stats.last = entry.sequence
      used.set(file, stats)
      expected = entry.sequence + 1
    }
    if (used.size > 0) {
      // after replay the hive is consistent: both sequence numbers take the next number
      rewriteBaseBlock(hive, {sequence: expected})
      for (const [file, stats] of used) {
        replay.applied.push({file, format: 'new', entries: stats.entries, pages: stats.pages, sequences: [stats.first, stats.last]})
      }
    }
    for (const {log} of newFormat) if (!used.has(log.name)) replay.skipped.push({file: log.name, reason: 'no log entry with the expected sequence number'})
  }

  // Old format: one log whose base block is valid and matches the primary's last written time.
  const oldFormat = readable.filter((r) => r.block.fileType === FileType.log || r.block.fileType === FileType.logVolatile)
  for (const {log, block: logBlock} of oldFormat) {
    if (replay.applied.length > 0) {
      replay.skipped.push({file: log.name, reason: 'another log was applied'})
      continue
    }
    if (!logBlock.checksumValid || logBlock.primarySequence !== logBlock.secondarySequence) {
      replay.skipped.push({file: log.name, reason: 'log base block is invalid (checksum or sequence numbers)'})
      continue
    }
    if (logBlock.lastWrittenFiletime !== current.lastWrittenFiletime) {
      replay.skipped.push({file: log.name, reason: 'log belongs to another write (last written time differs)'})
      continue
    }
    const vector = parseDirtyVector(log.data, logBlock.hiveBinsDataSize)
    if (!vector) {
      replay.skipped.push({file: log.name, reason: 'no dirty vector ("DIRT")'})
      continue
    }
    const lastPage = vector.pages.length ? vector.pages[vector.pages.length - 1] + 1 : 0
    if (logBlock.hiveBinsDataSize > Math.max(current.hiveBinsDataSize, Math.ceil((lastPage * SECTOR) / 4096) * 4096)) {
      replay.skipped.push({file: log.name, reason: 'log hive bins size exceeds the pages it carries'})
      continue
    }
    hive = grow(hive, BASE_BLOCK_SIZE + logBlock.hiveBinsDataSize)
    let written = 0
    for (let i = 0; i < vector.pages.length; i++) {
      const from = vector.pagesOffset + i * SECTOR
      if (from + SECTOR > log.data.length) break
      log.data.copy(hive, BASE_BLOCK_SIZE + vector.pages[i] * SECTOR, from, from + SECTOR)
      written++
    }
    rewriteBaseBlock(hive, {sequence: logBlock.secondarySequence, hiveBinsDataSize: logBlock.hiveBinsDataSize})
    replay.applied.push({file: log.name, format: 'old', entries: 1, pages: written})
  }
  for (const {log, block: logBlock} of readable) {
    if (logBlock.fileType !== FileType.logNew && logBlock.fileType !== FileType.log && logBlock.fileType !== FileType.logVolatile) {
      replay.skipped.push({file: log.name, reason: `not a transaction log (file type ${logBlock.fileType})`})
    }
  }

  if (replay.applied.length === 0) return {data: primary, replay}
  const after = parseBaseBlock(hive)
  replay.sequenceAfter = [after.primarySequence, after.secondarySequence]
  return {data: hive, replay}
}

/** Copies the 512-byte base block copy of a log over the primary's base block. */
function log512Into(hive: Buffer, log: Buffer): void {
  log.copy(hive, 0, 0, SECTOR)
}
