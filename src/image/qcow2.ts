import {realpathSync} from 'node:fs'
import {constants, inflateRawSync} from 'node:zlib'
import {CorruptImageError, UnsupportedFormatError, errorMessage} from '../errors.js'
import {isoFromTicks} from '../time.js'
import {FileByteSource, readThroughInto} from './byte-source.js'
import type {QcowSnapshotInfo, VirtualDiskDescription} from './parent-image.js'
import type {LayerSource, ParentImage, ParentOpener} from './virtual-disk.js'
import {parentsOf, readParentInto} from './virtual-disk.js'
import {ZlibInflater} from './zlib-inflater.js'

/**
 * QEMU copy-on-write images, versions 2 and 3 (QCOW2), read-only. Layout as QEMU's
 * docs/interop/qcow2.txt describes it (cited as [QCOW2] with the section name).
 *
 * The virtual disk is cut into clusters (512 bytes to 2 MiB). A two-level table maps
 * each guest cluster: the L1 table lists L2 tables (one cluster each), an L2 entry
 * says where the cluster's bytes are stored (a host cluster, or a zlib-compressed
 * run of 512-byte sectors), that it reads as zeros, or that it is not allocated,
 * which reads from the backing file if there is one, else as zeros.
 */

/** [QCOW2] "Header": "QFI\xfb". */
export const QCOW_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb])

/** True if these are the first bytes of a QCOW image (any version: the version is checked when opened). */
export function isQcow(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(QCOW_MAGIC)
}

/** [QCOW2] "Header", incompatible_features. */
const INCOMPATIBLE = {dirty: 0, corrupt: 1, externalData: 2, compressionType: 3, extendedL2: 4} as const
const INCOMPATIBLE_NAMES = ['dirty', 'corrupt', 'external data file', 'compression type', 'extended L2 entries']
const COMPATIBLE_NAMES = ['lazy refcounts']
const AUTOCLEAR_NAMES = ['bitmaps', 'raw external data']

/** [QCOW2] "Header extensions" types. */
const EXT_END = 0
const EXT_BACKING_FORMAT = 0xe2792aca
const EXT_FEATURE_NAMES = 0x6803f857
const EXT_EXTERNAL_DATA = 0x44415441

/** QEMU's own limits, which every image it writes keeps within: 2 MiB clusters, 32 MiB L1, 65536 snapshots. */
const MAX_CLUSTER_BITS = 21
const MAX_L1_BYTES = 32 * 1024 * 1024
const MAX_SNAPSHOTS = 65536
/** Offsets in the tables are at most 56 bits; a JavaScript number holds 53 exactly. */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER

export interface QcowHeader {
  version: 2 | 3
  clusterBits: number
  clusterSize: number
  /** Virtual disk size in bytes. */
  size: number
  l1Size: number
  l1TableOffset: number
  refcountTableOffset: number
  snapshotCount: number
  snapshotsOffset: number
  /** Feature bits set, by name (incompatible ones first). */
  features: string[]
  dirty: boolean
  corrupt: boolean
  extendedL2: boolean
  /** Backing file name as written in the image (not resolved), if any. */
  backingFile?: string
  /** Backing file format from the header extension ('raw', 'qcow2', ...), if stated. */
  backingFormat?: string
  headerLength: number
}

function bitNames(value: bigint, names: string[]): {known: string[]; unknown: number[]} {
  const known: string[] = []
  const unknown: number[] = []
  for (let bit = 0; bit < 64; bit++) {
    if (((value >> BigInt(bit)) & 1n) === 0n) continue
    if (bit < names.length) known.push(names[bit])
    else unknown.push(bit)
  }
  return {known, unknown}
}

function safeOffset(value: bigint, what: string, where: string, at: number): number {
  if (value > BigInt(MAX_OFFSET)) throw new CorruptImageError(`${where}: ${what} ${value} is beyond any image trawl can read`, at)
  return Number(value)
}

/**
 * Parses the header, its extensions and the backing file name from the first
 * cluster of the image (or as much of it as the file holds). Refuses what cannot
 * be read faithfully: QCOW version 1, unknown incompatible features, encryption,
 * an external data file, zstd compression (Node's zlib has no zstd).
 */
export function parseQcowHeader(head: Buffer, where: string): QcowHeader {
  if (!isQcow(head)) throw new CorruptImageError(`${where}: not a QCOW image (no QFI\\xfb signature)`, 0)
  if (head.length < 72) throw new CorruptImageError(`${where}: QCOW header truncated (${head.length} bytes)`, 0)
  const version = head.readUInt32BE(4)
  if (version === 1) throw new UnsupportedFormatError(`${where}: QCOW version 1 images are not read by trawl (convert with qemu-img convert -O qcow2)`)
  if (version !== 2 && version !== 3) throw new UnsupportedFormatError(`${where}: QCOW version ${version} is not one trawl reads (2 and 3 are)`)
  const clusterBits = head.readUInt32BE(20)
  if (clusterBits < 9 || clusterBits > MAX_CLUSTER_BITS) throw new CorruptImageError(`${where}: cluster_bits ${clusterBits} is outside 9-${MAX_CLUSTER_BITS}`, 20)
  const clusterSize = 2 ** clusterBits
  const size = safeOffset(head.readBigUInt64BE(24), 'virtual size', where, 24)
  const cryptMethod = head.readUInt32BE(32)
  const l1Size = head.readUInt32BE(36)
  const l1TableOffset = safeOffset(head.readBigUInt64BE(40), 'L1 table offset', where, 40)
  const refcountTableOffset = safeOffset(head.readBigUInt64BE(48), 'refcount table offset', where, 48)
  const snapshotCount = head.readUInt32BE(60)
  const snapshotsOffset = safeOffset(head.readBigUInt64BE(64), 'snapshot table offset', where, 64)

  let incompatible = 0n
  let compatible = 0n
  let autoclear = 0n
  let headerLength = 72
  let compressionType = 0
  if (version === 3) {
    if (head.length < 104) throw new CorruptImageError(`${where}: QCOW2 v3 header truncated (${head.length} bytes)`, 0)
    incompatible = head.readBigUInt64BE(72)
    compatible = head.readBigUInt64BE(80)
    autoclear = head.readBigUInt64BE(88)
    const refcountOrder = head.readUInt32BE(96)
    if (refcountOrder > 6) throw new CorruptImageError(`${where}: refcount_order ${refcountOrder} is above 6`, 96)
    headerLength = head.readUInt32BE(100)
    if (headerLength < 104 || headerLength % 8 !== 0 || headerLength > Math.min(clusterSize, head.length)) {
      throw new CorruptImageError(`${where}: header_length ${headerLength} is not a multiple of 8 from 104 to the cluster size`, 100)
    }
    if (headerLength > 104) compressionType = head[104]
  }

  // Extensions: type, length, data padded to 8 bytes, up to an end marker, inside the first cluster.
  const headEnd = Math.min(clusterSize, head.length)
  let backingFormat: string | undefined
  let externalDataFile: string | undefined
  const featureNames = new Map<string, string>()
  for (let at = headerLength, count = 0; at + 8 <= headEnd; count++) {
    const type = head.readUInt32BE(at)
    const length = head.readUInt32BE(at + 4)
    if (type === EXT_END) break
    const dataEnd = at + 8 + length
    if (dataEnd > headEnd) throw new CorruptImageError(`${where}: header extension 0x${type.toString(16)} of ${length} bytes runs past the first cluster`, at)
    const data = head.subarray(at + 8, dataEnd)
    if (type === EXT_BACKING_FORMAT) backingFormat = data.toString('latin1')
    else if (type === EXT_EXTERNAL_DATA) externalDataFile = data.toString('utf8')
    else if (type === EXT_FEATURE_NAMES) {
      // [QCOW2] "Feature name table": 48-byte entries of type, bit, name.
      for (let e = 0; e + 48 <= data.length; e += 48) {
        const nul = data.indexOf(0, e + 2)
        featureNames.set(`${data[e]}:${data[e + 1]}`, data.toString('latin1', e + 2, nul === -1 || nul > e + 48 ? e + 48 : nul))
      }
    }
    // other extensions (bitmaps, the LUKS header pointer, unknown ones) change nothing read here
    at = dataEnd + ((8 - (length % 8)) % 8)
    if (count > 4096) throw new CorruptImageError(`${where}: more than 4096 header extensions`, at)
  }

  const incompatibleBits = bitNames(incompatible, INCOMPATIBLE_NAMES)
  if (incompatibleBits.unknown.length > 0) {
    const names = incompatibleBits.unknown.map((bit) => (featureNames.has(`0:${bit}`) ? `${bit} (${featureNames.get(`0:${bit}`)})` : String(bit)))
    throw new UnsupportedFormatError(`${where}: QCOW2 image uses incompatible features trawl does not know (bits ${names.join(', ')}); it cannot be read faithfully`)
  }
  if (cryptMethod !== 0) {
    const method = cryptMethod === 1 ? 'AES' : cryptMethod === 2 ? 'LUKS' : `method ${cryptMethod}`
    throw new UnsupportedFormatError(`${where}: QCOW2 image is encrypted (${method}); trawl reads no encrypted images (decrypt with qemu-img convert and the key, then read the copy)`)
  }
  if (hasBit(incompatible, INCOMPATIBLE.externalData)) {
    throw new UnsupportedFormatError(
      `${where}: QCOW2 image keeps its data in an external data file${externalDataFile ? ` (${externalDataFile})` : ''}; trawl does not read external data files (convert with qemu-img convert -O qcow2)`,
    )
  }
  if (hasBit(incompatible, INCOMPATIBLE.compressionType) && compressionType !== 0) {
    const name = compressionType === 1 ? 'zstd' : `type ${compressionType}`
    throw new UnsupportedFormatError(`${where}: QCOW2 image compresses clusters with ${name}; trawl reads zlib only (convert with qemu-img convert -O qcow2 -o compression_type=zlib)`)
  }
  const extendedL2 = hasBit(incompatible, INCOMPATIBLE.extendedL2)
  if (extendedL2 && clusterBits < 14) throw new CorruptImageError(`${where}: extended L2 entries need clusters of at least 16 KiB, not ${clusterSize} bytes`, 20)

  // The L1 table must cover the whole virtual disk.
  const l2Entries = clusterSize / (extendedL2 ? 16 : 8)
  const needed = Math.ceil(size / clusterSize / l2Entries)
  if (l1Size < needed) throw new CorruptImageError(`${where}: L1 table of ${l1Size} entries is too small for a ${size}-byte disk (${needed} needed)`, 36)
  if (l1Size * 8 > MAX_L1_BYTES) throw new CorruptImageError(`${where}: L1 table of ${l1Size} entries is larger than 32 MiB`, 36)
  if (l1TableOffset % clusterSize !== 0 && l1Size > 0) throw new CorruptImageError(`${where}: L1 table offset ${l1TableOffset} is not cluster-aligned`, 40)
  if (snapshotCount > MAX_SNAPSHOTS) throw new CorruptImageError(`${where}: ${snapshotCount} snapshots declared (at most ${MAX_SNAPSHOTS})`, 60)

  let backingFile: string | undefined
  const backingOffset = head.readBigUInt64BE(8)
  if (backingOffset !== 0n) {
    const backingSize = head.readUInt32BE(16)
    if (backingSize === 0 || backingSize > 1023) throw new CorruptImageError(`${where}: backing file name of ${backingSize} bytes (1 to 1023 allowed)`, 16)
    if (backingOffset + BigInt(backingSize) > BigInt(headEnd)) throw new CorruptImageError(`${where}: backing file name at ${backingOffset} runs past the first cluster`, 8)
    backingFile = head.toString('utf8', Number(backingOffset), Number(backingOffset) + backingSize)
  }

  const features = [
    ...incompatibleBits.known,
    ...bitNames(compatible, COMPATIBLE_NAMES).known,
    ...bitNames(autoclear, AUTOCLEAR_NAMES).known.map((n) => `${n} (autoclear)`),
  ]
  return {
    version,
    clusterBits,
    clusterSize,
    size,
    l1Size,
    l1TableOffset,
    refcountTableOffset,
    snapshotCount,
    snapshotsOffset,
    features,
    dirty: hasBit(incompatible, INCOMPATIBLE.dirty),
    corrupt: hasBit(incompatible, INCOMPATIBLE.corrupt),
    extendedL2,
    ...(backingFile !== undefined ? {backingFile} : {}),
    ...(backingFormat !== undefined ? {backingFormat} : {}),
    headerLength,
  }
}

function hasBit(value: bigint, bit: number): boolean {
  return ((value >> BigInt(bit)) & 1n) === 1n
}

export interface QcowSnapshot extends QcowSnapshotInfo {
  l1TableOffset: number
  l1Size: number
}

/** [QCOW2] "Snapshots": `count` variable-length entries, each padded to 8 bytes. */
export function parseQcowSnapshots(table: Buffer, count: number, where: string, tableOffset = 0): QcowSnapshot[] {
  const snapshots: QcowSnapshot[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + 40 > table.length) throw new CorruptImageError(`${where}: snapshot ${i + 1} of ${count} runs past the snapshot table`, tableOffset + at)
    const l1TableOffset = safeOffset(table.readBigUInt64BE(at), 'snapshot L1 table offset', where, tableOffset + at)
    const l1Size = table.readUInt32BE(at + 8)
    const idLength = table.readUInt16BE(at + 12)
    const nameLength = table.readUInt16BE(at + 14)
    const seconds = table.readUInt32BE(at + 16)
    const nanoseconds = table.readUInt32BE(at + 20)
    const guestRunTimeNs = Number(table.readBigUInt64BE(at + 24))
    let vmStateSize = table.readUInt32BE(at + 32)
    const extraLength = table.readUInt32BE(at + 36)
    const extraAt = at + 40
    const idAt = extraAt + extraLength
    const end = idAt + idLength + nameLength
    if (end > table.length) throw new CorruptImageError(`${where}: snapshot ${i + 1} of ${count} runs past the snapshot table`, tableOffset + at)
    let diskSize: number | undefined
    if (extraLength >= 8) vmStateSize = Number(table.readBigUInt64BE(extraAt))
    if (extraLength >= 16) diskSize = Number(table.readBigUInt64BE(extraAt + 8))
    if (nanoseconds >= 1e9) throw new CorruptImageError(`${where}: snapshot ${i + 1} has ${nanoseconds} nanoseconds in a second`, tableOffset + at + 20)
    snapshots.push({
      id: table.toString('utf8', idAt, idAt + idLength),
      name: table.toString('utf8', idAt + idLength, end),
      date: isoFromTicks(BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds), 1_000_000_000n, 0n, 9),
      guestRunTimeNs,
      vmStateSize,
      ...(diskSize !== undefined ? {diskSize} : {}),
      l1TableOffset,
      l1Size,
    })
    at = end + ((8 - (end % 8)) % 8)
  }
  return snapshots
}

/** How a piece of the virtual disk is read. */
const enum Piece {
  zeros,
  stored,
  parent,
  compressed,
}

export interface QcowOpenOptions {
  /** Opens the backing file; without it a backing file is refused. */
  openParent?: ParentOpener
  /** Real paths of the images above this one (the loop guard). */
  chain?: readonly string[]
  /** Bytes of L2 tables kept in memory (default 32 MiB). */
  cacheBytes?: number
}

/** A QCOW2 image as the byte source of its virtual disk. */
export class QcowImage implements LayerSource {
  readonly size: number
  readonly format = 'qcow2'
  /** Every file read: this image, then its backing files. */
  readonly files: string[]
  readonly snapshots: QcowSnapshot[]
  /** Problems that do not stop reading (dirty or corrupt flag set, a damaged snapshot table). */
  readonly warnings: string[] = []

  private readonly file: FileByteSource
  private readonly clusterSize: number
  private readonly l2Entries: number
  private readonly l2EntryBytes: number
  private readonly subclusterSize: number
  /** Host offset of each L2 table (0: none). */
  private readonly l1: Float64Array
  private readonly l2Cache = new Map<number, Buffer>()
  private readonly l2CacheLimit: number
  private lastL2: {index: number; table: Buffer} | undefined
  private readonly clusterCache = new Map<number, Buffer>()
  /** One reused native handle for the compressed clusters ([QCOW2] compression_type 0: raw deflate). */
  private readonly inflater = new ZlibInflater({raw: true})
  /** Compressed descriptor ([QCOW2] "Compressed Clusters Descriptor"): offset bits, size bits. */
  private readonly compressedOffsetBits: bigint
  private readonly parent: ParentImage | undefined
  private readonly parentSource: LayerSource | undefined

  // The piece found by locate(): kind, length, host offset (stored) or guest cluster (compressed).
  private pieceKind = Piece.zeros
  private pieceLength = 0
  private pieceHost = 0

  private constructor(
    readonly path: string,
    readonly header: QcowHeader,
    file: FileByteSource,
    l1: Float64Array,
    snapshots: QcowSnapshot[],
    parent: ParentImage | undefined,
    cacheBytes: number,
  ) {
    this.file = file
    this.size = header.size
    this.clusterSize = header.clusterSize
    this.l2EntryBytes = header.extendedL2 ? 16 : 8
    this.l2Entries = header.clusterSize / this.l2EntryBytes
    this.subclusterSize = header.clusterSize / 32
    this.l1 = l1
    this.snapshots = snapshots
    this.l2CacheLimit = Math.max(4, Math.floor(cacheBytes / header.clusterSize))
    this.compressedOffsetBits = BigInt(62 - (header.clusterBits - 8))
    this.parent = parent
    this.parentSource = parent?.source
    this.files = [path, ...(parent?.files ?? [])]
  }

  /** What `image info` and the evidence description show of the disk and its backing chain. */
  get description(): VirtualDiskDescription {
    const parents = parentsOf(this.parent)
    return {
      diskType: `QCOW2 v${this.header.version}`,
      blockSize: this.header.clusterSize,
      ...(this.header.features.length > 0 ? {features: this.header.features} : {}),
      ...(this.header.backingFile !== undefined ? {parentAsRecorded: this.header.backingFile} : {}),
      ...(parents.length > 0 ? {parents} : {}),
      ...(this.snapshots.length > 0 ? {snapshots: this.snapshots.map(({l1TableOffset: _o, l1Size: _s, ...info}) => info)} : {}),
    }
  }

  /** Warnings of this image and every backing file. */
  get allWarnings(): string[] {
    return [...this.warnings, ...(this.parent?.warnings ?? [])]
  }

  /** Opens `path` (absolute), and its backing chain through `options.openParent`. */
  static open(path: string, options: QcowOpenOptions = {}): QcowImage {
    const file = new FileByteSource(path)
    let parent: ParentImage | undefined
    try {
      const first = file.read(0, 104)
      const probe = first.length >= 24 && isQcow(first) ? first.readUInt32BE(20) : 16
      const head = file.read(0, probe >= 9 && probe <= MAX_CLUSTER_BITS ? 2 ** probe : 65536)
      const header = parseQcowHeader(head, path)
      const warnings: string[] = []
      if (header.dirty) warnings.push(`${path}: the dirty flag is set (QEMU did not close it cleanly); its refcounts may be stale, its mapping tables are read as they are`)
      if (header.corrupt) warnings.push(`${path}: QEMU marked this image corrupt; its tables are read as they are, and reads stop at the first inconsistency`)

      const l1Bytes = header.l1Size * 8
      if (header.l1TableOffset + l1Bytes > file.size) {
        throw new CorruptImageError(`${path}: L1 table (${header.l1Size} entries at ${header.l1TableOffset}) runs past the end of the file (${file.size} bytes)`, 40)
      }
      const l1 = parseL1Table(file.read(header.l1TableOffset, l1Bytes), header, path)

      let snapshots: QcowSnapshot[] = []
      if (header.snapshotCount > 0) {
        try {
          // entries are at most 40 + 2^32 bytes in theory; QEMU caps the table at 64 MiB
          const tableBytes = Math.min(64 * 1024 * 1024, file.size - header.snapshotsOffset)
          if (tableBytes <= 0) throw new CorruptImageError(`${path}: snapshot table at ${header.snapshotsOffset} is past the end of the file`, 64)
          snapshots = parseQcowSnapshots(file.read(header.snapshotsOffset, tableBytes), header.snapshotCount, path, header.snapshotsOffset)
        } catch (error) {
          if (!(error instanceof CorruptImageError)) throw error
          warnings.push(`${error.message}; internal snapshots are not listed`)
        }
      }

      if (header.backingFile !== undefined) {
        if (!options.openParent) throw new UnsupportedFormatError(`${path}: has a backing file (${header.backingFile}), and none can be opened here`)
        refuseProtocolName(path, header.backingFile)
        parent = options.openParent(path, {how: 'backing file', path: header.backingFile}, header.backingFormat, [...(options.chain ?? []), realpathSync(path)])
      }
      const image = new QcowImage(path, header, file, l1, snapshots, parent, options.cacheBytes ?? 32 * 1024 * 1024)
      image.warnings.push(...warnings)
      return image
    } catch (error) {
      parent?.source.close()
      file.close()
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
    // Stored pieces that follow each other in the file too are read with one pread.
    let runHost = -1
    let runAt = 0
    let runLength = 0
    const flush = (): void => {
      if (runLength === 0) return
      const got = this.file.readInto(runHost, target, runAt, runLength)
      if (got < runLength) throw new CorruptImageError(`${this.path}: stored clusters at ${runHost} run past the end of the file (${this.file.size} bytes)`, runHost)
      runLength = 0
    }
    while (position < end) {
      this.locate(position, end)
      const n = this.pieceLength
      if (this.pieceKind === Piece.stored) {
        if (runLength > 0 && runHost + runLength === this.pieceHost) runLength += n
        else {
          flush()
          runHost = this.pieceHost
          runAt = at
          runLength = n
        }
      } else {
        flush()
        if (this.pieceKind === Piece.zeros) target.fill(0, at, at + n)
        else if (this.pieceKind === Piece.parent) readParentInto(this.parentSource, position, target, at, n)
        else {
          const cluster = this.compressedCluster(this.pieceHost)
          const within = position - this.pieceHost * this.clusterSize
          target.set(cluster.subarray(within, within + n), at)
        }
      }
      position += n
      at += n
    }
    flush()
    return end - offset
  }

  /**
   * Finds how the bytes from `position` on are read: sets pieceKind, pieceLength
   * (to the end of the cluster, subcluster or `end`) and pieceHost (the file offset
   * of stored bytes; the guest cluster number of a compressed cluster).
   */
  private locate(position: number, end: number): void {
    const clusterSize = this.clusterSize
    const cluster = Math.floor(position / clusterSize)
    const within = position - cluster * clusterSize
    const l1Index = Math.floor(cluster / this.l2Entries)
    const toClusterEnd = Math.min(clusterSize - within, end - position)
    const table = l1Index < this.l1.length && this.l1[l1Index] !== 0 ? this.l2Table(l1Index) : undefined
    if (!table) {
      this.setUnallocated(toClusterEnd)
      return
    }
    const e = (cluster - l1Index * this.l2Entries) * this.l2EntryBytes
    const hi = table.readUInt32BE(e)
    const lo = table.readUInt32BE(e + 4)
    if (hi & 0x40000000) {
      // [QCOW2] "Compressed Clusters Descriptor": no subclusters, whatever the L2 format.
      this.pieceKind = Piece.compressed
      this.pieceLength = toClusterEnd
      this.pieceHost = cluster
      return
    }
    // [QCOW2] "Standard Cluster Descriptor": bits 9-55 the host offset, bit 0 reads-as-zeros.
    const host = (hi & 0x00ffffff) * 0x1_0000_0000 + (lo & 0xfffffe00)
    if (host % clusterSize !== 0) {
      throw new CorruptImageError(`${this.path}: guest cluster ${cluster} (media offset ${cluster * clusterSize}) maps to host offset ${host}, not cluster-aligned`, this.l2EntryOffset(l1Index, e))
    }
    if (!this.header.extendedL2) {
      if (lo & 1) {
        if (this.header.version < 3) throw new CorruptImageError(`${this.path}: guest cluster ${cluster} is a zero cluster, which QCOW2 v2 does not have`, this.l2EntryOffset(l1Index, e))
        this.pieceKind = Piece.zeros
        this.pieceLength = toClusterEnd
        return
      }
      if (host === 0) {
        this.setUnallocated(toClusterEnd)
        return
      }
      this.setStored(cluster, host + within, toClusterEnd, l1Index, e)
      return
    }
    // [QCOW2] "Extended L2 Entries": 32 subclusters, an allocated bit (0-31) and a zero bit (32-63) each.
    const zeroBits = table.readUInt32BE(e + 8)
    const allocBits = table.readUInt32BE(e + 12)
    const sub = Math.floor(within / this.subclusterSize)
    const kindOf = (s: number): Piece => {
      const allocated = (allocBits >>> s) & 1
      const zero = (zeroBits >>> s) & 1
      if (allocated && zero) {
        throw new CorruptImageError(`${this.path}: subcluster ${s} of guest cluster ${cluster} is marked both allocated and zero`, this.l2EntryOffset(l1Index, e))
      }
      return allocated ? Piece.stored : zero ? Piece.zeros : Piece.parent
    }
    const kind = kindOf(sub)
    let last = sub
    const lastNeeded = Math.floor((within + toClusterEnd - 1) / this.subclusterSize)
    while (last < lastNeeded && kindOf(last + 1) === kind) last++
    const length = Math.min(toClusterEnd, (last + 1) * this.subclusterSize - within)
    if (kind === Piece.stored) {
      if (host === 0) throw new CorruptImageError(`${this.path}: guest cluster ${cluster} has allocated subclusters but no host cluster`, this.l2EntryOffset(l1Index, e))
      this.setStored(cluster, host + within, length, l1Index, e)
    } else if (kind === Piece.zeros) {
      this.pieceKind = Piece.zeros
      this.pieceLength = length
    } else {
      this.setUnallocated(length)
    }
  }

  private setUnallocated(length: number): void {
    this.pieceKind = this.parentSource ? Piece.parent : Piece.zeros
    this.pieceLength = length
  }

  private setStored(cluster: number, hostOffset: number, length: number, l1Index: number, entry: number): void {
    if (hostOffset + length > this.file.size) {
      throw new CorruptImageError(
        `${this.path}: guest cluster ${cluster} (media offset ${cluster * this.clusterSize}) is stored at ${hostOffset - (hostOffset % this.clusterSize)}, past the end of the file (${this.file.size} bytes)`,
        this.l2EntryOffset(l1Index, entry),
      )
    }
    this.pieceKind = Piece.stored
    this.pieceLength = length
    this.pieceHost = hostOffset
  }

  private l2EntryOffset(l1Index: number, entry: number): number {
    return this.l1[l1Index] + entry
  }

  /** The L2 table of L1 entry `index`, from the cache or the file. */
  private l2Table(index: number): Buffer {
    if (this.lastL2?.index === index) return this.lastL2.table
    let table = this.l2Cache.get(index)
    if (table) this.l2Cache.delete(index)
    else {
      const offset = this.l1[index]
      const first = index * this.l2Entries * this.clusterSize
      if (offset + this.clusterSize > this.file.size) {
        throw new CorruptImageError(
          `${this.path}: L1 entry ${index} (media offsets ${first}-${first + this.l2Entries * this.clusterSize - 1}) points to an L2 table at ${offset}, past the end of the file (${this.file.size} bytes)`,
          this.header.l1TableOffset + index * 8,
        )
      }
      table = this.file.read(offset, this.clusterSize)
      if (this.l2Cache.size >= this.l2CacheLimit) this.l2Cache.delete(this.l2Cache.keys().next().value as number)
    }
    this.l2Cache.set(index, table)
    this.lastL2 = {index, table}
    return table
  }

  /** Guest cluster `cluster`, compressed: inflated (raw deflate, [QCOW2] compression_type 0) and cached. */
  private compressedCluster(cluster: number): Buffer {
    const cached = this.clusterCache.get(cluster)
    if (cached) return cached
    const l1Index = Math.floor(cluster / this.l2Entries)
    const table = this.l2Table(l1Index)
    const e = (cluster - l1Index * this.l2Entries) * this.l2EntryBytes
    const descriptor = table.readBigUInt64BE(e) & 0x3fffffffffffffffn
    const offsetBits = this.compressedOffsetBits
    const host = Number(descriptor & ((1n << offsetBits) - 1n))
    // bits x-61: additional 512-byte sectors beyond the one holding the offset
    const sectors = Number(descriptor >> offsetBits) + 1
    const stored = sectors * 512 - (host % 512)
    const where = `${this.path}: compressed guest cluster ${cluster} (media offset ${cluster * this.clusterSize})`
    if (host >= this.file.size) throw new CorruptImageError(`${where} is stored at ${host}, past the end of the file (${this.file.size} bytes)`, this.l2EntryOffset(l1Index, e))
    // the last sector may be cut short at the end of the file: decompression stops at a full cluster
    const input = this.file.read(host, Math.min(stored, this.file.size - host))
    let data: Buffer
    try {
      data = this.inflater.inflate(input, this.clusterSize)
    } catch {
      // QEMU takes a cluster whose stream stops short of its end once the cluster is whole
      try {
        data = inflateRawSync(input, {finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: this.clusterSize * 2})
      } catch (error) {
        throw new CorruptImageError(`${where}: ${stored} bytes at ${host} do not decompress (${errorMessage(error)})`, this.l2EntryOffset(l1Index, e))
      }
    }
    if (data.length < this.clusterSize) {
      throw new CorruptImageError(`${where}: ${stored} bytes at ${host} decompress to ${data.length} bytes, not the ${this.clusterSize} of a cluster`, this.l2EntryOffset(l1Index, e))
    }
    const inflated = data.length === this.clusterSize ? data : data.subarray(0, this.clusterSize)
    if (this.clusterCache.size >= 8) this.clusterCache.delete(this.clusterCache.keys().next().value as number)
    this.clusterCache.set(cluster, inflated)
    return inflated
  }

  close(): void {
    this.file.close()
    this.parentSource?.close()
    this.l2Cache.clear()
    this.clusterCache.clear()
    this.inflater.close()
    this.lastL2 = undefined
  }
}

/** [QCOW2] "L1 table entry": bits 9-55 the L2 table offset, cluster-aligned; 0 for none. */
export function parseL1Table(bytes: Buffer, header: Pick<QcowHeader, 'l1Size' | 'clusterSize' | 'l1TableOffset'>, where: string): Float64Array {
  const l1 = new Float64Array(header.l1Size)
  for (let i = 0; i < header.l1Size && i * 8 + 8 <= bytes.length; i++) {
    const offset = (bytes.readUInt32BE(i * 8) & 0x00ffffff) * 0x1_0000_0000 + (bytes.readUInt32BE(i * 8 + 4) & 0xfffffe00)
    if (offset % header.clusterSize !== 0) {
      throw new CorruptImageError(`${where}: L1 entry ${i} points to an L2 table at ${offset}, not cluster-aligned`, header.l1TableOffset + i * 8)
    }
    l1[i] = offset
  }
  return l1
}

/**
 * A backing file name that is a QEMU protocol (nbd:, json:, https:) names no file: refused.
 * A drive letter (C:\\VMs\\base.qcow2) is a file name of the host that made the image.
 */
export function refuseProtocolName(imagePath: string, name: string): void {
  if (/^[a-z][a-z0-9+.-]*:/i.test(name) && !/^[a-z]:[\\/]/i.test(name)) {
    throw new UnsupportedFormatError(`${imagePath}: backing file "${name}" is a QEMU protocol name, not a file; trawl reads backing files only`)
  }
}
