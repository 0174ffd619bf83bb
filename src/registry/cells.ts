/**
 * Cell records of a REGF hive bin: key node (nk), key value (vk), key security (sk),
 * subkey lists (lf, lh, li, ri) and big data (db). Each parser takes the cell data
 * (the bytes after the 4-byte cell size) and the cell's file offset for error
 * messages, checks every length against the cell before reading, and throws a
 * CorruptImageError carrying the offset when the record does not fit.
 *
 * Layouts: libyal/libregf "Windows NT Registry File (REGF) format", sections
 * "Named key", "Value key", "Security key", "Sub key list", "Data block key";
 * M. Suhanov "Windows registry file format specification", "Cell".
 */
import {CorruptImageError} from '../errors.js'

/** "No cell": offsets of absent lists, classes, security keys. */
export const NO_OFFSET = 0xffffffff

/** nk flag 0x0020 (KEY_COMP_NAME): the name is stored in an 8-bit code page, not UTF-16LE. */
export const KEY_COMP_NAME = 0x0020
/** nk flag 0x0004 (KEY_HIVE_ENTRY): the root key of the hive. */
export const KEY_HIVE_ENTRY = 0x0004
/** vk flag 0x0001 (VALUE_COMP_NAME): the value name is stored in an 8-bit code page. */
export const VALUE_COMP_NAME = 0x0001

const windows1252 = new TextDecoder('windows-1252')
const utf16le = new TextDecoder('utf-16le')

/** Names flagged "compressed" are 8-bit strings in the system code page (regfexport defaults to Windows-1252). */
export function decodeName(bytes: Buffer, compressed: boolean): string {
  if (compressed) return windows1252.decode(bytes)
  return utf16le.decode(bytes.length % 2 === 0 ? bytes : bytes.subarray(0, bytes.length - 1))
}

function need(data: Buffer, length: number, what: string, offset: number): void {
  if (data.length < length) {
    throw new CorruptImageError(`${what} needs ${length} bytes but its cell holds ${data.length}`, offset)
  }
}

function signatureOf(data: Buffer): string {
  return data.length >= 2 ? String.fromCharCode(data[0], data[1]) : ''
}

/** Throws unless the cell starts with `signature` ("nk", "vk", ...); `what` names the record in the error. */
function expectSignature(data: Buffer, signature: string, what: string, offset: number): void {
  if (signatureOf(data) !== signature) throw new CorruptImageError(`expected ${what} (${signature}), found ${JSON.stringify(signatureOf(data))}`, offset)
}

/** Key node (CM_KEY_NODE, "nk"). */
export interface KeyNode {
  flags: number
  /** FILETIME, 100 ns since 1601, kept as an integer for full precision. */
  lastWritten: bigint
  parentOffset: number
  subkeyCount: number
  volatileSubkeyCount: number
  subkeyListOffset: number
  valueCount: number
  valueListOffset: number
  securityOffset: number
  classNameOffset: number
  classNameLength: number
  name: string
}

export function parseKeyNode(data: Buffer, offset: number): KeyNode {
  need(data, 76, 'key node (nk)', offset)
  expectSignature(data, 'nk', 'a key node', offset)
  const flags = data.readUInt16LE(2)
  const nameLength = data.readUInt16LE(72)
  need(data, 76 + nameLength, 'key node name', offset)
  return {
    flags,
    lastWritten: data.readBigUInt64LE(4),
    parentOffset: data.readUInt32LE(16),
    subkeyCount: data.readUInt32LE(20),
    volatileSubkeyCount: data.readUInt32LE(24),
    subkeyListOffset: data.readUInt32LE(28),
    valueCount: data.readUInt32LE(36),
    valueListOffset: data.readUInt32LE(40),
    securityOffset: data.readUInt32LE(44),
    classNameOffset: data.readUInt32LE(48),
    classNameLength: data.readUInt16LE(74),
    name: decodeName(data.subarray(76, 76 + nameLength), (flags & KEY_COMP_NAME) !== 0),
  }
}

/** Key value (CM_KEY_VALUE, "vk"). */
export interface ValueKey {
  name: string
  /** Data size with the inline bit (0x80000000) removed. */
  dataSize: number
  /** The data lives in the data-offset field itself (size <= 4, inline bit set). */
  inline: boolean
  /** The raw data-offset field (an offset, or the inline data). */
  dataOffset: number
  /** The raw data-offset field bytes, for inline data. */
  inlineBytes: Buffer
  type: number
  flags: number
}

export function parseValueKey(data: Buffer, offset: number): ValueKey {
  need(data, 20, 'key value (vk)', offset)
  expectSignature(data, 'vk', 'a key value', offset)
  const nameLength = data.readUInt16LE(2)
  const rawSize = data.readUInt32LE(4)
  const flags = data.readUInt16LE(16)
  need(data, 20 + nameLength, 'key value name', offset)
  const inline = (rawSize & 0x80000000) !== 0
  return {
    name: decodeName(data.subarray(20, 20 + nameLength), (flags & VALUE_COMP_NAME) !== 0),
    dataSize: rawSize & 0x7fffffff,
    inline,
    dataOffset: data.readUInt32LE(8),
    inlineBytes: Buffer.from(data.subarray(8, 12)),
    type: data.readUInt32LE(12),
    flags,
  }
}

/** Key security ("sk"): the NT security descriptor shared by keys. */
export interface SecurityKey {
  flink: number
  blink: number
  referenceCount: number
  descriptor: Buffer
}

export function parseSecurityKey(data: Buffer, offset: number): SecurityKey {
  need(data, 20, 'key security (sk)', offset)
  expectSignature(data, 'sk', 'a key security record', offset)
  const size = data.readUInt32LE(16)
  need(data, 20 + size, 'security descriptor', offset)
  return {
    flink: data.readUInt32LE(4),
    blink: data.readUInt32LE(8),
    referenceCount: data.readUInt32LE(12),
    descriptor: Buffer.from(data.subarray(20, 20 + size)),
  }
}

export type SubkeyListKind = 'lf' | 'lh' | 'li' | 'ri'

/** A subkey list: leaves (lf, lh, li) list key nodes; an index root (ri) lists leaves. */
export interface SubkeyList {
  kind: SubkeyListKind
  /** Key node offsets for leaves, leaf offsets for an index root. */
  offsets: number[]
}

export function parseSubkeyList(data: Buffer, offset: number): SubkeyList {
  need(data, 4, 'subkey list', offset)
  const kind = signatureOf(data)
  if (kind !== 'lf' && kind !== 'lh' && kind !== 'li' && kind !== 'ri') {
    throw new CorruptImageError(`expected a subkey list (lf, lh, li, ri), found ${JSON.stringify(kind)}`, offset)
  }
  const count = data.readUInt16LE(2)
  // lf and lh elements carry a 4-byte name hint or hash after each key node offset
  const stride = kind === 'lf' || kind === 'lh' ? 8 : 4
  need(data, 4 + count * stride, `subkey list (${kind}) of ${count} elements`, offset)
  const offsets: number[] = []
  for (let i = 0; i < count; i++) offsets.push(data.readUInt32LE(4 + i * stride))
  return {kind, offsets}
}

/** A values list: `count` key value offsets. */
export function parseValueList(data: Buffer, count: number, offset: number): number[] {
  need(data, count * 4, `values list of ${count} elements`, offset)
  const offsets: number[] = []
  for (let i = 0; i < count; i++) offsets.push(data.readUInt32LE(i * 4))
  return offsets
}

/** Big data ("db"): values over 16344 bytes in hives of version 1.4 and later, split into segments. */
export interface BigData {
  segmentCount: number
  segmentListOffset: number
}

export function isBigData(data: Buffer): boolean {
  return signatureOf(data) === 'db' && data.length >= 8
}

export function parseBigData(data: Buffer, offset: number): BigData {
  need(data, 8, 'big data (db)', offset)
  expectSignature(data, 'db', 'big data', offset)
  return {segmentCount: data.readUInt16LE(2), segmentListOffset: data.readUInt32LE(4)}
}

/** Largest segment of big data (Suhanov, "Data segment"). */
export const BIG_DATA_SEGMENT_SIZE = 16344
