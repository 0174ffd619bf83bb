import {VSS_BLOCK_SIZE, VSS_IDENTIFIER} from '../../src/vss/format.js'

/**
 * A small volume with Volume Shadow Copies laid out as the libvshadow documentation
 * describes them, built byte by byte so that a test knows what each snapshot must read:
 * every block of the live volume is filled with its own text ("live block 12"), every
 * store data block with another ("data block 40"). Blocks are 16 KiB; block numbers below
 * are volume offsets divided by 16 KiB.
 */

export interface SyntheticDescriptor {
  /** Block of the volume whose old content this is. */
  original: number
  /** Block holding the saved content (0 for a forwarder). */
  data?: number
  /** Of a forwarder: the block it forwards to in the next store. */
  forwardTo?: number
  flags?: number
  bitmap?: number
}

export interface SyntheticStore {
  /** FILETIME of creation. */
  created: bigint
  descriptors: SyntheticDescriptor[]
  /** Blocks the current bitmap marks as not in use. */
  unused?: number[]
  /** Blocks the previous bitmap marks as not in use (no previous bitmap when absent). */
  previousUnused?: number[]
}

export const SYNTHETIC_BLOCKS = 64

/** Where the structures lie: catalog in block 1, then per store four metadata blocks from block 2. */
export const CATALOG_BLOCK = 1
export const storeBlocks = (index: number) => {
  const base = 2 + index * 5
  return {header: base, blockList: base + 1, ranges: base + 2, bitmap: base + 3, previousBitmap: base + 4}
}

export function blockText(block: number): string {
  return block >= 40 ? `data block ${block}` : `live block ${block}`
}

function guid(seed: number): Buffer {
  const bytes = Buffer.alloc(16)
  bytes.writeUInt32LE(0x600f0b00 + seed, 0)
  bytes.writeUInt32LE(0x11e35bdf, 4)
  bytes.fill(seed, 8)
  return bytes
}

function blockHeader(volume: Buffer, block: number, type: number, relative: number, next: number, infoSize = 0): void {
  const at = block * VSS_BLOCK_SIZE
  VSS_IDENTIFIER.copy(volume, at)
  volume.writeUInt32LE(1, at + 16)
  volume.writeUInt32LE(type, at + 20)
  volume.writeBigUInt64LE(BigInt(relative), at + 24)
  volume.writeBigUInt64LE(BigInt(at), at + 32)
  volume.writeBigUInt64LE(BigInt(next), at + 40)
  volume.writeBigUInt64LE(BigInt(infoSize), at + 48)
}

function bitmapBlock(volume: Buffer, block: number, unused: number[]): void {
  blockHeader(volume, block, 6, 0, 0)
  for (const b of unused) volume[block * VSS_BLOCK_SIZE + 128 + (b >> 3)]! |= 1 << (b & 7)
}

export function buildVssVolume(stores: SyntheticStore[]): Buffer {
  const volume = Buffer.alloc(SYNTHETIC_BLOCKS * VSS_BLOCK_SIZE)
  for (let block = 0; block < SYNTHETIC_BLOCKS; block++) {
    const text = Buffer.from(`${blockText(block)}\n`)
    for (let at = 0; at < VSS_BLOCK_SIZE; at += text.length) text.copy(volume, block * VSS_BLOCK_SIZE + at, 0, Math.min(text.length, VSS_BLOCK_SIZE - at))
  }
  // volume header (section "Volume header")
  const header = 0x1e00
  volume.fill(0, header, header + 512)
  VSS_IDENTIFIER.copy(volume, header)
  volume.writeUInt32LE(1, header + 16)
  volume.writeUInt32LE(1, header + 20)
  volume.writeBigUInt64LE(0x1e00n, header + 24)
  volume.writeBigUInt64LE(BigInt(CATALOG_BLOCK * VSS_BLOCK_SIZE), header + 48)
  // catalog: a type 0x02 and a type 0x03 entry per store
  volume.fill(0, CATALOG_BLOCK * VSS_BLOCK_SIZE, (CATALOG_BLOCK + 1) * VSS_BLOCK_SIZE)
  blockHeader(volume, CATALOG_BLOCK, 2, 0, 0)
  stores.forEach((store, i) => {
    const blocks = storeBlocks(i)
    for (const b of Object.values(blocks)) volume.fill(0, b * VSS_BLOCK_SIZE, (b + 1) * VSS_BLOCK_SIZE)
    const e2 = CATALOG_BLOCK * VSS_BLOCK_SIZE + 128 + i * 256
    volume.writeBigUInt64LE(2n, e2)
    volume.writeBigUInt64LE(BigInt(volume.length), e2 + 8)
    guid(i + 1).copy(volume, e2 + 16)
    volume.writeBigUInt64LE(BigInt(i + 1), e2 + 32)
    volume.writeBigUInt64LE(0x40n, e2 + 40)
    volume.writeBigUInt64LE(store.created, e2 + 48)
    const e3 = e2 + 128
    volume.writeBigUInt64LE(3n, e3)
    volume.writeBigUInt64LE(BigInt(blocks.blockList * VSS_BLOCK_SIZE), e3 + 8)
    guid(i + 1).copy(volume, e3 + 16)
    volume.writeBigUInt64LE(BigInt(blocks.header * VSS_BLOCK_SIZE), e3 + 32)
    volume.writeBigUInt64LE(BigInt(blocks.ranges * VSS_BLOCK_SIZE), e3 + 40)
    volume.writeBigUInt64LE(BigInt(blocks.bitmap * VSS_BLOCK_SIZE), e3 + 48)
    volume.writeBigUInt64LE(store.previousUnused ? BigInt(blocks.previousBitmap * VSS_BLOCK_SIZE) : 0n, e3 + 72)
    // store header with its store information (section "Store information")
    const machine = Buffer.from('examiner-pc', 'utf16le')
    const info = Buffer.alloc(66 + machine.length + 2 + machine.length)
    guid(0x40 + i).copy(info, 16)
    guid(0x80 + i).copy(info, 32)
    info.writeUInt32LE(0x00420009, 56)
    info.writeUInt16LE(machine.length, 64)
    machine.copy(info, 66)
    info.writeUInt16LE(machine.length, 66 + machine.length)
    machine.copy(info, 68 + machine.length)
    blockHeader(volume, blocks.header, 4, 0, 0, info.length)
    info.copy(volume, blocks.header * VSS_BLOCK_SIZE + 128)
    blockHeader(volume, blocks.blockList, 3, VSS_BLOCK_SIZE, 0)
    store.descriptors.forEach((d, n) => {
      const at = blocks.blockList * VSS_BLOCK_SIZE + 128 + n * 32
      volume.writeBigUInt64LE(BigInt(d.original * VSS_BLOCK_SIZE), at)
      volume.writeBigUInt64LE(BigInt((d.forwardTo ?? n + 4) * VSS_BLOCK_SIZE), at + 8)
      volume.writeBigUInt64LE(BigInt((d.data ?? 0) * VSS_BLOCK_SIZE), at + 16)
      volume.writeUInt32LE(d.flags ?? 0, at + 24)
      volume.writeUInt32LE(d.bitmap ?? 0, at + 28)
    })
    blockHeader(volume, blocks.ranges, 5, 2 * VSS_BLOCK_SIZE, 0)
    bitmapBlock(volume, blocks.bitmap, store.unused ?? [])
    if (store.previousUnused) bitmapBlock(volume, blocks.previousBitmap, store.previousUnused)
  })
  return volume
}

/** The first line of the text a 16 KiB block of a rebuilt snapshot begins with. */
export function firstLine(bytes: Buffer): string {
  return bytes.toString('latin1', 0, 64).split('\n')[0]!
}
