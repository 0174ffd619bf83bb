/**
 * The REGF base block (file header): the first 4096 bytes of a primary hive file,
 * and the first sector of a transaction log file (libregf "File header";
 * Suhanov "Base block").
 */
import {CorruptImageError} from '../errors.js'
import {filetimeToIso} from '../time.js'

export const BASE_BLOCK_SIZE = 4096
export const HIVE_BIN_SIZE = 4096

/** File type field: 0 primary, 1 and 2 old-format transaction log, 6 new-format transaction log. */
export const FileType = {primary: 0, log: 1, logVolatile: 2, logNew: 6} as const

export interface BaseBlock {
  primarySequence: number
  secondarySequence: number
  /** FILETIME of the last write, as an integer and ISO 8601 (7 fractional digits). */
  lastWrittenFiletime: bigint
  lastWritten: string | null
  majorVersion: number
  minorVersion: number
  fileType: number
  fileFormat: number
  rootCellOffset: number
  hiveBinsDataSize: number
  clusteringFactor: number
  /** Partial file name the writer left for debugging (UTF-16LE). */
  fileName: string
  /** Windows 10 field (offset 144): KTM flags, copied into log entries. */
  flags: number
  checksum: number
  checksumValid: boolean
}

/** XOR-32 of the first 508 bytes (libregf "File header", offset 508). */
export function baseBlockChecksum(block: Buffer): number {
  let sum = 0
  for (let i = 0; i < 508; i += 4) sum ^= block.readUInt32LE(i)
  return sum >>> 0
}

/** The checksum Windows writes: the XOR-32, with 0xffffffff stored as 0xfffffffe and 0 as 1 (Suhanov, "Base block", note 2). */
export function windowsChecksum(block: Buffer): number {
  const sum = baseBlockChecksum(block)
  if (sum === 0xffffffff) return 0xfffffffe
  if (sum === 0) return 1
  return sum
}

export function isRegf(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === 'regf'
}

export function parseBaseBlock(data: Buffer, what = 'hive'): BaseBlock {
  if (data.length < 512) throw new CorruptImageError(`${what} is ${data.length} bytes, too short for a REGF base block`, 0)
  if (!isRegf(data)) throw new CorruptImageError(`${what} has no REGF signature ("regf")`, 0)
  const checksum = data.readUInt32LE(508)
  const computed = baseBlockChecksum(data)
  const lastWrittenFiletime = data.readBigUInt64LE(12)
  let lastWritten: string | null = null
  try {
    lastWritten = filetimeToIso(lastWrittenFiletime)
  } catch {
    lastWritten = null
  }
  const nameBytes = data.subarray(48, 112)
  let nameEnd = 0
  while (nameEnd < 64 && !(nameBytes[nameEnd] === 0 && nameBytes[nameEnd + 1] === 0)) nameEnd += 2
  return {
    primarySequence: data.readUInt32LE(4),
    secondarySequence: data.readUInt32LE(8),
    lastWrittenFiletime,
    lastWritten,
    majorVersion: data.readUInt32LE(20),
    minorVersion: data.readUInt32LE(24),
    fileType: data.readUInt32LE(28),
    fileFormat: data.readUInt32LE(32),
    rootCellOffset: data.readUInt32LE(36),
    hiveBinsDataSize: data.readUInt32LE(40),
    clusteringFactor: data.readUInt32LE(44),
    fileName: new TextDecoder('utf-16le').decode(nameBytes.subarray(0, nameEnd)),
    flags: data.readUInt32LE(144),
    checksum,
    checksumValid: checksum === computed || checksum === windowsChecksum(data),
  }
}

/** Suhanov, "Dirty state of a hive": a wrong checksum, or sequence numbers that differ. */
export function isDirty(block: BaseBlock): boolean {
  return !block.checksumValid || block.primarySequence !== block.secondarySequence
}

/** Writes sequence numbers, hive bins size and a fresh checksum into a base block in place. */
export function rewriteBaseBlock(data: Buffer, fields: {sequence?: number; hiveBinsDataSize?: number; fileType?: number; flags?: number}): void {
  if (fields.sequence !== undefined) {
    data.writeUInt32LE(fields.sequence >>> 0, 4)
    data.writeUInt32LE(fields.sequence >>> 0, 8)
  }
  if (fields.hiveBinsDataSize !== undefined) data.writeUInt32LE(fields.hiveBinsDataSize >>> 0, 40)
  if (fields.fileType !== undefined) data.writeUInt32LE(fields.fileType >>> 0, 28)
  if (fields.flags !== undefined) data.writeUInt32LE(fields.flags >>> 0, 144)
  data.writeUInt32LE(windowsChecksum(data), 508)
}
