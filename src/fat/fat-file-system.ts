import {Readable} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError} from '../errors.js'
import type {FileSystemDriver} from '../fs/drivers.js'
import type {FileEntry, ListOptions, ReadOnlyFileSystem, Timestamps} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'
import {fatKind} from '../volume/fs-sniff.js'
import {parseBootSector, type FatBootSector} from './boot-sector.js'
import {ATTR, parseDirectory, type FatDirectoryEntry} from './directory.js'

const ROOT_INODE = 2
/** The specification caps a directory at 65536 entries (2 MiB). */
const MAX_DIRECTORY_BYTES = 65536 * 32
const READ_CHUNK = 1024 * 1024
const MAX_PROBLEMS = 1000
const MAX_DEPTH = 2048
const MAX_CACHED_DIRECTORIES = 4096

/** The note every FAT volume carries: its times have no zone. */
export const FAT_LOCAL_TIME_NOTE = 'FAT times are the local time of the machine that wrote them, with no time zone: given without "Z", not converted to UTC'

interface Resolved {
  path: string
  /** undefined: the root directory */
  entry?: FatDirectoryEntry
}

/**
 * A read-only FAT12/16/32 volume. Cluster chains come from FAT 1 (or the FAT32 active
 * FAT when mirroring is off); a FAT 2 that disagrees is noted, not used. A chain that
 * loops, leaves the data area or ends early is a CorruptImageError naming the file and
 * cluster. Entry numbers ("inodes") are The Sleuth Kit's: the position of the short
 * entry in the volume, the root being 2. Deleted entries (first byte 0xE5) are listed
 * with `deleted`, their first character shown as '_' as fls does; their content is not
 * read (FAT frees the chain on deletion and trawl does not guess where it was).
 */
export class FatFileSystem implements ReadOnlyFileSystem {
  readonly kind: string
  readonly boot: FatBootSector
  readonly serial?: string
  readonly label?: string
  readonly notes: string[] = [FAT_LOCAL_TIME_NOTE]
  readonly problems: TrawlError[] = []
  problemCount = 0

  private readonly fat: Buffer
  private readonly directories = new Map<number, FatDirectoryEntry[]>()
  private readonly firstDataSector: number

  constructor(private readonly volume: ByteSource) {
    this.boot = parseBootSector(volume.read(0, 512))
    const boot = this.boot
    this.kind = boot.type
    if (boot.serial) this.serial = boot.serial
    const used = boot.activeFat ?? 0
    if (used >= boot.fatCount) throw new CorruptImageError(`FAT32 BPB: active FAT ${used + 1} of ${boot.fatCount}`, 40)
    const fatBytes = Math.min(boot.fatSectors * boot.bytesPerSector, Math.ceil(((boot.clusterCount + 2) * this.entryBits) / 8))
    this.fat = volume.read(boot.fatOffset(used), fatBytes)
    if (this.fat.length < fatBytes) throw new CorruptImageError(`FAT ${used + 1} runs past the end of the image`, boot.fatOffset(used) + this.fat.length)
    // TSK numbers directory entries from the first sector after the FATs
    this.firstDataSector = boot.reservedSectors + boot.fatCount * boot.fatSectors
    if (boot.activeFat !== undefined) this.notes.push(`FAT mirroring is off: FAT ${used + 1} is the active one and is used`)
    else if (boot.fatCount > 1) this.compareSecondFat(fatBytes)
    const root = this.safeRootEntries()
    this.label = root.label ?? boot.label
  }

  private get entryBits(): number {
    return this.boot.type === 'fat12' ? 12 : this.boot.type === 'fat16' ? 16 : 32
  }

  private compareSecondFat(bytes: number): void {
    const second = this.volume.read(this.boot.fatOffset(1), bytes)
    if (second.length < bytes) {
      this.notes.push('FAT 2 runs past the end of the image: FAT 1 used')
      return
    }
    if (second.equals(this.fat)) return
    let differing = 0
    for (let cluster = 2; cluster < this.boot.clusterCount + 2; cluster++) if (this.entry(cluster, this.fat) !== this.entry(cluster, second)) differing++
    if (differing > 0) this.notes.push(`FAT 2 disagrees with FAT 1 in ${differing} cluster entries: FAT 1 used`)
  }

  /** The FAT entry of `cluster` (FAT32: the low 28 bits). */
  private entry(cluster: number, fat = this.fat): number {
    if (this.boot.type === 'fat12') {
      const at = cluster + (cluster >> 1)
      const pair = fat.readUInt16LE(at)
      return cluster & 1 ? pair >> 4 : pair & 0xfff
    }
    if (this.boot.type === 'fat16') return fat.readUInt16LE(cluster * 2)
    return fat.readUInt32LE(cluster * 4) & 0x0fffffff
  }

  private get endOfChain(): number {
    return this.boot.type === 'fat12' ? 0xff8 : this.boot.type === 'fat16' ? 0xfff8 : 0x0ffffff8
  }

  /**
   * The clusters of a chain from `first`, at most `limit` of them. Typed errors for a
   * loop, a link out of the data area, a free or bad cluster inside the chain.
   */
  chain(first: number, limit: number, where: string): number[] {
    const clusters: number[] = []
    const seen = new Set<number>()
    const last = this.boot.clusterCount + 1
    let cluster = first
    while (clusters.length < limit) {
      if (cluster < 2 || cluster > last) throw new CorruptImageError(`${where}: cluster chain links to cluster ${cluster}, outside the data area (2-${last})`)
      if (seen.has(cluster)) throw new CorruptImageError(`${where}: cluster chain loops back to cluster ${cluster} after ${clusters.length} clusters`)
      seen.add(cluster)
      clusters.push(cluster)
      const next = this.entry(cluster)
      if (next >= this.endOfChain) break
      if (next === this.endOfChain - 1) throw new CorruptImageError(`${where}: cluster ${cluster} is marked bad inside the chain`)
      if (next === 0) throw new CorruptImageError(`${where}: cluster ${cluster} links to a free cluster`)
      cluster = next
    }
    return clusters
  }

  private clusterOffset(cluster: number): number {
    return this.boot.dataOffset + (cluster - 2) * this.boot.clusterSize
  }

  private addProblem(error: unknown): void {
    this.problemCount++
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(error instanceof TrawlError ? error : new CorruptImageError(String(error)))
  }

  /** TSK's entry number for a short entry at this volume offset. */
  private inodeOf(offset: number): number {
    const bps = this.boot.bytesPerSector
    return (Math.floor(offset / bps) - this.firstDataSector) * (bps / 32) + 3 + Math.floor((offset % bps) / 32)
  }

  // ---------------------------------------------------------------- directories

  private safeRootEntries(): {label?: string} {
    try {
      return this.readDirectory(undefined)
    } catch (error) {
      this.addProblem(error)
      return {}
    }
  }

  private readDirectory(dir: FatDirectoryEntry | undefined): {entries: FatDirectoryEntry[]; label?: string} {
    const boot = this.boot
    const pieces: Array<{bytes: Buffer; offset: number}> = []
    if (!dir && boot.type !== 'fat32') {
      const bytes = this.volume.read(boot.rootDirOffset, boot.rootDirSize)
      if (bytes.length < boot.rootDirSize) throw new CorruptImageError('FAT root directory runs past the end of the image', boot.rootDirOffset + bytes.length)
      pieces.push({bytes, offset: boot.rootDirOffset})
    } else {
      const first = dir ? dir.firstCluster : boot.rootCluster
      const where = dir ? `FAT directory "${dir.name}"` : 'FAT32 root directory'
      if (dir && first === 0) return {entries: []}
      const limit = Math.ceil(MAX_DIRECTORY_BYTES / boot.clusterSize)
      for (const cluster of this.chain(first, limit + 1, where)) {
        if (pieces.length === limit) throw new CorruptImageError(`${where}: longer than the 65536 entries a directory may hold`)
        const offset = this.clusterOffset(cluster)
        const bytes = this.volume.read(offset, boot.clusterSize)
        if (bytes.length < boot.clusterSize) throw new CorruptImageError(`${where}: cluster ${cluster} is beyond the image`, offset + bytes.length)
        pieces.push({bytes, offset})
      }
    }
    return parseDirectory(pieces)
  }

  private entriesOf(dir: FatDirectoryEntry | undefined): FatDirectoryEntry[] {
    const key = dir ? dir.offset : -1
    const cached = this.directories.get(key)
    if (cached) return cached
    const {entries} = this.readDirectory(dir)
    if (this.directories.size >= MAX_CACHED_DIRECTORIES) this.directories.delete(this.directories.keys().next().value as number)
    this.directories.set(key, entries)
    return entries
  }

  private resolve(path: string): Resolved {
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    if (segments.length > MAX_DEPTH) throw new CorruptImageError(`path of ${segments.length} levels: deeper than any directory tree trawl reads`)
    let current: FatDirectoryEntry | undefined
    const spelled: string[] = []
    for (const segment of segments) {
      if (current && !(current.attributes & ATTR.directory)) throw new FileNotFoundError(path)
      const folded = segment.toUpperCase()
      const entries = this.entriesOf(current)
      // FAT names are case-insensitive; the long name first, then the 8.3 alias; live before deleted
      const step =
        entries.find((e) => !e.deleted && e.name.toUpperCase() === folded) ??
        entries.find((e) => !e.deleted && e.shortName.toUpperCase() === folded) ??
        entries.find((e) => e.deleted && e.name.toUpperCase() === folded)
      if (!step) throw new FileNotFoundError(path)
      current = step
      spelled.push(step.name)
    }
    return {path: spelled.join('/'), ...(current ? {entry: current} : {})}
  }

  private fileEntry(path: string, entry: FatDirectoryEntry): FileEntry {
    const directory = (entry.attributes & ATTR.directory) !== 0
    const times: Timestamps = {}
    if (entry.modified) times.modified = entry.modified
    if (entry.accessed) times.accessed = entry.accessed
    if (entry.created) times.created = entry.created
    const result: FileEntry = {path, name: entry.name, kind: directory ? 'directory' : 'file', size: directory ? 0 : entry.size, times, inode: String(this.inodeOf(entry.offset))}
    if (entry.deleted) result.deleted = true
    const attributes: string[] = ['local-time']
    if (entry.attributes & ATTR.readOnly) attributes.push('read-only')
    if (entry.attributes & ATTR.hidden) attributes.push('hidden')
    if (entry.attributes & ATTR.system) attributes.push('system')
    if (entry.attributes & ATTR.archive) attributes.push('archive')
    if (entry.longName !== undefined && entry.longName !== entry.shortName) attributes.push(`short-name:${entry.shortName}`)
    if (entry.orphanedLongName) attributes.push('long-name-checksum-mismatch')
    result.attributes = attributes
    return result
  }

  // ---------------------------------------------------------------- ReadOnlyFileSystem

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    return this.listSync(dirPath, options)
  }

  listSync(dirPath: string, options?: ListOptions): FileEntry[] {
    const resolved = this.resolve(dirPath)
    if (resolved.entry && !(resolved.entry.attributes & ATTR.directory)) throw new FileNotFoundError(dirPath)
    if (resolved.entry?.deleted) return [] // a deleted directory's chain is freed: nothing to follow
    const prefix = resolved.path === '' ? '' : `${resolved.path}/`
    const out: FileEntry[] = []
    for (const entry of this.entriesOf(resolved.entry)) {
      if (entry.deleted && !options?.deleted) continue
      out.push(this.fileEntry(prefix + entry.name, entry))
    }
    return out
  }

  /** The directory entry a path names (first cluster, raw attributes), undefined for the root. */
  directoryEntry(path: string): FatDirectoryEntry | undefined {
    return this.resolve(path).entry
  }

  async stat(path: string): Promise<FileEntry> {
    const resolved = this.resolve(path)
    if (!resolved.entry) return {path: '', name: '', kind: 'directory', size: 0, times: {}, inode: String(ROOT_INODE)}
    return this.fileEntry(resolved.path, resolved.entry)
  }

  async open(path: string): Promise<Readable> {
    return this.openSync(path)
  }

  openSync(path: string): Readable {
    const {entry} = this.resolve(path)
    if (!entry || entry.attributes & ATTR.directory) throw new FileNotFoundError(path)
    if (entry.deleted) throw new UnsupportedFormatError(`${path}: deleted FAT entry; its cluster chain was freed and trawl does not guess where its content was`)
    if (entry.size === 0) return Readable.from([], {objectMode: false})
    const needed = Math.ceil(entry.size / this.boot.clusterSize)
    const clusters = this.chain(entry.firstCluster, needed, `FAT file "${path}"`)
    if (clusters.length < needed) throw new CorruptImageError(`FAT file "${path}": ${entry.size} bytes need ${needed} clusters, the chain ends after ${clusters.length}`)
    return Readable.from(this.chunks(clusters, entry.size, path), {objectMode: false})
  }

  private *chunks(clusters: number[], size: number, path: string): Generator<Buffer> {
    const cs = this.boot.clusterSize
    let remaining = size
    let i = 0
    while (i < clusters.length && remaining > 0) {
      // consecutive clusters in one read
      let j = i + 1
      while (j < clusters.length && clusters[j] === clusters[j - 1] + 1 && (j - i) * cs < READ_CHUNK) j++
      const n = Math.min((j - i) * cs, remaining)
      const offset = this.clusterOffset(clusters[i])
      const bytes = this.volume.read(offset, n)
      if (bytes.length < n) throw new CorruptImageError(`FAT file "${path}": cluster ${clusters[i]} is beyond the image`, offset + bytes.length)
      yield bytes
      remaining -= n
      i = j
    }
  }

  async close(): Promise<void> {
    // the byte source belongs to whoever opened it
  }
}

/** The FAT12/16/32 driver: a boot sector whose BPB holds together (the same test fs-sniff names FAT by). */
export const fatDriver: FileSystemDriver = {
  name: 'fat',
  detect(volume: ByteSource): boolean {
    return fatKind(volume.read(0, 512)) !== undefined
  },
  open(volume: ByteSource): FatFileSystem {
    return new FatFileSystem(volume)
  },
}
