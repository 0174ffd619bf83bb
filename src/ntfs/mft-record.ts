import {CorruptImageError} from '../errors.js'
import {decodeDataRuns, type DataRun} from './data-runs.js'

/** Attribute type codes (libfsntfs "The attribute types"). */
export const AttributeType = {
  standardInformation: 0x10,
  attributeList: 0x20,
  fileName: 0x30,
  objectId: 0x40,
  securityDescriptor: 0x50,
  volumeName: 0x60,
  volumeInformation: 0x70,
  data: 0x80,
  indexRoot: 0x90,
  indexAllocation: 0xa0,
  bitmap: 0xb0,
  reparsePoint: 0xc0,
  end: 0xffffffff,
} as const

/** MFT entry flags (header offset 22). */
export const RECORD_IN_USE = 0x0001
export const RECORD_IS_DIRECTORY = 0x0002

/** Attribute data flags (attribute header offset 12). */
export const ATTRIBUTE_COMPRESSED = 0x0001
export const ATTRIBUTE_ENCRYPTED = 0x4000
export const ATTRIBUTE_SPARSE = 0x8000

/** $FILE_NAME namespaces (libfsntfs "Namespace"). */
export const FILE_NAME_NAMESPACES = ['POSIX', 'Win32', 'DOS', 'Win32 & DOS'] as const
export const NAMESPACE_DOS = 2

/** One attribute of an MFT entry, resident or not. */
export interface MftAttribute {
  type: number
  name: string
  id: number
  flags: number
  resident: boolean
  /** Resident value (a view into the record buffer). */
  value?: Buffer
  /** Non-resident: first and last virtual cluster this piece maps. */
  startVcn: number
  lastVcn: number
  /** Non-resident sizes (only meaningful in the piece whose startVcn is 0). */
  allocatedSize: number
  dataSize: number
  initializedSize: number
  /** log2 of the compression unit in clusters (4 = 16 clusters); 0 if not compressed. */
  compressionUnit: number
  runs?: DataRun[]
  /** The MFT entry that holds this attribute (differs from the base with $ATTRIBUTE_LIST). */
  recordEntry: number
}

/** A parsed MFT entry (FILE record). */
export interface MftRecord {
  entry: number
  sequence: number
  linkCount: number
  flags: number
  /** Base record reference: 0 for a base record, else the entry this one extends. */
  baseEntry: number
  baseSequence: number
  attributes: MftAttribute[]
}

/**
 * Applies the update sequence (fix-up) array in place (libfsntfs "The fix-up values"):
 * the last two bytes of every 512-byte stride were replaced on disk by the update
 * sequence number and are restored from the array. A stride whose last two bytes do not
 * hold that number was torn or corrupted: the record cannot be trusted. `absOffset` is where
 * the record lies in the volume, for the error; undefined for an index record read through its
 * attribute, which has none to name.
 */
export function applyFixups(buf: Buffer, start: number, size: number, entry: number, absOffset: number | undefined, what = `MFT record ${entry}`, headerSize = 42): void {
  const usaOffset = buf.readUInt16LE(start + 4)
  const usaCount = buf.readUInt16LE(start + 6)
  const strides = size / 512
  if (usaCount === 0 || usaCount - 1 !== strides || usaOffset < headerSize || usaOffset + usaCount * 2 > size || usaOffset % 2 !== 0) {
    throw new CorruptImageError(`${what}: invalid update sequence array (offset ${usaOffset}, count ${usaCount})`, absOffset === undefined ? undefined : absOffset + 4)
  }
  const usn = buf.readUInt16LE(start + usaOffset)
  for (let i = 1; i < usaCount; i++) {
    const tail = start + i * 512 - 2
    if (buf.readUInt16LE(tail) !== usn) {
      throw new CorruptImageError(`${what}: update sequence mismatch in sector ${i - 1} (bad fix-up)`, absOffset === undefined ? undefined : absOffset + i * 512 - 2)
    }
    buf[tail] = buf[start + usaOffset + 2 * i]
    buf[tail + 1] = buf[start + usaOffset + 2 * i + 1]
  }
}

/** True if the record starts with "FILE". */
export function hasFileSignature(buf: Buffer, start: number): boolean {
  return buf[start] === 0x46 && buf[start + 1] === 0x49 && buf[start + 2] === 0x4c && buf[start + 3] === 0x45
}

/** True if the record starts with "BAAD" (marked bad by chkdsk). */
export function hasBadSignature(buf: Buffer, start: number): boolean {
  return buf[start] === 0x42 && buf[start + 1] === 0x41 && buf[start + 2] === 0x41 && buf[start + 3] === 0x44
}

/**
 * One attribute of a fixed-up MFT record as walkAttributes sees it, in place:
 * positions into the record buffer, no copies. One view serves a whole record.
 */
export interface AttributeView {
  type: number
  /** Position of the attribute header in the buffer, and its length. */
  pos: number
  length: number
  /** Offset in the volume of the attribute header, for error messages. */
  at: number
  resident: boolean
  /** Attribute header offset 12: compressed, encrypted, sparse. */
  flags: number
  /** Name length in UTF-16 units and its position in the buffer (0 when unnamed). */
  nameLength: number
  nameStart: number
  /** Resident value position and length in the buffer (0 for non-resident attributes). */
  valueStart: number
  valueLength: number
}

/**
 * Walks the attributes of a fixed-up MFT record at `start` of `buf` (libfsntfs "MFT
 * entry header", "MFT attribute"), checking every length and offset against the
 * record bounds. Anything out of bounds is a CorruptImageError naming the record and
 * the volume offset; `visit` has then seen the attributes before it.
 */
export function walkAttributes(buf: Buffer, start: number, size: number, entry: number, absOffset: number, visit: (a: AttributeView) => void): void {
  const firstAttribute = u16(buf, start + 20)
  const usedSize = u32(buf, start + 24)
  if (firstAttribute < 24 || firstAttribute >= size) {
    throw new CorruptImageError(`MFT record ${entry}: first attribute offset ${firstAttribute} out of bounds`, absOffset + 20)
  }
  const limit = start + Math.min(size, usedSize >= firstAttribute + 4 ? usedSize : size)
  const view: AttributeView = {type: 0, pos: 0, length: 0, at: 0, resident: true, flags: 0, nameLength: 0, nameStart: 0, valueStart: 0, valueLength: 0}
  let pos = start + firstAttribute
  while (pos + 4 <= limit) {
    const type = u32(buf, pos)
    if (type === AttributeType.end) break
    const at = absOffset + pos - start
    if (pos + 16 > limit) throw new CorruptImageError(`MFT record ${entry}: attribute header cut short`, at)
    const length = u32(buf, pos + 4)
    if (length < 16 || length % 8 !== 0 || pos + length > limit) {
      throw new CorruptImageError(`MFT record ${entry}: attribute 0x${type.toString(16)} length ${length} out of bounds`, at + 4)
    }
    const resident = buf[pos + 8] === 0
    const nameLength = buf[pos + 9]
    const nameOffset = u16(buf, pos + 10)
    if (nameLength > 0 && nameOffset + nameLength * 2 > length) {
      throw new CorruptImageError(`MFT record ${entry}: attribute name out of bounds`, at + 10)
    }
    let valueStart = 0
    let valueLength = 0
    if (resident) {
      if (length < 24) throw new CorruptImageError(`MFT record ${entry}: resident attribute header cut short`, at)
      valueLength = u32(buf, pos + 16)
      const valueOffset = u16(buf, pos + 20)
      if (valueOffset + valueLength > length) {
        throw new CorruptImageError(`MFT record ${entry}: resident value of attribute 0x${type.toString(16)} out of bounds`, at + 16)
      }
      valueStart = pos + valueOffset
    } else if (length < 64) {
      throw new CorruptImageError(`MFT record ${entry}: non-resident attribute header cut short`, at)
    }
    view.type = type
    view.pos = pos
    view.length = length
    view.at = at
    view.resident = resident
    view.flags = u16(buf, pos + 12)
    view.nameLength = nameLength
    view.nameStart = pos + nameOffset
    view.valueStart = valueStart
    view.valueLength = valueLength
    visit(view)
    pos += length
  }
}

/**
 * Parses a fixed-up MFT entry at `start` of `buf` (libfsntfs "MFT entry header",
 * "MFT attribute"), data runs decoded. Every length and offset is checked against
 * the record bounds (walkAttributes); anything out of bounds is a CorruptImageError
 * naming the record and the offset.
 */
export function parseMftRecord(buf: Buffer, start: number, size: number, entry: number, absOffset: number): MftRecord {
  if (!hasFileSignature(buf, start)) throw new CorruptImageError(`MFT record ${entry}: no FILE signature`, absOffset)
  const attributes: MftAttribute[] = []
  walkAttributes(buf, start, size, entry, absOffset, (a) => {
    const {pos, type} = a
    const name = a.nameLength > 0 ? buf.toString('utf16le', a.nameStart, a.nameStart + a.nameLength * 2) : ''
    const attribute: MftAttribute = {
      type,
      name,
      id: u16(buf, pos + 14),
      flags: a.flags,
      resident: a.resident,
      startVcn: 0,
      lastVcn: -1,
      allocatedSize: 0,
      dataSize: 0,
      initializedSize: 0,
      compressionUnit: 0,
      recordEntry: entry,
    }
    if (a.resident) {
      attribute.value = buf.subarray(a.valueStart, a.valueStart + a.valueLength)
      attribute.dataSize = a.valueLength
      attribute.initializedSize = a.valueLength
      attribute.allocatedSize = a.valueLength
    } else {
      attribute.startVcn = readSafe64(buf, pos + 16, entry, a.at + 16)
      attribute.lastVcn = readSigned64(buf, pos + 24)
      const runsOffset = u16(buf, pos + 32)
      attribute.compressionUnit = u16(buf, pos + 34)
      attribute.allocatedSize = readSafe64(buf, pos + 40, entry, a.at + 40)
      attribute.dataSize = readSafe64(buf, pos + 48, entry, a.at + 48)
      attribute.initializedSize = readSafe64(buf, pos + 56, entry, a.at + 56)
      if (attribute.compressionUnit > 16) {
        throw new CorruptImageError(`MFT record ${entry}: compression unit 2^${attribute.compressionUnit} clusters is out of range`, a.at + 34)
      }
      if (runsOffset < 64 || runsOffset > a.length) {
        throw new CorruptImageError(`MFT record ${entry}: data runs offset ${runsOffset} out of bounds`, a.at + 32)
      }
      attribute.runs = decodeDataRuns(buf, pos + runsOffset, pos + a.length, attribute.startVcn, `MFT record ${entry} attribute 0x${type.toString(16)}${name ? ` "${name}"` : ''}`, absOffset - start)
    }
    attributes.push(attribute)
  })
  return {
    entry,
    sequence: u16(buf, start + 16),
    linkCount: u16(buf, start + 18),
    flags: u16(buf, start + 22),
    baseEntry: u16(buf, start + 36) * 0x1_0000_0000 + u32(buf, start + 32),
    baseSequence: u16(buf, start + 38),
    attributes,
  }
}

/** Little-endian reads without Buffer's argument checks: callers have checked the bounds. */
export function u16(buf: Buffer, p: number): number {
  return buf[p] | (buf[p + 1] << 8)
}

export function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x100_0000
}

function readSafe64(buf: Buffer, pos: number, entry: number, absOffset: number): number {
  const low = buf.readUInt32LE(pos)
  const high = buf.readUInt32LE(pos + 4)
  if (high >= 0x200000) throw new CorruptImageError(`MFT record ${entry}: 64-bit value out of range`, absOffset)
  return high * 0x1_0000_0000 + low
}

function readSigned64(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64LE(pos))
}

/** One entry of an $ATTRIBUTE_LIST (libfsntfs "The attribute list attribute"). */
export interface AttributeListEntry {
  type: number
  name: string
  startVcn: number
  entry: number
  sequence: number
  id: number
}

export function parseAttributeList(value: Buffer, entry: number): AttributeListEntry[] {
  const entries: AttributeListEntry[] = []
  let pos = 0
  while (pos + 26 <= value.length) {
    const type = value.readUInt32LE(pos)
    const length = value.readUInt16LE(pos + 4)
    if (length < 26 || pos + length > value.length) {
      throw new CorruptImageError(`MFT record ${entry}: $ATTRIBUTE_LIST entry at ${pos} has length ${length} out of bounds`)
    }
    const nameLength = value[pos + 6]
    const nameOffset = value[pos + 7]
    if (nameOffset + nameLength * 2 > length) {
      throw new CorruptImageError(`MFT record ${entry}: $ATTRIBUTE_LIST entry name out of bounds`)
    }
    entries.push({
      type,
      name: nameLength ? value.toString('utf16le', pos + nameOffset, pos + nameOffset + nameLength * 2) : '',
      startVcn: Number(value.readBigUInt64LE(pos + 8)),
      entry: value.readUInt32LE(pos + 16) + value.readUInt16LE(pos + 20) * 0x1_0000_0000,
      sequence: value.readUInt16LE(pos + 22),
      id: value.readUInt16LE(pos + 24),
    })
    pos += length
  }
  return entries
}

/** Reparse tags this reader interprets (MS-FSCC 2.1.2.1). */
export const REPARSE_TAG_MOUNT_POINT = 0xa0000003
export const REPARSE_TAG_SYMLINK = 0xa000000c

/** A reparse point: its tag and, for symbolic links and junctions, the target. */
export interface ReparsePoint {
  tag: number
  target?: string
}

/**
 * $REPARSE_POINT (MS-FSCC 2.1.2): symbolic links and junctions (mount points) carry a
 * substitute name and a print name; the print name is what the user typed.
 */
export function parseReparsePoint(value: Buffer): ReparsePoint | undefined {
  if (value.length < 8) return undefined
  const tag = value.readUInt32LE(0)
  const dataLength = value.readUInt16LE(4)
  const data = value.subarray(8, 8 + dataLength)
  let pathStart: number
  if (tag === REPARSE_TAG_SYMLINK) pathStart = 12
  else if (tag === REPARSE_TAG_MOUNT_POINT) pathStart = 8
  else return {tag}
  if (data.length < pathStart) return {tag}
  const substituteOffset = data.readUInt16LE(0)
  const substituteLength = data.readUInt16LE(2)
  const printOffset = data.readUInt16LE(4)
  const printLength = data.readUInt16LE(6)
  const slice = (offset: number, length: number): string | undefined => {
    const from = pathStart + offset
    if (length === 0 || from + length > data.length) return undefined
    return data.toString('utf16le', from, from + length)
  }
  let target = slice(printOffset, printLength)
  if (!target) {
    target = slice(substituteOffset, substituteLength)
    if (target?.startsWith('\\??\\')) target = target.slice(4)
  }
  return {tag, target}
}
