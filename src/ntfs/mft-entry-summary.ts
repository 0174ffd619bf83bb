import {CorruptImageError} from '../errors.js'
import type {DataStream, Timestamps} from '../fs/types.js'
import {filetimeHalvesToIso} from './filetime.js'
import {AttributeType, RECORD_IN_USE, RECORD_IS_DIRECTORY, parseReparsePoint, type ReparsePoint} from './mft-record.js'

/**
 * The four FILETIMEs of every $STANDARD_INFORMATION and $FILE_NAME of a volume, in
 * one growing array of 32-bit halves: a listing pass over a million entries then
 * allocates nothing per timestamp.
 */
export class FileTimeTable {
  private data = new Uint32Array(8 * 4096)
  private used = 0
  private lastLow = -1
  private lastHigh = -1
  private lastIso: string | null = null

  /** Stores the 32 bytes at `offset` (created, modified, changed, accessed) and returns their slot. */
  add(buf: Buffer, offset: number): number {
    if (this.used + 8 > this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    const slot = this.used
    for (let i = 0; i < 8; i++) this.data[slot + i] = u32(buf, offset + 4 * i)
    this.used += 8
    return slot
  }

  private iso(index: number): string | null {
    const low = this.data[index]
    const high = this.data[index + 1]
    // the four times of a record are often the same instant: format it once
    if (low !== this.lastLow || high !== this.lastHigh) {
      this.lastIso = filetimeHalvesToIso(low, high)
      this.lastLow = low
      this.lastHigh = high
    }
    return this.lastIso
  }

  /** Adds the times in a slot to `result`, by the names FileEntry uses. */
  timestamps<T extends object>(slot: number, result: T): T & Timestamps {
    const out = result as T & Timestamps
    const modified = this.iso(slot + 2)
    const accessed = this.iso(slot + 6)
    const changed = this.iso(slot + 4)
    const created = this.iso(slot)
    if (modified !== null) out.modified = modified
    if (accessed !== null) out.accessed = accessed
    if (changed !== null) out.changed = changed
    if (created !== null) out.created = created
    return out
  }
}

/** A $FILE_NAME as the listing pass keeps it. */
export interface ScannedFileName {
  parentEntry: number
  parentSequence: number
  namespace: number
  name: string
  /** Slot in the FileTimeTable. */
  times: number
}

/**
 * What the listing pass keeps of one MFT entry: enough to list and stat it
 * without reading the record again. Extension records are folded into their base.
 */
export interface EntrySummary {
  entry: number
  sequence: number
  inUse: boolean
  directory: boolean
  /** Base record entry for an extension record, else 0. */
  baseEntry: number
  baseSequence: number
  /** $STANDARD_INFORMATION times slot, -1 when absent. */
  siTimes: number
  fileAttributes: number
  names: ScannedFileName[]
  /** Size of the unnamed $DATA stream, -1 when there is none. */
  dataSize: number
  dataFlags: number
  streams?: DataStream[]
  reparse?: ReparsePoint
}

/**
 * Summarizes a fixed-up MFT entry for the listing pass, walking its attributes in
 * place (libfsntfs "MFT attribute"): no attribute objects, no copies of values.
 * Lengths and offsets are checked against the record as parseMftRecord checks them.
 */
export function summarizeMftEntry(buf: Buffer, start: number, size: number, entry: number, absOffset: number, times: FileTimeTable): EntrySummary {
  const firstAttribute = u16(buf, start + 20)
  const flags = u16(buf, start + 22)
  const usedSize = u32(buf, start + 24)
  if (firstAttribute < 24 || firstAttribute >= size) {
    throw new CorruptImageError(`MFT record ${entry}: first attribute offset ${firstAttribute} out of bounds`, absOffset + 20)
  }
  const summary: EntrySummary = {
    entry,
    sequence: u16(buf, start + 16),
    inUse: (flags & RECORD_IN_USE) !== 0,
    directory: (flags & RECORD_IS_DIRECTORY) !== 0,
    baseEntry: u32(buf, start + 32) + u16(buf, start + 36) * 0x1_0000_0000,
    baseSequence: u16(buf, start + 38),
    siTimes: -1,
    fileAttributes: 0,
    names: [],
    dataSize: -1,
    dataFlags: 0,
  }
  const limit = start + Math.min(size, usedSize >= firstAttribute + 4 ? usedSize : size)
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
    switch (type) {
      case AttributeType.standardInformation:
        if (resident && valueLength >= 48) {
          summary.siTimes = times.add(buf, valueStart)
          summary.fileAttributes = u32(buf, valueStart + 32)
        } else {
          throw new CorruptImageError(`MFT record ${entry}: $STANDARD_INFORMATION is ${valueLength} bytes, expected at least 48`, at)
        }
        break
      case AttributeType.fileName: {
        if (!resident || valueLength < 66) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME too short`, at)
        const chars = buf[valueStart + 64]
        if (66 + chars * 2 > valueLength) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME name runs past the attribute`, at)
        summary.names.push({
          parentEntry: u32(buf, valueStart) + u16(buf, valueStart + 4) * 0x1_0000_0000,
          parentSequence: u16(buf, valueStart + 6),
          namespace: buf[valueStart + 65],
          name: buf.toString('utf16le', valueStart + 66, valueStart + 66 + chars * 2),
          times: times.add(buf, valueStart + 8),
        })
        break
      }
      case AttributeType.data: {
        let dataSize: number
        if (resident) {
          dataSize = valueLength
        } else {
          // only the piece that maps VCN 0 carries the sizes
          if (u32(buf, pos + 16) !== 0 || u32(buf, pos + 20) !== 0) break
          const high = u32(buf, pos + 52)
          if (high >= 0x200000) throw new CorruptImageError(`MFT record ${entry}: $DATA size out of range`, at + 48)
          dataSize = high * 0x1_0000_0000 + u32(buf, pos + 48)
        }
        if (nameLength === 0) {
          summary.dataSize = dataSize
          summary.dataFlags = u16(buf, pos + 12)
        } else {
          ;(summary.streams ??= []).push({name: buf.toString('utf16le', pos + nameOffset, pos + nameOffset + nameLength * 2), size: dataSize})
        }
        break
      }
      case AttributeType.reparsePoint:
        summary.reparse = resident ? parseReparsePoint(buf.subarray(valueStart, valueStart + valueLength)) ?? {tag: 0} : {tag: 0}
        break
    }
    pos += length
  }
  return summary
}

/** Little-endian reads without Buffer's argument checks: callers have checked the bounds. */
function u16(buf: Buffer, p: number): number {
  return buf[p] | (buf[p + 1] << 8)
}

function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x100_0000
}
