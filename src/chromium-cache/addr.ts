/**
 * A blockfile cache address (CacheAddr, net/disk_cache/blockfile/addr.h): one 32-bit value
 * naming either a separate file (f_ + 6 hex digits) or a run of 1 to 4 blocks in a block file
 * (data_N). Bit 31 initialized; bits 28-30 file type; for block files, bits 24-25 the block
 * count less one, bits 16-23 the block file number, bits 0-15 the first block.
 */

export const BLOCK_FILE_HEADER_SIZE = 8192

/** File types of bits 28-30, with the block size of each block type. */
export const FILE_TYPES = ['external', 'rankings', 'block-256', 'block-1k', 'block-4k', 'block-files', 'block-entries', 'block-evicted'] as const
export type CacheFileType = (typeof FILE_TYPES)[number]
const BLOCK_SIZES: Record<CacheFileType, number> = {
  external: 0,
  rankings: 36,
  'block-256': 256,
  'block-1k': 1024,
  'block-4k': 4096,
  'block-files': 8,
  'block-entries': 104,
  'block-evicted': 48,
}

export interface CacheAddress {
  value: number
  initialized: boolean
  type: CacheFileType
  /** External: f_xxxxxx; block: data_N. */
  fileName: string
  /** Block addresses: block size, first block, number of blocks. */
  blockSize: number
  startBlock: number
  blocks: number
  /** Byte offset in the file of the first block (0 for an external file). */
  offset: number
  /** Bits 26-27 are reserved: set, the address is not one Chromium wrote. */
  reservedBitsSet: boolean
}

export function cacheAddress(value: number): CacheAddress {
  const v = value >>> 0
  const type = FILE_TYPES[(v >>> 28) & 7]
  if (type === 'external') {
    const number = v & 0x0fffffff
    return {value: v, initialized: (v & 0x80000000) !== 0, type, fileName: `f_${number.toString(16).padStart(6, '0')}`, blockSize: 0, startBlock: 0, blocks: 0, offset: 0, reservedBitsSet: false}
  }
  const blockSize = BLOCK_SIZES[type]
  const startBlock = v & 0xffff
  return {
    value: v,
    initialized: (v & 0x80000000) !== 0,
    type,
    fileName: `data_${(v >>> 16) & 0xff}`,
    blockSize,
    startBlock,
    blocks: ((v >>> 24) & 3) + 1,
    offset: BLOCK_FILE_HEADER_SIZE + startBlock * blockSize,
    reservedBitsSet: (v & 0x0c000000) !== 0,
  }
}

/** The address as Chromium's tools print it (0x + 8 hex digits). */
export function addressHex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`
}
