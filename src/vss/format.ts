import {CorruptImageError} from '../errors.js'
import {filetimeToIso} from '../time.js'

/**
 * The on-disk structures of Volume Shadow Copies as the Microsoft Software Shadow Copy
 * provider keeps them inside an NTFS volume. Offsets and field meanings follow Joachim
 * Metz, "Volume Shadow Snapshot (VSS) format" (libvshadow documentation, revision 0.0.13),
 * cited below by section. Every structure is little-endian; every offset is from the start
 * of the volume unless its name says otherwise.
 *
 * These are pure parsers of one buffer each: they know nothing of byte sources, and refuse
 * bad bytes with a CorruptImageError naming the offset.
 */

/** "VSS identifier" 3808876b-c176-4e48-b7ae-04046e6cc752 as it lies on disk (GUID byte order). */
export const VSS_IDENTIFIER = Buffer.from('6b870838' + '76c1' + '484e' + 'b7ae04046e6cc752', 'hex')
/** Section "Volume header": at offset 7680 of the volume, inside the NTFS $Boot area. */
export const VOLUME_HEADER_OFFSET = 0x1e00
/** Catalog, store and data blocks are all 16 KiB (section "Catalog", "Store data block"). */
export const VSS_BLOCK_SIZE = 0x4000
/** Block headers (catalog and store) are 128 bytes; catalog entries are 128 bytes. */
export const BLOCK_HEADER_SIZE = 128
export const CATALOG_ENTRY_SIZE = 128
/** Section "Block descriptor": 32 bytes. */
export const BLOCK_DESCRIPTOR_SIZE = 32

/** Section "Store block record types". */
export const RecordType = {
  volumeHeader: 1,
  catalog: 2,
  blockList: 3,
  storeHeader: 4,
  blockRanges: 5,
  bitmap: 6,
} as const

/** Section "Store block descriptor flags". */
export const DescriptorFlag = {
  forwarder: 0x1,
  overlay: 0x2,
  notUsed: 0x4,
} as const

/** A GUID as text, lower case as vshadowinfo prints it: the first three fields are little-endian. */
export function guidText(bytes: Buffer): string {
  const le = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).reverse().toString('hex')
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${bytes.subarray(8, 10).toString('hex')}-${bytes.subarray(10, 16).toString('hex')}`
}

/** 64-bit offsets as numbers: beyond 2^53 no volume reaches, so such a value is damage. */
function offset64(buffer: Buffer, at: number, what: string, base: number): number {
  const value = buffer.readBigUInt64LE(at)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptImageError(`VSS ${what} ${value} is beyond any volume`, base + at)
  return Number(value)
}

export interface VolumeHeader {
  version: number
  /** 0 when VSS is enabled but no snapshot is stored. */
  catalogOffset: number
  /** 0 when unbounded. */
  maximumSize: number
  volumeId: string
  storageVolumeId: string
}

/** True if these bytes (at 0x1e00) begin with the VSS identifier. */
export function hasVssIdentifier(bytes: Buffer): boolean {
  return bytes.length >= 16 && bytes.subarray(0, 16).equals(VSS_IDENTIFIER)
}

/** Section "Volume header". Returns undefined when the volume has none (VSS never enabled). */
export function parseVolumeHeader(bytes: Buffer): VolumeHeader | undefined {
  if (!hasVssIdentifier(bytes)) return undefined
  const at = VOLUME_HEADER_OFFSET
  if (bytes.length < 96) throw new CorruptImageError('VSS volume header is cut short', at)
  const version = bytes.readUInt32LE(16)
  const type = bytes.readUInt32LE(20)
  if (type !== RecordType.volumeHeader) throw new CorruptImageError(`VSS volume header has record type ${type}, not 1`, at + 20)
  if (version !== 1 && version !== 2) throw new CorruptImageError(`VSS volume header version ${version} is not one trawl reads (1: Vista/7, 2: Windows 8 and later)`, at + 16)
  return {
    version,
    catalogOffset: offset64(bytes, 48, 'catalog offset', at),
    maximumSize: offset64(bytes, 56, 'maximum size', at),
    volumeId: guidText(bytes.subarray(64, 80)),
    storageVolumeId: guidText(bytes.subarray(80, 96)),
  }
}

export interface BlockHeader {
  recordType: number
  /** From the start of the first catalog block, or of the store. */
  relativeOffset: number
  currentOffset: number
  /** 0 on the last block of a chain. */
  nextOffset: number
  /** Store header block only: the size of the store information after the header. */
  storeInformationSize: number
}

/**
 * Sections "Catalog block header" and "Store block header" (same layout): checks the
 * VSS identifier and the record type expected at this place of the chain.
 */
export function parseBlockHeader(block: Buffer, at: number, expected: number, what: string): BlockHeader {
  if (block.length < BLOCK_HEADER_SIZE) throw new CorruptImageError(`VSS ${what} block is cut short (${block.length} of ${VSS_BLOCK_SIZE} bytes)`, at)
  if (!hasVssIdentifier(block)) throw new CorruptImageError(`VSS ${what} block has no VSS identifier`, at)
  const recordType = block.readUInt32LE(20)
  if (recordType !== expected) throw new CorruptImageError(`VSS ${what} block has record type ${recordType}, not ${expected}`, at + 20)
  return {
    recordType,
    relativeOffset: offset64(block, 24, `${what} relative offset`, at),
    currentOffset: offset64(block, 32, `${what} current offset`, at),
    nextOffset: offset64(block, 40, `${what} next offset`, at),
    storeInformationSize: offset64(block, 48, `${what} store information size`, at),
  }
}

/** Section "Catalog entry type 0x02": one shadow copy's size, store id and creation time. */
export interface CatalogStoreEntry {
  volumeSize: number
  storeId: string
  sequence: bigint
  flags: bigint
  /** FILETIME, UTC, 100 ns precision. */
  createdAt: string | null
  createdFiletime: bigint
}

/** Section "Catalog entry type 0x03": where the store's structures lie. */
export interface CatalogLocationEntry {
  storeId: string
  blockListOffset: number
  headerOffset: number
  blockRangeListOffset: number
  bitmapOffset: number
  /** NTFS file reference of the store file in System Volume Information. */
  fileReference: bigint
  allocatedSize: number
  /** 0 when the store has none. */
  previousBitmapOffset: number
}

export type CatalogEntry = {type: 2; entry: CatalogStoreEntry} | {type: 3; entry: CatalogLocationEntry}

/** The entries of one catalog block, empty and unused (type 0x00, 0x01) ones left out. */
export function parseCatalogEntries(block: Buffer, at: number): CatalogEntry[] {
  const entries: CatalogEntry[] = []
  for (let pos = BLOCK_HEADER_SIZE; pos + CATALOG_ENTRY_SIZE <= block.length; pos += CATALOG_ENTRY_SIZE) {
    const type = block.readBigUInt64LE(pos)
    if (type === 0n || type === 1n) continue
    const where = at + pos
    if (type === 2n) {
      const filetime = block.readBigUInt64LE(pos + 48)
      entries.push({
        type: 2,
        entry: {
          volumeSize: offset64(block, pos + 8, 'catalog volume size', at),
          storeId: guidText(block.subarray(pos + 16, pos + 32)),
          sequence: block.readBigUInt64LE(pos + 32),
          flags: block.readBigUInt64LE(pos + 40),
          createdAt: filetimeToIso(filetime),
          createdFiletime: filetime,
        },
      })
    } else if (type === 3n) {
      entries.push({
        type: 3,
        entry: {
          blockListOffset: offset64(block, pos + 8, 'store block list offset', at),
          storeId: guidText(block.subarray(pos + 16, pos + 32)),
          headerOffset: offset64(block, pos + 32, 'store header offset', at),
          blockRangeListOffset: offset64(block, pos + 40, 'store block range list offset', at),
          bitmapOffset: offset64(block, pos + 48, 'store bitmap offset', at),
          fileReference: block.readBigUInt64LE(pos + 56),
          allocatedSize: offset64(block, pos + 64, 'store allocated size', at),
          previousBitmapOffset: offset64(block, pos + 72, 'store previous bitmap offset', at),
        },
      })
    } else {
      throw new CorruptImageError(`VSS catalog entry of unknown type ${type}`, where)
    }
  }
  return entries
}

/** Section "Store information", after the store header's block header. */
export interface StoreInformation {
  shadowCopyId: string
  shadowCopySetId: string
  /** Section "Store types" (vshadowinfo does not print it). */
  type: number
  provider: number
  /** Section "Store attribute flags" (_VSS_VOLUME_SNAPSHOT_ATTRIBUTES). */
  attributeFlags: number
  operatingMachine: string
  serviceMachine: string
}

export function parseStoreInformation(block: Buffer, at: number, size: number): StoreInformation {
  const info = block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + Math.min(size, block.length - BLOCK_HEADER_SIZE))
  const where = at + BLOCK_HEADER_SIZE
  if (info.length < 66) throw new CorruptImageError(`VSS store information is ${info.length} bytes, fewer than its 66-byte fixed part`, where)
  const machineAt = (pos: number, what: string): {text: string; end: number} => {
    if (pos + 2 > info.length) throw new CorruptImageError(`VSS store information ends before its ${what} string size`, where + pos)
    const length = info.readUInt16LE(pos)
    if (pos + 2 + length > info.length) throw new CorruptImageError(`VSS store ${what} string of ${length} bytes runs past the store information`, where + pos)
    return {text: info.toString('utf16le', pos + 2, pos + 2 + (length & ~1)), end: pos + 2 + length}
  }
  const operating = machineAt(64, 'operating machine')
  const service = machineAt(operating.end, 'service machine')
  return {
    shadowCopyId: guidText(info.subarray(16, 32)),
    shadowCopySetId: guidText(info.subarray(32, 48)),
    type: info.readUInt32LE(48),
    provider: info.readUInt32LE(52),
    attributeFlags: info.readUInt32LE(56),
    operatingMachine: operating.text,
    serviceMachine: service.text,
  }
}

/** Section "Block descriptor": where the old content of one 16 KiB block of the volume is kept. */
export interface BlockDescriptor {
  /** Offset of the block in the volume whose earlier content this is. */
  originalOffset: number
  /** From the start of the store; of a forwarder, the original offset it forwards to. */
  relativeOffset: number
  /** Where the saved block lies in the volume (0 for a forwarder). */
  storeOffset: number
  flags: number
  /** Of an overlay: which 512-byte sectors of the block it holds, least significant bit first. */
  bitmap: number
}

/** The descriptors of one block-list block, all-zero (empty) entries left out. */
export function parseBlockDescriptors(block: Buffer, at: number): BlockDescriptor[] {
  const descriptors: BlockDescriptor[] = []
  for (let pos = BLOCK_HEADER_SIZE; pos + BLOCK_DESCRIPTOR_SIZE <= block.length; pos += BLOCK_DESCRIPTOR_SIZE) {
    const entry = block.subarray(pos, pos + BLOCK_DESCRIPTOR_SIZE)
    if (entry.every((b) => b === 0)) continue
    const descriptor: BlockDescriptor = {
      originalOffset: offset64(block, pos, 'block descriptor original offset', at),
      relativeOffset: offset64(block, pos + 8, 'block descriptor relative offset', at),
      storeOffset: offset64(block, pos + 16, 'block descriptor store offset', at),
      flags: block.readUInt32LE(pos + 24),
      bitmap: block.readUInt32LE(pos + 28),
    }
    if (descriptor.flags & DescriptorFlag.forwarder && descriptor.storeOffset !== 0) {
      throw new CorruptImageError(`VSS forwarder block descriptor has a store offset ${descriptor.storeOffset} (a forwarder keeps no data)`, at + pos + 16)
    }
    descriptors.push(descriptor)
  }
  return descriptors
}

/**
 * Section "Store (current) bitmap data": each bit one 16 KiB block of the volume, least
 * significant bit first; a set bit is a block the snapshot did not have in use. Copies the
 * bitmap bytes of one bitmap block into `into` from byte `firstByte` (a block's data is
 * 16 256 bytes, so every block starts on a whole byte); returns where the next block starts.
 */
export function appendBitmap(block: Buffer, into: Uint8Array, firstByte: number): number {
  const data = block.subarray(BLOCK_HEADER_SIZE)
  const bytes = Math.max(0, Math.min(data.length, into.length - firstByte))
  if (bytes > 0) into.set(data.subarray(0, bytes), firstByte)
  return firstByte + data.length
}
