import {AttributeType, NAMESPACE_DOS, RECORD_IN_USE, RECORD_IS_DIRECTORY, u16, u32, walkAttributes} from './mft-record.js'
import {checkListedValue, fileNameNamespace, fileNameParent, fileNameParentSequence, type SalvagedName} from './mft-entry.js'

const SUMMARIZED = 1
const IN_USE = 2
const DIRECTORY = 4
/** The record extends another (its base reference is not 0). */
const EXTENSION = 8
/** The entry has a Win32 or POSIX name (so its DOS 8.3 name is not listed). */
const LONG_NAME = 16
/** A name of the entry is in a live directory. */
const ATTACHED = 32
/** A name of the entry names a directory that is gone. */
const UNATTACHED = 64
/** Extension records are folded into this base record. */
const HAS_EXTENSIONS = 128

/** A parent reference beyond the table (kept as this so it never matches a directory). */
const NO_PARENT = 0xffff_ffff

function grow<T extends Uint32Array | Uint16Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(needed, Math.ceil(array.length * 1.5)))
  bigger.set(array)
  return bigger
}

/**
 * The directory tree of an NTFS volume from one sequential pass over the $MFT, in
 * about 20 bytes per entry and nothing else: per entry its sequence number and
 * flags, and per directory the entries with a name in it (the parent reference of
 * every $FILE_NAME: every hard link, deleted entries whose record survives, entries
 * whose directory is gone). Names, times and sizes are not kept: a listing reads them
 * again from the records of the directory it lists, so the memory a volume costs does
 * not grow with what its files hold.
 */
export class MftTree {
  readonly count: number
  private readonly state: Uint8Array
  readonly sequence: Uint16Array
  /** extension record -> [base entry, base sequence], while scanning */
  private readonly extensionBase = new Map<number, [number, number]>()
  /** base entry -> its extension records, once built */
  readonly extensions = new Map<number, number[]>()
  private readonly folded = new Set<number>()

  // one row per $FILE_NAME while scanning; dropped once the tree is built
  private links = 0
  private linkEntry: Uint32Array
  private linkParent: Uint32Array
  private linkParentSequence: Uint16Array
  private linkNamespace: Uint8Array

  // the tree: the entries named in directory d are childEntries[childStart[d] .. childStart[d + 1]]
  private childStart = new Uint32Array(0)
  private childEntries = new Uint32Array(0)
  /** Entries none of whose names reach a live directory. */
  orphans = new Uint32Array(0)

  constructor(count: number) {
    this.count = count
    this.state = new Uint8Array(count)
    this.sequence = new Uint16Array(count)
    const rows = Math.max(64, count)
    this.linkEntry = new Uint32Array(rows)
    this.linkParent = new Uint32Array(rows)
    this.linkParentSequence = new Uint16Array(rows)
    this.linkNamespace = new Uint8Array(rows)
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

  /** True if extension records were folded into this base entry (see `extensions`). */
  hasExtensions(entry: number): boolean {
    return (this.state[entry] & HAS_EXTENSIONS) !== 0
  }

  isExtension(entry: number): boolean {
    return (this.state[entry] & EXTENSION) !== 0
  }

  /**
   * Records a fixed-up MFT record. Anything out of bounds is a CorruptImageError
   * naming the record and offset (walkAttributes, checkListedValue), and the record is left out.
   */
  add(buf: Buffer, start: number, size: number, entry: number, absOffset: number): void {
    const before = this.links
    try {
      walkAttributes(buf, start, size, entry, absOffset, (a) => {
        checkListedValue(buf, a, entry)
        if (a.type === AttributeType.fileName) this.addLink(entry, buf, a.valueStart)
      })
    } catch (error) {
      this.links = before
      throw error
    }
    this.addHeader(buf, start, entry)
  }

  /**
   * Records a damaged base record by the names salvaged from it (salvageNames): it is
   * placed in the directories they name, so a listing shows it (as damaged) where it was,
   * and a damaged directory still holds the entries that name it as their parent.
   */
  addSalvaged(buf: Buffer, start: number, entry: number, names: SalvagedName[]): void {
    for (const name of names) this.addLink(entry, buf, name.valueStart)
    this.addHeader(buf, start, entry)
  }

  /** What the tree keeps of a record's header: in use, directory, extension of which base, sequence number. */
  private addHeader(buf: Buffer, start: number, entry: number): void {
    const flags = u16(buf, start + 22)
    const base = u32(buf, start + 32) + u16(buf, start + 36) * 0x1_0000_0000
    this.state[entry] = SUMMARIZED | (flags & RECORD_IN_USE ? IN_USE : 0) | (flags & RECORD_IS_DIRECTORY ? DIRECTORY : 0) | (base !== 0 ? EXTENSION : 0)
    this.sequence[entry] = u16(buf, start + 16)
    if (base !== 0) this.extensionBase.set(entry, [base, u16(buf, start + 38)])
  }

  private addLink(entry: number, buf: Buffer, valueStart: number): void {
    const n = this.links++
    if (n >= this.linkEntry.length) {
      this.linkEntry = grow(this.linkEntry, n + 1)
      this.linkParent = grow(this.linkParent, n + 1)
      this.linkParentSequence = grow(this.linkParentSequence, n + 1)
      this.linkNamespace = grow(this.linkNamespace, n + 1)
    }
    const parent = fileNameParent(buf, valueStart)
    this.linkEntry[n] = entry
    this.linkParent[n] = parent < this.count ? parent : NO_PARENT
    this.linkParentSequence[n] = fileNameParentSequence(buf, valueStart)
    this.linkNamespace[n] = fileNameNamespace(buf, valueStart)
  }

  /**
   * True if a $FILE_NAME whose parent reference is (`parent`, `wanted`) names a live
   * directory: the reference must name this parent, not an earlier use of its record;
   * a deleted parent's sequence was incremented when it was freed.
   */
  parentMatches(parent: number, wanted: number): boolean {
    if (!this.has(parent) || !this.isDirectory(parent) || this.isExtension(parent)) return false
    const actual = this.sequence[parent]
    return wanted === 0 || actual === wanted || (!this.inUse(parent) && actual === ((wanted + 1) & 0xffff))
  }

  /**
   * Ends the pass: folds extension records into their base ($ATTRIBUTE_LIST), groups
   * the names by directory and finds the orphans. `root` is never listed inside itself.
   */
  build(root: number): void {
    const {linkEntry, linkParent, linkParentSequence, linkNamespace, state} = this
    const links = this.links
    // extension records: their names belong to the base entry they extend
    for (const [extension, [base, baseSequence]] of this.extensionBase) {
      if (!this.inUse(extension) || !this.has(base) || this.isExtension(base) || this.sequence[base] !== baseSequence) continue
      const list = this.extensions.get(base)
      if (list) list.push(extension)
      else this.extensions.set(base, [extension])
      state[base] |= HAS_EXTENSIONS
      this.folded.add(extension)
    }
    for (let n = 0; n < links; n++) {
      let entry = linkEntry[n]
      if (state[entry] & EXTENSION) {
        entry = this.folded.has(entry) ? (this.extensionBase.get(entry)?.[0] ?? NO_PARENT) : NO_PARENT
        linkEntry[n] = entry
      }
      if (entry !== NO_PARENT && linkNamespace[n] !== NAMESPACE_DOS) state[entry] |= LONG_NAME
    }
    this.extensionBase.clear()
    this.folded.clear()
    // count the names in each directory, then place them (entry order within a directory)
    const childStart = new Uint32Array(this.count + 1)
    for (let n = 0; n < links; n++) {
      const entry = linkEntry[n]
      // not listed: names of unfolded extensions, the root's own name, a DOS name beside a long one
      if (entry === NO_PARENT || entry === root || (linkNamespace[n] === NAMESPACE_DOS && state[entry] & LONG_NAME)) {
        linkParent[n] = NO_PARENT
        continue
      }
      if (this.parentMatches(linkParent[n], linkParentSequence[n])) {
        state[entry] |= ATTACHED
        childStart[linkParent[n]]++
      } else {
        state[entry] |= UNATTACHED
        linkParent[n] = NO_PARENT
      }
    }
    let total = 0
    for (let d = 0; d <= this.count; d++) {
      const c = childStart[d]
      childStart[d] = total
      total += c
    }
    const childEntries = new Uint32Array(total)
    const fill = childStart.slice(0, this.count)
    for (let n = 0; n < links; n++) {
      if (linkParent[n] === NO_PARENT) continue
      childEntries[fill[linkParent[n]]++] = linkEntry[n]
    }
    let orphanCount = 0
    for (let e = 0; e < this.count; e++) if ((state[e] & (ATTACHED | UNATTACHED)) === UNATTACHED) orphanCount++
    const orphans = new Uint32Array(orphanCount)
    for (let e = 0, i = 0; e < this.count; e++) if ((state[e] & (ATTACHED | UNATTACHED)) === UNATTACHED) orphans[i++] = e
    this.childStart = childStart
    this.childEntries = childEntries
    this.orphans = orphans
    // the scan's rows are no longer needed
    this.links = 0
    this.linkEntry = this.linkParent = new Uint32Array(0)
    this.linkParentSequence = new Uint16Array(0)
    this.linkNamespace = new Uint8Array(0)
  }

  /** The distinct entries with a name in directory `dir`, in entry order. */
  childrenOf(dir: number): Uint32Array {
    if (dir < 0 || dir >= this.count) return new Uint32Array(0)
    const all = this.childEntries.subarray(this.childStart[dir], this.childStart[dir + 1])
    let ascending = true
    for (let i = 1; i < all.length && ascending; i++) ascending = all[i] > all[i - 1]
    if (ascending) return all
    const sorted = all.slice().sort()
    let w = 0
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[w - 1]) sorted[w++] = sorted[i]
    return sorted.subarray(0, w)
  }

  hasChildren(dir: number): boolean {
    return dir >= 0 && dir < this.count && this.childStart[dir + 1] > this.childStart[dir]
  }
}
