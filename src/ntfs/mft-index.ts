import {CorruptImageError} from '../errors.js'
import type {DataStream, Timestamps} from '../fs/types.js'
import {filetimeHalvesToIso} from './filetime.js'
import {AttributeType, NAMESPACE_DOS, RECORD_IN_USE, RECORD_IS_DIRECTORY, parseReparsePoint, type ReparsePoint} from './mft-record.js'

const SUMMARIZED = 1
const IN_USE = 2
const DIRECTORY = 4

/** Growable typed array helpers: the index stores a volume's entries column by column. */
function grow<T extends Uint32Array | Int32Array | Uint16Array | Uint8Array | Float64Array>(array: T, needed: number): T {
  if (needed <= array.length) return array
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(needed, array.length * 2))
  bigger.set(array)
  return bigger
}

/**
 * What one sequential pass over the $MFT keeps of every entry, column by column in
 * typed arrays (libfsntfs "MFT entry", "MFT attribute"): sequence, flags, base record,
 * the four $STANDARD_INFORMATION times, the unnamed $DATA size, and every $FILE_NAME
 * (parent reference, namespace, name, times). No object per entry: a volume of a
 * million files costs tens of MB, not hundreds. Extension records are folded into
 * their base record by foldExtensions().
 */
export class MftIndex {
  readonly count: number
  private readonly state: Uint8Array
  readonly sequence: Uint16Array
  readonly baseEntry: Float64Array
  readonly baseSequence: Uint16Array
  /** $STANDARD_INFORMATION: index of its 8 time halves in `times`, -1 when absent. */
  readonly siTimes: Int32Array
  readonly fileAttributes: Uint32Array
  /** Size of the unnamed $DATA stream, -1 when there is none. */
  readonly dataSize: Float64Array
  readonly dataFlags: Uint16Array
  /** First $FILE_NAME of the entry (index into the name columns), -1 when none. */
  readonly firstName: Int32Array
  readonly streams = new Map<number, DataStream[]>()
  readonly reparse = new Map<number, ReparsePoint>()

  // $FILE_NAME columns
  nameCount = 0
  nameEntry = new Float64Array(1024)
  nameParent = new Float64Array(1024)
  nameParentSequence = new Uint16Array(1024)
  nameNamespace = new Uint8Array(1024)
  nameTimes = new Int32Array(1024)
  nameNext = new Int32Array(1024)
  nameText: string[] = []

  // FILETIME halves, 8 per $STANDARD_INFORMATION or $FILE_NAME
  private times = new Uint32Array(8 * 4096)
  private timesUsed = 0
  private lastLow = -1
  private lastHigh = -1
  private lastIso: string | null = null

  constructor(count: number) {
    this.count = count
    this.state = new Uint8Array(count)
    this.sequence = new Uint16Array(count)
    this.baseEntry = new Float64Array(count)
    this.baseSequence = new Uint16Array(count)
    this.siTimes = new Int32Array(count).fill(-1)
    this.fileAttributes = new Uint32Array(count)
    this.dataSize = new Float64Array(count).fill(-1)
    this.dataFlags = new Uint16Array(count)
    this.firstName = new Int32Array(count).fill(-1)
  }

  has(entry: number): boolean {
    return entry >= 0 && entry < this.count && (this.state[entry] & SUMMARIZED) !== 0
  }

  inUse(entry: number): boolean {
    return (this.state[entry] & IN_USE) !== 0
  }

  isDirectory(entry: number): boolean {
    return (this.state[entry] & DIRECTORY) !== 0
  }

  /**
   * Records a fixed-up MFT entry, walking its attributes in place. Lengths and offsets
   * are checked against the record; anything out of bounds is a CorruptImageError
   * naming the record and offset, and the entry is left out.
   */
  add(buf: Buffer, start: number, size: number, entry: number, absOffset: number): void {
    const firstAttribute = u16(buf, start + 20)
    const flags = u16(buf, start + 22)
    const usedSize = u32(buf, start + 24)
    if (firstAttribute < 24 || firstAttribute >= size) {
      throw new CorruptImageError(`MFT record ${entry}: first attribute offset ${firstAttribute} out of bounds`, absOffset + 20)
    }
    const limit = start + Math.min(size, usedSize >= firstAttribute + 4 ? usedSize : size)
    // validate the whole record before recording anything of it
    const namesBefore = this.nameCount
    const timesBefore = this.timesUsed
    let siTimes = -1
    let fileAttributes = 0
    let dataSize = -1
    let dataFlags = 0
    let streams: DataStream[] | undefined
    let reparse: ReparsePoint | undefined
    let firstName = -1
    let lastName = -1
    try {
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
            if (!resident || valueLength < 48) {
              throw new CorruptImageError(`MFT record ${entry}: $STANDARD_INFORMATION is ${valueLength} bytes, expected at least 48`, at)
            }
            siTimes = this.addTimes(buf, valueStart)
            fileAttributes = u32(buf, valueStart + 32)
            break
          case AttributeType.fileName: {
            if (!resident || valueLength < 66) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME too short`, at)
            const chars = buf[valueStart + 64]
            if (66 + chars * 2 > valueLength) throw new CorruptImageError(`MFT record ${entry}: $FILE_NAME name runs past the attribute`, at)
            const index = this.addName(
              entry,
              u32(buf, valueStart) + u16(buf, valueStart + 4) * 0x1_0000_0000,
              u16(buf, valueStart + 6),
              buf[valueStart + 65],
              buf.toString('utf16le', valueStart + 66, valueStart + 66 + chars * 2),
              this.addTimes(buf, valueStart + 8),
            )
            if (lastName < 0) firstName = index
            else this.nameNext[lastName] = index
            lastName = index
            break
          }
          case AttributeType.data: {
            let size: number
            if (resident) {
              size = valueLength
            } else {
              // only the piece that maps VCN 0 carries the sizes
              if (u32(buf, pos + 16) !== 0 || u32(buf, pos + 20) !== 0) break
              const high = u32(buf, pos + 52)
              if (high >= 0x200000) throw new CorruptImageError(`MFT record ${entry}: $DATA size out of range`, at + 48)
              size = high * 0x1_0000_0000 + u32(buf, pos + 48)
            }
            if (nameLength === 0) {
              dataSize = size
              dataFlags = u16(buf, pos + 12)
            } else {
              ;(streams ??= []).push({name: buf.toString('utf16le', pos + nameOffset, pos + nameOffset + nameLength * 2), size})
            }
            break
          }
          case AttributeType.reparsePoint:
            reparse = (resident ? parseReparsePoint(buf.subarray(valueStart, valueStart + valueLength)) : undefined) ?? {tag: 0}
            break
        }
        pos += length
      }
    } catch (error) {
      // forget the names and times this record added
      this.nameCount = namesBefore
      this.nameText.length = namesBefore
      this.timesUsed = timesBefore
      throw error
    }
    this.state[entry] = SUMMARIZED | (flags & RECORD_IN_USE ? IN_USE : 0) | (flags & RECORD_IS_DIRECTORY ? DIRECTORY : 0)
    this.sequence[entry] = u16(buf, start + 16)
    this.baseEntry[entry] = u32(buf, start + 32) + u16(buf, start + 36) * 0x1_0000_0000
    this.baseSequence[entry] = u16(buf, start + 38)
    this.siTimes[entry] = siTimes
    this.fileAttributes[entry] = fileAttributes
    this.dataSize[entry] = dataSize
    this.dataFlags[entry] = dataFlags
    this.firstName[entry] = firstName
    if (streams) this.streams.set(entry, streams)
    if (reparse) this.reparse.set(entry, reparse)
  }

  /** Folds what extension records hold ($ATTRIBUTE_LIST) into their base records. */
  foldExtensions(): void {
    for (let entry = 0; entry < this.count; entry++) {
      if (!this.has(entry) || !this.inUse(entry)) continue
      const base = this.baseEntry[entry]
      if (base === 0 || !this.has(base) || this.sequence[base] !== this.baseSequence[entry]) continue
      for (let n = this.firstName[entry]; n >= 0; n = this.nameNext[n]) this.nameEntry[n] = base
      if (this.firstName[entry] >= 0) {
        // append the extension's names to the base's list
        let last = this.firstName[base]
        if (last < 0) this.firstName[base] = this.firstName[entry]
        else {
          while (this.nameNext[last] >= 0) last = this.nameNext[last]
          this.nameNext[last] = this.firstName[entry]
        }
        this.firstName[entry] = -1
      }
      if (this.siTimes[base] < 0) {
        this.siTimes[base] = this.siTimes[entry]
        this.fileAttributes[base] = this.fileAttributes[entry]
      }
      if (this.dataSize[base] < 0 && this.dataSize[entry] >= 0) {
        this.dataSize[base] = this.dataSize[entry]
        this.dataFlags[base] = this.dataFlags[entry]
      }
      const streams = this.streams.get(entry)
      if (streams) {
        const baseStreams = this.streams.get(base)
        if (baseStreams) baseStreams.push(...streams)
        else this.streams.set(base, streams)
      }
      const reparse = this.reparse.get(entry)
      if (reparse && !this.reparse.has(base)) this.reparse.set(base, reparse)
    }
  }

  /** True if name `n` is a DOS 8.3 name of an entry that also has a Win32 or POSIX name. */
  isShadowedDosName(n: number): boolean {
    if (this.nameNamespace[n] !== NAMESPACE_DOS) return false
    for (let m = this.firstName[this.nameEntry[n]]; m >= 0; m = this.nameNext[m]) if (this.nameNamespace[m] !== NAMESPACE_DOS) return true
    return false
  }

  /** True if name `n` repeats an earlier name of its entry in the same directory. */
  isRepeatedName(n: number): boolean {
    for (let m = this.firstName[this.nameEntry[n]]; m >= 0 && m !== n; m = this.nameNext[m]) {
      if (this.nameParent[m] === this.nameParent[n] && this.nameText[m] === this.nameText[n]) return true
    }
    return false
  }

  private addName(entry: number, parent: number, parentSequence: number, namespace: number, text: string, times: number): number {
    const n = this.nameCount++
    if (n >= this.nameEntry.length) {
      const size = n + 1
      this.nameEntry = grow(this.nameEntry, size)
      this.nameParent = grow(this.nameParent, size)
      this.nameParentSequence = grow(this.nameParentSequence, size)
      this.nameNamespace = grow(this.nameNamespace, size)
      this.nameTimes = grow(this.nameTimes, size)
      this.nameNext = grow(this.nameNext, size)
    }
    this.nameEntry[n] = entry
    this.nameParent[n] = parent
    this.nameParentSequence[n] = parentSequence
    this.nameNamespace[n] = namespace
    this.nameTimes[n] = times
    this.nameNext[n] = -1
    this.nameText[n] = text
    return n
  }

  private addTimes(buf: Buffer, offset: number): number {
    this.times = grow(this.times, this.timesUsed + 8)
    const slot = this.timesUsed
    for (let i = 0; i < 8; i++) this.times[slot + i] = u32(buf, offset + 4 * i)
    this.timesUsed += 8
    return slot
  }

  private iso(index: number): string | null {
    const low = this.times[index]
    const high = this.times[index + 1]
    // the four times of a record are often the same instant: format it once
    if (low !== this.lastLow || high !== this.lastHigh) {
      this.lastIso = filetimeHalvesToIso(low, high)
      this.lastLow = low
      this.lastHigh = high
    }
    return this.lastIso
  }

  /**
   * Adds the four times of a slot to `result` by the names FileEntry uses. On disk
   * the order is created, modified, MFT entry changed, accessed (8 bytes each).
   */
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

/** Little-endian reads without Buffer's argument checks: callers have checked the bounds. */
function u16(buf: Buffer, p: number): number {
  return buf[p] | (buf[p + 1] << 8)
}

function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x100_0000
}
