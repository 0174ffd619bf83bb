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
 * hold that number was torn or corrupted: the record cannot be trusted.
 */
export function applyFixups(buf: Buffer, start: number, size: number, entry: number, absOffset: number): void {
  const usaOffset = buf.readUInt16LE(start + 4)
  const usaCount = buf.readUInt16LE(start + 6)
  const strides = size / 512
  if (usaCount === 0 || usaCount - 1 !== strides || usaOffset < 42 || usaOffset + usaCount * 2 > size || usaOffset % 2 !== 0) {
    throw new CorruptImageError(`MFT record ${entry}: invalid update sequence array (offset ${usaOffset}, count ${usaCount})`, absOffset + 4)
  }
  const usn = buf.readUInt16LE(start + usaOffset)
  for (let i = 1; i < usaCount; i++) {
    const tail = start + i * 512 - 2
    if (buf.readUInt16LE(tail) !== usn) {
      throw new CorruptImageError(`MFT record ${entry}: update sequence mismatch in sector ${i - 1} (bad fix-up)`, absOffset + i * 512 - 2)
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
 * Parses a fixed-up MFT entry at `start` of `buf` (libfsntfs "MFT entry header",
 * "MFT attribute"). Every length and offset is checked against the record bounds;
 * anything out of bounds is a CorruptImageError naming the record and the offset.
 * With `decodeRuns` false, non-resident attributes carry no runs (a listing pass
 * needs only sizes).
 */
export function parseMftRecord(
  buf: Buffer,
  start: number,
  size: number,
  entry: number,
  absOffset: number,
  decodeRuns = true,
): MftRecord {
  if (!hasFileSignature(buf, start)) throw new CorruptImageError(`MFT record ${entry}: no FILE signature`, absOffset)
  const sequence = buf.readUInt16LE(start + 16)
  const linkCount = buf.readUInt16LE(start + 18)
  const firstAttribute = buf.readUInt16LE(start + 20)
  const flags = buf.readUInt16LE(start + 22)
  const usedSize = buf.readUInt32LE(start + 24)
  const baseLow = buf.readUInt32LE(start + 32)
  const baseHigh = buf.readUInt16LE(start + 36)
  const baseSequence = buf.readUInt16LE(start + 38)
  const baseEntry = baseHigh * 0x1_0000_0000 + baseLow
  if (firstAttribute < 24 || firstAttribute >= size) {
    throw new CorruptImageError(`MFT record ${entry}: first attribute offset ${firstAttribute} out of bounds`, absOffset + 20)
  }
  const limit = start + Math.min(size, usedSize >= firstAttribute + 4 ? usedSize : size)
  const attributes: MftAttribute[] = []
  let pos = start + firstAttribute
  while (pos + 4 <= limit) {
    const type = buf.readUInt32LE(pos)
    if (type === AttributeType.end) break
    if (pos + 16 > limit) throw new CorruptImageError(`MFT record ${entry}: attribute header cut short`, absOffset + pos - start)
    const length = buf.readUInt32LE(pos + 4)
    if (length < 16 || length % 8 !== 0 || pos + length > limit) {
      throw new CorruptImageError(`MFT record ${entry}: attribute 0x${type.toString(16)} length ${length} out of bounds`, absOffset + pos - start + 4)
    }
    const nonResident = buf[pos + 8]
    const nameLength = buf[pos + 9]
    const nameOffset = buf.readUInt16LE(pos + 10)
    const attrFlags = buf.readUInt16LE(pos + 12)
    const id = buf.readUInt16LE(pos + 14)
    let name = ''
    if (nameLength > 0) {
      if (nameOffset + nameLength * 2 > length) {
        throw new CorruptImageError(`MFT record ${entry}: attribute name out of bounds`, absOffset + pos - start + 10)
      }
      name = buf.toString('utf16le', pos + nameOffset, pos + nameOffset + nameLength * 2)
    }
    const attribute: MftAttribute = {
      type,
      name,
      id,
      flags: attrFlags,
      resident: nonResident === 0,
      startVcn: 0,
      lastVcn: -1,
      allocatedSize: 0,
      dataSize: 0,
      initializedSize: 0,
      compressionUnit: 0,
      recordEntry: entry,
    }
    if (nonResident === 0) {
      if (length < 24) throw new CorruptImageError(`MFT record ${entry}: resident attribute header cut short`, absOffset + pos - start)
      const valueLength = buf.readUInt32LE(pos + 16)
      const valueOffset = buf.readUInt16LE(pos + 20)
      if (valueOffset + valueLength > length) {
        throw new CorruptImageError(`MFT record ${entry}: resident value of attribute 0x${type.toString(16)} out of bounds`, absOffset + pos - start + 16)
      }
      attribute.value = buf.subarray(pos + valueOffset, pos + valueOffset + valueLength)
      attribute.dataSize = valueLength
      attribute.initializedSize = valueLength
      attribute.allocatedSize = valueLength
    } else {
      if (length < 64) throw new CorruptImageError(`MFT record ${entry}: non-resident attribute header cut short`, absOffset + pos - start)
      attribute.startVcn = readSafe64(buf, pos + 16, entry, absOffset + pos - start + 16)
      attribute.lastVcn = readSigned64(buf, pos + 24)
      const runsOffset = buf.readUInt16LE(pos + 32)
      attribute.compressionUnit = buf.readUInt16LE(pos + 34)
      attribute.allocatedSize = readSafe64(buf, pos + 40, entry, absOffset + pos - start + 40)
      attribute.dataSize = readSafe64(buf, pos + 48, entry, absOffset + pos - start + 48)
      attribute.initializedSize = readSafe64(buf, pos + 56, entry, absOffset + pos - start + 56)
      if (attribute.compressionUnit > 16) {
        throw new CorruptImageError(`MFT record ${entry}: compression unit 2^${attribute.compressionUnit} clusters is out of range`, absOffset + pos - start + 34)
      }
      if (runsOffset < 64 || runsOffset > length) {
        throw new CorruptImageError(`MFT record ${entry}: data runs offset ${runsOffset} out of bounds`, absOffset + pos - start + 32)
      }
      if (decodeRuns) {
        attribute.runs = decodeDataRuns(buf, pos + runsOffset, pos + length, attribute.startVcn, `MFT record ${entry} attribute 0x${type.toString(16)}${name ? ` "${name}"` : ''}`, absOffset - start)
      }
    }
    attributes.push(attribute)
    pos += length
  }
  return {entry, sequence, linkCount, flags, baseEntry, baseSequence, attributes}
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
