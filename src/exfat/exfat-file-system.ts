import {Readable} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError} from '../errors.js'
import type {FileSystemDriver} from '../fs/drivers.js'
import type {FileEntry, ListOptions, ReadOnlyFileSystem, Timestamps} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'

/**
 * A read-only exFAT volume (Microsoft "exFAT file system specification"): the main boot
 * region and its checksum, the FAT and NoFatChain contiguous streams, the allocation
 * bitmap and up-case table found in the root directory, and file directory entry sets
 * (file, stream extension, file names) with their set checksums.
 *
 * Times: each timestamp has 2-second resolution, a 10 ms increment (create and modify)
 * and a UTC offset in 15-minute steps. With a valid offset the time is converted to UTC
 * ('Z'); without one it is a zone-less local time, given without 'Z' (as on FAT).
 * Entry numbers are The Sleuth Kit's (the position of the file entry from the cluster
 * heap, 32 bytes each, plus 3; the root is 2). Deleted entry sets (in-use bit clear)
 * are listed with `deleted`, not read.
 */

const MAX_PROBLEMS = 1000
const MAX_DEPTH = 2048
/** The specification caps a directory at 256 MiB. */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024
const READ_CHUNK = 1024 * 1024
const ROOT_INODE = 2

export interface ExfatBoot {
  bytesPerSector: number
  clusterSize: number
  volumeSectors: number
  fatOffset: number
  fatLength: number
  clusterHeapOffset: number
  clusterCount: number
  rootCluster: number
  serial: string
  revision: string
  activeFat: number
  dirty: boolean
  fatCount: number
}

/** The boot-region checksum (specification 3.4): over sectors 0-10, skipping VolumeFlags and PercentInUse. */
export function bootChecksum(region: Buffer, bytesPerSector: number): number {
  let sum = 0
  for (let i = 0; i < bytesPerSector * 11; i++) {
    if (i === 106 || i === 107 || i === 112) continue
    sum = ((sum & 1 ? 0x80000000 : 0) + (sum >>> 1) + region[i]) >>> 0
  }
  return sum
}

export function parseExfatBoot(boot: Buffer): ExfatBoot {
  if (boot.length < 512 || boot.toString('latin1', 3, 11) !== 'EXFAT   ') throw new CorruptImageError('exFAT boot sector: no "EXFAT   " name', 3)
  if (boot.readUInt16LE(510) !== 0xaa55) throw new CorruptImageError('exFAT boot sector: no 0xAA55 signature', 510)
  const bytesShift = boot[108]
  const clusterShift = boot[109]
  if (bytesShift < 9 || bytesShift > 12) throw new CorruptImageError(`exFAT boot sector: BytesPerSectorShift ${bytesShift}`, 108)
  if (clusterShift > 25 - bytesShift) throw new CorruptImageError(`exFAT boot sector: SectorsPerClusterShift ${clusterShift}`, 109)
  const bytesPerSector = 1 << bytesShift
  const volumeSectors = Number(boot.readBigUInt64LE(72))
  const fatOffset = boot.readUInt32LE(80)
  const fatLength = boot.readUInt32LE(84)
  const clusterHeapOffset = boot.readUInt32LE(88)
  const clusterCount = boot.readUInt32LE(92)
  const rootCluster = boot.readUInt32LE(96)
  const fatCount = boot[110]
  if (fatCount !== 1 && fatCount !== 2) throw new CorruptImageError(`exFAT boot sector: ${fatCount} FATs`, 110)
  if (fatOffset < 24 || fatLength * bytesPerSector < (clusterCount + 2) * 4) throw new CorruptImageError(`exFAT boot sector: FAT at sector ${fatOffset} of ${fatLength} sectors cannot map ${clusterCount} clusters`, 80)
  if (clusterHeapOffset < fatOffset + fatLength * fatCount) throw new CorruptImageError(`exFAT boot sector: cluster heap at sector ${clusterHeapOffset} overlaps the FAT`, 88)
  if (rootCluster < 2 || rootCluster > clusterCount + 1) throw new CorruptImageError(`exFAT boot sector: root directory cluster ${rootCluster} outside the heap`, 96)
  const flags = boot.readUInt16LE(106)
  const serialHex = boot.readUInt32LE(100).toString(16).toUpperCase().padStart(8, '0')
  return {
    bytesPerSector,
    clusterSize: bytesPerSector << clusterShift,
    volumeSectors,
    fatOffset,
    fatLength,
    clusterHeapOffset,
    clusterCount,
    rootCluster,
    serial: `${serialHex.slice(0, 4)}-${serialHex.slice(4)}`,
    revision: `${boot[105]}.${String(boot[104]).padStart(2, '0')}`,
    activeFat: fatCount === 2 ? flags & 1 : 0,
    dirty: (flags & 2) !== 0,
    fatCount,
  }
}

/**
 * An exFAT timestamp (specification 7.4.8) with its 10 ms increment and UTC offset:
 * UTC with 'Z' when the offset is valid, else local time without 'Z'.
 */
export function exfatTime(stamp: number, increment: number, utcOffset: number): string | undefined {
  if (stamp === 0) return undefined
  const year = 1980 + (stamp >>> 25)
  const month = (stamp >>> 21) & 0xf
  const day = (stamp >>> 16) & 0x1f
  const hour = (stamp >>> 11) & 0x1f
  const minute = (stamp >>> 5) & 0x3f
  const doubleSeconds = stamp & 0x1f
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || doubleSeconds > 29) return undefined
  const inc = increment <= 199 ? increment : 0
  const millis = Date.UTC(year, month - 1, day, hour, minute, doubleSeconds * 2) + inc * 10
  if (utcOffset & 0x80) {
    // 7-bit signed count of 15-minute steps east of UTC
    const steps = utcOffset & 0x40 ? (utcOffset & 0x7f) - 0x80 : utcOffset & 0x7f
    const utc = new Date(millis - steps * 15 * 60_000).toISOString() // e.g. 2021-03-04T05:06:07.120Z
    return `${utc.slice(0, 19)}.${utc.slice(20, 22)}Z`
  }
  const local = new Date(millis).toISOString()
  return `${local.slice(0, 19)}.${local.slice(20, 22)}`
}

/** The 16-bit checksum of an entry set, skipping the SetChecksum field itself (specification 6.3.3). */
export function entrySetChecksum(set: Buffer): number {
  let sum = 0
  for (let i = 0; i < set.length; i++) {
    if (i === 2 || i === 3) continue
    sum = ((sum & 1 ? 0x8000 : 0) + (sum >>> 1) + set[i]) & 0xffff
  }
  return sum
}

export interface ExfatEntry {
  name: string
  attributes: number
  directory: boolean
  firstCluster: number
  size: number
  validSize: number
  noFatChain: boolean
  times: Timestamps
  deleted: boolean
  /** Volume offset of the file entry. */
  offset: number
}

/** Critical primary entries of a directory besides file sets: bitmap, up-case table, label. */
export interface ExfatDirectory {
  entries: ExfatEntry[]
  label?: string
  bitmap?: {firstCluster: number; size: number}
  upcase?: {firstCluster: number; size: number; checksum: number}
  damage: string[]
}

/** Parses the entries of a directory (its bytes, and the volume offset of each byte via `offsetOf`). */
export function parseExfatDirectory(data: Buffer, offsetOf: (position: number) => number): ExfatDirectory {
  const out: ExfatDirectory = {entries: [], damage: []}
  let p = 0
  while (p + 32 <= data.length) {
    const type = data[p]
    if (type === 0x00) break // end of directory
    if (type === 0x81) out.bitmap ??= {firstCluster: data.readUInt32LE(p + 20), size: Number(data.readBigUInt64LE(p + 24))}
    else if (type === 0x82) out.upcase = {firstCluster: data.readUInt32LE(p + 20), size: Number(data.readBigUInt64LE(p + 24)), checksum: data.readUInt32LE(p + 4)}
    else if (type === 0x83) out.label = data.toString('utf16le', p + 2, p + 2 + Math.min(11, data[p + 1]) * 2)
    else if (type === 0x85 || type === 0x05) {
      const deleted = type === 0x05
      const secondaries = data[p + 1]
      const end = p + 32 * (secondaries + 1)
      if (secondaries < 2 || end > data.length) {
        if (!deleted) out.damage.push(`file entry set at byte ${p} claims ${secondaries} secondary entries`)
        p += 32
        continue
      }
      const set = data.subarray(p, end)
      const streamType = set[32]
      if (streamType !== (deleted ? 0x40 : 0xc0)) {
        if (!deleted) out.damage.push(`file entry set at byte ${p}: its second entry is not a stream extension`)
        p += 32
        continue
      }
      if (!deleted && entrySetChecksum(set) !== set.readUInt16LE(2)) {
        out.damage.push(`file entry set at byte ${p}: set checksum 0x${set.readUInt16LE(2).toString(16)} does not match its entries`)
        p = end
        continue
      }
      const nameLength = set[32 + 3]
      let name = ''
      for (let i = 2; i <= secondaries && name.length < nameLength; i++) {
        const q = i * 32
        if ((set[q] & 0x7f) !== 0x41) break
        name += set.toString('utf16le', q + 2, q + 32)
      }
      name = name.slice(0, nameLength)
      const attributes = set.readUInt16LE(4)
      const times: Timestamps = {}
      const created = exfatTime(set.readUInt32LE(8), set[20], set[22])
      const modified = exfatTime(set.readUInt32LE(12), set[21], set[23])
      const accessed = exfatTime(set.readUInt32LE(16), 0, set[24])
      if (modified) times.modified = modified
      if (accessed) times.accessed = accessed
      if (created) times.created = created
      out.entries.push({
        name,
        attributes,
        directory: (attributes & 0x10) !== 0,
        firstCluster: set.readUInt32LE(32 + 20),
        size: Number(set.readBigUInt64LE(32 + 24)),
        validSize: Number(set.readBigUInt64LE(32 + 8)),
        noFatChain: (set[32 + 1] & 2) !== 0,
        times,
        deleted,
        offset: offsetOf(p),
      })
      p = end
      continue
    }
    p += 32
  }
  return out
}

export class ExfatFileSystem implements ReadOnlyFileSystem {
  readonly kind = 'exfat'
  readonly boot: ExfatBoot
  readonly serial: string
  readonly label?: string
  readonly notes: string[] = []
  readonly problems: TrawlError[] = []
  problemCount = 0
  private readonly fat: Buffer
  private readonly directories = new Map<number, ExfatEntry[]>()

  constructor(private readonly volume: ByteSource) {
    const region = volume.read(0, 512 * 12)
    this.boot = parseExfatBoot(region)
    const boot = this.boot
    const main = volume.read(0, boot.bytesPerSector * 12)
    if (main.length < boot.bytesPerSector * 12) throw new CorruptImageError('exFAT boot region: the image ends inside it', main.length)
    const sum = bootChecksum(main, boot.bytesPerSector)
    const stored = main.readUInt32LE(boot.bytesPerSector * 11)
    if (sum !== stored) this.notes.push(`exFAT boot region checksum 0x${stored.toString(16)} does not match its sectors (0x${sum.toString(16)}): read anyway`)
    if (boot.dirty) this.notes.push('the volume is marked dirty (not cleanly unmounted)')
    this.serial = boot.serial
    const fatStart = (boot.fatOffset + boot.activeFat * boot.fatLength) * boot.bytesPerSector
    this.fat = volume.read(fatStart, (boot.clusterCount + 2) * 4)
    if (this.fat.length < (boot.clusterCount + 2) * 4) throw new CorruptImageError('exFAT FAT runs past the end of the image', fatStart + this.fat.length)
    const root = this.readRoot()
    if (root.label) this.label = root.label
  }

  private readRoot(): ExfatDirectory {
    const data = this.chainData(this.boot.rootCluster, false, undefined, 'exFAT root directory', true)
    const root = parseExfatDirectory(data.bytes, data.offsetOf)
    if (!root.bitmap) this.addProblem(new CorruptImageError('exFAT root directory: no allocation bitmap entry'))
    else if (root.bitmap.size * 8 < this.boot.clusterCount) this.addProblem(new CorruptImageError(`exFAT allocation bitmap of ${root.bitmap.size} bytes cannot cover ${this.boot.clusterCount} clusters`))
    if (!root.upcase) this.addProblem(new CorruptImageError('exFAT root directory: no up-case table entry'))
    else this.checkUpcase(root.upcase)
    for (const d of root.damage) this.addProblem(new CorruptImageError(`exFAT root directory: ${d}`))
    this.directories.set(-1, root.entries)
    return root
  }

  /** The up-case table's checksum (specification 7.2.2); names are compared with toUpperCase either way. */
  private checkUpcase(upcase: {firstCluster: number; size: number; checksum: number}): void {
    try {
      const bytes = this.chainData(upcase.firstCluster, false, upcase.size, 'exFAT up-case table', false).bytes.subarray(0, upcase.size)
      let sum = 0
      for (const byte of bytes) sum = ((sum & 1 ? 0x80000000 : 0) + (sum >>> 1) + byte) >>> 0
      if (sum !== upcase.checksum) this.addProblem(new CorruptImageError(`exFAT up-case table checksum 0x${sum.toString(16)}, its entry says 0x${upcase.checksum.toString(16)}`))
    } catch (error) {
      this.addProblem(error)
    }
  }

  private addProblem(error: unknown): void {
    this.problemCount++
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(error instanceof TrawlError ? error : new CorruptImageError(String(error)))
  }

  private clusterOffset(cluster: number): number {
    return this.boot.clusterHeapOffset * this.boot.bytesPerSector + (cluster - 2) * this.boot.clusterSize
  }

  /** The clusters of a stream: contiguous with NoFatChain, else its FAT chain (typed errors for loops and bad links). */
  clusters(first: number, noFatChain: boolean, size: number | undefined, where: string): number[] {
    const last = this.boot.clusterCount + 1
    const needed = size === undefined ? Infinity : Math.ceil(size / this.boot.clusterSize)
    if (needed === 0) return []
    if (first < 2 || first > last) throw new CorruptImageError(`${where}: first cluster ${first} is outside the cluster heap (2-${last})`)
    if (noFatChain) {
      if (first + needed - 1 > last) throw new CorruptImageError(`${where}: ${needed} contiguous clusters from ${first} run past the cluster heap`)
      return Array.from({length: needed}, (_, i) => first + i)
    }
    const out: number[] = []
    const seen = new Set<number>()
    let cluster = first
    const limit = Math.min(needed, this.boot.clusterCount)
    while (out.length < limit) {
      if (cluster < 2 || cluster > last) throw new CorruptImageError(`${where}: cluster chain links to cluster ${cluster}, outside the cluster heap`)
      if (seen.has(cluster)) throw new CorruptImageError(`${where}: cluster chain loops back to cluster ${cluster} after ${out.length} clusters`)
      seen.add(cluster)
      out.push(cluster)
      const next = this.fat.readUInt32LE(cluster * 4)
      if (next === 0xffffffff) break
      if (next === 0xfffffff7) throw new CorruptImageError(`${where}: cluster ${cluster} is marked bad inside the chain`)
      cluster = next
    }
    if (size !== undefined && out.length < needed) throw new CorruptImageError(`${where}: ${size} bytes need ${needed} clusters, the chain ends after ${out.length}`)
    return out
  }

  private chainData(first: number, noFatChain: boolean, size: number | undefined, where: string, directory: boolean): {bytes: Buffer; offsetOf: (p: number) => number} {
    const cs = this.boot.clusterSize
    const clusters = this.clusters(first, noFatChain, size, where)
    if (directory && clusters.length * cs > MAX_DIRECTORY_BYTES) throw new CorruptImageError(`${where}: larger than the 256 MiB a directory may hold`)
    const pieces = clusters.map((c) => {
      const bytes = this.volume.read(this.clusterOffset(c), cs)
      if (bytes.length < cs) throw new CorruptImageError(`${where}: cluster ${c} is beyond the image`, this.clusterOffset(c))
      return bytes
    })
    return {bytes: Buffer.concat(pieces), offsetOf: (p) => this.clusterOffset(clusters[Math.floor(p / cs)]) + (p % cs)}
  }

  private entriesOf(dir: ExfatEntry | undefined): ExfatEntry[] {
    const key = dir ? dir.offset : -1
    const cached = this.directories.get(key)
    if (cached) return cached
    const where = `exFAT directory "${dir!.name}"`
    const data = this.chainData(dir!.firstCluster, dir!.noFatChain, dir!.size, where, true)
    const parsed = parseExfatDirectory(data.bytes, data.offsetOf)
    for (const d of parsed.damage) this.addProblem(new CorruptImageError(`${where}: ${d}`))
    if (this.directories.size > 4096) this.directories.clear()
    this.directories.set(key, parsed.entries)
    return parsed.entries
  }

  private inodeOf(offset: number): number {
    const bps = this.boot.bytesPerSector
    return (Math.floor(offset / bps) - this.boot.clusterHeapOffset) * (bps / 32) + 3 + Math.floor((offset % bps) / 32)
  }

  private resolve(path: string): {path: string; entry?: ExfatEntry} {
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    if (segments.length > MAX_DEPTH) throw new CorruptImageError(`path of ${segments.length} levels: deeper than any directory tree trawl reads`)
    let current: ExfatEntry | undefined
    const spelled: string[] = []
    for (const segment of segments) {
      if (current && !current.directory) throw new FileNotFoundError(path)
      const folded = segment.toUpperCase()
      const entries = this.entriesOf(current)
      const step = entries.find((e) => !e.deleted && e.name.toUpperCase() === folded) ?? entries.find((e) => e.deleted && e.name.toUpperCase() === folded)
      if (!step) throw new FileNotFoundError(path)
      current = step
      spelled.push(step.name)
    }
    return {path: spelled.join('/'), ...(current ? {entry: current} : {})}
  }

  private fileEntry(path: string, e: ExfatEntry): FileEntry {
    const result: FileEntry = {path, name: e.name, kind: e.directory ? 'directory' : 'file', size: e.directory ? 0 : e.size, times: {...e.times}, inode: String(this.inodeOf(e.offset))}
    if (e.deleted) result.deleted = true
    const attributes: string[] = []
    if (Object.values(e.times).some((t) => t !== undefined && !t.endsWith('Z'))) attributes.push('local-time')
    if (e.attributes & 0x01) attributes.push('read-only')
    if (e.attributes & 0x02) attributes.push('hidden')
    if (e.attributes & 0x04) attributes.push('system')
    if (e.attributes & 0x20) attributes.push('archive')
    if (e.noFatChain) attributes.push('contiguous')
    if (e.validSize < e.size && !e.directory) attributes.push(`valid-data-length:${e.validSize}`)
    if (attributes.length > 0) result.attributes = attributes
    return result
  }

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    const resolved = this.resolve(dirPath)
    if (resolved.entry && !resolved.entry.directory) throw new FileNotFoundError(dirPath)
    if (resolved.entry?.deleted) return []
    const prefix = resolved.path === '' ? '' : `${resolved.path}/`
    return this.entriesOf(resolved.entry)
      .filter((e) => options?.deleted || !e.deleted)
      .map((e) => this.fileEntry(prefix + e.name, e))
  }

  async stat(path: string): Promise<FileEntry> {
    const resolved = this.resolve(path)
    if (!resolved.entry) return {path: '', name: '', kind: 'directory', size: 0, times: {}, inode: String(ROOT_INODE)}
    return this.fileEntry(resolved.path, resolved.entry)
  }

  async open(path: string): Promise<Readable> {
    const {entry} = this.resolve(path)
    if (!entry || entry.directory) throw new FileNotFoundError(path)
    if (entry.deleted) throw new UnsupportedFormatError(`${path}: deleted exFAT entry set; its clusters were freed and trawl does not read them`)
    if (entry.validSize > entry.size) throw new CorruptImageError(`exFAT file "${path}": valid data length ${entry.validSize} exceeds its size ${entry.size}`)
    const clusters = this.clusters(entry.firstCluster, entry.noFatChain, entry.size, `exFAT file "${path}"`)
    return Readable.from(this.chunks(clusters, entry, path), {objectMode: false})
  }

  /** The file's bytes: stored data up to the valid data length, zeros after it (specification 7.6.5). */
  private *chunks(clusters: number[], entry: ExfatEntry, path: string): Generator<Buffer> {
    const cs = this.boot.clusterSize
    let position = 0
    let i = 0
    while (position < entry.validSize) {
      let j = i + 1
      while (j < clusters.length && clusters[j] === clusters[j - 1] + 1 && (j - i) * cs < READ_CHUNK) j++
      const n = Math.min((j - i) * cs, entry.validSize - position)
      const offset = this.clusterOffset(clusters[i])
      const bytes = this.volume.read(offset, n)
      if (bytes.length < n) throw new CorruptImageError(`exFAT file "${path}": cluster ${clusters[i]} is beyond the image`, offset + bytes.length)
      yield bytes
      position += n
      i = j
    }
    while (position < entry.size) {
      const n = Math.min(READ_CHUNK, entry.size - position)
      yield Buffer.alloc(n)
      position += n
    }
  }

  async close(): Promise<void> {
    // the byte source belongs to whoever opened it
  }
}

export const exfatDriver: FileSystemDriver = {
  name: 'exfat',
  detect(volume: ByteSource): boolean {
    return volume.read(3, 8).toString('latin1') === 'EXFAT   '
  },
  open(volume: ByteSource): ExfatFileSystem {
    return new ExfatFileSystem(volume)
  },
}
