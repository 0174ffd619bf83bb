import type {Readable} from 'node:stream'
import {Readable as ReadableStream} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError, errorMessage} from '../errors.js'
import type {FileSystemDriver, FileSystemOptions} from '../fs/drivers.js'
import type {FileEntry, ListOptions, ReadOnlyFileSystem} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'
import {AttributeData, findRunIndex, type NonResidentLayout} from './attribute-data.js'
import {damagedSummary, foldExtension, listedNames, salvageNames, summarizeRecord, type EntrySummary} from './mft-entry.js'
import {damagedFromIndex, readIndexRecord, readIndexRoot, type IndexedName} from './directory-index.js'
import {MftTree} from './mft-tree.js'
import {isNtfsBootSector, parseBootSector, type NtfsBootSector} from './boot-sector.js'
import {
  ATTRIBUTE_COMPRESSED,
  ATTRIBUTE_ENCRYPTED,
  ATTRIBUTE_SPARSE,
  AttributeType,
  FILE_NAME_NAMESPACES,
  REPARSE_TAG_MOUNT_POINT,
  REPARSE_TAG_SYMLINK,
  applyFixups,
  hasBadSignature,
  hasFileSignature,
  parseAttributeList,
  parseMftRecord,
  type AttributeListEntry,
  type MftAttribute,
  type MftRecord,
} from './mft-record.js'

/** Well-known MFT entries (libfsntfs "The metadata files"). */
const MFT_ENTRY = 0
const VOLUME_ENTRY = 3
const ROOT_ENTRY = 5
const UPCASE_ENTRY = 10
/**
 * A virtual directory at the root, as The Sleuth Kit names it: entries whose parent
 * directory is gone (its record freed and reused) or unreadable.
 */
export const ORPHAN_DIRECTORY = '$OrphanFiles'
const ORPHAN_ENTRY = -2

/** MFT entries read per sequential read of the listing pass. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024
/** Problems kept for the examiner; past this only the count grows. */
const MAX_PROBLEMS = 1000
/** Metadata values read whole ($ATTRIBUTE_LIST, $UpCase) are far smaller than this; larger is damage. */
const MAX_METADATA_VALUE = 16 * 1024 * 1024
/** MFT records read at most per read when a directory is listed, and the gap between wanted records still read through. */
const RECORDS_PER_READ = 256
const MAX_RECORD_GAP = 16
/** Directories whose resolution is remembered, and names kept for path lookups: bounded, whatever the volume holds. */
const MAX_CACHED_DIRECTORIES = 8192
const MAX_LOOKUP_NAMES = 256 * 1024
/** Damaged records listed by their salvaged names; past this they are only counted in `problems`. */
const MAX_DAMAGED = 65536
/** Deeper than this a path is treated as a directory cycle. */
const MAX_DEPTH = 2048

/** $STANDARD_INFORMATION file attribute flags worth naming (MS-FSCC 2.6). */
const FILE_ATTRIBUTE_NAMES: Array<[number, string]> = [
  [0x0001, 'read-only'],
  [0x0002, 'hidden'],
  [0x0004, 'system'],
  [0x0020, 'archive'],
  [0x0100, 'temporary'],
  [0x0200, 'sparse'],
  [0x0400, 'reparse-point'],
  [0x0800, 'compressed'],
  [0x1000, 'offline'],
  [0x2000, 'not-content-indexed'],
  [0x4000, 'encrypted'],
]

/** Bounds of the caches that speed up walks and path lookups (tests set them tiny), and how directories are read. */
export interface NtfsCacheLimits {
  /** Directories whose resolution a walk remembers. */
  directories?: number
  /** Names of looked-up directories kept in total. */
  lookupNames?: number
  /**
   * Read directories through their $I30 indexes, reading only the MFT records of the
   * directories listed and of the entries they name, instead of one pass over the whole
   * $MFT (a triage of a large volume). Deleted entries and orphans are then not found, and
   * damage is seen only where the reads go; listing deleted entries makes the pass after all.
   */
  directoryIndexes?: boolean
}

/** One name in a directory, with the summary of the entry it names. */
interface ListedName {
  summary: EntrySummary
  name: string
}

/** What lookup returns for the virtual $OrphanFiles directory. */
const ORPHAN = Symbol('orphan directory')

interface ResolvedPath {
  /** The MFT entries from the root to the target (root first). */
  chain: number[]
  /** The path as the volume spells it. */
  path: string
  /** The name the last step went through; undefined for the root and $OrphanFiles. */
  found?: ListedName
}

/**
 * A read-only NTFS volume read natively from its bytes. The directory tree comes
 * from one sequential pass over the whole $MFT that groups entries by the parent
 * reference of each $FILE_NAME (MftTree): it gives every hard link, deleted entries
 * whose record survives, and orphans. Listing a directory reads the records of its
 * entries again, close ones together, for names, times and sizes: memory stays
 * bounded by the largest directory, not by the volume.
 * Damaged records are skipped and recorded in `problems`; the rest still reads.
 */
export class NtfsFileSystem implements ReadOnlyFileSystem {
  readonly kind = 'ntfs'
  readonly boot: NtfsBootSector
  readonly serial: string
  readonly label?: string
  /** Records and structures that could not be read, each a typed error naming the record or offset. */
  readonly problems: TrawlError[] = []
  problemCount = 0
  /** How the volume is read, when that limits what a listing can find (triage). */
  readonly notes: string[] = []

  private mft: AttributeData
  private tree: MftTree | undefined
  /** Names of recently looked-up directories by their $UpCase form: a path resolves each step once. */
  private lookupCache = new Map<number, {byName: Map<string, ListedName[]>; count: number}>()
  private lookupCacheNames = 0
  /** Directories just listed, by the path as this reader spelled it: a recursive walk resolves nothing twice. */
  private dirCache = new Map<string, ResolvedPath>()
  /** Reused for reading the records of a directory's entries. */
  private recordBuffer: Buffer | undefined
  private upcase: Uint16Array | null | undefined
  /** Damaged records placed in the tree by their salvaged names, with what a listing shows of them. */
  private readonly damaged = new Map<number, EntrySummary>()

  private readonly limits: Required<Omit<NtfsCacheLimits, 'directoryIndexes'>>
  /** Directories are read through their $I30 indexes until something needs the $MFT pass. */
  private readonly indexLookups: boolean
  /** Index damage already reported (a directory is read more than once). */
  private readonly indexProblems = new Set<string>()

  constructor(
    private readonly volume: ByteSource,
    limits: NtfsCacheLimits = {},
  ) {
    this.limits = {directories: limits.directories ?? MAX_CACHED_DIRECTORIES, lookupNames: limits.lookupNames ?? MAX_LOOKUP_NAMES}
    this.indexLookups = limits.directoryIndexes ?? false
    if (this.indexLookups) {
      this.notes.push('triage: directories are read through their $I30 indexes, not by a pass over the whole $MFT, so deleted and orphan files are not looked for and damage is seen only where the reads went (a damaged index is read by the pass after all)')
    }
    this.boot = parseBootSector(volume.read(0, 512))
    this.serial = this.boot.serial
    this.mft = this.bootstrapMft()
    this.label = this.readLabel()
  }

  // ---------------------------------------------------------------- MFT access

  /**
   * $MFT describes itself: read entry 0 at the boot sector's MFT cluster, then read
   * the rest of the table through entry 0's own (possibly fragmented) data runs,
   * following its $ATTRIBUTE_LIST if the runs spill into extension records.
   */
  private bootstrapMft(): AttributeData {
    const {mftLcn, mftMirrorLcn, clusterSize} = this.boot
    let record: MftRecord
    try {
      record = this.readFirstMftRecord(mftLcn * clusterSize, '$MFT')
    } catch (error) {
      // $MFTMirr holds a copy of the first MFT entries (libfsntfs "The metadata files")
      if (!(error instanceof CorruptImageError) || mftMirrorLcn >= this.boot.clusterCount) throw error
      record = this.readFirstMftRecord(mftMirrorLcn * clusterSize, '$MFTMirr')
      this.addProblem(new CorruptImageError(`${error.message}; read its copy in $MFTMirr instead`))
    }
    const pieces = record.attributes.filter((a) => a.type === AttributeType.data && a.name === '')
    const first = pieces.find((a) => !a.resident && a.startVcn === 0)
    if (!first) throw new CorruptImageError('MFT record 0 ($MFT) has no non-resident $DATA attribute', mftLcn * clusterSize)
    this.mft = this.attributeData(layoutOf([first]), 'MFT record 0 $DATA')
    if (record.attributes.some((a) => a.type === AttributeType.attributeList)) {
      const all = this.loadAttributes(MFT_ENTRY).filter((a) => a.type === AttributeType.data && a.name === '')
      return this.attributeData(layoutOf(all), 'MFT record 0 $DATA')
    }
    return this.attributeData(layoutOf(pieces), 'MFT record 0 $DATA')
  }

  /** MFT entry 0 read directly at a volume offset (before the $MFT's runs are known). */
  private readFirstMftRecord(offset: number, copy: string): MftRecord {
    const size = this.boot.mftRecordSize
    const raw = Buffer.from(this.volume.read(offset, size))
    if (raw.length < size) throw new CorruptImageError(`the image ends inside MFT record 0 (${copy})`, offset + raw.length)
    if (!hasFileSignature(raw, 0)) throw new CorruptImageError(`MFT record 0 (${copy}) has no FILE signature`, offset)
    applyFixups(raw, 0, size, MFT_ENTRY, offset)
    return parseMftRecord(raw, 0, size, MFT_ENTRY, offset)
  }

  private attributeData(layout: NonResidentLayout, where: string): AttributeData {
    return new AttributeData(this.volume, this.boot.clusterSize, this.boot.clusterCount, layout, where)
  }

  /** Number of MFT entries the table holds. */
  get mftEntryCount(): number {
    // no more than the runs map and the volume holds, whatever a damaged size claims
    const layout = this.mft.layout
    const last = layout.runs[layout.runs.length - 1]
    const mapped = last ? (last.vcn + last.length) * this.boot.clusterSize : 0
    const bytes = Math.min(layout.initializedSize, mapped, this.boot.volumeSize)
    return Math.floor(bytes / this.boot.mftRecordSize)
  }

  /** Byte offset of an MFT entry in the volume (for error messages), or -1 if unmapped. */
  mftEntryOffset(entry: number): number {
    const cs = this.boot.clusterSize
    const byte = entry * this.boot.mftRecordSize
    const vcn = Math.floor(byte / cs)
    const runs = this.mft.layout.runs
    const run = runs[findRunIndex(runs, vcn)]
    if (run && vcn >= run.vcn && vcn < run.vcn + run.length && run.lcn !== null) return (run.lcn + vcn - run.vcn) * cs + (byte % cs)
    return -1
  }

  /** One MFT entry with its update sequence applied. */
  readMftRecord(entry: number): Buffer {
    const size = this.boot.mftRecordSize
    if (!Number.isSafeInteger(entry) || entry < 0 || entry >= Math.max(1, this.mftEntryCount)) {
      throw new CorruptImageError(`MFT record ${entry} is outside the MFT (${this.mftEntryCount} entries)`)
    }
    const raw = this.mft.read(entry * size, size)
    const offset = this.mftEntryOffset(entry)
    if (raw.length < size) throw new CorruptImageError(`MFT record ${entry} is cut short`, offset)
    if (!hasFileSignature(raw, 0)) throw new CorruptImageError(`MFT record ${entry} has no FILE signature`, offset)
    applyFixups(raw, 0, size, entry, offset)
    return raw
  }

  /**
   * Every attribute of an entry, including those moved into extension records by an
   * $ATTRIBUTE_LIST (libfsntfs "The attribute list attribute"), with data runs decoded.
   */
  loadAttributes(entry: number): MftAttribute[] {
    return this.attributesOf(entry).attributes
  }

  /** An entry's base record, and what its $ATTRIBUTE_LIST names when it has one. */
  private recordAndList(entry: number): {record: MftRecord; listed?: AttributeListEntry[]} {
    const size = this.boot.mftRecordSize
    const record = parseMftRecord(this.readMftRecord(entry), 0, size, entry, this.mftEntryOffset(entry))
    const listAttribute = record.attributes.find((a) => a.type === AttributeType.attributeList)
    if (!listAttribute) return {record}
    if (!listAttribute.resident && listAttribute.dataSize > MAX_METADATA_VALUE) {
      throw new CorruptImageError(`MFT record ${entry}: $ATTRIBUTE_LIST of ${listAttribute.dataSize} bytes is implausibly large`, this.mftEntryOffset(entry))
    }
    const listValue = listAttribute.resident
      ? listAttribute.value ?? Buffer.alloc(0)
      : this.attributeData(layoutOf([listAttribute]), `MFT record ${entry} $ATTRIBUTE_LIST`).read(0, listAttribute.dataSize)
    return {record, listed: parseAttributeList(listValue, entry)}
  }

  /** loadAttributes, with the base record they were read from. */
  private attributesOf(entry: number): {record: MftRecord; attributes: MftAttribute[]} {
    const size = this.boot.mftRecordSize
    const {record, listed} = this.recordAndList(entry)
    if (!listed) return {record, attributes: record.attributes}
    const attributes = [...record.attributes]
    const wanted = new Map<number, Set<string>>()
    for (const item of listed) {
      if (item.entry === entry) continue
      let keys = wanted.get(item.entry)
      if (!keys) wanted.set(item.entry, (keys = new Set()))
      keys.add(`${item.type}:${item.id}`)
    }
    for (const [extension, keys] of wanted) {
      const extensionRecord = parseMftRecord(this.readMftRecord(extension), 0, size, extension, this.mftEntryOffset(extension))
      if (extensionRecord.baseEntry !== entry) {
        throw new CorruptImageError(`MFT record ${extension} is listed as an extension of record ${entry} but its base is ${extensionRecord.baseEntry}`, this.mftEntryOffset(extension))
      }
      for (const attribute of extensionRecord.attributes) {
        if (keys.has(`${attribute.type}:${attribute.id}`)) attributes.push(attribute)
      }
    }
    return {record, attributes}
  }

  private readLabel(): string | undefined {
    try {
      const name = this.loadAttributes(VOLUME_ENTRY).find((a) => a.type === AttributeType.volumeName)
      return name?.value?.toString('utf16le')
    } catch (error) {
      this.addProblem(error)
      return undefined
    }
  }

  private addProblem(error: unknown): void {
    this.problemCount++
    if (this.problems.length >= MAX_PROBLEMS) return
    this.problems.push(error instanceof TrawlError ? error : new CorruptImageError(String(error)))
  }

  // ---------------------------------------------------------------- listing pass

  /** One sequential pass over the whole $MFT, in large reads, building the directory tree. */
  private scan(): MftTree {
    if (this.tree) return this.tree
    const size = this.boot.mftRecordSize
    const count = this.mftEntryCount
    const tree = new MftTree(count)
    const perChunk = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / size))
    // one buffer for the whole pass: fix-ups are applied in it, nothing keeps a view of it
    const buffer = Buffer.allocUnsafe(perChunk * size)
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first)
      const chunk = this.readRecords(first, n, buffer)
      for (let i = 0; i < n; i++) {
        const entry = first + i
        let buf: Buffer
        let start: number
        if (chunk) {
          buf = chunk
          start = i * size
        } else {
          try {
            buf = this.mft.read(entry * size, size)
          } catch (error) {
            this.addProblem(error)
            continue
          }
          start = 0
        }
        if (!hasFileSignature(buf, start)) {
          if (hasBadSignature(buf, start)) this.addProblem(new CorruptImageError(`MFT record ${entry} is marked BAAD`, this.mftEntryOffset(entry)))
          continue
        }
        try {
          const offset = this.mftEntryOffset(entry)
          applyFixups(buf, start, size, entry, offset)
          tree.add(buf, start, size, entry, offset)
        } catch (error) {
          this.salvage(tree, buf, start, entry, error)
        }
      }
    }
    tree.build(ROOT_ENTRY)
    this.tree = tree
    return tree
  }

  /**
   * A record with a FILE signature that fails its fix-ups or its bounds. If names can still
   * be read from it, it is listed, marked damaged, in the directories they name (and a
   * damaged directory keeps its children), so a file on an artifact path is reported as
   * unreadable where it lies instead of missing from the listing. Either way it is a problem.
   */
  private salvage(tree: MftTree, buf: Buffer, start: number, entry: number, error: unknown): void {
    const names = this.damaged.size < MAX_DAMAGED ? salvageNames(buf, start, this.boot.mftRecordSize) : []
    if (names.length === 0) {
      this.addProblem(error)
      return
    }
    const reason = errorMessage(error)
    tree.addSalvaged(buf, start, entry, names)
    const summary = damagedSummary(buf, start, entry, names, reason)
    this.damaged.set(entry, summary)
    const where = listedNames(summary).map((n) => `"${n.name}" in MFT record ${n.parent}`)
    this.addProblem(new CorruptImageError(`${reason}; listed as damaged, by the name${where.length === 1 ? '' : 's'} read from it (unverified): ${where.join(', ')}`))
  }

  /** `n` consecutive MFT records from `first` into `buffer` in one read, or undefined if that part of the MFT is unreadable. */
  private readRecords(first: number, n: number, buffer: Buffer): Buffer | undefined {
    const size = this.boot.mftRecordSize
    const chunk = buffer.subarray(0, n * size)
    try {
      return this.mft.readInto(first * size, chunk) < n * size ? undefined : chunk
    } catch {
      return undefined // read entry by entry instead
    }
  }

  /** True while directories are read through their $I30 indexes (the $MFT pass has not been made). */
  private get byIndex(): boolean {
    return this.indexLookups && this.tree === undefined
  }

  /**
   * Summaries of the given entries (ascending), read again from their records: entries
   * close together in the $MFT in one read. Deleted entries only with `deleted`.
   */
  private forEachSummary(entries: Uint32Array, deleted: boolean, visit: (summary: EntrySummary) => void, brief = false): void {
    const tree = this.scan()
    const wanted = entries.filter((e) => tree.has(e) && (deleted || tree.inUse(e)))
    this.summariesOf(wanted, (summary) => visit(this.withExtensions(summary)), (_entry, error) => this.addProblem(error), brief)
  }

  /**
   * The summaries of `wanted` (ascending entry numbers), entries close together in the $MFT
   * in one read; a damaged record already known comes from `damaged`, one that fails goes to `failed`.
   */
  private summariesOf(wanted: ArrayLike<number>, visit: (summary: EntrySummary) => void, failed: (entry: number, error: unknown) => void, brief = false): void {
    const size = this.boot.mftRecordSize
    const buffer = (this.recordBuffer ??= Buffer.allocUnsafe(RECORDS_PER_READ * size))
    let i = 0
    while (i < wanted.length) {
      const first = wanted[i]
      let j = i + 1
      while (j < wanted.length && wanted[j] - wanted[j - 1] <= MAX_RECORD_GAP && wanted[j] - first < RECORDS_PER_READ) j++
      const chunk = this.readRecords(first, wanted[j - 1] - first + 1, buffer)
      for (let k = i; k < j; k++) {
        const entry = wanted[k]
        const damaged = this.damaged.get(entry)
        if (damaged) {
          visit(damaged)
          continue
        }
        let summary: EntrySummary
        try {
          const offset = this.mftEntryOffset(entry)
          if (chunk) {
            const start = (entry - first) * size
            if (!hasFileSignature(chunk, start)) throw new CorruptImageError(`MFT record ${entry} has no FILE signature`, offset)
            applyFixups(chunk, start, size, entry, offset)
            summary = summarizeRecord(chunk, start, size, entry, offset, brief)
          } else {
            summary = this.summarizeEntry(entry)
          }
        } catch (error) {
          failed(entry, error)
          continue
        }
        try {
          visit(summary)
        } catch (error) {
          this.addProblem(error)
        }
      }
      i = j
    }
  }

  // ---------------------------------------------------------------- directory indexes

  /** The names in a directory's $I30 index, every node in use read; the directory record's sequence number. */
  private readDirectoryIndex(dir: number): {sequence: number; names: IndexedName[]; damaged: boolean} {
    const {record, attributes} = this.attributesOf(dir)
    const sequence = record.sequence
    const i30 = (type: number) => attributes.filter((a) => a.type === type && a.name === '$I30')
    let damaged = false
    const problem = (error: CorruptImageError) => {
      damaged = true
      if (this.indexProblems.has(error.message)) return
      this.indexProblems.add(error.message)
      this.addProblem(error)
    }
    const root = i30(AttributeType.indexRoot).find((a) => a.resident)
    if (!root?.value) throw new CorruptImageError(`MFT record ${dir}: a directory without a $I30 $INDEX_ROOT`, this.mftEntryOffset(dir))
    const names: IndexedName[] = []
    const recordSize = readIndexRoot(root.value, `MFT record ${dir} $INDEX_ROOT`, names, problem)
    const allocation = i30(AttributeType.indexAllocation).filter((a) => !a.resident)
    if (allocation.length === 0) return {sequence, names, damaged}
    if (recordSize < 512 || recordSize % 512 !== 0 || recordSize > 65536) {
      throw new CorruptImageError(`MFT record ${dir} $INDEX_ROOT: index records of ${recordSize} bytes`, this.mftEntryOffset(dir))
    }
    const where = `MFT record ${dir} $INDEX_ALLOCATION`
    const data = this.attributeData(layoutOf(allocation), where)
    const bitmapPieces = i30(AttributeType.bitmap)
    let bitmap: Buffer | undefined
    try {
      bitmap = bitmapPieces.length > 0 ? this.readAttributeValue(bitmapPieces, `MFT record ${dir} $BITMAP`) : undefined
    } catch (error) {
      problem(new CorruptImageError(`${errorMessage(error)}; every index record is read`))
    }
    if (!bitmap && bitmapPieces.length === 0) problem(new CorruptImageError(`MFT record ${dir}: $INDEX_ALLOCATION without a $BITMAP; every index record is read`))
    const count = Math.floor(data.size / recordSize)
    for (let i = 0; i < count; i++) {
      if (bitmap && (i >> 3 >= bitmap.length || (bitmap[i >> 3] & (1 << (i & 7))) === 0)) continue
      try {
        readIndexRecord(Buffer.from(data.read(i * recordSize, recordSize)), `${where} record ${i}`, names, problem)
      } catch (error) {
        problem(new CorruptImageError(`${where} record ${i}: ${errorMessage(error)}`))
      }
    }
    return {sequence, names, damaged}
  }

  /**
   * The names in directory `dir` by its $I30 index: the records the index names are read
   * (close ones together) and their own names in `dir` listed, as the $MFT pass lists them.
   * An index entry whose record is free or reused names a deleted file, which is not listed;
   * a record that cannot be read is listed as damaged, by the name its index entry holds.
   */
  private indexedNamesIn(dir: number, deleted: boolean, brief: boolean): ListedName[] {
    const {sequence, names, damaged} = this.readDirectoryIndex(dir)
    if (damaged) {
      // what a damaged index leaves out, the $MFT pass still finds: it is made, and lists from here on
      this.addProblem(new CorruptImageError(`MFT record ${dir}: its $I30 index is damaged; the directory, and every one after it, is listed from a pass over the whole $MFT instead`))
      this.leaveIndexes()
      return this.namesIn(dir, deleted, brief)
    }
    const count = this.mftEntryCount
    const byEntry = new Map<number, IndexedName[]>()
    for (const n of names) {
      if (n.entry >= count || n.entry === dir) continue
      const same = byEntry.get(n.entry)
      if (same) same.push(n)
      else byEntry.set(n.entry, [n])
    }
    const wanted = Uint32Array.from(byEntry.keys()).sort()
    const out: ListedName[] = []
    this.summariesOf(
      wanted,
      (summary) => {
        if (summary.damaged === undefined) {
          const refs = byEntry.get(summary.entry)!
          if (!summary.inUse || summary.baseEntry !== 0 || !refs.some((r) => r.sequence === 0 || r.sequence === summary.sequence)) return
          summary = this.withExtensions(summary)
        }
        for (const n of listedNames(summary)) if (n.parent === dir && (n.parentSequence === 0 || n.parentSequence === sequence)) out.push({summary, name: n.name})
      },
      (entry, error) => {
        const refs = byEntry.get(entry)!
        const reason = errorMessage(error)
        const summary = damagedFromIndex(entry, refs, reason)
        this.damaged.set(entry, summary)
        const where = listedNames(summary).map((n) => `"${n.name}"`)
        this.addProblem(new CorruptImageError(`${reason}; listed as damaged, by the name${where.length === 1 ? '' : 's'} the index of MFT record ${dir} holds for it: ${where.join(', ')}`))
        for (const n of listedNames(summary)) out.push({summary, name: n.name})
      },
      brief,
    )
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Makes the $MFT pass, which lists from then on, and forgets the lookups the indexes gave. */
  private leaveIndexes(): void {
    this.scan()
    this.dirCache.clear()
    this.lookupCache.clear()
    this.lookupCacheNames = 0
  }

  /** The extension records an entry's $ATTRIBUTE_LIST names (the $MFT pass finds them by their base reference instead). */
  private listedExtensions(entry: number): number[] {
    const {listed} = this.recordAndList(entry)
    return listed ? [...new Set(listed.map((item) => item.entry))].filter((e) => e !== entry).sort((a, b) => a - b) : []
  }

  /** Folds the extension records of a base entry into its summary. */
  private withExtensions(summary: EntrySummary): EntrySummary {
    if (this.byIndex) {
      if (!summary.attributeList) return summary
      for (const extension of this.listedExtensions(summary.entry)) {
        const part = this.summarizeEntry(extension)
        if (part.baseEntry === summary.entry && part.baseSequence === summary.sequence && part.inUse) foldExtension(summary, part)
      }
      return summary
    }
    const tree = this.scan()
    if (!tree.hasExtensions(summary.entry)) return summary
    for (const extension of tree.extensions.get(summary.entry) ?? []) foldExtension(summary, this.summarizeEntry(extension))
    return summary
  }

  /** The summary of one entry. */
  private summaryOf(entry: number): EntrySummary {
    const damaged = this.damaged.get(entry)
    if (damaged) return damaged
    return this.withExtensions(this.summarizeEntry(entry))
  }

  /** One record read and summarized on its own (extension records not folded in). */
  private summarizeEntry(entry: number): EntrySummary {
    return summarizeRecord(this.readMftRecord(entry), 0, this.boot.mftRecordSize, entry, this.mftEntryOffset(entry))
  }

  /**
   * The names in directory `dir` (ORPHAN_ENTRY: one name of each orphan), read from the
   * records of the entries the tree places there, in name order (code units).
   */
  private namesIn(dir: number, deleted: boolean, brief = false): ListedName[] {
    if (this.byIndex && dir !== ORPHAN_ENTRY) return this.indexedNamesIn(dir, deleted, brief)
    const tree = this.scan()
    const out: ListedName[] = []
    if (dir === ORPHAN_ENTRY) {
      this.forEachSummary(
        tree.orphans,
        deleted,
        (summary) => {
          const names = listedNames(summary)
          if (names.length > 0) out.push({summary, name: names[0].name})
        },
        brief,
      )
    } else {
      this.forEachSummary(
        tree.childrenOf(dir),
        deleted,
        (summary) => {
          for (const n of listedNames(summary)) if (n.parent === dir && tree.parentMatches(dir, n.parentSequence)) out.push({summary, name: n.name})
        },
        brief,
      )
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  // ---------------------------------------------------------------- names

  private upcaseTable(): Uint16Array | null {
    if (this.upcase !== undefined) return this.upcase
    try {
      const data = this.loadAttributes(UPCASE_ENTRY).filter((a) => a.type === AttributeType.data && a.name === '')
      const bytes = this.readAttributeValue(data, `MFT record ${UPCASE_ENTRY} $UpCase`)
      this.upcase = bytes.length >= 131072 ? new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 131072)) : null
    } catch (error) {
      this.addProblem(error)
      this.upcase = null
    }
    return this.upcase
  }

  /** A name folded with the volume's $UpCase table, as NTFS compares names. */
  upcaseName(name: string): string {
    const table = this.upcaseTable()
    if (!table) return name.toUpperCase()
    let out = ''
    for (let i = 0; i < name.length; i++) out += String.fromCharCode(table[name.charCodeAt(i)])
    return out
  }

  /** The name called `segment` in directory `parent`, or undefined; ORPHAN for the orphans' directory. */
  private lookup(parent: number, segment: string): ListedName | typeof ORPHAN | undefined {
    if (parent === ROOT_ENTRY && !this.byIndex && this.scan().orphans.length > 0 && this.upcaseName(segment) === this.upcaseName(ORPHAN_DIRECTORY)) {
      return this.lookupName(parent, segment) ?? ORPHAN
    }
    return this.lookupName(parent, segment)
  }

  private lookupName(parent: number, segment: string): ListedName | undefined {
    let cached = this.lookupCache.get(parent)
    if (cached) {
      this.lookupCache.delete(parent)
    } else {
      const names = this.namesIn(parent, true)
      const byName = new Map<string, ListedName[]>()
      for (const n of names) {
        const key = this.upcaseName(n.name)
        const same = byName.get(key)
        if (same) same.push(n)
        else byName.set(key, [n])
      }
      cached = {byName, count: names.length}
      this.lookupCacheNames += names.length
      for (const [dir, old] of this.lookupCache) {
        if (this.lookupCacheNames <= this.limits.lookupNames) break
        this.lookupCache.delete(dir)
        this.lookupCacheNames -= old.count
      }
    }
    this.lookupCache.set(parent, cached)
    const candidates = cached.byName.get(this.upcaseName(segment))
    if (!candidates) return undefined
    // exact spelling first, then allocated before deleted
    return (
      candidates.find((n) => n.name === segment && n.summary.inUse) ??
      candidates.find((n) => n.summary.inUse) ??
      candidates.find((n) => n.name === segment) ??
      candidates[0]
    )
  }

  private resolve(path: string): ResolvedPath {
    if (!this.byIndex && !this.scan().has(ROOT_ENTRY)) throw new CorruptImageError('the root directory (MFT record 5) is unreadable', this.mftEntryOffset(ROOT_ENTRY))
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    const chain = [ROOT_ENTRY]
    const spelled: string[] = []
    let found: ListedName | undefined
    for (const segment of segments) {
      const step = this.lookup(chain[chain.length - 1], segment)
      if (step === ORPHAN) {
        chain.push(ORPHAN_ENTRY)
        spelled.push(ORPHAN_DIRECTORY)
        found = undefined
        continue
      }
      if (!step) throw new FileNotFoundError(path)
      chain.push(step.summary.entry)
      spelled.push(step.name)
      found = step
    }
    return {chain, path: spelled.join('/'), found}
  }

  /** Remembers a directory's resolution for the walk that lists it next; the oldest are forgotten. */
  private rememberDirectory(path: string, resolved: ResolvedPath): void {
    this.dirCache.delete(path)
    this.dirCache.set(path, resolved)
    if (this.dirCache.size > this.limits.directories) this.dirCache.delete(this.dirCache.keys().next().value as string)
  }

  // ---------------------------------------------------------------- ReadOnlyFileSystem

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    return this.listSync(dirPath, options)
  }

  /** The children of a directory, synchronously (the listing pass runs on first use). */
  listSync(dirPath: string, options?: ListOptions): FileEntry[] {
    // deleted entries are found only by the $MFT pass
    if (options?.deleted && this.byIndex) this.leaveIndexes()
    const tree = this.byIndex ? undefined : this.scan()
    const resolved = this.dirCache.get(dirPath) ?? this.resolve(dirPath)
    const dir = resolved.chain[resolved.chain.length - 1]
    const isDirectory = tree ? tree.isDirectory(dir) : resolved.found ? resolved.found.summary.directory : dir === ROOT_ENTRY
    if (dir !== ORPHAN_ENTRY && !isDirectory) throw new FileNotFoundError(dirPath)
    if (resolved.chain.length > MAX_DEPTH) {
      this.addProblem(new CorruptImageError(`directory cycle: ${resolved.chain.length} levels below the root at MFT record ${dir}`))
      return []
    }
    const deleted = options?.deleted ?? false
    const entries: FileEntry[] = []
    const prefix = resolved.path === '' ? '' : `${resolved.path}/`
    const brief = options?.brief ?? false
    for (const listed of this.namesIn(dir, deleted, brief)) {
      const {summary, name} = listed
      const entry = summary.entry
      if (resolved.chain.includes(entry)) {
        this.addProblem(new CorruptImageError(`directory cycle: MFT record ${entry} ("${name}") is listed inside its own descendant, MFT record ${dir}`, this.mftEntryOffset(entry)))
        continue
      }
      const path = prefix + name
      const fileEntry = this.fileEntry(summary, path, name, brief)
      // a deleted directory may share its name with a live one: only the live one is remembered
      if (fileEntry.kind === 'directory' && summary.inUse) this.rememberDirectory(path, {chain: [...resolved.chain, entry], path, found: listed})
      entries.push(fileEntry)
    }
    if (tree && dir === ROOT_ENTRY && tree.orphans.some((e) => deleted || tree.inUse(e))) {
      entries.push(this.orphanDirectoryEntry())
      this.rememberDirectory(ORPHAN_DIRECTORY, {chain: [ROOT_ENTRY, ORPHAN_ENTRY], path: ORPHAN_DIRECTORY})
    }
    return entries
  }

  /** The virtual directory that holds entries whose parent directory is gone. */
  private orphanDirectoryEntry(): FileEntry {
    return {path: ORPHAN_DIRECTORY, name: ORPHAN_DIRECTORY, kind: 'directory', size: 0, times: {}, attributes: ['virtual']}
  }

  async stat(path: string): Promise<FileEntry> {
    const resolved = this.resolve(path)
    const target = resolved.chain[resolved.chain.length - 1]
    if (target === ORPHAN_ENTRY) return this.orphanDirectoryEntry()
    if (!resolved.found) return this.fileEntry(this.summaryOf(target), resolved.path, '')
    return this.fileEntry(resolved.found.summary, resolved.path, resolved.found.name)
  }

  async open(path: string, options?: {stream?: string}): Promise<Readable> {
    return this.openSync(path, options)
  }

  openSync(path: string, options?: {stream?: string}): Readable {
    const resolved = this.resolve(path)
    const target = resolved.chain[resolved.chain.length - 1]
    const streamName = options?.stream ?? ''
    if (target === ORPHAN_ENTRY) throw new FileNotFoundError(path)
    const damaged = this.damaged.get(target)
    if (damaged) throw new CorruptImageError(`its MFT record is damaged and its contents are not read: ${damaged.damaged}`)
    const attributes = this.loadAttributes(target)
    let pieces = attributes.filter((a) => a.type === AttributeType.data && a.name === streamName)
    if (pieces.length === 0 && streamName !== '') {
      const folded = this.upcaseName(streamName)
      const match = attributes.find((a) => a.type === AttributeType.data && a.name !== '' && this.upcaseName(a.name) === folded)
      if (match) pieces = attributes.filter((a) => a.type === AttributeType.data && a.name === match.name)
    }
    if (pieces.length === 0) throw new FileNotFoundError(streamName ? `${path}:${streamName}` : path)
    const where = `MFT record ${target} $DATA${streamName ? ` "${streamName}"` : ''}`
    const resident = pieces.find((a) => a.resident)
    if (resident) return ReadableStream.from([resident.value ?? Buffer.alloc(0)], {objectMode: false})
    if ((pieces[0].flags & ATTRIBUTE_ENCRYPTED) !== 0) {
      throw new UnsupportedFormatError(`${where}: the stream is EFS-encrypted; trawl does not decrypt it`)
    }
    const layout = layoutOf(pieces)
    const last = layout.runs[layout.runs.length - 1]
    const mapped = last ? (last.vcn + last.length) * this.boot.clusterSize : 0
    if (layout.dataSize > mapped) {
      // the runs (sparse ones included) must cover the value: a larger size is damage
      throw new CorruptImageError(`${where}: size ${layout.dataSize} exceeds the ${mapped} bytes its data runs map`, this.mftEntryOffset(target))
    }
    return this.attributeData(layout, where).stream()
  }

  /** Reads a whole attribute value (resident or not) into memory: for small metadata only. */
  private readAttributeValue(pieces: MftAttribute[], where: string): Buffer {
    if (pieces.length === 0) throw new CorruptImageError(`${where}: attribute missing`)
    const resident = pieces.find((a) => a.resident)
    if (resident) return resident.value ?? Buffer.alloc(0)
    const data = this.attributeData(layoutOf(pieces), where)
    if (data.size > MAX_METADATA_VALUE) throw new CorruptImageError(`${where}: ${data.size} bytes is implausibly large`)
    return data.read(0, data.size)
  }

  async close(): Promise<void> {
    // the byte source belongs to whoever opened it
  }

  // ---------------------------------------------------------------- entries

  /** What a listing shows of an entry; `brief`: without times and attributes (ListOptions.brief). */
  private fileEntry(summary: EntrySummary, path: string, name: string, brief = false): FileEntry {
    const reparse = summary.reparse
    const isLink = reparse !== undefined && (reparse.tag === REPARSE_TAG_SYMLINK || reparse.tag === REPARSE_TAG_MOUNT_POINT)
    const result: FileEntry = {
      path,
      name,
      kind: isLink ? 'symlink' : summary.directory ? 'directory' : 'file',
      size: summary.directory || summary.dataSize < 0 ? 0 : summary.dataSize,
      times: brief ? {} : {...summary.times},
      ...(brief ? {} : {fileNameTimes: summary.names.map((n) => ({name: n.name, namespace: FILE_NAME_NAMESPACES[n.namespace] ?? String(n.namespace), ...n.times}))}),
      inode: `${summary.entry}-${summary.sequence}`,
    }
    if (!summary.inUse) result.deleted = true
    if (summary.damaged !== undefined) result.unreadable = summary.damaged
    if (summary.streams) result.streams = summary.streams.map((s) => ({name: s.name, size: s.size}))
    if (reparse?.target !== undefined) result.linkTarget = reparse.target
    if (brief) return result
    const flags = attributeNames(summary.fileAttributes, summary.dataFlags, reparse !== undefined)
    if (flags.length > 0) result.attributes = flags.slice()
    return result
  }
}

const attributeNamesCache = new Map<number, string[]>()

/** Names of the file attribute flags, the data stream's compression/sparse flags and a reparse point. */
function attributeNames(fileAttributes: number, dataFlags: number, reparse: boolean): string[] {
  const key = (fileAttributes & 0xffff) * 8 + (dataFlags & ATTRIBUTE_COMPRESSED ? 1 : 0) + (dataFlags & ATTRIBUTE_SPARSE ? 2 : 0) + (reparse ? 4 : 0)
  let names = attributeNamesCache.get(key)
  if (names === undefined) {
    names = []
    for (const [bit, label] of FILE_ATTRIBUTE_NAMES) if (fileAttributes & bit) names.push(label)
    if (dataFlags & ATTRIBUTE_COMPRESSED && !names.includes('compressed')) names.push('compressed')
    if (dataFlags & ATTRIBUTE_SPARSE && !names.includes('sparse')) names.push('sparse')
    if (reparse && !names.includes('reparse-point')) names.push('reparse-point')
    attributeNamesCache.set(key, names)
  }
  return names
}

/** Joins the pieces of one attribute (split over extension records) into one layout. */
function layoutOf(pieces: MftAttribute[]): NonResidentLayout {
  const sorted = [...pieces].sort((a, b) => a.startVcn - b.startVcn)
  const first = sorted[0]
  const runs = sorted.flatMap((p) => p.runs ?? [])
  return {
    runs,
    dataSize: first.dataSize,
    initializedSize: Math.min(first.initializedSize, first.dataSize),
    compressionUnit: (first.flags & ATTRIBUTE_COMPRESSED) !== 0 ? first.compressionUnit : 0,
  }
}

/** The NTFS file-system driver: detects the "NTFS    " OEM id and opens the volume. */
export const ntfsDriver: FileSystemDriver = {
  name: 'ntfs',
  detect(volume: ByteSource): boolean {
    return isNtfsBootSector(volume.read(0, 16))
  },
  open(volume: ByteSource, options?: FileSystemOptions): NtfsFileSystem {
    return new NtfsFileSystem(volume, {directoryIndexes: options?.directoryIndexes})
  },
}
