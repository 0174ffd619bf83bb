import {CorruptImageError} from '../errors.js'
import type {DataStream, Timestamps} from '../fs/types.js'
import {filetimeHalvesToIso} from './filetime.js'
import {AttributeType, NAMESPACE_DOS, parseReparsePoint, type ReparsePoint} from './mft-record.js'

/**
 * One attribute of a fixed-up MFT record as the walker sees it, in place: positions
 * into the record buffer, no copies. The walker reuses one view for a whole record.
 */
export interface AttributeView {
  type: number
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
  /** $DATA: the value's size (resident length, or the non-resident data size in the piece mapping VCN 0); -1 for a later piece. */
  dataSize: number
}

/**
 * Walks the attributes of a fixed-up MFT record at `start` of `buf` (libfsntfs "MFT
 * entry header", "MFT attribute"), checking every length and offset against the record,
 * and the values a listing relies on: $STANDARD_INFORMATION of at least 48 bytes, a
 * $FILE_NAME whose name fits, a $DATA size in range. Anything out of bounds is a
 * CorruptImageError naming the record and the volume offset; `visit` has then seen
 * the attributes before it, so callers roll back what they recorded.
 */
export function walkAttributes(buf: Buffer, start: number, size: number, entry: number, absOffset: number, visit: (a: AttributeView) => void): void {
  const firstAttribute = u16(buf, start + 20)
  const usedSize = u32(buf, start + 24)
  if (firstAttribute < 24 || firstAttribute >= size) {
    throw new CorruptImageError(`MFT record ${entry}: first attribute offset ${firstAttribute} out of bounds`, absOffset + 20)
  }
  const limit = start + Math.min(size, usedSize >= firstAttribute + 4 ? usedSize : size)
  const view: AttributeView = {type: 0, at: 0, resident: true, flags: 0, nameLength: 0, nameStart: 0, valueStart: 0, valueLength: 0, dataSize: -1}
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
    let dataSize = -1
    switch (type) {
      case AttributeType.standardInformation:
        if (!resident || valueLength < 48) {
          throw new CorruptImageError(`MFT record ${entry}: $STANDARD_INFORMATION is ${valueLength} bytes, expected at least 48`, at)
        }
        break
      case AttributeType.fileName:
        if (!resident || valueLength < 66) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME too short`, at)
        if (66 + buf[valueStart + 64] * 2 > valueLength) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME name runs past the attribute`, at)
        break
      case AttributeType.data:
        if (resident) dataSize = valueLength
        else if (u32(buf, pos + 16) === 0 && u32(buf, pos + 20) === 0) {
          // only the piece that maps VCN 0 carries the sizes
          const high = u32(buf, pos + 52)
          if (high >= 0x200000) throw new CorruptImageError(`MFT record ${entry}: $DATA size out of range`, at + 48)
          dataSize = high * 0x1_0000_0000 + u32(buf, pos + 48)
        }
        break
    }
    view.type = type
    view.at = at
    view.resident = resident
    view.flags = u16(buf, pos + 12)
    view.nameLength = nameLength
    view.nameStart = pos + nameOffset
    view.valueStart = valueStart
    view.valueLength = valueLength
    view.dataSize = dataSize
    visit(view)
    pos += length
  }
}

/** $FILE_NAME parent reference: entry number (48 bits) of the parent directory. */
export function fileNameParent(buf: Buffer, valueStart: number): number {
  return u32(buf, valueStart) + u16(buf, valueStart + 4) * 0x1_0000_0000
}

export function fileNameParentSequence(buf: Buffer, valueStart: number): number {
  return u16(buf, valueStart + 6)
}

export function fileNameNamespace(buf: Buffer, valueStart: number): number {
  return buf[valueStart + 65]
}

/** One $FILE_NAME of an entry, as a listing shows it. */
export interface FileNameSummary {
  parent: number
  parentSequence: number
  namespace: number
  name: string
  times: Timestamps
}

/**
 * What a listing shows of one MFT entry (with its extension records folded in):
 * header fields, $STANDARD_INFORMATION times and flags, every $FILE_NAME, the size of
 * the unnamed $DATA stream, the named streams and the reparse point.
 */
export interface EntrySummary {
  entry: number
  sequence: number
  inUse: boolean
  directory: boolean
  /** Base record reference: 0 for a base record. */
  baseEntry: number
  baseSequence: number
  /** $STANDARD_INFORMATION times; undefined when the entry has none. */
  times?: Timestamps
  fileAttributes: number
  /** Size of the unnamed $DATA stream, -1 when there is none. */
  dataSize: number
  dataFlags: number
  names: FileNameSummary[]
  streams?: DataStream[]
  reparse?: ReparsePoint
}

/** Summarizes a fixed-up MFT record (see walkAttributes for the checks). */
export function summarizeRecord(buf: Buffer, start: number, size: number, entry: number, absOffset: number): EntrySummary {
  const flags = u16(buf, start + 22)
  const summary: EntrySummary = {
    entry,
    sequence: u16(buf, start + 16),
    inUse: (flags & 1) !== 0,
    directory: (flags & 2) !== 0,
    baseEntry: u32(buf, start + 32) + u16(buf, start + 36) * 0x1_0000_0000,
    baseSequence: u16(buf, start + 38),
    fileAttributes: 0,
    dataSize: -1,
    dataFlags: 0,
    names: [],
  }
  walkAttributes(buf, start, size, entry, absOffset, (a) => {
    switch (a.type) {
      case AttributeType.standardInformation:
        summary.times = readTimes(buf, a.valueStart, {})
        summary.fileAttributes = u32(buf, a.valueStart + 32)
        break
      case AttributeType.fileName: {
        const v = a.valueStart
        summary.names.push({
          parent: fileNameParent(buf, v),
          parentSequence: fileNameParentSequence(buf, v),
          namespace: fileNameNamespace(buf, v),
          name: buf.toString('utf16le', v + 66, v + 66 + buf[v + 64] * 2),
          times: readTimes(buf, v + 8, {}),
        })
        break
      }
      case AttributeType.data:
        if (a.dataSize < 0) break
        if (a.nameLength === 0) {
          summary.dataSize = a.dataSize
          summary.dataFlags = a.flags
        } else {
          ;(summary.streams ??= []).push({name: buf.toString('utf16le', a.nameStart, a.nameStart + a.nameLength * 2), size: a.dataSize})
        }
        break
      case AttributeType.reparsePoint:
        summary.reparse = (a.resident ? parseReparsePoint(buf.subarray(a.valueStart, a.valueStart + a.valueLength)) : undefined) ?? {tag: 0}
        break
    }
  })
  return summary
}

/** Folds what an extension record holds ($ATTRIBUTE_LIST) into its base record's summary. */
export function foldExtension(base: EntrySummary, extension: EntrySummary): void {
  base.names.push(...extension.names)
  if (base.times === undefined && extension.times !== undefined) {
    base.times = extension.times
    base.fileAttributes = extension.fileAttributes
  }
  if (base.dataSize < 0 && extension.dataSize >= 0) {
    base.dataSize = extension.dataSize
    base.dataFlags = extension.dataFlags
  }
  if (extension.streams) (base.streams ??= []).push(...extension.streams)
  base.reparse ??= extension.reparse
}

/**
 * The names a listing shows of an entry: Win32 and POSIX names, and a DOS 8.3 name
 * only when the entry has nothing else; a name repeated in the same directory once.
 */
export function listedNames(summary: EntrySummary): FileNameSummary[] {
  const long = summary.names.some((n) => n.namespace !== NAMESPACE_DOS)
  const names: FileNameSummary[] = []
  for (const n of summary.names) {
    if (long && n.namespace === NAMESPACE_DOS) continue
    if (names.some((m) => m.parent === n.parent && m.name === n.name)) continue
    names.push(n)
  }
  return names
}

// The four times of a record are often the same instant: format it once.
let lastLow = -1
let lastHigh = -1
let lastIso: string | null = null

function iso(low: number, high: number): string | null {
  if (low !== lastLow || high !== lastHigh) {
    lastIso = filetimeHalvesToIso(low, high)
    lastLow = low
    lastHigh = high
  }
  return lastIso
}

/**
 * The four FILETIMEs at `offset` by the names FileEntry uses. On disk the order is
 * created, modified, MFT entry changed, accessed (8 bytes each).
 */
function readTimes(buf: Buffer, offset: number, out: Timestamps): Timestamps {
  const modified = iso(u32(buf, offset + 8), u32(buf, offset + 12))
  const accessed = iso(u32(buf, offset + 24), u32(buf, offset + 28))
  const changed = iso(u32(buf, offset + 16), u32(buf, offset + 20))
  const created = iso(u32(buf, offset), u32(buf, offset + 4))
  if (modified !== null) out.modified = modified
  if (accessed !== null) out.accessed = accessed
  if (changed !== null) out.changed = changed
  if (created !== null) out.created = created
  return out
}

/** Little-endian reads without Buffer's argument checks: callers have checked the bounds. */
export function u16(buf: Buffer, p: number): number {
  return buf[p] | (buf[p + 1] << 8)
}

export function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x100_0000
}
