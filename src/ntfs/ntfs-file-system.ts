import type {Readable} from 'node:stream'
import {Readable as ReadableStream} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError} from '../errors.js'
import type {FileSystemDriver} from '../fs/drivers.js'
import type {FileEntry, FileKind, ListOptions, ReadOnlyFileSystem} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'
import {AttributeData, type NonResidentLayout} from './attribute-data.js'
import {FileTimeTable, summarizeMftEntry, type EntrySummary, type ScannedFileName} from './mft-entry-summary.js'
import {isNtfsBootSector, parseBootSector, type NtfsBootSector} from './boot-sector.js'
import {
  ATTRIBUTE_COMPRESSED,
  ATTRIBUTE_ENCRYPTED,
  ATTRIBUTE_SPARSE,
  AttributeType,
  FILE_NAME_NAMESPACES,
  NAMESPACE_DOS,
  REPARSE_TAG_MOUNT_POINT,
  REPARSE_TAG_SYMLINK,
  applyFixups,
  hasBadSignature,
  hasFileSignature,
  parseAttributeList,
  parseMftRecord,
  type MftAttribute,
} from './mft-record.js'

/** Well-known MFT entries (libfsntfs "The metadata files"). */
const MFT_ENTRY = 0
const VOLUME_ENTRY = 3
const ROOT_ENTRY = 5
const UPCASE_ENTRY = 10

/** MFT entries read per sequential read of the listing pass. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024
/** Problems kept for the examiner; past this only the count grows. */
const MAX_PROBLEMS = 1000
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

/** A name of an entry inside a directory (a hard link is one name among several). */
interface DirectoryLink {
  summary: EntrySummary
  name: string
}

interface ResolvedPath {
  /** The entries from the root to the target (root first). */
  chain: EntrySummary[]
  /** The path as the volume spells it. */
  path: string
  link?: DirectoryLink
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
  private summaries: Array<EntrySummary | undefined> | undefined
  private children: Map<number, DirectoryLink[]> | undefined
  private lookupCache = new Map<number, Map<string, DirectoryLink[]>>()
  /** Directories already listed, by the path as this reader spelled it: a recursive walk resolves nothing twice. */
  private dirCache = new Map<string, ResolvedPath>()
  private upcase: Uint16Array | null | undefined
  private readonly times = new FileTimeTable()

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
    const {mftLcn, clusterSize, mftRecordSize} = this.boot
    const offset = mftLcn * clusterSize
    const raw = Buffer.from(this.volume.read(offset, mftRecordSize))
    if (raw.length < mftRecordSize) throw new CorruptImageError('the image ends inside MFT record 0 ($MFT)', offset + raw.length)
    if (!hasFileSignature(raw, 0)) throw new CorruptImageError('MFT record 0 ($MFT) has no FILE signature', offset)
    applyFixups(raw, 0, mftRecordSize, MFT_ENTRY, offset)
    const record = parseMftRecord(raw, 0, mftRecordSize, MFT_ENTRY, offset)
    const pieces = record.attributes.filter((a) => a.type === AttributeType.data && a.name === '')
    const first = pieces.find((a) => !a.resident && a.startVcn === 0)
    if (!first) throw new CorruptImageError('MFT record 0 ($MFT) has no non-resident $DATA attribute', offset)
    this.mft = this.attributeData(layoutOf([first]), 'MFT record 0 $DATA')
    if (record.attributes.some((a) => a.type === AttributeType.attributeList)) {
      const all = this.loadAttributes(MFT_ENTRY).filter((a) => a.type === AttributeType.data && a.name === '')
      return this.attributeData(layoutOf(all), 'MFT record 0 $DATA')
    }
    return this.attributeData(layoutOf(pieces), 'MFT record 0 $DATA')
  }

  private attributeData(layout: NonResidentLayout, where: string): AttributeData {
    return new AttributeData(this.volume, this.boot.clusterSize, this.boot.clusterCount, layout, where)
  }

  /** Number of MFT entries the table holds. */
  get mftEntryCount(): number {
    return Math.floor(this.mft.layout.initializedSize / this.boot.mftRecordSize)
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

  /** One sequential pass over the whole $MFT, in large reads, summarizing every entry. */
  private scan(): Array<EntrySummary | undefined> {
    if (this.summaries) return this.summaries
    const size = this.boot.mftRecordSize
    const count = this.mftEntryCount
    const summaries: Array<EntrySummary | undefined> = new Array(count)
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
        summaries[entry] = this.summarize(buf, start, entry)
      }
    }
    // fold extension records into their base records
    for (const summary of summaries) {
      if (!summary || summary.baseEntry === 0 || !summary.inUse) continue
      const base = summaries[summary.baseEntry]
      if (!base || base.sequence !== summary.baseSequence) continue
      base.names.push(...summary.names)
      if (base.siTimes < 0) {
        base.siTimes = summary.siTimes
        base.fileAttributes = summary.fileAttributes
      }
      if (base.dataSize < 0 && summary.dataSize >= 0) {
        base.dataSize = summary.dataSize
        base.dataFlags = summary.dataFlags
      }
      if (summary.streams) (base.streams ??= []).push(...summary.streams)
      base.reparse ??= summary.reparse
    }
    this.summaries = summaries
    return summaries
  }

  private summarize(buf: Buffer, start: number, entry: number): EntrySummary | undefined {
    const size = this.boot.mftRecordSize
    if (!hasFileSignature(buf, start)) {
      if (hasBadSignature(buf, start)) this.addProblem(new CorruptImageError(`MFT record ${entry} is marked BAAD`, this.mftEntryOffset(entry)))
      return undefined
    }
    try {
      const offset = this.mftEntryOffset(entry)
      applyFixups(buf, start, size, entry, offset)
      return summarizeMftEntry(buf, start, size, entry, offset, this.times)
    } catch (error) {
      this.addProblem(error)
      return undefined
    }
  }

  /** parent entry -> its names, from the $FILE_NAME parent references of every entry. */
  private directoryTree(): Map<number, DirectoryLink[]> {
    if (this.children) return this.children
    const summaries = this.scan()
    const children = new Map<number, DirectoryLink[]>()
    for (const summary of summaries) {
      if (!summary || summary.baseEntry !== 0 || summary.entry === ROOT_ENTRY || summary.names.length === 0) continue
      // Win32 and POSIX names; a DOS 8.3 name only when the entry has nothing else
      const names = summary.names
      let hasLongName = false
      for (const n of names) if (n.namespace !== NAMESPACE_DOS) hasLongName = true
      for (let i = 0; i < names.length; i++) {
        const fileName = names[i]
        if (hasLongName && fileName.namespace === NAMESPACE_DOS) continue
        if (isRepeatedName(names, i)) continue
        const parent = summaries[fileName.parentEntry]
        if (!parent || !parent.directory || parent.baseEntry !== 0) continue
        // the parent reference must name this parent, not an earlier use of its record;
        // a deleted parent's sequence was incremented when it was freed
        const sequenceMatches =
          fileName.parentSequence === 0 ||
          parent.sequence === fileName.parentSequence ||
          (!parent.inUse && parent.sequence === ((fileName.parentSequence + 1) & 0xffff))
        if (!sequenceMatches) continue
        if (!summary.inUse && parent.inUse && parent.sequence !== fileName.parentSequence && fileName.parentSequence !== 0) continue
        let list = children.get(fileName.parentEntry)
        if (!list) children.set(fileName.parentEntry, (list = []))
        list.push({summary, name: fileName.name})
      }
    }
    // name order (code units), as a listing is read
    for (const list of children.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.children = children
    return children
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

  private lookup(parent: number, segment: string): DirectoryLink | undefined {
    const links = this.directoryTree().get(parent)
    if (!links) return undefined
    let index = this.lookupCache.get(parent)
    if (!index) {
      index = new Map()
      for (const link of links) {
        const key = this.upcaseName(link.name)
        const same = index.get(key)
        if (same) same.push(link)
        else index.set(key, [link])
      }
      this.lookupCache.set(parent, index)
    }
    const candidates = index.get(this.upcaseName(segment))
    if (!candidates) return undefined
    // exact spelling first, then allocated before deleted
    return (
      candidates.find((l) => l.name === segment && l.summary.inUse) ??
      candidates.find((l) => l.summary.inUse) ??
      candidates.find((l) => l.name === segment) ??
      candidates[0]
    )
  }

  private resolve(path: string): ResolvedPath {
    const summaries = this.scan()
    const root = summaries[ROOT_ENTRY]
    if (!root) throw new CorruptImageError('the root directory (MFT record 5) is unreadable', this.mftEntryOffset(ROOT_ENTRY))
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    const chain: EntrySummary[] = [root]
    const spelled: string[] = []
    let link: DirectoryLink | undefined
    for (const segment of segments) {
      const current = chain[chain.length - 1]
      link = this.lookup(current.entry, segment)
      if (!link) throw new FileNotFoundError(path)
      chain.push(link.summary)
      spelled.push(link.name)
    }
    return {chain, path: spelled.join('/'), link}
  }

  // ---------------------------------------------------------------- ReadOnlyFileSystem

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    return this.listSync(dirPath, options)
  }

  /** The children of a directory, synchronously (the listing pass runs on first use). */
  listSync(dirPath: string, options?: ListOptions): FileEntry[] {
    const resolved = this.dirCache.get(dirPath) ?? this.resolve(dirPath)
    const dir = resolved.chain[resolved.chain.length - 1]
    if (!dir.directory) throw new FileNotFoundError(dirPath)
    if (resolved.chain.length > MAX_DEPTH) {
      this.addProblem(new CorruptImageError(`directory cycle: ${resolved.chain.length} levels below the root at MFT record ${dir.entry}`))
      return []
    }
    const ancestors = new Set(resolved.chain.map((s) => s.entry))
    const links = this.directoryTree().get(dir.entry) ?? []
    const entries: FileEntry[] = []
    for (const link of links) {
      if (!link.summary.inUse && !options?.deleted) continue
      if (ancestors.has(link.summary.entry)) {
        this.addProblem(
          new CorruptImageError(`directory cycle: MFT record ${link.summary.entry} ("${link.name}") is listed inside its own descendant, MFT record ${dir.entry}`, this.mftEntryOffset(link.summary.entry)),
        )
        continue
      }
      const path = resolved.path === '' ? link.name : `${resolved.path}/${link.name}`
      const entry = this.fileEntry(link.summary, path, link.name)
      if (link.summary.directory && entry.kind === 'directory') this.dirCache.set(path, {chain: [...resolved.chain, link.summary], path, link})
      entries.push(entry)
    }
    return entries
  }

  async stat(path: string): Promise<FileEntry> {
    const resolved = this.resolve(path)
    const target = resolved.chain[resolved.chain.length - 1]
    return this.fileEntry(target, resolved.path, resolved.link?.name ?? '')
  }

  async open(path: string, options?: {stream?: string}): Promise<Readable> {
    return this.openSync(path, options)
  }

  openSync(path: string, options?: {stream?: string}): Readable {
    const resolved = this.resolve(path)
    const target = resolved.chain[resolved.chain.length - 1]
    const streamName = options?.stream ?? ''
    const attributes = this.loadAttributes(target.entry)
    let pieces = attributes.filter((a) => a.type === AttributeType.data && a.name === streamName)
    if (pieces.length === 0 && streamName !== '') {
      const folded = this.upcaseName(streamName)
      const match = attributes.find((a) => a.type === AttributeType.data && a.name !== '' && this.upcaseName(a.name) === folded)
      if (match) pieces = attributes.filter((a) => a.type === AttributeType.data && a.name === match.name)
    }
    if (pieces.length === 0) throw new FileNotFoundError(streamName ? `${path}:${streamName}` : path)
    const where = `MFT record ${target.entry} $DATA${streamName ? ` "${streamName}"` : ''}`
    const resident = pieces.find((a) => a.resident)
    if (resident) return ReadableStream.from([resident.value ?? Buffer.alloc(0)], {objectMode: false})
    if ((pieces[0].flags & ATTRIBUTE_ENCRYPTED) !== 0) {
      throw new UnsupportedFormatError(`${where}: the stream is EFS-encrypted; trawl does not decrypt it`)
    }
    return this.attributeData(layoutOf(pieces), where).stream()
  }

  /** Reads a whole attribute value (resident or not) into memory: for small metadata only. */
  private readAttributeValue(pieces: MftAttribute[], where: string): Buffer {
    if (pieces.length === 0) throw new CorruptImageError(`${where}: attribute missing`)
    const resident = pieces.find((a) => a.resident)
    if (resident) return resident.value ?? Buffer.alloc(0)
    const data = this.attributeData(layoutOf(pieces), where)
    return data.read(0, data.size)
  }

  async close(): Promise<void> {
    // the byte source belongs to whoever opened it
  }

  // ---------------------------------------------------------------- entries

  private fileEntry(summary: EntrySummary, path: string, name: string): FileEntry {
    const reparse = summary.reparse
    const isLink = reparse !== undefined && (reparse.tag === REPARSE_TAG_SYMLINK || reparse.tag === REPARSE_TAG_MOUNT_POINT)
    const kind: FileKind = isLink ? 'symlink' : summary.directory ? 'directory' : 'file'
    const entry: FileEntry = {
      path,
      name,
      kind,
      size: summary.directory || summary.dataSize < 0 ? 0 : summary.dataSize,
      times: summary.siTimes >= 0 ? this.times.timestamps(summary.siTimes, {}) : {},
      fileNameTimes: summary.names.map((n) => this.times.timestamps(n.times, {name: n.name, namespace: FILE_NAME_NAMESPACES[n.namespace] ?? String(n.namespace)})),
      inode: `${summary.entry}-${summary.sequence}`,
    }
    if (!summary.inUse) entry.deleted = true
    if (summary.streams) entry.streams = summary.streams.map((s) => ({name: s.name, size: s.size}))
    if (reparse?.target !== undefined) entry.linkTarget = reparse.target
    const flags = attributeNames(summary.fileAttributes, summary.dataFlags, reparse !== undefined)
    if (flags.length > 0) entry.attributes = flags.slice()
    return entry
  }
}


/** True if names[i] repeats an earlier name of the same entry in the same directory. */
function isRepeatedName(names: ScannedFileName[], i: number): boolean {
  for (let j = 0; j < i; j++) {
    if (names[j].parentEntry === names[i].parentEntry && names[j].name === names[i].name) return true
  }
  return false
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
