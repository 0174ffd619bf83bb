/**
 * Windows XML Event Log (EVTX) files: a 4 KiB file header, then 64 KiB chunks, each
 * with its own header, string and template tables, and event records whose payload is
 * Binary XML. Spec: libyal/libevtx "Windows XML Event Log (EVTX)" sections 2 (file
 * header), 3 (chunk), 4 (event record). Read-only, by offset, from a file descriptor;
 * every chunk and record is checked on its own so one damaged chunk costs only itself.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {crc32} from 'node:zlib'
import {ParseError} from '../errors.js'
import {filetimeToIso} from '../time.js'
import {BinXmlReader, type ChunkContext, type XmlNode} from './binxml.js'

export const FILE_HEADER_SIZE = 4096
export const CHUNK_SIZE = 65536
const CHUNK_HEADER_SIZE = 512
const RECORD_SIGNATURE = 0x00002a2a
const FILE_SIGNATURE = Buffer.from('ElfFile\0', 'latin1')
const CHUNK_SIGNATURE = Buffer.from('ElfChnk\0', 'latin1')

export interface EvtxFileHeader {
  firstChunk: bigint
  lastChunk: bigint
  nextRecordId: bigint
  majorVersion: number
  minorVersion: number
  /** Chunks the header declares (may lag behind the file when the log was not closed cleanly). */
  chunkCount: number
  /** 0x1: dirty (not closed cleanly), 0x2: full (libevtx 2.1, file flags). */
  flags: number
  dirty: boolean
  full: boolean
  /** CRC32 of the first 120 bytes equals the stored checksum. */
  checksumValid: boolean
}

export interface EvtxChunk {
  /** Index of the chunk in the file (0 = the one right after the file header). */
  index: number
  /** File offset of the chunk. */
  offset: number
  /** 'empty': never written (all zero); 'bad-signature': not a chunk header. */
  state: 'chunk' | 'empty' | 'bad-signature'
  firstRecordNumber: bigint
  lastRecordNumber: bigint
  firstRecordId: bigint
  lastRecordId: bigint
  lastRecordOffset: number
  freeSpaceOffset: number
  /** CRC32 of header bytes 0-119 and 128-511 equals the stored header checksum. */
  headerChecksumValid: boolean
  /** CRC32 of the record data (512 to the free-space offset) equals the stored one. */
  dataChecksumValid: boolean
}

export interface EvtxRecord {
  chunk: number
  /** File offset of the record. */
  offset: number
  recordId: bigint
  /** Time the record was written (FILETIME in the record header), ISO 8601 UTC at 100 ns. */
  written: string | null
  /** The event as XML nodes (templates instantiated). */
  nodes: XmlNode[]
  /** Set when the record was read although part of its framing is damaged. */
  warning?: string
}

/** A record or a stretch of a chunk that could not be read: where, and why. */
export interface EvtxDamage {
  chunk: number
  offset: number
  /** The record's identifier, when its header could be read. */
  recordId?: bigint
  message: string
}

export type ChunkItem = {kind: 'record'; record: EvtxRecord} | {kind: 'damage'; damage: EvtxDamage}

export function parseFileHeader(buf: Buffer, where: string): EvtxFileHeader {
  if (buf.length < 128 || !buf.subarray(0, 8).equals(FILE_SIGNATURE)) throw new ParseError('not an EVTX file (no ElfFile signature)', where)
  const flags = buf.readUInt32LE(120)
  return {
    firstChunk: buf.readBigUInt64LE(8),
    lastChunk: buf.readBigUInt64LE(16),
    nextRecordId: buf.readBigUInt64LE(24),
    minorVersion: buf.readUInt16LE(36),
    majorVersion: buf.readUInt16LE(38),
    chunkCount: buf.readUInt16LE(42),
    flags,
    dirty: (flags & 1) !== 0,
    full: (flags & 2) !== 0,
    checksumValid: (crc32(buf.subarray(0, 120)) >>> 0) === buf.readUInt32LE(124),
  }
}

/** Reads a chunk header (libevtx 3.1); `buf` is the whole 64 KiB chunk. */
export function parseChunkHeader(buf: Buffer, index: number, offset: number): EvtxChunk {
  const blank = {index, offset, firstRecordNumber: 0n, lastRecordNumber: 0n, firstRecordId: 0n, lastRecordId: 0n, lastRecordOffset: 0, freeSpaceOffset: 0, headerChecksumValid: false, dataChecksumValid: false}
  if (buf.length < CHUNK_HEADER_SIZE) return {...blank, state: 'bad-signature'}
  if (!buf.subarray(0, 8).equals(CHUNK_SIGNATURE)) return {...blank, state: buf.every((b) => b === 0) ? 'empty' : 'bad-signature'}
  const freeSpaceOffset = buf.readUInt32LE(48)
  const headerCrc = crc32(buf.subarray(128, CHUNK_HEADER_SIZE), crc32(buf.subarray(0, 120))) >>> 0
  const dataEnd = Math.min(Math.max(freeSpaceOffset, CHUNK_HEADER_SIZE), buf.length)
  return {
    index,
    offset,
    state: 'chunk',
    firstRecordNumber: buf.readBigUInt64LE(8),
    lastRecordNumber: buf.readBigUInt64LE(16),
    firstRecordId: buf.readBigUInt64LE(24),
    lastRecordId: buf.readBigUInt64LE(32),
    lastRecordOffset: buf.readUInt32LE(44),
    freeSpaceOffset,
    headerChecksumValid: headerCrc === buf.readUInt32LE(124),
    dataChecksumValid: (crc32(buf.subarray(CHUNK_HEADER_SIZE, dataEnd)) >>> 0) === buf.readUInt32LE(52),
  }
}

/** Size of the record whose header (signature and a size that fits the chunk) starts at `at`; 0 if none does. */
function recordAt(buf: Buffer, at: number, end: number): number {
  if (at + 28 > end || buf.readUInt32LE(at) !== RECORD_SIGNATURE) return 0
  const size = buf.readUInt32LE(at + 4)
  return size < 28 || at + size > end ? 0 : size
}

/**
 * The records of one chunk (libevtx 4.1): signature "**\0\0", size, identifier, written
 * FILETIME, BinXml, size copy. Records run from offset 512 to the free-space offset; a
 * record whose header is damaged is reported and the reader looks for the next record
 * signature, so one bad record costs only itself. BinXml errors cost only their record.
 */
export function* chunkRecords(buf: Buffer, chunk: EvtxChunk): Generator<ChunkItem> {
  const context: ChunkContext = {data: buf, names: new Map(), templates: new Map()}
  // python-evtx and libevtx both stop at the free-space offset: bytes past it are slack
  const end = Math.min(chunk.freeSpaceOffset > CHUNK_HEADER_SIZE ? chunk.freeSpaceOffset : buf.length, buf.length)
  let at = CHUNK_HEADER_SIZE
  while (at + 28 <= end) {
    const size = recordAt(buf, at, end)
    if (size === 0) {
      const from = at
      // resynchronise on the next plausible record (records are 8-byte aligned)
      at += 8
      while (at + 28 <= end && recordAt(buf, at, end) === 0) at += 8
      yield {kind: 'damage', damage: {chunk: chunk.index, offset: chunk.offset + from, message: `no valid event record at chunk offset ${from}: ${at + 28 <= end ? `${at - from} bytes skipped to the next record` : 'rest of the chunk unreadable'}`}}
      continue
    }
    const recordId = buf.readBigUInt64LE(at + 8)
    // the size is repeated in the last 4 bytes; a differing copy means the record's end was overwritten,
    // but its BinXml may still be whole (evtxexport reads such records too): read it and say so
    const warning = buf.readUInt32LE(at + size - 4) === size ? undefined : 'the size copy at the end of the record differs from its header (its end may be overwritten)'
    try {
      const nodes = new BinXmlReader(context, at + 24, at + size - 4).fragment()
      yield {kind: 'record', record: {chunk: chunk.index, offset: chunk.offset + at, recordId, written: filetimeToIso(buf.readBigUInt64LE(at + 16)), nodes, ...(warning ? {warning} : {})}}
    } catch (error) {
      yield {kind: 'damage', damage: {chunk: chunk.index, offset: chunk.offset + at, recordId, message: `event record ${recordId}: ${error instanceof Error ? error.message : String(error)}`}}
    }
    at += size
  }
}

/** An EVTX file opened read-only: its header and its chunks, read one 64 KiB block at a time. */
export class EvtxFile {
  readonly header: EvtxFileHeader
  readonly size: number
  private readonly fd: number

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r')
    try {
      this.size = fstatSync(this.fd).size
      const head = Buffer.alloc(Math.min(FILE_HEADER_SIZE, this.size))
      readSync(this.fd, head, 0, head.length, 0)
      this.header = parseFileHeader(head, path)
    } catch (error) {
      closeSync(this.fd)
      throw error
    }
  }

  /** 64 KiB blocks after the header, the last one possibly cut short (a truncated copy). */
  get chunkSlots(): number {
    return Math.max(0, Math.ceil((this.size - FILE_HEADER_SIZE) / CHUNK_SIZE))
  }

  /** Bytes of the last block when the file ends inside it (0 when the file ends on a chunk boundary). */
  get trailingBytes(): number {
    return Math.max(0, this.size - FILE_HEADER_SIZE) % CHUNK_SIZE
  }

  /**
   * Every 64 KiB block after the file header, whatever the header's chunk count says (a dirty
   * file can hold more). A last block cut short is read as far as it goes, the rest left zero:
   * its checksums fail and the records that are whole are still read.
   */
  *chunks(): Generator<{chunk: EvtxChunk; data: Buffer; truncated: boolean}> {
    for (let i = 0; i < this.chunkSlots; i++) {
      const offset = FILE_HEADER_SIZE + i * CHUNK_SIZE
      const data = Buffer.alloc(CHUNK_SIZE)
      const read = readSync(this.fd, data, 0, CHUNK_SIZE, offset)
      yield {chunk: parseChunkHeader(data, i, offset), data, truncated: read < CHUNK_SIZE}
    }
  }

  close(): void {
    closeSync(this.fd)
  }
}
