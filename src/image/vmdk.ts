import {existsSync, realpathSync, statSync} from 'node:fs'
import {basename, dirname, isAbsolute, resolve} from 'node:path'
import {constants, inflateRawSync, inflateSync} from 'node:zlib'
import {CorruptImageError, SourceNotFoundError, UnsupportedFormatError, errorMessage} from '../errors.js'
import {FileByteSource, readThroughInto} from './byte-source.js'
import type {VirtualDiskDescription} from './parent-image.js'
import type {LayerSource, ParentImage, ParentOpener} from './virtual-disk.js'
import {parentsOf, readParentInto} from './virtual-disk.js'
import {ZlibInflater} from './zlib-inflater.js'

/**
 * VMware virtual disks (VMDK), read-only: a text descriptor naming the disk's extents
 * (in a file of its own, or embedded in a monolithic sparse extent), and the extents:
 * FLAT (the bytes as they are, at an offset in a file), ZERO, and SPARSE ("hosted
 * sparse extents": a grain directory of grain tables mapping fixed-size grains, plain
 * or, in streamOptimized disks, deflate-compressed behind markers). A disk made by a
 * snapshot names its parent (parentFileNameHint); grains it does not hold are read
 * from the parent. Layout as VMware's "Virtual Disk Format 1.1" technical note and
 * libvmdk's "VMware Virtual Disk Format (VMDK)" describe it (cited as [VMDK] with the
 * section name).
 */

const SECTOR = 512
/** [VMDK] "Hosted Sparse Extent Header": magic 'KDMV' as a little-endian uint32. */
const KDMV = Buffer.from('KDMV', 'latin1')
/** ESX "COWD" sparse extents (VMFSSPARSE) are another layout. */
const COWD = Buffer.from('COWD', 'latin1')
const GD_AT_END = 0xffffffffffffffffn

const FLAG_NEWLINE_TEST = 1 << 0
const FLAG_REDUNDANT_GD = 1 << 1
const FLAG_ZEROED_GRAIN_GTE = 1 << 2
const FLAG_COMPRESSED = 1 << 16
const FLAG_MARKERS = 1 << 17

/** Limits no disk VMware or QEMU writes comes near: 32 MiB grains, 4096 entries a grain table, a 1 MiB descriptor. */
const MAX_GRAIN_SECTORS = 65536
const MAX_GTES_PER_GT = 4096
const MAX_DESCRIPTOR_BYTES = 1024 * 1024
const MAX_EXTENTS = 10000

/** True if these are the first bytes of a VMDK: a sparse extent ('KDMV', 'COWD') or a text descriptor. */
export function isVmdk(head: Buffer): boolean {
  if (head.length >= 4 && (head.subarray(0, 4).equals(KDMV) || head.subarray(0, 4).equals(COWD))) return true
  return looksLikeDescriptor(head)
}

/**
 * A VMDK descriptor file: text whose first line is "# Disk DescriptorFile", or (for
 * descriptors written by hand or by other tools) text with both `version=` and
 * `createType=` lines and no NUL byte in its first bytes.
 */
export function looksLikeDescriptor(head: Buffer): boolean {
  // descriptors are often padded with NULs to a sector; the text ends at the first one
  const nul = head.indexOf(0)
  if (nul === 0 || head.length === 0) return false
  const text = head.toString('latin1', 0, nul === -1 ? head.length : nul).replace(/^\xef\xbb\xbf/, '')
  if (/^\s*#\s*Disk DescriptorFile/i.test(text)) return true
  return /^\s*version\s*=\s*\d+\s*$/im.test(text) && /^\s*createType\s*=/im.test(text)
}

export interface SparseExtentHeader {
  version: number
  flags: number
  /** Sectors of the extent. */
  capacity: number
  /** Sectors per grain. */
  grainSize: number
  descriptorOffset: number
  descriptorSize: number
  gtesPerGt: number
  rgdOffset: number
  /** Grain directory, in sectors; GD_AT_END in a streamOptimized header (the footer has it). */
  gdOffset: number
  gdAtEnd: boolean
  overhead: number
  uncleanShutdown: boolean
  compressed: boolean
  markers: boolean
  redundantGd: boolean
  zeroedGrainGte: boolean
}

function sectors(value: bigint, what: string, where: string, at: number): number {
  if (value * 512n > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptImageError(`${where}: ${what} of ${value} sectors is beyond any disk trawl can read`, at)
  return Number(value)
}

/** [VMDK] "Hosted Sparse Extent Header": 512 bytes, little-endian. */
export function parseSparseExtentHeader(bytes: Buffer, where: string): SparseExtentHeader {
  if (bytes.length >= 4 && bytes.subarray(0, 4).equals(COWD)) {
    throw new UnsupportedFormatError(`${where}: ESX "COWD" sparse extents (VMFSSPARSE) are not read by trawl (convert with qemu-img convert -O vmdk)`)
  }
  if (bytes.length < 4 || !bytes.subarray(0, 4).equals(KDMV)) throw new CorruptImageError(`${where}: not a VMDK sparse extent (no KDMV signature)`, 0)
  if (bytes.length < 512) throw new CorruptImageError(`${where}: sparse extent header truncated (${bytes.length} bytes)`, 0)
  const version = bytes.readUInt32LE(4)
  if (version < 1 || version > 3) throw new UnsupportedFormatError(`${where}: VMDK sparse extent version ${version} is not one trawl reads (1 to 3 are)`)
  const flags = bytes.readUInt32LE(8)
  const capacity = sectors(bytes.readBigUInt64LE(12), 'capacity', where, 12)
  const grainSize = sectors(bytes.readBigUInt64LE(20), 'grain size', where, 20)
  if (grainSize < 1 || grainSize > MAX_GRAIN_SECTORS || (grainSize & (grainSize - 1)) !== 0) {
    throw new CorruptImageError(`${where}: grain size of ${grainSize} sectors is not a power of two up to ${MAX_GRAIN_SECTORS}`, 20)
  }
  const descriptorOffset = sectors(bytes.readBigUInt64LE(28), 'descriptor offset', where, 28)
  const descriptorSize = sectors(bytes.readBigUInt64LE(36), 'descriptor size', where, 36)
  const gtesPerGt = bytes.readUInt32LE(44)
  if (gtesPerGt < 1 || gtesPerGt > MAX_GTES_PER_GT) throw new CorruptImageError(`${where}: ${gtesPerGt} entries per grain table (1 to ${MAX_GTES_PER_GT} allowed)`, 44)
  const rgdOffset = sectors(bytes.readBigUInt64LE(48), 'redundant grain directory offset', where, 48)
  const rawGd = bytes.readBigUInt64LE(56)
  const gdAtEnd = rawGd === GD_AT_END
  const gdOffset = gdAtEnd ? 0 : sectors(rawGd, 'grain directory offset', where, 56)
  const overhead = sectors(bytes.readBigUInt64LE(64), 'overhead', where, 64)
  // [VMDK] the four newline characters catch a file sent through FTP in text mode
  if (flags & FLAG_NEWLINE_TEST && (bytes[73] !== 0x0a || bytes[74] !== 0x20 || bytes[75] !== 0x0d || bytes[76] !== 0x0a)) {
    throw new CorruptImageError(`${where}: the newline test characters of the header are altered (the file was copied as text, e.g. FTP ASCII mode)`, 73)
  }
  const compressAlgorithm = bytes.readUInt16LE(77)
  const compressed = (flags & FLAG_COMPRESSED) !== 0
  if (compressed && compressAlgorithm !== 1) {
    throw new UnsupportedFormatError(`${where}: grains compressed with algorithm ${compressAlgorithm}; trawl reads deflate (1) only`)
  }
  return {
    version,
    flags,
    capacity,
    grainSize,
    descriptorOffset,
    descriptorSize,
    gtesPerGt,
    rgdOffset,
    gdOffset,
    gdAtEnd,
    overhead,
    uncleanShutdown: bytes[72] !== 0,
    compressed,
    markers: (flags & FLAG_MARKERS) !== 0,
    redundantGd: (flags & FLAG_REDUNDANT_GD) !== 0,
    zeroedGrainGte: (flags & FLAG_ZEROED_GRAIN_GTE) !== 0,
  }
}

export interface DescriptorExtent {
  access: 'RW' | 'RDONLY' | 'NOACCESS'
  sectors: number
  /** FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, VMFSRDM, VMFSRAW, SESPARSE. */
  type: string
  /** File name as written (relative to the descriptor's folder), absent for ZERO. */
  file?: string
  /** FLAT/VMFS: where the extent starts in its file, in sectors. */
  offset: number
}

export interface VmdkDescriptor {
  version: number
  cid: string
  parentCid: string
  createType: string
  parentFileNameHint?: string
  extents: DescriptorExtent[]
  /** The disk database (ddb.* lines): geometry, adapter, tools version, UUID. */
  ddb: Record<string, string>
}

/**
 * [VMDK] "The Descriptor File": `key=value` header lines, one line per extent
 * (`RW 8192 SPARSE "disk-s001.vmdk"`, `RW 4096 FLAT "disk-flat.vmdk" 0`, `RW 100 ZERO`),
 * then the disk database. Comments start with '#'.
 */
export function parseVmdkDescriptor(text: string, where: string): VmdkDescriptor {
  const values = new Map<string, string>()
  const ddb: Record<string, string> = {}
  const extents: DescriptorExtent[] = []
  const unquote = (v: string) => v.trim().replace(/^"(.*)"$/, '$1')
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/\0+$/, '').trim()
    if (line === '' || line.startsWith('#')) continue
    const extent = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/.exec(line)
    if (extent) {
      const count = Number(extent[2])
      if (!Number.isSafeInteger(count * SECTOR)) throw new CorruptImageError(`${where}: descriptor line ${n + 1}: extent of ${extent[2]} sectors is beyond any disk trawl can read`)
      if (extents.length >= MAX_EXTENTS) throw new CorruptImageError(`${where}: descriptor lists more than ${MAX_EXTENTS} extents`)
      extents.push({
        access: extent[1] as DescriptorExtent['access'],
        sectors: count,
        type: extent[3].toUpperCase(),
        ...(extent[4] !== undefined ? {file: extent[4]} : {}),
        offset: extent[5] !== undefined ? Number(extent[5]) : 0,
      })
      continue
    }
    const pair = /^([A-Za-z0-9_.]+)\s*=\s*(.*)$/.exec(line)
    if (!pair) throw new CorruptImageError(`${where}: descriptor line ${n + 1} is neither a setting nor an extent: ${JSON.stringify(line.slice(0, 80))}`)
    if (pair[1].startsWith('ddb.')) ddb[pair[1].slice(4)] = unquote(pair[2])
    else values.set(pair[1].toLowerCase(), unquote(pair[2]))
  }
  if (extents.length === 0) throw new CorruptImageError(`${where}: descriptor lists no extents`)
  const hint = values.get('parentfilenamehint')
  return {
    version: Number(values.get('version') ?? 1),
    cid: (values.get('cid') ?? '').toLowerCase(),
    parentCid: (values.get('parentcid') ?? 'ffffffff').toLowerCase(),
    createType: values.get('createtype') ?? 'unknown',
    ...(hint ? {parentFileNameHint: hint} : {}),
    extents,
    ddb,
  }
}

/** [VMDK] "Stream-Optimized Compressed Sparse Extents": a marker is lba (8), size (4), then data or a type (4). */
const MARKER_FOOTER = 3

/** How a piece of a sparse extent is read. */
const enum Grain {
  unallocated,
  zeros,
  stored,
  compressed,
}

/**
 * A hosted sparse extent: a grain directory whose entries are grain tables, whose
 * entries are the sectors where grains are stored (0: not allocated, read from the
 * parent; 1 with the zeroed-grain flag: reads as zeros).
 */
class SparseExtent {
  readonly header: SparseExtentHeader
  readonly grainBytes: number
  readonly capacityBytes: number
  /** Sector of each grain table (0: none). */
  private readonly gd: Uint32Array
  private readonly gtCache = new Map<number, Uint32Array>()
  private lastGt: {index: number; table: Uint32Array} | undefined
  /** Sorted [start, end) sector ranges that hold metadata: a grain there is a loop or an overlap. */
  private readonly metadata: Array<[number, number]>
  private readonly grainCache = new Map<number, Buffer>()
  /** Reused native handles for compressed grains: zlib streams (QEMU, VMware), raw deflate (the format note's wording). */
  private zlib: ZlibInflater | undefined
  private rawDeflate: ZlibInflater | undefined
  readonly warnings: string[] = []

  kind = Grain.unallocated
  length = 0
  host = 0

  constructor(
    readonly path: string,
    readonly file: FileByteSource,
    header: SparseExtentHeader,
  ) {
    const where = path
    if (header.gdAtEnd) {
      // [VMDK] stream-optimized: the header at the start is written before the grains; the footer (a copy of
      // the header, 1024 bytes before the end, after a footer marker) has the grain directory's offset
      const footerAt = file.size - 1024
      if (footerAt < SECTOR) throw new CorruptImageError(`${where}: stream-optimized extent without its footer (file of ${file.size} bytes)`, 56)
      const marker = file.read(footerAt - SECTOR, 16)
      if (marker.length < 16 || marker.readUInt32LE(8) !== 0 || marker.readUInt32LE(12) !== MARKER_FOOTER) {
        throw new CorruptImageError(`${where}: stream-optimized extent has no footer marker at ${footerAt - SECTOR} (the file is truncated or not fully written)`, footerAt - SECTOR)
      }
      const footer = parseSparseExtentHeader(file.read(footerAt, SECTOR), `${where} footer`)
      if (footer.gdAtEnd) throw new CorruptImageError(`${where}: the footer does not give the grain directory's offset either`, footerAt + 56)
      header = footer
    }
    this.header = header
    this.grainBytes = header.grainSize * SECTOR
    this.capacityBytes = header.capacity * SECTOR
    const grains = Math.ceil(header.capacity / header.grainSize)
    const gdEntries = Math.ceil(grains / header.gtesPerGt)
    const gtSectors = Math.ceil((header.gtesPerGt * 4) / SECTOR)
    const gdSectors = Math.ceil((gdEntries * 4) / SECTOR)
    const fileSectors = Math.floor(file.size / SECTOR)

    const readGd = (offset: number, what: string): Uint32Array => {
      if (offset === 0 || offset + gdSectors > fileSectors) {
        throw new CorruptImageError(`${where}: ${what} (${gdEntries} entries at sector ${offset}) is outside the file (${file.size} bytes)`, offset * SECTOR)
      }
      const bytes = file.read(offset * SECTOR, gdEntries * 4)
      const table = new Uint32Array(gdEntries)
      for (let i = 0; i < gdEntries; i++) table[i] = bytes.readUInt32LE(i * 4)
      return table
    }
    let gd: Uint32Array
    try {
      gd = readGd(header.gdOffset, 'grain directory')
    } catch (error) {
      // [VMDK] the redundant copy exists for exactly this
      if (!(error instanceof CorruptImageError) || !header.redundantGd || header.rgdOffset === 0) throw error
      gd = readGd(header.rgdOffset, 'redundant grain directory')
      this.warnings.push(`${error.message}; the redundant grain directory is read instead`)
    }
    if (header.redundantGd && header.rgdOffset !== 0 && !header.gdAtEnd) {
      try {
        const copy = readGd(header.rgdOffset, 'redundant grain directory')
        // the copy has grain tables of its own: it agrees when both map the same grain tables' count
        const differ = gd.reduce((n, s, i) => n + (Boolean(s) !== Boolean(copy[i]) ? 1 : 0), 0)
        if (differ > 0) this.warnings.push(`${where}: grain directory and its redundant copy disagree on ${differ} of ${gdEntries} grain tables; the primary is read`)
      } catch (error) {
        if (!(error instanceof CorruptImageError)) throw error
        this.warnings.push(`${error.message}; the primary grain directory is read`)
      }
    }
    this.gd = gd

    // Metadata ranges: the header, the embedded descriptor, both grain directories and every grain table.
    const ranges: Array<[number, number, string]> = [[0, 1, 'the header']]
    if (header.descriptorOffset > 0) ranges.push([header.descriptorOffset, header.descriptorOffset + header.descriptorSize, 'the descriptor'])
    ranges.push([header.gdOffset, header.gdOffset + gdSectors, 'the grain directory'])
    if (header.redundantGd && header.rgdOffset > 0) ranges.push([header.rgdOffset, header.rgdOffset + gdSectors, 'the redundant grain directory'])
    const tables: Array<[number, number, string]> = []
    for (let i = 0; i < gdEntries; i++) {
      const at = gd[i]
      if (at === 0) continue
      if (at + gtSectors > fileSectors) {
        // read lazily: the grains this table maps fail with this error, the rest read
        continue
      }
      tables.push([at, at + gtSectors, `grain table ${i}`])
    }
    // [VMDK] a grain table inside the header, a directory or another table is a loop or an overlap
    for (const [start, end, name] of tables) {
      for (const [s, e, other] of ranges) {
        if (start < e && s < end) throw new CorruptImageError(`${where}: ${name} (sector ${start}) overlaps ${other} (sectors ${s}-${e - 1})`, start * SECTOR)
      }
    }
    tables.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < tables.length; i++) {
      if (tables[i][0] < tables[i - 1][1]) {
        throw new CorruptImageError(`${where}: ${tables[i][2]} and ${tables[i - 1][2]} overlap (sectors ${tables[i][0]} and ${tables[i - 1][0]})`, tables[i][0] * SECTOR)
      }
    }
    this.metadata = [...ranges, ...tables].map(([s, e]) => [s, e] as [number, number]).sort((a, b) => a[0] - b[0])
  }

  /**
   * Finds how the extent's bytes from `offset` on are read (to the end of the grain or
   * `end`): sets kind, length, and host (the file offset of stored bytes, or the
   * grain number of a compressed grain).
   */
  locate(offset: number, end: number): void {
    const grain = Math.floor(offset / this.grainBytes)
    const within = offset - grain * this.grainBytes
    this.length = Math.min(this.grainBytes - within, end - offset)
    const entry = this.entry(grain)
    if (entry === 0) {
      this.kind = Grain.unallocated
      return
    }
    if (entry === 1 && this.header.zeroedGrainGte) {
      this.kind = Grain.zeros
      return
    }
    this.checkGrainSector(grain, entry)
    if (this.header.compressed) {
      this.kind = Grain.compressed
      this.host = grain
      return
    }
    const host = entry * SECTOR + within
    if (host + this.length > this.file.size) {
      throw new CorruptImageError(`${this.path}: grain ${grain} (extent offset ${grain * this.grainBytes}) is stored at sector ${entry}, past the end of the file (${this.file.size} bytes)`, host)
    }
    this.kind = Grain.stored
    this.host = host
  }

  /** The bytes of compressed grain `grain`, inflated and checked against its marker. */
  compressedGrain(grain: number): Buffer {
    const cached = this.grainCache.get(grain)
    if (cached) return cached
    const entry = this.entry(grain)
    const at = entry * SECTOR
    const where = `${this.path}: compressed grain ${grain} (extent offset ${grain * this.grainBytes}) at sector ${entry}`
    const expected = Math.min(this.grainBytes, this.capacityBytes - grain * this.grainBytes)
    let input: Buffer
    if (this.header.markers) {
      const marker = this.file.read(at, 12)
      if (marker.length < 12) throw new CorruptImageError(`${where}: past the end of the file (${this.file.size} bytes)`, at)
      const lba = marker.readBigUInt64LE(0)
      const size = marker.readUInt32LE(8)
      // a grain compresses to at most a little more than itself (deflate's stored blocks)
      if (size === 0 || size > this.grainBytes + 1024 + Math.ceil(this.grainBytes / 1000) * 5) {
        throw new CorruptImageError(`${where}: its marker gives ${size} bytes of compressed data for a ${this.grainBytes}-byte grain`, at + 8)
      }
      if (lba !== BigInt(grain * this.header.grainSize)) {
        throw new CorruptImageError(`${where}: its marker is for sector ${lba}, not sector ${grain * this.header.grainSize} of the extent`, at)
      }
      input = this.file.read(at + 12, size)
      if (input.length < size) throw new CorruptImageError(`${where}: ${size} bytes of compressed data run past the end of the file (${this.file.size} bytes)`, at)
    } else {
      input = this.file.read(at, Math.min(this.grainBytes + 1024, this.file.size - at))
    }
    let data: Buffer
    try {
      // QEMU and VMware write zlib streams (RFC 1950); the format note says deflate (RFC 1951): both are read
      const zlibHeader = input.length >= 2 && (input[0] & 0x0f) === 8 && ((input[0] << 8) | input[1]) % 31 === 0
      const inflater = zlibHeader ? (this.zlib ??= new ZlibInflater()) : (this.rawDeflate ??= new ZlibInflater({raw: true}))
      try {
        data = inflater.inflate(input, expected)
      } catch {
        // a stream that stops short of its end once the grain is whole is read, as QEMU reads it
        const options = {finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: this.grainBytes * 2}
        data = zlibHeader ? inflateSync(input, options) : inflateRawSync(input, options)
      }
    } catch (error) {
      throw new CorruptImageError(`${where}: compressed data does not decompress (${errorMessage(error)})`, at)
    }
    if (data.length < expected) throw new CorruptImageError(`${where}: decompresses to ${data.length} bytes, not the ${expected} of the grain`, at)
    const bytes = data.length === expected ? data : data.subarray(0, expected)
    if (this.grainCache.size >= 8) this.grainCache.delete(this.grainCache.keys().next().value as number)
    this.grainCache.set(grain, bytes)
    return bytes
  }

  /** A grain stored over the header, a grain directory or a grain table is a loop or overlap in the tables. */
  private checkGrainSector(grain: number, sector: number): void {
    const m = this.metadata
    let lo = 0
    let hi = m.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (m[mid][0] <= sector) lo = mid
      else hi = mid - 1
    }
    const spans = this.header.compressed ? 1 : this.header.grainSize
    for (const i of [lo - 1, lo, lo + 1]) {
      if (i < 0 || i >= m.length) continue
      const [s, e] = m[i]
      if (sector < e && s < sector + spans) {
        throw new CorruptImageError(`${this.path}: grain ${grain} (extent offset ${grain * this.grainBytes}) is said to be stored at sector ${sector}, inside the extent's own tables (sectors ${s}-${e - 1})`, sector * SECTOR)
      }
    }
  }

  /** The grain table entry of grain `grain`. */
  private entry(grain: number): number {
    const gdIndex = Math.floor(grain / this.header.gtesPerGt)
    const table = this.gt(gdIndex)
    return table ? table[grain - gdIndex * this.header.gtesPerGt] : 0
  }

  private gt(index: number): Uint32Array | undefined {
    if (this.lastGt?.index === index) return this.lastGt.table
    if (index >= this.gd.length || this.gd[index] === 0) return undefined
    let table = this.gtCache.get(index)
    if (table) this.gtCache.delete(index)
    else {
      const at = this.gd[index] * SECTOR
      const length = this.header.gtesPerGt * 4
      if (at + length > this.file.size) {
        const first = index * this.header.gtesPerGt * this.grainBytes
        throw new CorruptImageError(
          `${this.path}: grain directory entry ${index} (extent offsets ${first}-${first + this.header.gtesPerGt * this.grainBytes - 1}) points to a grain table at sector ${this.gd[index]}, past the end of the file (${this.file.size} bytes)`,
          at,
        )
      }
      const bytes = this.file.read(at, length)
      table = new Uint32Array(this.header.gtesPerGt)
      for (let i = 0; i < table.length; i++) table[i] = bytes.readUInt32LE(i * 4)
      if (this.gtCache.size >= 256) this.gtCache.delete(this.gtCache.keys().next().value as number)
    }
    this.gtCache.set(index, table)
    this.lastGt = {index, table}
    return table
  }

  close(): void {
    this.file.close()
    this.gtCache.clear()
    this.grainCache.clear()
    this.zlib?.close()
    this.rawDeflate?.close()
    this.lastGt = undefined
  }
}

/** One extent of the disk, placed at `start` (bytes) of the virtual disk. */
interface PlacedExtent {
  start: number
  size: number
  type: string
  path?: string
  /** FLAT: its file and the byte offset of the extent in it. */
  flat?: {file: FileByteSource; offset: number}
  sparse?: SparseExtent
}

export interface VmdkOpenOptions {
  openParent?: ParentOpener
  chain?: readonly string[]
}

/** A VMDK (descriptor and extents, or a monolithic sparse or stream-optimized file) as the byte source of its disk. */
export class VmdkImage implements LayerSource {
  readonly format = 'vmdk'
  readonly size: number
  /** Every file read: the descriptor, the extents, then the parents'. */
  readonly files: string[]
  readonly warnings: string[] = []
  private readonly parentSource: LayerSource | undefined
  private last = 0

  private constructor(
    readonly path: string,
    readonly descriptor: VmdkDescriptor,
    private readonly extents: PlacedExtent[],
    ownFiles: string[],
    private readonly parent: ParentImage | undefined,
  ) {
    this.size = extents.length ? extents[extents.length - 1].start + extents[extents.length - 1].size : 0
    this.parentSource = parent?.source
    this.files = [...ownFiles, ...(parent?.files ?? [])]
  }

  /** What `image info` and the evidence description show of the disk: its kind, grain size, extents and parents. */
  get description(): VirtualDiskDescription {
    const sparse = this.extents.find((e) => e.sparse)?.sparse
    const features: string[] = []
    if (sparse?.header.compressed) features.push('compressed grains')
    if (sparse?.header.markers) features.push('markers')
    if (sparse?.header.zeroedGrainGte) features.push('zeroed-grain GTEs')
    if (sparse?.header.redundantGd) features.push('redundant grain directory')
    if (this.extents.some((e) => e.sparse?.header.uncleanShutdown)) features.push('unclean shutdown')
    const parents = parentsOf(this.parent)
    return {
      diskType: `${this.descriptor.createType}${sparse ? ` (sparse extent version ${sparse.header.version})` : ''}`,
      ...(this.descriptor.cid ? {identifier: `CID ${this.descriptor.cid}`} : {}),
      ...(sparse ? {blockSize: sparse.grainBytes} : {}),
      ...(features.length ? {features} : {}),
      ...(this.descriptor.parentFileNameHint !== undefined ? {parentAsRecorded: this.descriptor.parentFileNameHint} : {}),
      ...(parents.length > 0 ? {parents} : {}),
      extents: this.extents.map((e) => ({type: e.type, ...(e.path ? {path: e.path} : {}), sectors: e.size / SECTOR, ...(e.flat?.offset ? {offsetSectors: e.flat.offset / SECTOR} : {})})),
    }
  }

  /** Warnings of this disk and every parent. */
  get allWarnings(): string[] {
    return [...this.warnings, ...(this.parent?.warnings ?? [])]
  }

  /** Opens `path` (absolute): a descriptor file, or a monolithic sparse / stream-optimized extent holding its descriptor. */
  static open(path: string, options: VmdkOpenOptions = {}): VmdkImage {
    const opened: Array<FileByteSource> = []
    const extents: PlacedExtent[] = []
    let parent: ParentImage | undefined
    const warnings: string[] = []
    try {
      const first = new FileByteSource(path)
      opened.push(first)
      const head = first.read(0, SECTOR)
      let descriptor: VmdkDescriptor
      const files = [path]
      if (head.length >= 4 && (head.subarray(0, 4).equals(KDMV) || head.subarray(0, 4).equals(COWD))) {
        const header = parseSparseExtentHeader(head, path)
        const length = Math.min(header.descriptorSize * SECTOR, MAX_DESCRIPTOR_BYTES)
        // the extents of a split disk have no descriptor, or (as QEMU writes them) an empty area for one
        const text = header.descriptorOffset > 0 ? first.read(header.descriptorOffset * SECTOR, length).toString('utf8').replace(/\0[\s\S]*$/, '') : ''
        if (text.trim() === '') {
          throw new UnsupportedFormatError(`${path} is one extent of a split VMDK and holds no descriptor; open the descriptor file (.vmdk) that lists it`)
        }
        descriptor = parseVmdkDescriptor(text, `${path} (embedded descriptor)`)
        // a monolithic file is its own single extent, whatever name its descriptor gives it (the file may be renamed)
        const sparse = new SparseExtent(path, first, header)
        warnings.push(...sparse.warnings)
        extents.push({start: 0, size: sparse.capacityBytes, type: 'SPARSE', path, sparse})
      } else {
        const size = first.size
        if (size > MAX_DESCRIPTOR_BYTES) throw new CorruptImageError(`${path}: a VMDK descriptor of ${size} bytes (at most ${MAX_DESCRIPTOR_BYTES})`)
        descriptor = parseVmdkDescriptor(first.read(0, size).toString('utf8').replace(/\0[\s\S]*$/, ''), path)
        first.close()
        opened.pop()
        const folder = dirname(path)
        let start = 0
        for (const [i, extent] of descriptor.extents.entries()) {
          const bytes = extent.sectors * SECTOR
          const name = `extent ${i + 1} (${extent.access} ${extent.sectors} ${extent.type}${extent.file !== undefined ? ` "${extent.file}"` : ''})`
          if (extent.access === 'NOACCESS') throw new UnsupportedFormatError(`${path}: ${name} is marked NOACCESS; its bytes are not in the image`)
          if (extent.type === 'ZERO') {
            extents.push({start, size: bytes, type: 'ZERO'})
            start += bytes
            continue
          }
          if (!['FLAT', 'VMFS', 'SPARSE'].includes(extent.type)) {
            throw new UnsupportedFormatError(`${path}: ${name} is of type ${extent.type}, which trawl does not read (FLAT, VMFS, SPARSE and ZERO are)`)
          }
          if (extent.file === undefined) throw new CorruptImageError(`${path}: ${name} names no file`)
          const extentPath = isAbsolute(extent.file) ? extent.file : resolve(folder, extent.file)
          const found = existsSync(extentPath) ? extentPath : existsSync(resolve(folder, basename(extent.file))) ? resolve(folder, basename(extent.file)) : undefined
          if (!found) throw new SourceNotFoundError(extentPath, `does not exist (${name} of ${path})`)
          if (statSync(found).isDirectory()) throw new CorruptImageError(`${path}: ${name} is a folder`)
          const file = new FileByteSource(found)
          opened.push(file)
          files.push(found)
          if (extent.type === 'SPARSE') {
            const header = parseSparseExtentHeader(file.read(0, SECTOR), found)
            const sparse = new SparseExtent(found, file, header)
            warnings.push(...sparse.warnings)
            if (sparse.header.capacity < extent.sectors) {
              throw new CorruptImageError(`${path}: ${name} declares ${extent.sectors} sectors, its file holds a sparse extent of ${sparse.header.capacity}`)
            }
            extents.push({start, size: bytes, type: 'SPARSE', path: found, sparse})
          } else {
            const offset = extent.offset * SECTOR
            if (offset + bytes > file.size) {
              warnings.push(`${path}: ${name} needs ${offset + bytes} bytes of ${found}, which holds ${file.size}; the bytes past its end cannot be read`)
            }
            extents.push({start, size: bytes, type: extent.type, path: found, flat: {file, offset}})
          }
          start += bytes
        }
      }
      if (descriptor.parentFileNameHint !== undefined && descriptor.parentCid !== 'ffffffff') {
        if (!options.openParent) throw new UnsupportedFormatError(`${path}: has a parent disk (${descriptor.parentFileNameHint}), and none can be opened here`)
        const hint = descriptor.parentFileNameHint
        parent = options.openParent(path, {how: 'parentFileNameHint', path: hint}, 'vmdk', [...(options.chain ?? []), realpathSync(path)])
        const parentCid = (parent.source as Partial<VmdkImage>).descriptor?.cid
        if (parentCid !== undefined && parentCid !== descriptor.parentCid) {
          warnings.push(`${path}: parent ${parent.files[0]} has CID ${parentCid}, not the ${descriptor.parentCid} this disk was made from (the parent changed since)`)
        }
      }
      const image = new VmdkImage(path, descriptor, extents, files, parent)
      image.warnings.push(...warnings)
      return image
    } catch (error) {
      parent?.source.close()
      for (const extent of extents) extent.sparse?.close()
      for (const file of opened) file.close()
      throw error
    }
  }

  read(offset: number, length: number): Buffer {
    return readThroughInto(this, offset, length)
  }

  readInto(offset: number, target: Uint8Array, targetOffset = 0, length = target.length - targetOffset): number {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const end = Math.min(this.size, offset + length)
    if (offset >= end) return 0
    let position = offset
    let at = targetOffset
    while (position < end) {
      const extent = this.extentAt(position)
      const stop = Math.min(end, extent.start + extent.size)
      const n = stop - position
      if (extent.flat) this.readFlat(extent, position - extent.start, target, at, n)
      else if (extent.sparse) this.readSparse(extent, extent.sparse, position - extent.start, target, at, n)
      else target.fill(0, at, at + n)
      position += n
      at += n
    }
    return end - offset
  }

  private readFlat(extent: PlacedExtent, within: number, target: Uint8Array, at: number, n: number): void {
    const {file, offset} = extent.flat!
    const got = file.readInto(offset + within, target, at, n)
    if (got < n) throw new CorruptImageError(`${this.path}: flat extent ${extent.path} ends at ${file.size} bytes, before extent offset ${within + got}`, offset + within + got)
  }

  private readSparse(extent: PlacedExtent, sparse: SparseExtent, within: number, target: Uint8Array, at: number, n: number): void {
    const end = within + n
    let position = within
    // grains stored one after another in the file are read with one pread
    let runHost = -1
    let runAt = 0
    let runLength = 0
    const flush = () => {
      if (runLength === 0) return
      const got = sparse.file.readInto(runHost, target, runAt, runLength)
      if (got < runLength) throw new CorruptImageError(`${sparse.path}: grains at ${runHost} run past the end of the file (${sparse.file.size} bytes)`, runHost)
      runLength = 0
    }
    while (position < end) {
      sparse.locate(position, end)
      const length = sparse.length
      const into = at + (position - within)
      if (sparse.kind === Grain.stored) {
        if (runLength > 0 && runHost + runLength === sparse.host) runLength += length
        else {
          flush()
          runHost = sparse.host
          runAt = into
          runLength = length
        }
      } else {
        flush()
        if (sparse.kind === Grain.zeros) target.fill(0, into, into + length)
        else if (sparse.kind === Grain.unallocated) readParentInto(this.parentSource, extent.start + position, target, into, length)
        else {
          const grain = sparse.compressedGrain(sparse.host)
          const from = position - sparse.host * sparse.grainBytes
          target.set(grain.subarray(from, from + length), into)
        }
      }
      position += length
    }
    flush()
  }

  private extentAt(position: number): PlacedExtent {
    const last = this.extents[this.last]
    if (last && position >= last.start && position < last.start + last.size) return last
    let lo = 0
    let hi = this.extents.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.extents[mid].start <= position) lo = mid
      else hi = mid - 1
    }
    this.last = lo
    return this.extents[lo]
  }

  close(): void {
    for (const extent of this.extents) {
      extent.sparse?.close()
      extent.flat?.file.close()
    }
    this.parentSource?.close()
  }
}
