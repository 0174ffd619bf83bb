import {realpathSync} from 'node:fs'
import {CorruptImageError, ParentImageMismatchError, UnsupportedFormatError} from '../errors.js'
import {FileByteSource, forEachBlockPiece} from './byte-source.js'
import type {ByteSource} from './byte-source.js'
import {crc32c} from './crc32c.js'
import {checkChain, findParentImage, formatMixedEndianGuid} from './parent-image.js'
import type {ParentImageDescription, ParentLocation, VirtualDiskDescription} from './parent-image.js'

/**
 * Virtual Hard Disk v2 (VHDX, Hyper-V since Windows 8 / Server 2012; KAPE writes it),
 * read-only. Layout as Microsoft's open specification [MS-VHDX] (cited with its section)
 * describes it. Every integer is little-endian; GUIDs are in Microsoft's mixed-endian form.
 *
 * The file is a header section (file identifier, two headers, two region tables), a log,
 * a BAT and a metadata region (both found through the region table), and 1 MiB-aligned
 * payload and sector bitmap blocks. A log that still holds updates (the writer stopped
 * before applying them) is replayed in memory over the file's bytes, never onto the file.
 */

const KiB = 1024
const MiB = 1024 * KiB
/** [MS-VHDX] 2.2.1: "vhdxfile". */
export const VHDX_SIGNATURE = Buffer.from('vhdxfile', 'latin1')
const HEADER_OFFSETS = [64 * KiB, 128 * KiB]
const HEADER_SIZE = 4 * KiB
const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB]
const REGION_TABLE_SIZE = 64 * KiB
const LOG_SECTOR = 4 * KiB
/** [MS-VHDX] 2.4: a sector bitmap block has a bit for each of 2^23 sectors. */
const SECTORS_PER_BITMAP_BLOCK = 2 ** 23

/** [MS-VHDX] 2.2.3.2 "Known Regions". */
const BAT_REGION = '2dc27766-f623-4200-9d64-115e9bfd4a08'
const METADATA_REGION = '8b7ca206-4790-4b9a-b8fe-575f050f886e'
/** [MS-VHDX] 2.6.2 "Known Metadata Items". */
const FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b'
const VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8'
const VIRTUAL_DISK_ID = 'beca12ab-b2e6-4523-93ef-c309e000c746'
const LOGICAL_SECTOR_SIZE = '8141bf1d-a96f-4709-ba47-f233a8faab5f'
const PHYSICAL_SECTOR_SIZE = 'cda348c7-445d-4471-9cc9-e9885251c556'
const PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c'
/** [MS-VHDX] 2.6.2.6.1: the locator type of a VHDX parent. */
const VHDX_PARENT_LOCATOR_TYPE = 'b04aefb7-d19e-4a81-b789-25b8e9445913'
const ZERO_GUID = '00000000-0000-0000-0000-000000000000'

/** [MS-VHDX] 2.5.1.1 payload block states and 2.5.1.2 sector bitmap block states. */
export const PayloadState = {notPresent: 0, undefined: 1, zero: 2, unmapped: 3, fullyPresent: 6, partiallyPresent: 7} as const
const SB_BLOCK_PRESENT = 6

/** True if these are the first bytes of a VHDX file ([MS-VHDX] 2.2.1 File Type Identifier). */
export function isVhdx(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(VHDX_SIGNATURE)
}

const guidAt = (bytes: Buffer, at: number) => formatMixedEndianGuid(bytes.subarray(at, at + 16))

export interface VhdxHeader {
  sequenceNumber: bigint
  fileWriteGuid: string
  dataWriteGuid: string
  logGuid: string
  logVersion: number
  version: number
  logLength: number
  logOffset: number
}

/** [MS-VHDX] 2.2.2 Headers: 4 KiB, signature "head", CRC-32C over all 4 KiB with the checksum field as zero. */
export function parseVhdxHeader(bytes: Buffer, where: string, at: number): VhdxHeader {
  if (bytes.length < HEADER_SIZE) throw new CorruptImageError(`${where}: VHDX header truncated`, at)
  if (bytes.toString('latin1', 0, 4) !== 'head') throw new CorruptImageError(`${where}: VHDX header without its signature "head"`, at)
  const stored = bytes.readUInt32LE(4)
  const computed = crc32c(bytes.subarray(0, HEADER_SIZE), 4)
  if (stored !== computed) throw new CorruptImageError(`${where}: VHDX header checksum mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`, at)
  const version = bytes.readUInt16LE(66)
  if (version !== 1) throw new UnsupportedFormatError(`${where}: VHDX header version ${version} (only 1 is specified)`)
  return {
    sequenceNumber: bytes.readBigUInt64LE(8),
    fileWriteGuid: guidAt(bytes, 16),
    dataWriteGuid: guidAt(bytes, 32),
    logGuid: guidAt(bytes, 48),
    logVersion: bytes.readUInt16LE(64),
    version,
    logLength: bytes.readUInt32LE(68),
    logOffset: Number(bytes.readBigUInt64LE(72)),
  }
}

export interface VhdxRegion {
  guid: string
  fileOffset: number
  length: number
  required: boolean
}

/** [MS-VHDX] 2.2.3 Region Table: 64 KiB, signature "regi", CRC-32C over all 64 KiB. */
export function parseRegionTable(bytes: Buffer, where: string, at: number): VhdxRegion[] {
  if (bytes.length < REGION_TABLE_SIZE) throw new CorruptImageError(`${where}: VHDX region table truncated`, at)
  if (bytes.toString('latin1', 0, 4) !== 'regi') throw new CorruptImageError(`${where}: VHDX region table without its signature "regi"`, at)
  const stored = bytes.readUInt32LE(4)
  const computed = crc32c(bytes.subarray(0, REGION_TABLE_SIZE), 4)
  if (stored !== computed) throw new CorruptImageError(`${where}: VHDX region table checksum mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`, at)
  const count = bytes.readUInt32LE(8)
  if (count > 2047) throw new CorruptImageError(`${where}: VHDX region table of ${count} entries (at most 2047)`, at + 8)
  const regions: VhdxRegion[] = []
  for (let i = 0; i < count; i++) {
    const e = 16 + i * 32
    regions.push({guid: guidAt(bytes, e), fileOffset: Number(bytes.readBigUInt64LE(e + 16)), length: bytes.readUInt32LE(e + 24), required: (bytes.readUInt32LE(e + 28) & 1) === 1})
  }
  return regions
}

export interface VhdxMetadata {
  blockSize: number
  leaveBlocksAllocated: boolean
  hasParent: boolean
  virtualDiskSize: number
  virtualDiskId: string
  logicalSectorSize: number
  physicalSectorSize: number
  /** [MS-VHDX] 2.6.2.6: key -> value (parent_linkage, relative_path, absolute_win32_path, ...). */
  parentLocator?: Record<string, string>
}

/** [MS-VHDX] 2.6 Metadata Region: a table ("metadata") of items, each at an offset in the region. */
export function parseMetadataRegion(region: Buffer, where: string, at: number): VhdxMetadata {
  if (region.length < 32 || region.toString('latin1', 0, 8) !== 'metadata') throw new CorruptImageError(`${where}: VHDX metadata table without its signature "metadata"`, at)
  const count = region.readUInt16LE(10)
  if (count > 2047 || 32 + count * 32 > region.length) throw new CorruptImageError(`${where}: VHDX metadata table of ${count} entries does not fit its region`, at + 10)
  const items = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    const e = 32 + i * 32
    const id = guidAt(region, e)
    const offset = region.readUInt32LE(e + 16)
    const length = region.readUInt32LE(e + 20)
    const flags = region.readUInt32LE(e + 24)
    const isUser = (flags & 1) === 1
    if (offset + length > region.length) throw new CorruptImageError(`${where}: VHDX metadata item ${id} (${length} bytes at ${offset}) lies outside the metadata region`, at + e)
    if (isUser) continue
    const known = [FILE_PARAMETERS, VIRTUAL_DISK_SIZE, VIRTUAL_DISK_ID, LOGICAL_SECTOR_SIZE, PHYSICAL_SECTOR_SIZE, PARENT_LOCATOR].includes(id)
    // [MS-VHDX] 2.6.1.2 IsRequired: an item a reader does not understand means it must not load the file
    if (!known && (flags & 4) === 4) throw new UnsupportedFormatError(`${where}: VHDX metadata item ${id} is required and not one trawl knows`)
    items.set(id, region.subarray(offset, offset + length))
  }
  const need = (id: string, name: string, size: number) => {
    const item = items.get(id)
    if (!item || item.length < size) throw new CorruptImageError(`${where}: VHDX metadata has no ${name} item`, at)
    return item
  }
  const parameters = need(FILE_PARAMETERS, 'file parameters', 8)
  const blockSize = parameters.readUInt32LE(0)
  if (blockSize < MiB || blockSize > 256 * MiB || (blockSize & (blockSize - 1)) !== 0) throw new CorruptImageError(`${where}: VHDX block size ${blockSize} is not a power of two from 1 MiB to 256 MiB`, at)
  const logicalSectorSize = need(LOGICAL_SECTOR_SIZE, 'logical sector size', 4).readUInt32LE(0)
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) throw new CorruptImageError(`${where}: VHDX logical sector size ${logicalSectorSize} (512 or 4096)`, at)
  const physical = items.get(PHYSICAL_SECTOR_SIZE)
  const virtualDiskSize = Number(need(VIRTUAL_DISK_SIZE, 'virtual disk size', 8).readBigUInt64LE(0))
  // [MS-VHDX] 2.6.2.2: at most 64 TB, a multiple of the logical sector size
  if (!Number.isSafeInteger(virtualDiskSize) || virtualDiskSize > 64 * 2 ** 40 || virtualDiskSize % logicalSectorSize !== 0) {
    throw new CorruptImageError(`${where}: VHDX virtual disk size ${virtualDiskSize} is not a disk size`, at)
  }
  const flags = parameters.readUInt32LE(4)
  const hasParent = (flags & 2) === 2
  const metadata: VhdxMetadata = {
    blockSize,
    leaveBlocksAllocated: (flags & 1) === 1,
    hasParent,
    virtualDiskSize,
    virtualDiskId: guidAt(need(VIRTUAL_DISK_ID, 'virtual disk id', 16), 0),
    logicalSectorSize,
    physicalSectorSize: physical && physical.length >= 4 ? physical.readUInt32LE(0) : logicalSectorSize,
  }
  if (hasParent) {
    const locator = items.get(PARENT_LOCATOR)
    if (!locator) throw new CorruptImageError(`${where}: differencing VHDX (HasParent set) without a parent locator`, at)
    metadata.parentLocator = parseParentLocator(locator, where)
  }
  return metadata
}

/** [MS-VHDX] 2.6.2.6 Parent Locator: a locator type GUID and UTF-16LE key/value pairs. */
export function parseParentLocator(item: Buffer, where: string): Record<string, string> {
  if (item.length < 20) throw new CorruptImageError(`${where}: VHDX parent locator truncated`)
  const type = guidAt(item, 0)
  if (type !== VHDX_PARENT_LOCATOR_TYPE) throw new UnsupportedFormatError(`${where}: VHDX parent locator of type ${type} (only the VHDX parent type is specified)`)
  const count = item.readUInt16LE(18)
  if (20 + count * 12 > item.length) throw new CorruptImageError(`${where}: VHDX parent locator of ${count} entries does not fit its ${item.length} bytes`)
  const entries: Record<string, string> = {}
  for (let i = 0; i < count; i++) {
    const e = 20 + i * 12
    const keyOffset = item.readUInt32LE(e)
    const valueOffset = item.readUInt32LE(e + 4)
    const keyLength = item.readUInt16LE(e + 8)
    const valueLength = item.readUInt16LE(e + 10)
    if (keyOffset + keyLength > item.length || valueOffset + valueLength > item.length) throw new CorruptImageError(`${where}: VHDX parent locator entry ${i} lies outside the locator`)
    const key = item.toString('utf16le', keyOffset, keyOffset + (keyLength & ~1))
    // values padded with NULs by some writers: the path ends at the first
    entries[key.replace(/\0[\s\S]*$/, '')] = item.toString('utf16le', valueOffset, valueOffset + (valueLength & ~1)).replace(/\0[\s\S]*$/, '')
  }
  return entries
}

/** [MS-VHDX] 2.5.1 BAT Entry: state in bits 0-2, file offset in MiB in bits 20-63. */
export function parseBatEntry(low: number, high: number): {state: number; fileOffset: number} {
  return {state: low & 7, fileOffset: (high * 2 ** 12 + (low >>> 20)) * MiB}
}

/** One update a log entry makes to the file: 4 KiB of data, or a run of zeros. */
export interface VhdxLogWrite {
  fileOffset: number
  length: number
  /** Absent for a zero descriptor. */
  data?: Buffer
}

export interface VhdxLogEntry {
  /** Offset of the entry in the log. */
  offset: number
  length: number
  tail: number
  sequenceNumber: bigint
  flushedFileOffset: number
  lastFileOffset: number
  writes: VhdxLogWrite[]
}

/** `length` bytes of the circular log at `offset`, wrapping past its end. */
function logBytes(log: Buffer, offset: number, length: number): Buffer {
  const start = offset % log.length
  if (start + length <= log.length) return log.subarray(start, start + length)
  return Buffer.concat([log.subarray(start), log.subarray(0, length - (log.length - start))])
}

/**
 * [MS-VHDX] 2.3.1 Log Entry at `offset` of the log, or undefined when it is not a valid
 * entry of this log (signature, checksum, log GUID, every descriptor's and data sector's
 * sequence number). Never throws on bad bytes: an invalid entry ends a sequence.
 */
export function parseLogEntry(log: Buffer, offset: number, logGuid: string): VhdxLogEntry | undefined {
  if (log.length < LOG_SECTOR || offset % LOG_SECTOR !== 0 || offset >= log.length) return undefined
  const head = logBytes(log, offset, 64)
  if (head.toString('latin1', 0, 4) !== 'loge') return undefined
  const length = head.readUInt32LE(8)
  const tail = head.readUInt32LE(12)
  const sequenceNumber = head.readBigUInt64LE(16)
  const descriptorCount = head.readUInt32LE(24)
  if (length < LOG_SECTOR || length % LOG_SECTOR !== 0 || length > log.length || tail % LOG_SECTOR !== 0 || tail >= log.length || sequenceNumber === 0n) return undefined
  if (guidAt(head, 32) !== logGuid) return undefined
  const entry = logBytes(log, offset, length)
  if (crc32c(entry, 4) !== head.readUInt32LE(4)) return undefined
  // descriptors: 126 in the first 4 KiB sector after the 64-byte header, 128 in each following one
  const descriptorSectors = descriptorCount <= 126 ? 1 : 1 + Math.ceil((descriptorCount - 126) / 128)
  let dataSector = descriptorSectors
  const writes: VhdxLogWrite[] = []
  for (let i = 0; i < descriptorCount; i++) {
    const at = 64 + i * 32
    if (at + 32 > descriptorSectors * LOG_SECTOR || at + 32 > length) return undefined
    const d = entry.subarray(at, at + 32)
    const signature = d.toString('latin1', 0, 4)
    if (d.readBigUInt64LE(24) !== sequenceNumber) return undefined
    const fileOffset = Number(d.readBigUInt64LE(16))
    if (!Number.isSafeInteger(fileOffset) || fileOffset % LOG_SECTOR !== 0) return undefined
    if (signature === 'zero') {
      const zeroLength = Number(d.readBigUInt64LE(8))
      if (!Number.isSafeInteger(zeroLength) || zeroLength % LOG_SECTOR !== 0) return undefined
      writes.push({fileOffset, length: zeroLength})
    } else if (signature === 'desc') {
      const sector = dataSector * LOG_SECTOR
      if (sector + LOG_SECTOR > length) return undefined
      const s = entry.subarray(sector, sector + LOG_SECTOR)
      // [MS-VHDX] 2.3.1.4: the sequence number split around the data, the first 8 and last 4 bytes kept in the descriptor
      if (s.toString('latin1', 0, 4) !== 'data' || s.readUInt32LE(4) !== Number(sequenceNumber >> 32n) || s.readUInt32LE(4092) !== Number(sequenceNumber & 0xffffffffn)) return undefined
      const data = Buffer.alloc(LOG_SECTOR)
      d.copy(data, 0, 8, 16)
      s.copy(data, 8, 8, 4092)
      d.copy(data, 4092, 4, 8)
      writes.push({fileOffset, length: LOG_SECTOR, data})
      dataSector++
    } else {
      return undefined
    }
  }
  return {
    offset,
    length,
    tail,
    sequenceNumber,
    flushedFileOffset: Number(head.readBigUInt64LE(48)),
    lastFileOffset: Number(head.readBigUInt64LE(56)),
    writes,
  }
}

/**
 * [MS-VHDX] 2.3.3 Log Replay: the active sequence (the newest valid and complete one),
 * tail entry first, or an empty list when the log holds no valid sequence. The scan
 * visits each 4 KiB of the log at most once from each tail, so it ends on any bytes.
 */
export function findActiveSequence(log: Buffer, logGuid: string): VhdxLogEntry[] {
  let active: VhdxLogEntry[] = []
  if (log.length < LOG_SECTOR) return active
  for (let tail = 0; tail < log.length; ) {
    const sequence: VhdxLogEntry[] = []
    let at = tail
    while (sequence.length * LOG_SECTOR < log.length) {
      const entry = parseLogEntry(log, at, logGuid)
      if (!entry) break
      if (sequence.length > 0 && entry.sequenceNumber !== sequence[sequence.length - 1].sequenceNumber + 1n) break
      sequence.push(entry)
      at = (at + entry.length) % log.length
      if (at === tail) break
    }
    const head = sequence[sequence.length - 1]
    // valid when the head's tail is one of the sequence's own entries
    const valid = head !== undefined && sequence.some((e) => e.offset === head.tail)
    if (valid) {
      const fromTail = sequence.slice(sequence.findIndex((e) => e.offset === head.tail))
      if (active.length === 0 || head.sequenceNumber > active[active.length - 1].sequenceNumber) active = fromTail
    }
    tail = !valid || at <= tail ? tail + LOG_SECTOR : at
  }
  return active
}

/** A file read through the updates of a replayed log (later writes over earlier), never written. */
interface VhdxFileBytes {
  readonly size: number
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number
  close(): void
}

class ReplayedFile implements VhdxFileBytes {
  readonly size: number
  constructor(
    private readonly file: FileByteSource,
    private readonly writes: VhdxLogWrite[],
    lastFileOffset: number,
  ) {
    // [MS-VHDX] 2.3.3: writes past the end extend the file, and it is at least LastFileOffset long
    this.size = Math.max(file.size, lastFileOffset, ...writes.map((w) => w.fileOffset + w.length))
  }

  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    const wanted = Math.max(0, Math.min(length, this.size - offset))
    const done = this.file.readInto(offset, target, targetOffset, Math.min(wanted, Math.max(0, this.file.size - offset)))
    if (done < wanted) target.fill(0, targetOffset + done, targetOffset + wanted)
    const end = offset + wanted
    for (const w of this.writes) {
      const from = Math.max(offset, w.fileOffset)
      const to = Math.min(end, w.fileOffset + w.length)
      if (from >= to) continue
      if (w.data) target.set(w.data.subarray(from - w.fileOffset, to - w.fileOffset), targetOffset + from - offset)
      else target.fill(0, targetOffset + from - offset, targetOffset + to - offset)
    }
    return wanted
  }

  close(): void {
    this.file.close()
  }
}

export interface VhdxOpenOptions {
  /** Real paths of the children above this disk: a parent already among them is a loop. */
  chain?: readonly string[]
}

/** A VHDX image: fixed, dynamic, or differencing with its parent chain opened beside it. */
export class VhdxImage implements ByteSource {
  readonly format = 'vhdx'
  readonly size: number
  readonly header: VhdxHeader
  readonly metadata: VhdxMetadata
  /** The creator the file type identifier names ("QEMU v7.2.0", "Microsoft Windows 10.0.19041.0"). */
  readonly creator: string
  readonly parent?: VhdxImage
  readonly parentFoundBy?: string
  /** Updates replayed in memory from a log the writer had not applied (0 for a clean file). */
  readonly replayedLogEntries: number = 0
  readonly warnings: string[] = []
  private readonly file: VhdxFileBytes
  private readonly bat: Buffer
  private readonly chunkRatio: number
  private readonly bitmaps = new Map<number, Buffer>()

  private constructor(
    readonly path: string,
    chain: readonly string[],
  ) {
    const raw = new FileByteSource(path)
    let file: VhdxFileBytes = raw
    try {
      const identifier = raw.read(0, 520)
      if (!isVhdx(identifier)) throw new CorruptImageError(`${path}: no VHDX file type identifier "vhdxfile"`, 0)
      this.creator = identifier.toString('utf16le', 8, 520).replace(/\0[\s\S]*$/, '')
      this.header = this.currentHeader(raw)
      const log = this.replayLog(raw, this.header)
      if (log) {
        file = log.file
        this.replayedLogEntries = log.entries
      }
      this.file = file
      const regions = this.readRegionTable()
      for (const region of regions) {
        if (region.required && region.guid !== BAT_REGION && region.guid !== METADATA_REGION) {
          throw new UnsupportedFormatError(`${path}: VHDX region ${region.guid} is required and not one trawl knows`)
        }
      }
      const metadataRegion = regions.find((r) => r.guid === METADATA_REGION)
      const batRegion = regions.find((r) => r.guid === BAT_REGION)
      if (!metadataRegion || !batRegion) throw new CorruptImageError(`${path}: VHDX region table without ${metadataRegion ? 'a BAT' : 'a metadata region'}`, REGION_TABLE_OFFSETS[0])
      this.metadata = parseMetadataRegion(this.fileBytes(metadataRegion.fileOffset, metadataRegion.length, 'VHDX metadata region'), path, metadataRegion.fileOffset)
      this.size = this.metadata.virtualDiskSize
      const m = this.metadata
      this.chunkRatio = (SECTORS_PER_BITMAP_BLOCK * m.logicalSectorSize) / m.blockSize
      const payloadBlocks = Math.ceil(m.virtualDiskSize / m.blockSize)
      // [MS-VHDX] 2.5: the entries a dynamic/fixed disk needs end at its last payload block; a differencing disk's at its last bitmap block
      const entries = m.hasParent ? Math.ceil(payloadBlocks / this.chunkRatio) * (this.chunkRatio + 1) : payloadBlocks + Math.floor(Math.max(0, payloadBlocks - 1) / this.chunkRatio)
      if (batRegion.length < entries * 8) throw new CorruptImageError(`${path}: VHDX BAT region of ${batRegion.length} bytes holds fewer than the ${entries} entries the disk needs`, batRegion.fileOffset)
      this.bat = this.fileBytes(batRegion.fileOffset, entries * 8, 'VHDX BAT')
      this.checkBat(payloadBlocks)
      if (m.hasParent) {
        const realPath = realpathSync(path)
        const locator = m.parentLocator ?? {}
        const {path: parentPath, foundBy} = findParentImage(path, parentLocations(locator))
        checkChain(path, parentPath, [...chain, realPath])
        const parent = VhdxImage.open(parentPath, {chain: [...chain, realPath]})
        // [MS-VHDX] 2.6.2.6.1: parent_linkage is the parent's DataWriteGuid (parent_linkage2 an alternative)
        const linkages = [locator.parent_linkage, locator.parent_linkage2].filter((v): v is string => v !== undefined).map(normalGuid)
        if (!linkages.includes(parent.header.dataWriteGuid)) {
          parent.close()
          throw new ParentImageMismatchError(
            `${path}: the parent found (${parentPath}, by ${foundBy}) has data write GUID ${parent.header.dataWriteGuid}, but this differencing VHDX links to ${linkages.join(' or ') || 'no parent_linkage'}: not its parent (changed after the child was made?)`,
          )
        }
        this.parent = parent
        this.parentFoundBy = foundBy
      }
    } catch (error) {
      file.close()
      throw error
    }
  }

  static open(path: string, options: VhdxOpenOptions = {}): VhdxImage {
    return new VhdxImage(path, options.chain ?? [])
  }

  /** [MS-VHDX] 2.2.2.1: of the two headers, the valid one with the greater sequence number. */
  private currentHeader(raw: FileByteSource): VhdxHeader {
    const headers: VhdxHeader[] = []
    const problems: string[] = []
    for (const at of HEADER_OFFSETS) {
      try {
        headers.push(parseVhdxHeader(raw.read(at, HEADER_SIZE), this.path, at))
      } catch (error) {
        if (!(error instanceof CorruptImageError)) throw error
        problems.push(error.message)
      }
    }
    if (headers.length === 0) throw new CorruptImageError(`${this.path}: both VHDX headers are damaged: ${problems.join('; ')}`, HEADER_OFFSETS[0])
    if (problems.length > 0) this.warnings.push(`${problems[0]}; the other header is used`)
    return headers.reduce((a, b) => (b.sequenceNumber > a.sequenceNumber ? b : a))
  }

  /**
   * [MS-VHDX] 2.3.3: a log with updates not yet applied (LogGuid set and a valid sequence)
   * is replayed over the file's bytes in memory, so every structure is read as the writer
   * meant it; the evidence file is never written. Undefined for a clean log.
   */
  private replayLog(raw: FileByteSource, header: VhdxHeader): {file: VhdxFileBytes; entries: number} | undefined {
    if (header.logGuid === ZERO_GUID) return undefined
    if (header.logVersion !== 0) throw new UnsupportedFormatError(`${this.path}: VHDX log version ${header.logVersion} (only 0 is specified); the log holds updates trawl cannot replay`)
    if (header.logLength === 0) return undefined
    if (header.logOffset + header.logLength > raw.size) throw new CorruptImageError(`${this.path}: VHDX log (${header.logLength} bytes) runs past the end of the file`, header.logOffset)
    const log = Buffer.alloc(header.logLength)
    const n = raw.readInto(header.logOffset, log, 0, header.logLength)
    if (n < header.logLength) throw new CorruptImageError(`${this.path}: VHDX log (${header.logLength} bytes) runs past the end of the file`, header.logOffset)
    const sequence = findActiveSequence(log, header.logGuid)
    if (sequence.length === 0) {
      this.warnings.push(`${this.path}: VHDX log GUID is set but the log holds no valid entries: nothing to replay`)
      return undefined
    }
    const head = sequence[sequence.length - 1]
    if (raw.size < head.flushedFileOffset) {
      throw new CorruptImageError(`${this.path}: VHDX file of ${raw.size} bytes is shorter than the ${head.flushedFileOffset} bytes its log says were written: truncated`, raw.size)
    }
    const writes = sequence.flatMap((e) => e.writes)
    this.warnings.push(
      `${this.path}: VHDX log was not applied by its writer (dirty: ${sequence.length} entr${sequence.length === 1 ? 'y' : 'ies'}, ${writes.length} update(s), sequence ${sequence[0].sequenceNumber}-${head.sequenceNumber}); replayed in memory, the file is not changed`,
    )
    return {file: new ReplayedFile(raw, writes, head.lastFileOffset), entries: sequence.length}
  }

  private readRegionTable(): VhdxRegion[] {
    const problems: string[] = []
    for (const at of REGION_TABLE_OFFSETS) {
      try {
        const regions = parseRegionTable(this.fileBytes(at, REGION_TABLE_SIZE, 'VHDX region table'), this.path, at)
        if (problems.length > 0) this.warnings.push(`${problems[0]}; the second copy is used`)
        return regions
      } catch (error) {
        if (!(error instanceof CorruptImageError)) throw error
        problems.push(error.message)
      }
    }
    throw new CorruptImageError(`${this.path}: both VHDX region tables are damaged: ${problems.join('; ')}`, REGION_TABLE_OFFSETS[0])
  }

  /** Warns of payload blocks whose BAT entry points past the end of the file or into the header section; reading them fails. */
  private checkBat(payloadBlocks: number): void {
    const bad: number[] = []
    for (let block = 0; block < payloadBlocks; block++) {
      const {state, fileOffset} = this.payloadEntry(block)
      if (state !== PayloadState.fullyPresent && state !== PayloadState.partiallyPresent) continue
      // the last block of a disk that is not a whole number of blocks need only hold the disk's end
      const used = Math.min(this.metadata.blockSize, this.metadata.virtualDiskSize - block * this.metadata.blockSize)
      if (fileOffset < MiB || fileOffset + used > this.file.size) bad.push(block)
    }
    if (bad.length > 0) {
      this.warnings.push(`${this.path}: VHDX BAT entries of ${bad.length} payload block(s) (${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ', ...' : ''}) point outside the file; reading them fails`)
    }
  }

  private payloadEntry(block: number): {state: number; fileOffset: number} {
    const index = block + Math.floor(block / this.chunkRatio)
    return parseBatEntry(this.bat.readUInt32LE(index * 8), this.bat.readUInt32LE(index * 8 + 4))
  }

  private bitmapEntry(chunk: number): {state: number; fileOffset: number} {
    const index = chunk * (this.chunkRatio + 1) + this.chunkRatio
    if ((index + 1) * 8 > this.bat.length) return {state: 0, fileOffset: 0}
    return parseBatEntry(this.bat.readUInt32LE(index * 8), this.bat.readUInt32LE(index * 8 + 4))
  }

  /** What `image info` shows of the disk. */
  get description(): VirtualDiskDescription {
    const m = this.metadata
    const parents = this.parentChain
    return {
      diskType: m.hasParent ? 'differencing' : m.leaveBlocksAllocated ? 'fixed' : 'dynamic',
      identifier: m.virtualDiskId,
      blockSize: m.blockSize,
      logicalSectorSize: m.logicalSectorSize,
      physicalSectorSize: m.physicalSectorSize,
      ...(this.creator ? {creator: this.creator} : {}),
      ...(parents.length > 0 ? {parents} : {}),
    }
  }

  get parentChain(): ParentImageDescription[] {
    const chain: ParentImageDescription[] = []
    for (let p = this.parent, by = this.parentFoundBy; p; by = p.parentFoundBy, p = p.parent) {
      chain.push({path: p.path, format: 'vhdx', diskType: p.description.diskType, identifier: p.metadata.virtualDiskId, foundBy: by ?? ''})
    }
    return chain
  }

  get allWarnings(): string[] {
    return [...this.warnings, ...(this.parent?.allWarnings ?? [])]
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const end = Math.min(this.size, offset + length)
    if (offset >= end) return Buffer.alloc(0)
    const out = Buffer.allocUnsafe(end - offset)
    forEachBlockPiece(offset, end, this.metadata.blockSize, (block, within, at, take) => this.readBlock(block, within, out, at, take))
    return out
  }

  private readBlock(block: number, within: number, out: Buffer, at: number, take: number): void {
    const {state, fileOffset} = this.payloadEntry(block)
    const blockStart = block * this.metadata.blockSize
    const where = () => `VHDX payload block ${block} (state ${state}, at file offset ${fileOffset})`
    switch (state) {
      case PayloadState.fullyPresent:
        this.payloadInto(fileOffset + within, out, at, take, where)
        return
      case PayloadState.partiallyPresent: {
        if (!this.parent) throw new CorruptImageError(`${this.path}: ${where()} is partially present in a VHDX without a parent`)
        this.partialInto(block, fileOffset, within, out, at, take, where)
        return
      }
      case PayloadState.notPresent:
        // [MS-VHDX] 2.5.1.1: not in this file: a differencing disk's parent holds it; a dynamic disk reads zeros
        if (this.parent) this.parentInto(blockStart + within, out, at, take)
        else out.fill(0, at, at + take)
        return
      case PayloadState.zero:
      case PayloadState.unmapped:
      case PayloadState.undefined:
        // defined as zeros (ZERO), or allowed to read as zeros (UNMAPPED, UNDEFINED), as qemu reads them
        out.fill(0, at, at + take)
        return
      default:
        throw new CorruptImageError(`${this.path}: ${where()} has a reserved BAT state`)
    }
  }

  /** A partially present block: each sector from this file where its bitmap bit is set (bit 0 of byte 0 first), else from the parent. */
  private partialInto(block: number, fileOffset: number, within: number, out: Buffer, at: number, take: number, where: () => string): void {
    const sectorSize = this.metadata.logicalSectorSize
    const bitmap = this.blockBitmap(block, where)
    const stop = within + take
    const bit = (sector: number) => (bitmap[sector >> 3] >> (sector & 7)) & 1
    for (let position = within; position < stop; ) {
      const sector = Math.floor(position / sectorSize)
      const present = bit(sector)
      let runEnd = (sector + 1) * sectorSize
      while (runEnd < stop && bit(runEnd / sectorSize) === present) runEnd += sectorSize
      const n = Math.min(runEnd, stop) - position
      if (present) this.payloadInto(fileOffset + position, out, at + position - within, n, where)
      else this.parentInto(block * this.metadata.blockSize + position, out, at + position - within, n)
      position += n
    }
  }

  /** The bits of the sector bitmap block that cover payload block `block`. */
  private blockBitmap(block: number, where: () => string): Buffer {
    const cached = this.bitmaps.get(block)
    if (cached) return cached
    const chunk = Math.floor(block / this.chunkRatio)
    const {state, fileOffset} = this.bitmapEntry(chunk)
    if (state !== SB_BLOCK_PRESENT) throw new CorruptImageError(`${this.path}: ${where()} is partially present but the sector bitmap block of chunk ${chunk} is not (state ${state})`)
    const bytesPerBlock = this.metadata.blockSize / this.metadata.logicalSectorSize / 8
    const bitmap = Buffer.allocUnsafe(bytesPerBlock)
    this.payloadInto(fileOffset + (block % this.chunkRatio) * bytesPerBlock, bitmap, 0, bytesPerBlock, () => `sector bitmap block of chunk ${chunk} (at file offset ${fileOffset}), for ${where()}`)
    if (this.bitmaps.size >= 256) this.bitmaps.delete(this.bitmaps.keys().next().value!)
    this.bitmaps.set(block, bitmap)
    return bitmap
  }

  /** Reads block bytes from the file, refusing a block in the header section or past the end: never garbage. */
  private payloadInto(fileOffset: number, out: Buffer, at: number, length: number, where: () => string): void {
    if (fileOffset < MiB) throw new CorruptImageError(`${this.path}: ${where()} points into the VHDX header section`, fileOffset)
    const done = this.file.readInto(fileOffset, out, at, length)
    if (done < length) throw new CorruptImageError(`${this.path}: ${where()} lies past the end of the file (${this.file.size} bytes)`, fileOffset + done)
  }

  private parentInto(offset: number, out: Buffer, at: number, length: number): void {
    const bytes = this.parent!.read(offset, length)
    bytes.copy(out, at)
    if (bytes.length < length) out.fill(0, at + bytes.length, at + length)
  }

  /** `length` bytes of the file (through the replayed log), or CorruptImageError naming `what`. */
  private fileBytes(offset: number, length: number, what: string): Buffer {
    // checked before allocating: a damaged length must not become a huge allocation
    if (offset + length > this.file.size) throw new CorruptImageError(`${this.path}: ${what} (${length} bytes) runs past the end of the file (${this.file.size} bytes)`, offset)
    const buffer = Buffer.alloc(length)
    const done = this.file.readInto(offset, buffer, 0, length)
    if (done < length) throw new CorruptImageError(`${this.path}: ${what} (${length} bytes) runs past the end of the file (${this.file.size} bytes)`, offset + done)
    return buffer
  }

  close(): void {
    this.file.close()
    this.parent?.close()
  }
}

/** [MS-VHDX] 2.6.2.6.1: where a VHDX parent may be, most portable first. */
function parentLocations(locator: Record<string, string>): ParentLocation[] {
  const locations: ParentLocation[] = []
  for (const key of ['relative_path', 'absolute_win32_path', 'volume_path']) {
    const value = locator[key]
    if (value) locations.push({how: key, path: key === 'volume_path' ? value.replace(/^\\\\\?\\Volume\{[^}]*\}\\/i, '') : value})
  }
  return locations
}

/** "{83ED7A2F-...}" as formatMixedEndianGuid writes it. */
function normalGuid(text: string): string {
  return text.trim().replace(/^\{|\}$/g, '').toLowerCase()
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}
