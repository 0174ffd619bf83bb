import {CorruptImageError} from '../errors.js'
import type {DataStream, Timestamps} from '../fs/types.js'
import {filetimeHalvesToIso} from './filetime.js'
import {AttributeType, NAMESPACE_DOS, parseReparsePoint, u16, u32, walkAttributes, type AttributeView, type ReparsePoint} from './mft-record.js'

/**
 * Checks the values a listing relies on, beyond walkAttributes' bounds: a
 * $STANDARD_INFORMATION of at least 48 bytes, a $FILE_NAME whose name fits, a $DATA
 * size in range. Returns the $DATA value's size (resident length, or the
 * non-resident data size in the piece mapping VCN 0); -1 for anything else.
 * Both the listing pass and a directory listing check every record with it, so a
 * record the pass accepted summarizes without error.
 */
export function checkListedValue(buf: Buffer, a: AttributeView, entry: number): number {
  switch (a.type) {
    case AttributeType.standardInformation:
      if (!a.resident || a.valueLength < 48) {
        throw new CorruptImageError(`MFT record ${entry}: $STANDARD_INFORMATION is ${a.valueLength} bytes, expected at least 48`, a.at)
      }
      return -1
    case AttributeType.fileName:
      if (!a.resident || a.valueLength < 66) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME too short`, a.at)
      if (66 + buf[a.valueStart + 64] * 2 > a.valueLength) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME name runs past the attribute`, a.at)
      return -1
    case AttributeType.data: {
      if (a.resident) return a.valueLength
      // only the piece that maps VCN 0 carries the sizes
      if (u32(buf, a.pos + 16) !== 0 || u32(buf, a.pos + 20) !== 0) return -1
      const high = u32(buf, a.pos + 52)
      if (high >= 0x200000) throw new CorruptImageError(`MFT record ${entry}: $DATA size out of range`, a.at + 48)
      return high * 0x1_0000_0000 + u32(buf, a.pos + 48)
    }
    default:
      return -1
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
  /** The record has an $ATTRIBUTE_LIST: some of its attributes may be in extension records. */
  attributeList?: boolean
  /** The record is damaged: why. Only its names were salvaged (salvageNames); nothing else of it is read. */
  damaged?: string
}

/** A $FILE_NAME salvaged from a damaged record: where its value starts, and what it says. */
export interface SalvagedName {
  valueStart: number
  parent: number
  parentSequence: number
  namespace: number
  name: string
}

/**
 * The $FILE_NAME attributes that can still be read from a damaged base record (a bad
 * fix-up, an attribute out of bounds): the attributes are walked as far as their headers
 * hold, and every resident $FILE_NAME that fits is taken. What they say is unverified: a
 * torn sector may have changed it. An extension record, or one whose header is out of
 * bounds, gives nothing. The times are not taken.
 */
export function salvageNames(buf: Buffer, start: number, size: number): SalvagedName[] {
  const names: SalvagedName[] = []
  if (u32(buf, start + 32) !== 0 || u16(buf, start + 36) !== 0) return names
  const firstAttribute = u16(buf, start + 20)
  if (firstAttribute < 24 || firstAttribute >= size) return names
  const limit = start + size
  let pos = start + firstAttribute
  while (pos + 24 <= limit) {
    const type = u32(buf, pos)
    const length = u32(buf, pos + 4)
    if (type === AttributeType.end || length < 24 || length % 8 !== 0 || pos + length > limit) break
    if (type === AttributeType.fileName && buf[pos + 8] === 0) {
      const valueLength = u32(buf, pos + 16)
      const v = pos + u16(buf, pos + 20)
      if (valueLength >= 66 && v + valueLength <= pos + length && 66 + buf[v + 64] * 2 <= valueLength) {
        names.push({
          valueStart: v,
          parent: fileNameParent(buf, v),
          parentSequence: fileNameParentSequence(buf, v),
          namespace: fileNameNamespace(buf, v),
          name: buf.toString('utf16le', v + 66, v + 66 + buf[v + 64] * 2),
        })
      }
    }
    pos += length
  }
  return names
}

/** What a listing shows of a damaged record: its salvaged names, and why nothing else. */
export function damagedSummary(buf: Buffer, start: number, entry: number, names: SalvagedName[], reason: string): EntrySummary {
  const flags = u16(buf, start + 22)
  return unreadableEntry({entry, sequence: u16(buf, start + 16), inUse: (flags & 1) !== 0, directory: (flags & 2) !== 0}, names, reason)
}

/**
 * The summary of an entry whose record cannot be read, by what is known of it from
 * elsewhere (its damaged record's header, or its directory's index) and the names found.
 */
export function unreadableEntry(
  known: Pick<EntrySummary, 'entry' | 'sequence' | 'inUse' | 'directory'>,
  names: Array<Omit<FileNameSummary, 'times'>>,
  reason: string,
): EntrySummary {
  return {
    ...known,
    baseEntry: 0,
    baseSequence: 0,
    fileAttributes: 0,
    dataSize: -1,
    dataFlags: 0,
    names: names.map((n) => ({parent: n.parent, parentSequence: n.parentSequence, namespace: n.namespace, name: n.name, times: {}})),
    damaged: reason,
  }
}

/** Summarizes a fixed-up MFT record (walkAttributes and checkListedValue check it). */
export function summarizeRecord(buf: Buffer, start: number, size: number, entry: number, absOffset: number, brief = false): EntrySummary {
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
    const dataSize = checkListedValue(buf, a, entry)
    switch (a.type) {
      case AttributeType.standardInformation:
        summary.times = brief ? {} : readTimes(buf, a.valueStart, {})
        summary.fileAttributes = u32(buf, a.valueStart + 32)
        break
      case AttributeType.fileName: {
        const v = a.valueStart
        summary.names.push({
          parent: fileNameParent(buf, v),
          parentSequence: fileNameParentSequence(buf, v),
          namespace: fileNameNamespace(buf, v),
          name: buf.toString('utf16le', v + 66, v + 66 + buf[v + 64] * 2),
          times: brief ? {} : readTimes(buf, v + 8, {}),
        })
        break
      }
      case AttributeType.data:
        if (dataSize < 0) break
        if (a.nameLength === 0) {
          summary.dataSize = dataSize
          summary.dataFlags = a.flags
        } else {
          ;(summary.streams ??= []).push({name: buf.toString('utf16le', a.nameStart, a.nameStart + a.nameLength * 2), size: dataSize})
        }
        break
      case AttributeType.attributeList:
        summary.attributeList = true
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
