import {realpathSync} from 'node:fs'
import {CorruptImageError, ParentImageMismatchError, UnsupportedFormatError} from '../errors.js'
import {FileByteSource, forEachBlockPiece} from './byte-source.js'
import type {ByteSource} from './byte-source.js'
import {checkChain, findParentImage, formatStoredGuid} from './parent-image.js'
import type {ParentImageDescription, ParentLocation, VirtualDiskDescription} from './parent-image.js'

/**
 * Virtual Hard Disk (VHD, Virtual PC / Hyper-V generation 1), read-only. Layout as
 * Microsoft's "Virtual Hard Disk Image Format Specification" (version 1.0, cited [VHD] with
 * its section) and libyal's "Virtual Hard Disk (VHD) image format" describe it. Every
 * integer is big-endian.
 *
 * - Fixed: the media bytes as they are, then a 512-byte footer.
 * - Dynamic: a copy of the footer at offset 0, a dynamic disk header, a block allocation
 *   table (BAT) of sector numbers, blocks (a sector bitmap, then the block's data), the footer.
 * - Differencing: a dynamic disk whose sectors the bitmap marks absent are the parent's.
 */

export const VHD_COOKIE = Buffer.from('conectix', 'latin1')
const DYNAMIC_COOKIE = Buffer.from('cxsparse', 'latin1')
const SECTOR = 512
const FOOTER_SIZE = 512
const DYNAMIC_HEADER_SIZE = 1024
/** [VHD] "Hard Disk Footer Format", Time Stamp: seconds since 2000-01-01 00:00:00 UTC. */
const VHD_EPOCH_MS = Date.UTC(2000, 0, 1)
const UNUSED_BAT_ENTRY = 0xffffffff

export type VhdDiskType = 'fixed' | 'dynamic' | 'differencing'
const DISK_TYPES: Record<number, VhdDiskType> = {2: 'fixed', 3: 'dynamic', 4: 'differencing'}

export interface VhdFooter {
  features: number
  formatVersion: string
  /** Offset of the dynamic disk header; 0xFFFFFFFFFFFFFFFF (as -1) for a fixed disk. */
  dataOffset: number
  created: string
  creatorApplication: string
  creatorVersion: string
  creatorHostOs: string
  originalSize: number
  currentSize: number
  geometry: {cylinders: number; heads: number; sectorsPerTrack: number}
  diskType: VhdDiskType
  checksum: number
  /** The checksum of the bytes as they are: differs from `checksum` when the footer was changed after it was written. */
  computedChecksum: number
  uniqueId: string
  savedState: boolean
}

/** [VHD] "Checksum": the one's complement of the sum of every byte but the checksum's own four. */
export function vhdChecksum(bytes: Buffer, checksumAt: number): number {
  let sum = 0
  for (let i = 0; i < bytes.length; i++) if (i < checksumAt || i >= checksumAt + 4) sum += bytes[i]
  return ~sum >>> 0
}

function fourCC(bytes: Buffer, at: number): string {
  return bytes.toString('latin1', at, at + 4)
}

/** True if these 512 bytes start with the footer cookie "conectix". */
export function hasVhdCookie(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(VHD_COOKIE)
}

/** [VHD] "Hard Disk Footer Format". Throws CorruptImageError for a footer that is not one. */
export function parseVhdFooter(bytes: Buffer, where: string, at: number): VhdFooter {
  if (bytes.length < 511) throw new CorruptImageError(`${where}: VHD footer truncated (${bytes.length} bytes)`, at)
  if (!hasVhdCookie(bytes)) throw new CorruptImageError(`${where}: no VHD footer cookie "conectix"`, at)
  const typeCode = bytes.readUInt32BE(60)
  const diskType = DISK_TYPES[typeCode]
  if (!diskType) throw new UnsupportedFormatError(`${where}: VHD disk type ${typeCode} is not fixed (2), dynamic (3) or differencing (4)`)
  const major = bytes.readUInt16BE(12)
  if (major !== 1) throw new UnsupportedFormatError(`${where}: VHD format version ${major}.${bytes.readUInt16BE(14)} (only 1.0 is specified)`)
  const dataOffset = bytes.readBigUInt64BE(16)
  const currentSize = Number(bytes.readBigUInt64BE(48))
  if (!Number.isSafeInteger(currentSize)) throw new CorruptImageError(`${where}: VHD current size ${bytes.readBigUInt64BE(48)} is not a disk size`, at + 48)
  // a pre-2004 footer is 511 bytes; the checksum covers what is there
  const checked = bytes.subarray(0, Math.min(bytes.length, FOOTER_SIZE))
  return {
    features: bytes.readUInt32BE(8),
    formatVersion: `${major}.${bytes.readUInt16BE(14)}`,
    dataOffset: dataOffset === 0xffffffffffffffffn ? -1 : Number(dataOffset),
    created: new Date(VHD_EPOCH_MS + bytes.readUInt32BE(24) * 1000).toISOString().replace('.000Z', 'Z'),
    creatorApplication: fourCC(bytes, 28).replace(/\0/g, '').trim(),
    creatorVersion: `${bytes.readUInt16BE(32)}.${bytes.readUInt16BE(34)}`,
    creatorHostOs: fourCC(bytes, 36).replace(/\0/g, '').trim(),
    originalSize: Number(bytes.readBigUInt64BE(40)),
    currentSize,
    geometry: {cylinders: bytes.readUInt16BE(56), heads: bytes[58], sectorsPerTrack: bytes[59]},
    diskType,
    checksum: bytes.readUInt32BE(64),
    computedChecksum: vhdChecksum(checked, 64),
    uniqueId: formatStoredGuid(bytes.subarray(68, 84)),
    savedState: bytes[84] === 1,
  }
}

export interface VhdParentLocator {
  /** 'W2ru' (relative Windows path, UTF-16LE), 'W2ku' (absolute), 'Wi2r'/'Wi2k' (deprecated), 'Mac ', 'MacX'. */
  platformCode: string
  /** Bytes of the path and where they are in the file. */
  dataLength: number
  dataOffset: number
}

export interface VhdDynamicHeader {
  tableOffset: number
  headerVersion: string
  maxTableEntries: number
  blockSize: number
  checksum: number
  computedChecksum: number
  parentUniqueId: string
  parentTimestamp: string
  parentName: string
  locators: VhdParentLocator[]
}

/** [VHD] "Dynamic Disk Header Format". */
export function parseVhdDynamicHeader(bytes: Buffer, where: string, at: number): VhdDynamicHeader {
  if (bytes.length < DYNAMIC_HEADER_SIZE) throw new CorruptImageError(`${where}: VHD dynamic disk header truncated (${bytes.length} of ${DYNAMIC_HEADER_SIZE} bytes)`, at)
  if (!bytes.subarray(0, 8).equals(DYNAMIC_COOKIE)) throw new CorruptImageError(`${where}: no VHD dynamic disk header cookie "cxsparse"`, at)
  const tableOffset = Number(bytes.readBigUInt64BE(16))
  const blockSize = bytes.readUInt32BE(32)
  // the specification's default is 2 MiB; any power of two of whole sectors is read
  if (blockSize < SECTOR || (blockSize & (blockSize - 1)) !== 0) throw new CorruptImageError(`${where}: VHD block size ${blockSize} is not a power of two of 512-byte sectors`, at + 32)
  if (!Number.isSafeInteger(tableOffset)) throw new CorruptImageError(`${where}: VHD BAT offset out of range`, at + 16)
  const locators: VhdParentLocator[] = []
  for (let i = 0; i < 8; i++) {
    const entry = bytes.subarray(576 + i * 24, 600 + i * 24)
    if (entry.readUInt32BE(0) === 0) continue
    locators.push({platformCode: fourCC(entry, 0), dataLength: entry.readUInt32BE(8), dataOffset: Number(entry.readBigUInt64BE(16))})
  }
  const name = Buffer.from(bytes.subarray(64, 576))
  name.swap16()
  const parentName = name.toString('utf16le').replace(/\0[\s\S]*$/, '')
  return {
    tableOffset,
    headerVersion: `${bytes.readUInt16BE(24)}.${bytes.readUInt16BE(26)}`,
    maxTableEntries: bytes.readUInt32BE(28),
    blockSize,
    checksum: bytes.readUInt32BE(36),
    computedChecksum: vhdChecksum(bytes.subarray(0, DYNAMIC_HEADER_SIZE), 36),
    parentUniqueId: formatStoredGuid(bytes.subarray(40, 56)),
    parentTimestamp: new Date(VHD_EPOCH_MS + bytes.readUInt32BE(56) * 1000).toISOString().replace('.000Z', 'Z'),
    parentName,
    locators,
  }
}

/** [VHD] "Platform Code": the path a parent locator holds, in its encoding. */
export function decodeLocatorPath(platformCode: string, data: Buffer): string | undefined {
  switch (platformCode) {
    case 'W2ru':
    case 'W2ku':
      return data.toString('utf16le', 0, data.length & ~1).replace(/\0[\s\S]*$/, '')
    case 'Wi2r':
    case 'Wi2k':
      return data.toString('latin1').replace(/\0[\s\S]*$/, '')
    case 'MacX': {
      // a file URL, UTF-8: file://localhost/Users/...
      const text = data.toString('utf8').replace(/\0[\s\S]*$/, '')
      try {
        return decodeURIComponent(new URL(text).pathname)
      } catch {
        return text
      }
    }
    default:
      return undefined
  }
}

const LOCATOR_NAMES: Record<string, string> = {
  W2ru: 'relative locator (W2ru)',
  W2ku: 'absolute locator (W2ku)',
  Wi2r: 'relative locator (Wi2r)',
  Wi2k: 'absolute locator (Wi2k)',
  MacX: 'Mac OS X locator (MacX)',
}

/** The format of a file by its footer at the end (every VHD) or its copy at offset 0 (dynamic, differencing). */
export function isVhd(head: Buffer, tail: Buffer): boolean {
  return hasVhdCookie(head) || hasVhdCookie(tail) || hasVhdCookie(tail.subarray(1))
}

export interface VhdOpenOptions {
  /** Real paths of the children above this disk: a parent already among them is a loop. */
  chain?: readonly string[]
}

/** A VHD image: fixed, dynamic, or differencing with its parent chain opened beside it. */
export class VhdImage implements ByteSource {
  readonly format = 'vhd'
  readonly size: number
  readonly footer: VhdFooter
  readonly dynamicHeader?: VhdDynamicHeader
  /** The parent of a differencing disk, itself a VhdImage. */
  readonly parent?: VhdImage
  /** How the parent was found (which locator, which path). */
  readonly parentFoundBy?: string
  /** Problems that do not stop the reading (a checksum that does not match, a footer only found at offset 0). */
  readonly warnings: string[] = []
  private readonly file: FileByteSource
  private readonly bat?: Uint32Array
  private readonly bitmapSize: number = 0
  private readonly bitmaps = new Map<number, Buffer>()

  private constructor(
    readonly path: string,
    chain: readonly string[],
  ) {
    this.file = new FileByteSource(path)
    try {
      this.footer = this.readFooter()
      if (this.footer.diskType === 'fixed') {
        this.size = this.footer.currentSize
        if (this.file.size - FOOTER_SIZE < this.size) {
          this.warnings.push(`${path}: fixed VHD of ${this.size} bytes, but the file holds only ${Math.max(0, this.file.size - FOOTER_SIZE)} bytes of data before its footer`)
        }
        return
      }
      this.size = this.footer.currentSize
      if (this.footer.dataOffset < 0) throw new CorruptImageError(`${path}: ${this.footer.diskType} VHD without a dynamic disk header offset`, 16)
      const header = parseVhdDynamicHeader(this.file.read(this.footer.dataOffset, DYNAMIC_HEADER_SIZE), path, this.footer.dataOffset)
      this.dynamicHeader = header
      if (header.checksum !== header.computedChecksum) {
        this.warnings.push(`${path}: VHD dynamic disk header checksum mismatch (stored 0x${hex(header.checksum)}, computed 0x${hex(header.computedChecksum)}): changed after it was written; read as it stands`)
      }
      const blocks = Math.ceil(this.size / header.blockSize)
      if (header.maxTableEntries < blocks) {
        throw new CorruptImageError(`${path}: VHD BAT has ${header.maxTableEntries} entries, the disk of ${this.size} bytes needs ${blocks}`, this.footer.dataOffset + 28)
      }
      // checked before reading: a damaged size or table offset must not become a huge allocation
      if (header.tableOffset + blocks * 4 > this.file.size) {
        throw new CorruptImageError(`${path}: VHD BAT of ${blocks} entries at offset ${header.tableOffset} runs past the end of the file (${this.file.size} bytes)`, header.tableOffset)
      }
      const table = this.file.read(header.tableOffset, blocks * 4)
      if (table.length < blocks * 4) throw new CorruptImageError(`${path}: VHD BAT of ${blocks} entries runs past the end of the file (${this.file.size} bytes)`, header.tableOffset)
      this.bat = new Uint32Array(blocks)
      const pastEnd: number[] = []
      for (let i = 0; i < blocks; i++) {
        const entry = table.readUInt32BE(i * 4)
        this.bat[i] = entry
        if (entry !== UNUSED_BAT_ENTRY && entry * SECTOR >= this.file.size) pastEnd.push(i)
      }
      if (pastEnd.length > 0) {
        this.warnings.push(`${path}: VHD BAT entries of ${pastEnd.length} block(s) (${pastEnd.slice(0, 8).join(', ')}${pastEnd.length > 8 ? ', ...' : ''}) point past the end of the file; reading them fails`)
      }
      // [VHD] "Block Allocation Table and Data Blocks": the bitmap is padded to a sector boundary
      this.bitmapSize = Math.ceil(header.blockSize / SECTOR / 8 / SECTOR) * SECTOR
      if (this.footer.diskType === 'differencing') {
        const realPath = realpathSync(path)
        const {path: parentPath, foundBy} = findParentImage(path, this.parentLocations(header))
        checkChain(path, parentPath, [...chain, realPath])
        const parent = VhdImage.open(parentPath, {chain: [...chain, realPath]})
        if (parent.footer.uniqueId !== header.parentUniqueId) {
          parent.close()
          throw new ParentImageMismatchError(
            `${path}: the parent found (${parentPath}, by ${foundBy}) has unique id ${parent.footer.uniqueId}, but this differencing VHD was made from ${header.parentUniqueId}: not its parent`,
          )
        }
        this.parent = parent
        this.parentFoundBy = foundBy
      }
    } catch (error) {
      this.file.close()
      throw error
    }
  }

  static open(path: string, options: VhdOpenOptions = {}): VhdImage {
    return new VhdImage(path, options.chain ?? [])
  }

  /**
   * The footer at the end, or its copy at offset 0 when the end holds none (a truncated
   * dynamic disk) or one whose checksum fails while the copy's holds. A footer whose
   * checksum fails everywhere is read with a warning: the fields are checked one by one.
   */
  private readFooter(): VhdFooter {
    const size = this.file.size
    const endAt = size - FOOTER_SIZE
    const end = endAt >= 0 ? this.file.read(endAt, FOOTER_SIZE) : Buffer.alloc(0)
    // [VHD] footers written before Virtual PC 2004 are 511 bytes
    const short = size >= 511 ? this.file.read(size - 511, 511) : Buffer.alloc(0)
    const copy = this.file.read(0, FOOTER_SIZE)
    const endFooter = hasVhdCookie(end) ? parseVhdFooter(end, this.path, endAt) : hasVhdCookie(short) ? parseVhdFooter(short, this.path, size - 511) : undefined
    const copyFooter = hasVhdCookie(copy) && copy.length === FOOTER_SIZE ? parseVhdFooter(copy, this.path, 0) : undefined
    const valid = (f: VhdFooter | undefined) => f !== undefined && f.checksum === f.computedChecksum
    if (endFooter && valid(endFooter)) return endFooter
    if (copyFooter && copyFooter.diskType !== 'fixed' && valid(copyFooter)) {
      this.warnings.push(`${this.path}: the VHD footer at the end of the file is ${endFooter ? 'damaged (checksum mismatch)' : 'missing (truncated file?)'}; its copy at offset 0 is used`)
      return copyFooter
    }
    const footer = endFooter ?? (copyFooter && copyFooter.diskType !== 'fixed' ? copyFooter : undefined)
    if (!footer) throw new CorruptImageError(`${this.path}: no VHD footer at the end of the file or at offset 0`, Math.max(0, endAt))
    if (!endFooter) this.warnings.push(`${this.path}: the VHD footer at the end of the file is missing (truncated file?); its copy at offset 0 is used`)
    this.warnings.push(
      `${this.path}: VHD footer checksum mismatch (stored 0x${hex(footer.checksum)}, computed 0x${hex(footer.computedChecksum)}): the footer was changed after it was written; read as it stands`,
    )
    return footer
  }

  /** The parent locations the header records: its locators (W2ru, W2ku, ...), then its parent name. */
  private parentLocations(header: VhdDynamicHeader): ParentLocation[] {
    const locations: ParentLocation[] = []
    // relative first: a copied VM folder keeps relative paths true, absolute ones name the host
    const order = ['W2ru', 'Wi2r', 'W2ku', 'Wi2k', 'MacX']
    const locators = [...header.locators].sort((a, b) => order.indexOf(a.platformCode) - order.indexOf(b.platformCode))
    for (const locator of locators) {
      if (locator.dataLength === 0 || locator.dataLength > 64 * 1024) continue
      const data = this.file.read(locator.dataOffset, locator.dataLength)
      const path = decodeLocatorPath(locator.platformCode, data)
      if (path) locations.push({how: LOCATOR_NAMES[locator.platformCode] ?? locator.platformCode, path})
    }
    if (header.parentName) locations.push({how: 'parent name', path: header.parentName})
    return locations
  }

  /** The parents of a differencing disk, nearest first. */
  get parentChain(): ParentImageDescription[] {
    const chain: ParentImageDescription[] = []
    for (let p = this.parent, by = this.parentFoundBy; p; by = p.parentFoundBy, p = p.parent) {
      chain.push({path: p.path, format: 'vhd', diskType: p.footer.diskType, identifier: p.footer.uniqueId, foundBy: by ?? ''})
    }
    return chain
  }

  /** What `image info` shows of the disk. */
  get description(): VirtualDiskDescription {
    const f = this.footer
    const parents = this.parentChain
    return {
      diskType: f.diskType,
      identifier: f.uniqueId,
      ...(this.dynamicHeader ? {blockSize: this.dynamicHeader.blockSize} : {}),
      logicalSectorSize: SECTOR,
      creator: `${f.creatorApplication} ${f.creatorVersion} (${f.creatorHostOs}), ${f.created}`,
      ...(parents.length > 0 ? {parents} : {}),
    }
  }

  /** Warnings of this disk and every parent. */
  get allWarnings(): string[] {
    return [...this.warnings, ...(this.parent?.allWarnings ?? [])]
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const end = Math.min(this.size, offset + length)
    if (offset >= end) return Buffer.alloc(0)
    const out = Buffer.allocUnsafe(end - offset)
    if (this.footer.diskType === 'fixed') {
      this.fileInto(offset, out, 0, out.length, () => `fixed VHD data at ${offset}`)
      return out
    }
    forEachBlockPiece(offset, end, this.dynamicHeader!.blockSize, (block, within, at, take) => this.readBlock(block, within, out, at, take))
    return out
  }

  /** `take` bytes at `within` in virtual block `block`, into `out` at `at`. */
  private readBlock(block: number, within: number, out: Buffer, at: number, take: number): void {
    const entry = this.bat![block]
    if (entry === UNUSED_BAT_ENTRY) {
      // [VHD] an unused block of a dynamic disk reads as zeros; of a differencing disk, as the parent
      if (this.parent) this.parentInto(block * this.dynamicHeader!.blockSize + within, out, at, take)
      else out.fill(0, at, at + take)
      return
    }
    const dataStart = entry * SECTOR + this.bitmapSize
    const where = () => `VHD block ${block} (BAT entry: sector ${entry})`
    if (!this.parent) {
      // a dynamic disk's block holds every sector: its bitmap is not needed to read it (as qemu and libvhdi read it)
      this.fileInto(dataStart + within, out, at, take, where)
      return
    }
    // [VHD] "Sector bitmap": bit set (most significant bit first) = the sector is in this file
    const bitmap = this.bitmapOf(block, entry, where)
    let position = within
    const stop = within + take
    while (position < stop) {
      const sector = Math.floor(position / SECTOR)
      const present = (bitmap[sector >> 3] >> (7 - (sector & 7))) & 1
      let runEnd = (sector + 1) * SECTOR
      while (runEnd < stop && ((bitmap[(runEnd / SECTOR) >> 3] >> (7 - ((runEnd / SECTOR) & 7))) & 1) === present) runEnd += SECTOR
      const n = Math.min(runEnd, stop) - position
      if (present) this.fileInto(dataStart + position, out, at + position - within, n, where)
      else this.parentInto(block * this.dynamicHeader!.blockSize + position, out, at + position - within, n)
      position += n
    }
  }

  private bitmapOf(block: number, entry: number, where: () => string): Buffer {
    let bitmap = this.bitmaps.get(block)
    if (bitmap) return bitmap
    bitmap = Buffer.allocUnsafe(this.bitmapSize)
    this.fileInto(entry * SECTOR, bitmap, 0, this.bitmapSize, () => `sector bitmap of ${where()}`)
    if (this.bitmaps.size >= 256) this.bitmaps.delete(this.bitmaps.keys().next().value!)
    this.bitmaps.set(block, bitmap)
    return bitmap
  }

  /** Reads from this file, refusing a read that the file cannot satisfy: never garbage, never silent zeros. */
  private fileInto(fileOffset: number, out: Buffer, at: number, length: number, what: () => string): void {
    const done = this.file.readInto(fileOffset, out, at, length)
    if (done < length) {
      throw new CorruptImageError(`${this.path}: ${what()} lies past the end of the file (${this.file.size} bytes)`, fileOffset + done)
    }
  }

  /** Bytes of the parent; a parent smaller than its child reads as zeros beyond its end. */
  private parentInto(offset: number, out: Buffer, at: number, length: number): void {
    const bytes = this.parent!.read(offset, length)
    bytes.copy(out, at)
    if (bytes.length < length) out.fill(0, at + bytes.length, at + length)
  }

  close(): void {
    this.file.close()
    this.parent?.close()
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}
