import {CorruptImageError, TrawlError} from '../errors.js'
import type {ByteSource} from '../image/byte-source.js'
import {
  VOLUME_HEADER_OFFSET,
  VSS_BLOCK_SIZE,
  DescriptorFlag,
  RecordType,
  appendBitmap,
  parseBlockDescriptors,
  parseBlockHeader,
  parseCatalogEntries,
  parseStoreInformation,
  parseVolumeHeader,
  type BlockDescriptor,
  type CatalogLocationEntry,
  type CatalogStoreEntry,
  type StoreInformation,
} from './format.js'

/**
 * Volume Shadow Copies of an NTFS volume: the catalog (which snapshots there are, when
 * each was made) and, for each snapshot, the volume as it was then, rebuilt from the
 * copy-on-write stores over the current volume (libvshadow documentation, "Store": the
 * stores are applied from the most recent down to the one wanted). A snapshot is a
 * read-only ByteSource like any volume; whoever reads it does not know it is one.
 *
 * Damage stays where it is: a catalog that loops or points past the volume is refused
 * with a CorruptImageError and the live volume reads on; a store that is damaged makes
 * its own snapshot (and the older ones, which are read through it) unreadable, with why,
 * while the newer snapshots read on.
 */

export interface ShadowCopy {
  /** 1-based, oldest first: the N of `p2@vssN` and `--snapshot N`. */
  number: number
  /** The store's identifier (catalog), as vshadowinfo prints it ("Identifier"). */
  storeId: string
  /** UTC, FILETIME precision (100 ns). */
  createdAt: string | null
  /** Size of the volume when the snapshot was made. */
  volumeSize: number
  shadowCopyId?: string
  shadowCopySetId?: string
  attributeFlags?: number
  operatingMachine?: string
  serviceMachine?: string
  /** Why this snapshot cannot be read (its store, or a newer one it is read through, is damaged). */
  unreadable?: string
}

export interface ShadowCopyCatalog {
  /** Volume header version: 1 (Vista, 7), 2 (Windows 8 and later). */
  version: number
  shadowCopies: ShadowCopy[]
  /** Damage that did not stop the catalog being read (a store entry without its pair). */
  warnings: string[]
}

interface StoreDescriptor extends BlockDescriptor {
  /** An overlay over this block (section "Successive block descriptors"). */
  overlay?: StoreDescriptor
}

/** One store, read: its block descriptors by original block, forwarders by target, bitmaps. */
interface StoreMap {
  forward: Map<number, StoreDescriptor>
  reverse: Map<number, StoreDescriptor>
  /** Set bits: blocks not in use when the snapshot was made (read as zeros from the newest snapshot). */
  current?: Uint8Array
  previous?: Uint8Array
}

interface Store {
  copy: ShadowCopy
  location: CatalogLocationEntry
  map?: StoreMap
  /** The damage found when this store was read, kept so it is not read again. */
  damage?: CorruptImageError
}

const blockOf = (offset: number) => offset - (offset % VSS_BLOCK_SIZE)

/** Reads the 16 KiB block at `offset` of a chain, refusing one that is not all there. */
function readBlock(volume: ByteSource, offset: number, what: string): Buffer {
  if (offset % 512 !== 0) throw new CorruptImageError(`VSS ${what} block offset ${offset} is not sector aligned`, offset)
  if (offset + VSS_BLOCK_SIZE > volume.size) throw new CorruptImageError(`VSS ${what} block at ${offset} lies past the end of the volume (${volume.size} bytes)`, offset)
  const block = volume.read(offset, VSS_BLOCK_SIZE)
  if (block.length < VSS_BLOCK_SIZE) throw new CorruptImageError(`VSS ${what} block is cut short (${block.length} of ${VSS_BLOCK_SIZE} bytes)`, offset)
  return block
}

/**
 * Follows a chain of blocks by their next offsets, each visited once: a chain that comes
 * back to a block it has read is a loop, refused, never followed round again.
 */
function* chain(volume: ByteSource, first: number, type: number, what: string): Generator<{block: Buffer; offset: number}> {
  const seen = new Set<number>()
  let offset = first
  while (offset !== 0) {
    if (seen.has(offset)) throw new CorruptImageError(`VSS ${what} chain loops back to the block at ${offset}`, offset)
    seen.add(offset)
    const block = readBlock(volume, offset, what)
    const header = parseBlockHeader(block, offset, type, what)
    yield {block, offset}
    offset = header.nextOffset
  }
}

export class ShadowCopies {
  private constructor(
    private readonly volume: ByteSource,
    readonly catalog: ShadowCopyCatalog,
    private readonly stores: Store[],
  ) {}

  /**
   * Reads the VSS volume header and catalog of an NTFS volume. Undefined when the volume
   * has no VSS header (VSS never enabled); a catalog of no snapshots when VSS is enabled
   * but none is stored. Throws CorruptImageError for a header or catalog too damaged to list.
   */
  static open(volume: ByteSource): ShadowCopies | undefined {
    const header = parseVolumeHeader(volume.read(VOLUME_HEADER_OFFSET, 512))
    if (!header) return undefined
    const warnings: string[] = []
    const entries2 = new Map<string, CatalogStoreEntry>()
    const entries3: CatalogLocationEntry[] = []
    if (header.catalogOffset !== 0) {
      for (const {block, offset} of chain(volume, header.catalogOffset, RecordType.catalog, 'catalog')) {
        for (const item of parseCatalogEntries(block, offset)) {
          // section "Catalog entry": a type 0x02 entry comes before its type 0x03
          if (item.type === 2) entries2.set(item.entry.storeId, item.entry)
          else entries3.push(item.entry)
        }
      }
    }
    const paired: Array<{info: CatalogStoreEntry; location: CatalogLocationEntry}> = []
    for (const location of entries3) {
      const info = entries2.get(location.storeId)
      if (!info) {
        warnings.push(`VSS catalog lists the store ${location.storeId} without its shadow copy entry (size, creation time): not read`)
        continue
      }
      entries2.delete(location.storeId)
      paired.push({info, location})
    }
    for (const info of entries2.values()) warnings.push(`VSS catalog lists the shadow copy ${info.storeId} without a store: nothing of it is on this volume`)
    // section "Catalog entry": not necessarily in order of age; numbered oldest first
    paired.sort((a, b) => (a.info.createdFiletime < b.info.createdFiletime ? -1 : a.info.createdFiletime > b.info.createdFiletime ? 1 : 0))
    const stores: Store[] = paired.map(({info, location}, i) => {
      const copy: ShadowCopy = {number: i + 1, storeId: info.storeId, createdAt: info.createdAt, volumeSize: info.volumeSize}
      try {
        const block = readBlock(volume, location.headerOffset, 'store header')
        const blockHeader = parseBlockHeader(block, location.headerOffset, RecordType.storeHeader, 'store header')
        const information: StoreInformation = parseStoreInformation(block, location.headerOffset, blockHeader.storeInformationSize)
        Object.assign(copy, {
          shadowCopyId: information.shadowCopyId,
          shadowCopySetId: information.shadowCopySetId,
          attributeFlags: information.attributeFlags,
          operatingMachine: information.operatingMachine,
          serviceMachine: information.serviceMachine,
        })
      } catch (error) {
        if (!(error instanceof CorruptImageError)) throw error
        warnings.push(`shadow copy ${copy.number}: store header unreadable: ${error.message}`)
      }
      if (info.volumeSize > volume.size) {
        warnings.push(`shadow copy ${copy.number} declares a volume of ${info.volumeSize} bytes, the volume holds ${volume.size}: read to ${volume.size}`)
      }
      return {copy, location}
    })
    // section "Volume header": the stores may be kept on another volume; their offsets would then be that volume's
    const zero = '00000000-0000-0000-0000-000000000000'
    if (header.storageVolumeId !== header.volumeId && header.storageVolumeId !== zero && stores.length > 0) {
      warnings.push(`the shadow copies of this volume are stored on another volume (${header.storageVolumeId}): not read`)
      for (const store of stores) store.damage = new CorruptImageError(`its store is kept on another volume (${header.storageVolumeId}), which trawl does not read`)
    }
    return new ShadowCopies(volume, {version: header.version, shadowCopies: stores.map((s) => s.copy), warnings}, stores)
  }

  /**
   * Checks that snapshot `number` can be rebuilt (its store and every newer one read
   * whole), recording why not on the ShadowCopy. True if it can.
   */
  check(number: number): boolean {
    const copy = this.catalog.shadowCopies[number - 1]
    if (!copy) return false
    for (let i = number - 1; i < this.stores.length; i++) {
      try {
        this.storeMap(i)
      } catch (error) {
        if (!(error instanceof TrawlError)) throw error
        // an older snapshot is read through every newer store: the damage of one is the loss of all older ones
        copy.unreadable = i === number - 1 ? error.message : `it is read through the store of shadow copy ${i + 1}, which is damaged (${error.message})`
        return false
      }
    }
    return true
  }

  /** The volume as it was when snapshot `number` (1-based, oldest first) was made. */
  snapshot(number: number): ShadowCopyVolume {
    const copy = this.catalog.shadowCopies[number - 1]
    if (!copy) throw new CorruptImageError(`no shadow copy ${number} (the volume has ${this.stores.length})`)
    if (!this.check(number)) throw new CorruptImageError(`shadow copy ${number} cannot be read: ${copy.unreadable}`)
    const maps = this.stores.map((_, i) => (i >= number - 1 ? this.storeMap(i) : undefined))
    return new ShadowCopyVolume(this.volume, maps as StoreMap[], number - 1, Math.min(copy.volumeSize, this.volume.size))
  }

  /** Reads a store's block list and bitmaps once; damage is kept and thrown again. */
  private storeMap(index: number): StoreMap {
    const store = this.stores[index]!
    if (store.map) return store.map
    if (store.damage) throw store.damage
    try {
      store.map = readStore(this.volume, store.location, Math.min(store.copy.volumeSize, this.volume.size))
      return store.map
    } catch (error) {
      if (!(error instanceof CorruptImageError)) throw error
      store.damage = new CorruptImageError(`store of shadow copy ${store.copy.number}: ${error.message}`)
      throw store.damage
    }
  }
}

/** Section "Store block list" and "Store bitmap": one store's descriptors and bitmaps. */
function readStore(volume: ByteSource, location: CatalogLocationEntry, volumeSize: number): StoreMap {
  const map: StoreMap = {forward: new Map(), reverse: new Map()}
  for (const {block, offset} of chain(volume, location.blockListOffset, RecordType.blockList, 'store block list')) {
    for (const descriptor of parseBlockDescriptors(block, offset)) {
      if (descriptor.flags & DescriptorFlag.notUsed) continue
      if (descriptor.originalOffset >= volumeSize) {
        throw new CorruptImageError(`block descriptor for original offset ${descriptor.originalOffset} lies past the end of the volume (${volumeSize} bytes)`, offset)
      }
      const forwarder = (descriptor.flags & DescriptorFlag.forwarder) !== 0
      const target = forwarder ? descriptor.relativeOffset : descriptor.storeOffset
      if (target + VSS_BLOCK_SIZE > volume.size) {
        throw new CorruptImageError(`block descriptor for original offset ${descriptor.originalOffset} points to ${target}, past the end of the volume (${volume.size} bytes)`, offset)
      }
      insertDescriptor(map, descriptor)
    }
  }
  const bits = Math.ceil(volumeSize / VSS_BLOCK_SIZE)
  const bitmap = (first: number, what: string): Uint8Array => {
    const into = new Uint8Array(Math.ceil(bits / 8))
    let at = 0
    for (const {block} of chain(volume, first, RecordType.bitmap, what)) {
      if (at >= into.length) break
      at = appendBitmap(block, into, at)
    }
    return into
  }
  if (location.bitmapOffset !== 0) map.current = bitmap(location.bitmapOffset, 'store bitmap')
  if (location.previousBitmapOffset !== 0) map.previous = bitmap(location.previousBitmapOffset, 'store previous bitmap')
  return map
}

/**
 * Adds a descriptor as section "Successive block descriptors" orders it: the list is read
 * front to back; a later descriptor for the same block replaces an earlier one (keeping
 * its overlay); overlays gather into one; a forwarder is remembered by the block it
 * forwards to, so that a later descriptor of that block takes over its original offset.
 */
function insertDescriptor(map: StoreMap, read: BlockDescriptor): void {
  let original = blockOf(read.originalOffset)
  if (!(read.flags & DescriptorFlag.overlay)) {
    const forwarded = map.reverse.get(original)
    if (forwarded) {
      original = forwarded.originalOffset
      map.reverse.delete(blockOf(forwarded.relativeOffset))
    }
  }
  // a forwarder to its own block says nothing
  if (read.flags & DescriptorFlag.forwarder && original === blockOf(read.relativeOffset)) return
  const descriptor: StoreDescriptor = {...read, originalOffset: original}
  const existing = map.forward.get(original)
  if (existing) {
    if (descriptor.flags & DescriptorFlag.overlay) {
      const overlay = existing.flags & DescriptorFlag.overlay ? existing : existing.overlay
      if (overlay) overlay.bitmap = (overlay.bitmap | descriptor.bitmap) >>> 0
      else existing.overlay = descriptor
      return
    }
    descriptor.overlay = existing.flags & DescriptorFlag.overlay ? existing : existing.overlay
  }
  map.forward.set(original, descriptor)
  if (descriptor.flags & DescriptorFlag.forwarder) map.reverse.set(blockOf(descriptor.relativeOffset), descriptor)
}

/**
 * One snapshot as a volume. Section "Reading snapshot data": a block the snapshot's store
 * describes is read from where the store keeps it (or, a forwarder, from the next store);
 * a block it does not describe is read through the next newer store, and past the newest
 * from the current volume; the newest snapshot reads the blocks its bitmaps mark as not
 * in use as zeros (on Windows their content is undefined).
 */
export class ShadowCopyVolume implements ByteSource {
  constructor(
    private readonly volume: ByteSource,
    private readonly maps: StoreMap[],
    private readonly active: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const wanted = Math.max(0, Math.min(length, this.size - offset))
    const target = Buffer.alloc(wanted)
    if (wanted > 0) this.fill(this.active, offset, target, 0, wanted)
    return target
  }

  private fill(store: number, offset: number, target: Buffer, at: number, length: number): void {
    const map = this.maps[store]!
    const newest = store === this.maps.length - 1
    while (length > 0) {
      const block = blockOf(offset)
      const inBlock = offset - block
      let size = Math.min(length, VSS_BLOCK_SIZE - inBlock)
      let descriptor = map.forward.get(block)
      if (descriptor) {
        const overlay = descriptor.flags & DescriptorFlag.overlay ? descriptor : descriptor.overlay
        if (overlay && store !== this.active) {
          // an overlay counts only in the snapshot read; a block that is nothing but one is not described here
          if (overlay === descriptor) descriptor = undefined
        } else if (overlay) {
          // section "Successive block descriptors": one bit per 512-byte sector, least significant first
          const sector = inBlock >> 9
          const set = (overlay.bitmap >>> sector) & 1
          let end = sector + 1
          while (end < 32 && ((overlay.bitmap >>> end) & 1) === set) end++
          size = Math.min(size, end * 512 - inBlock)
          if (set) descriptor = overlay
          else if (overlay === descriptor) descriptor = undefined
        }
      }
      if (descriptor) {
        const forwarder = (descriptor.flags & DescriptorFlag.forwarder) !== 0
        const from = (forwarder ? descriptor.relativeOffset : descriptor.storeOffset) + inBlock
        if (forwarder && !newest) this.fill(store + 1, from, target, at, size)
        else this.readVolume(from, target, at, size)
      } else if (!newest) {
        this.fill(store + 1, offset, target, at, size)
      } else if (store === this.active && !map.reverse.has(block) && isSet(map.current, block) && (map.previous === undefined || isSet(map.previous, block))) {
        target.fill(0, at, at + size)
      } else {
        this.readVolume(offset, target, at, size)
      }
      offset += size
      at += size
      length -= size
    }
  }

  private readVolume(offset: number, target: Buffer, at: number, length: number): void {
    const bytes = this.volume.read(offset, length)
    if (bytes.length < length) throw new CorruptImageError(`shadow copy ${this.active + 1}: ${length} bytes at ${offset} lie past the end of the volume`, offset)
    bytes.copy(target, at)
  }

  close(): void {
    // the volume below owns the file handle
  }
}

function isSet(bitmap: Uint8Array | undefined, offset: number): boolean {
  if (!bitmap) return false
  const bit = offset / VSS_BLOCK_SIZE
  return (((bitmap[Math.floor(bit / 8)] ?? 0) >> (bit % 8)) & 1) === 1
}
