import type {Readable} from 'node:stream'
import {Readable as ReadableStream} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError} from '../errors.js'
import type {FileSystemDriver} from '../fs/drivers.js'
import type {FileEntry, ListOptions, ReadOnlyFileSystem} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'
import {AttributeData, type NonResidentLayout} from './attribute-data.js'
import {MftIndex} from './mft-index.js'
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

interface ResolvedPath {
  /** The MFT entries from the root to the target (root first). */
  chain: number[]
  /** The path as the volume spells it. */
  path: string
  /** The $FILE_NAME (index in the MftIndex name columns) the last step went through; -1 for the root. */
  name: number
}

/**
 * A read-only NTFS volume read natively from its bytes. The directory tree comes
 * from one sequential pass over the whole $MFT that groups entries by the parent
 * reference of each $FILE_NAME: it gives every hard link, deleted entries whose
 * record survives, and a recursive listing without a seek per directory.
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

  private mft: AttributeData
  private index: MftIndex | undefined
  /** directory entry -> the $FILE_NAMEs (name indexes) inside it, in name order */
  private children: Map<number, number[]> | undefined
  private lookupCache = new Map<number, Map<string, number[]>>()
  /** Directories already listed, by the path as this reader spelled it: a recursive walk resolves nothing twice. */
  private dirCache = new Map<string, ResolvedPath>()
  private upcase: Uint16Array | null | undefined

  constructor(private readonly volume: ByteSource) {
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
    let lo = 0
    let hi = runs.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (runs[mid].vcn <= vcn) lo = mid
      else hi = mid - 1
    }
    const run = runs[lo]
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
    const size = this.boot.mftRecordSize
    const record = parseMftRecord(this.readMftRecord(entry), 0, size, entry, this.mftEntryOffset(entry))
    const listAttribute = record.attributes.find((a) => a.type === AttributeType.attributeList)
    if (!listAttribute) return record.attributes
    if (!listAttribute.resident && listAttribute.dataSize > MAX_METADATA_VALUE) {
      throw new CorruptImageError(`MFT record ${entry}: $ATTRIBUTE_LIST of ${listAttribute.dataSize} bytes is implausibly large`, this.mftEntryOffset(entry))
    }
    const listValue = listAttribute.resident
      ? listAttribute.value ?? Buffer.alloc(0)
      : this.attributeData(layoutOf([listAttribute]), `MFT record ${entry} $ATTRIBUTE_LIST`).read(0, listAttribute.dataSize)
    const listed = parseAttributeList(listValue, entry)
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
    return attributes
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

  /** One sequential pass over the whole $MFT, in large reads, indexing every entry. */
  private scan(): MftIndex {
    if (this.index) return this.index
    const size = this.boot.mftRecordSize
    const count = this.mftEntryCount
    const index = new MftIndex(count)
    const perChunk = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / size))
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first)
      let chunk: Buffer | undefined
      try {
        chunk = this.mft.read(first * size, n * size)
      } catch {
        chunk = undefined // a part of the MFT is unreadable: fall back to entry by entry
      }
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
          index.add(buf, start, size, entry, offset)
        } catch (error) {
          this.addProblem(error)
        }
      }
    }
    index.foldExtensions()
    this.index = index
    return index
  }

  /** parent entry -> its names, from the $FILE_NAME parent references of every entry. */
  private directoryTree(): Map<number, number[]> {
    if (this.children) return this.children
    const index = this.scan()
    const children = new Map<number, number[]>()
    const attached = new Uint8Array(index.count)
    const unattached: number[] = []
    for (let n = 0; n < index.nameCount; n++) {
      const entry = index.nameEntry[n]
      if (entry === ROOT_ENTRY || index.baseEntry[entry] !== 0 || index.firstName[entry] < 0) continue
      // Win32 and POSIX names; a DOS 8.3 name only when the entry has nothing else
      if (index.isShadowedDosName(n) || index.isRepeatedName(n)) continue
      const parent = index.nameParent[n]
      if (!this.parentMatches(index, n)) {
        unattached.push(n)
        continue
      }
      attached[entry] = 1
      let list = children.get(parent)
      if (!list) children.set(parent, (list = []))
      list.push(n)
    }
    // entries none of whose names reach a directory: one name each under $OrphanFiles
    const orphans: number[] = []
    for (const n of unattached) {
      const entry = index.nameEntry[n]
      if (attached[entry]) continue
      attached[entry] = 1
      orphans.push(n)
    }
    if (orphans.length > 0) children.set(ORPHAN_ENTRY, orphans)
    // name order (code units), as a listing is read
    const text = index.nameText
    for (const list of children.values()) list.sort((a, b) => (text[a] < text[b] ? -1 : text[a] > text[b] ? 1 : 0))
    this.children = children
    return children
  }

  /**
   * True if $FILE_NAME `n` names a live parent directory: the parent reference must
   * name this parent, not an earlier use of its record; a deleted parent's sequence
   * was incremented when it was freed.
   */
  private parentMatches(index: MftIndex, n: number): boolean {
    const parent = index.nameParent[n]
    if (!index.has(parent) || !index.isDirectory(parent) || index.baseEntry[parent] !== 0) return false
    const wanted = index.nameParentSequence[n]
    const actual = index.sequence[parent]
    return wanted === 0 || actual === wanted || (!index.inUse(parent) && actual === ((wanted + 1) & 0xffff))
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

  /** The $FILE_NAME (name index) called `segment` in directory `parent`, or -1. */
  private lookup(parent: number, segment: string): number {
    if (parent === ROOT_ENTRY && this.directoryTree().has(ORPHAN_ENTRY) && this.upcaseName(segment) === this.upcaseName(ORPHAN_DIRECTORY)) {
      const real = this.lookupName(parent, segment)
      return real >= 0 ? real : ORPHAN_ENTRY
    }
    return this.lookupName(parent, segment)
  }

  private lookupName(parent: number, segment: string): number {
    const names = this.directoryTree().get(parent)
    if (!names) return -1
    const index = this.scan()
    let byName = this.lookupCache.get(parent)
    if (!byName) {
      byName = new Map()
      for (const n of names) {
        const key = this.upcaseName(index.nameText[n])
        const same = byName.get(key)
        if (same) same.push(n)
        else byName.set(key, [n])
      }
      this.lookupCache.set(parent, byName)
    }
    const candidates = byName.get(this.upcaseName(segment))
    if (!candidates) return -1
    // exact spelling first, then allocated before deleted
    const allocated = (n: number): boolean => index.inUse(index.nameEntry[n])
    return (
      candidates.find((n) => index.nameText[n] === segment && allocated(n)) ??
      candidates.find(allocated) ??
      candidates.find((n) => index.nameText[n] === segment) ??
      candidates[0]
    )
  }

  private resolve(path: string): ResolvedPath {
    const index = this.scan()
    if (!index.has(ROOT_ENTRY)) throw new CorruptImageError('the root directory (MFT record 5) is unreadable', this.mftEntryOffset(ROOT_ENTRY))
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    const chain = [ROOT_ENTRY]
    const spelled: string[] = []
    let name = -1
    for (const segment of segments) {
      name = this.lookup(chain[chain.length - 1], segment)
      if (name === ORPHAN_ENTRY) {
        chain.push(ORPHAN_ENTRY)
        spelled.push(ORPHAN_DIRECTORY)
        continue
      }
      if (name < 0) throw new FileNotFoundError(path)
      chain.push(index.nameEntry[name])
      spelled.push(index.nameText[name])
    }
    return {chain, path: spelled.join('/'), name}
  }

  // ---------------------------------------------------------------- ReadOnlyFileSystem

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    return this.listSync(dirPath, options)
  }

  /** The children of a directory, synchronously (the listing pass runs on first use). */
  listSync(dirPath: string, options?: ListOptions): FileEntry[] {
    const index = this.scan()
    const resolved = this.dirCache.get(dirPath) ?? this.resolve(dirPath)
    const dir = resolved.chain[resolved.chain.length - 1]
    if (dir !== ORPHAN_ENTRY && !index.isDirectory(dir)) throw new FileNotFoundError(dirPath)
    if (resolved.chain.length > MAX_DEPTH) {
      this.addProblem(new CorruptImageError(`directory cycle: ${resolved.chain.length} levels below the root at MFT record ${dir}`))
      return []
    }
    const names = this.directoryTree().get(dir) ?? []
    const entries: FileEntry[] = []
    const prefix = resolved.path === '' ? '' : `${resolved.path}/`
    for (const n of names) {
      const entry = index.nameEntry[n]
      if (!options?.deleted && !index.inUse(entry)) continue
      if (resolved.chain.includes(entry)) {
        this.addProblem(
          new CorruptImageError(`directory cycle: MFT record ${entry} ("${index.nameText[n]}") is listed inside its own descendant, MFT record ${dir}`, this.mftEntryOffset(entry)),
        )
        continue
      }
      const path = prefix + index.nameText[n]
      const fileEntry = this.fileEntry(entry, path, index.nameText[n])
      // a deleted directory may share its name with a live one: only the live one is cached
      if (fileEntry.kind === 'directory' && index.inUse(entry)) this.dirCache.set(path, {chain: [...resolved.chain, entry], path, name: n})
      entries.push(fileEntry)
    }
    if (dir === ROOT_ENTRY) {
      const orphans = this.directoryTree().get(ORPHAN_ENTRY)
      if (orphans?.some((n) => options?.deleted || index.inUse(index.nameEntry[n]))) {
        entries.push(this.orphanDirectoryEntry())
        this.dirCache.set(ORPHAN_DIRECTORY, {chain: [ROOT_ENTRY, ORPHAN_ENTRY], path: ORPHAN_DIRECTORY, name: ORPHAN_ENTRY})
      }
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
    return this.fileEntry(target, resolved.path, resolved.name < 0 ? '' : this.scan().nameText[resolved.name])
  }

  async open(path: string, options?: {stream?: string}): Promise<Readable> {
    return this.openSync(path, options)
  }

  openSync(path: string, options?: {stream?: string}): Readable {
    const resolved = this.resolve(path)
    const target = resolved.chain[resolved.chain.length - 1]
    const streamName = options?.stream ?? ''
    if (target === ORPHAN_ENTRY) throw new FileNotFoundError(path)
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

  private fileEntry(entry: number, path: string, name: string): FileEntry {
    const index = this.scan()
    const reparse = index.reparse.get(entry)
    const isLink = reparse !== undefined && (reparse.tag === REPARSE_TAG_SYMLINK || reparse.tag === REPARSE_TAG_MOUNT_POINT)
    const directory = index.isDirectory(entry)
    const dataSize = index.dataSize[entry]
    const siTimes = index.siTimes[entry]
    const fileNameTimes: NonNullable<FileEntry['fileNameTimes']> = []
    for (let n = index.firstName[entry]; n >= 0; n = index.nameNext[n]) {
      const namespace = index.nameNamespace[n]
      fileNameTimes.push(index.timestamps(index.nameTimes[n], {name: index.nameText[n], namespace: FILE_NAME_NAMESPACES[namespace] ?? String(namespace)}))
    }
    const result: FileEntry = {
      path,
      name,
      kind: isLink ? 'symlink' : directory ? 'directory' : 'file',
      size: directory || dataSize < 0 ? 0 : dataSize,
      times: siTimes >= 0 ? index.timestamps(siTimes, {}) : {},
      fileNameTimes,
      inode: `${entry}-${index.sequence[entry]}`,
    }
    if (!index.inUse(entry)) result.deleted = true
    const streams = index.streams.get(entry)
    if (streams) result.streams = streams.map((s) => ({name: s.name, size: s.size}))
    if (reparse?.target !== undefined) result.linkTarget = reparse.target
    const flags = attributeNames(index.fileAttributes[entry], index.dataFlags[entry], reparse !== undefined)
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
  open(volume: ByteSource): NtfsFileSystem {
    return new NtfsFileSystem(volume)
  },
}
