import {CorruptImageError, UnsupportedFormatError} from '../errors.js'

/**
 * The ext2/3/4 superblock: 1024 bytes at byte 1024 of the volume (libfsext
 * "Extended File System (EXT)", section "The superblock"; kernel
 * Documentation/filesystems/ext4/super.rst). Only the fields a reader needs.
 */

export const SUPERBLOCK_OFFSET = 1024
export const SUPERBLOCK_SIZE = 1024
export const EXT_MAGIC = 0xef53

/** s_feature_compat bits. */
export const COMPAT_HAS_JOURNAL = 0x4
/** s_feature_incompat bits (super.rst, "s_feature_incompat"). */
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journalDev: 0x8,
  metaBg: 0x10,
  extents: 0x40,
  bit64: 0x80,
  mmp: 0x100,
  flexBg: 0x200,
  eaInode: 0x400,
  dirData: 0x1000,
  csumSeed: 0x2000,
  largeDir: 0x4000,
  inlineData: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const
/** s_feature_ro_compat bits. */
export const RO_COMPAT = {
  sparseSuper: 0x1,
  largeFile: 0x2,
  hugeFile: 0x8,
  gdtCsum: 0x10,
  dirNlink: 0x20,
  extraIsize: 0x40,
  metadataCsum: 0x400,
} as const

/**
 * Incompatible features whose layout this reader follows. A journal needing recovery
 * is read as it stands on disk (not replayed); encrypted directories are refused one by one.
 */
const READ_INCOMPAT =
  INCOMPAT.filetype |
  INCOMPAT.recover |
  INCOMPAT.metaBg |
  INCOMPAT.extents |
  INCOMPAT.bit64 |
  INCOMPAT.mmp |
  INCOMPAT.flexBg |
  INCOMPAT.eaInode |
  INCOMPAT.csumSeed |
  INCOMPAT.largeDir |
  INCOMPAT.inlineData |
  INCOMPAT.encrypt |
  INCOMPAT.casefold

const REFUSED_NAMES: Array<[number, string]> = [
  [INCOMPAT.compression, 'compression (never finished in Linux)'],
  [INCOMPAT.journalDev, 'journal_dev (this is an external journal device, not a file system)'],
  [INCOMPAT.dirData, 'dirdata (Lustre directory data)'],
]

export interface ExtSuperblock {
  /** 'ext4' if any ext4-only feature is on, 'ext3' with a journal, else 'ext2' (as fs-sniff names them). */
  name: 'ext2' | 'ext3' | 'ext4'
  inodeCount: number
  blockCount: number
  firstDataBlock: number
  blockSize: number
  blocksPerGroup: number
  inodesPerGroup: number
  inodeSize: number
  revision: number
  firstInode: number
  compat: number
  incompat: number
  roCompat: number
  /** Group descriptor size: 32, or s_desc_size with the 64bit feature. */
  descriptorSize: number
  groupCount: number
  firstMetaBg: number
  journalInode: number
  uuid: string
  label?: string
  lastMounted?: string
  /** s_state bit 0: unmounted cleanly; bit 1: errors detected. */
  state: number
}

function cString(buffer: Buffer, start: number, length: number): string | undefined {
  const raw = buffer.subarray(start, start + length)
  const end = raw.indexOf(0)
  const text = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8').trim()
  return text === '' ? undefined : text
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** True if these bytes (the volume from byte 0) carry the ext magic at 1024 + 56. */
export function isExtSuperblock(head: Buffer): boolean {
  return head.length >= SUPERBLOCK_OFFSET + 58 && head.readUInt16LE(SUPERBLOCK_OFFSET + 0x38) === EXT_MAGIC
}

/**
 * Parses and checks the superblock (`raw`: its 1024 bytes). Throws CorruptImageError for
 * values no ext volume can hold and UnsupportedFormatError for incompatible features
 * whose layout trawl does not know (a reader that guessed would list wrong files).
 */
export function parseSuperblock(raw: Buffer): ExtSuperblock {
  const at = SUPERBLOCK_OFFSET
  if (raw.length < SUPERBLOCK_SIZE) throw new CorruptImageError('ext superblock: the volume ends inside it', at)
  if (raw.readUInt16LE(0x38) !== EXT_MAGIC) throw new CorruptImageError('ext superblock: no 0xEF53 magic', at + 0x38)
  const revision = raw.readUInt32LE(0x4c)
  const compat = revision >= 1 ? raw.readUInt32LE(0x5c) : 0
  const incompat = revision >= 1 ? raw.readUInt32LE(0x60) : 0
  const roCompat = revision >= 1 ? raw.readUInt32LE(0x64) : 0
  for (const [bit, name] of REFUSED_NAMES) {
    if (incompat & bit) throw new UnsupportedFormatError(`ext superblock: incompatible feature ${name} is not read by trawl`)
  }
  const unknown = incompat & ~READ_INCOMPAT
  if (unknown !== 0) throw new UnsupportedFormatError(`ext superblock: unknown incompatible feature bits 0x${unknown.toString(16)}; trawl does not guess at their layout`)
  const logBlockSize = raw.readUInt32LE(0x18)
  if (logBlockSize > 6) throw new CorruptImageError(`ext superblock: block size 2^(10+${logBlockSize}) is not 1 KiB to 64 KiB`, at + 0x18)
  const blockSize = 1024 << logBlockSize
  const bit64 = (incompat & INCOMPAT.bit64) !== 0
  const blockCount = raw.readUInt32LE(0x04) + (bit64 ? raw.readUInt32LE(0x150) * 2 ** 32 : 0)
  const inodeCount = raw.readUInt32LE(0x00)
  const firstDataBlock = raw.readUInt32LE(0x14)
  const blocksPerGroup = raw.readUInt32LE(0x20)
  const inodesPerGroup = raw.readUInt32LE(0x28)
  const inodeSize = revision >= 1 ? raw.readUInt16LE(0x58) : 128
  const firstInode = revision >= 1 ? raw.readUInt32LE(0x54) : 11
  if (blocksPerGroup === 0 || blocksPerGroup > blockSize * 8) throw new CorruptImageError(`ext superblock: ${blocksPerGroup} blocks per group`, at + 0x20)
  if (inodesPerGroup === 0 || inodesPerGroup > blockSize * 8) throw new CorruptImageError(`ext superblock: ${inodesPerGroup} inodes per group`, at + 0x28)
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) throw new CorruptImageError(`ext superblock: inode size ${inodeSize}`, at + 0x58)
  if (blockCount <= firstDataBlock || firstDataBlock > 1) throw new CorruptImageError(`ext superblock: ${blockCount} blocks, first data block ${firstDataBlock}`, at + 0x04)
  let descriptorSize = 32
  if (bit64) {
    descriptorSize = raw.readUInt16LE(0xfe)
    if (descriptorSize < 32 || descriptorSize > 1024 || (descriptorSize & (descriptorSize - 1)) !== 0) {
      throw new CorruptImageError(`ext superblock: group descriptor size ${descriptorSize}`, at + 0xfe)
    }
  }
  const groupCount = Math.ceil((blockCount - firstDataBlock) / blocksPerGroup)
  if (inodeCount > groupCount * inodesPerGroup || inodeCount < 11) {
    throw new CorruptImageError(`ext superblock: ${inodeCount} inodes do not fit ${groupCount} groups of ${inodesPerGroup}`, at)
  }
  const ext4Incompat = INCOMPAT.extents | INCOMPAT.bit64 | INCOMPAT.flexBg | INCOMPAT.inlineData | INCOMPAT.metaBg
  const ext4RoCompat = RO_COMPAT.hugeFile | RO_COMPAT.gdtCsum | RO_COMPAT.dirNlink | RO_COMPAT.extraIsize | RO_COMPAT.metadataCsum
  const name = incompat & ext4Incompat || roCompat & ext4RoCompat ? 'ext4' : compat & COMPAT_HAS_JOURNAL ? 'ext3' : 'ext2'
  const label = cString(raw, 0x78, 16)
  const lastMounted = cString(raw, 0x88, 64)
  return {
    name,
    inodeCount,
    blockCount,
    firstDataBlock,
    blockSize,
    blocksPerGroup,
    inodesPerGroup,
    inodeSize,
    revision,
    firstInode,
    compat,
    incompat,
    roCompat,
    descriptorSize,
    groupCount,
    firstMetaBg: raw.readUInt32LE(0x104),
    journalInode: revision >= 1 ? raw.readUInt32LE(0xe0) : 0,
    uuid: formatUuid(raw.subarray(0x68, 0x78)),
    ...(label ? {label} : {}),
    ...(lastMounted ? {lastMounted} : {}),
    state: raw.readUInt16LE(0x3a),
  }
}

/** True if block group `group` holds a superblock backup (sparse_super: 0, 1 and powers of 3, 5, 7). */
export function groupHasSuperblock(sb: ExtSuperblock, group: number): boolean {
  if (group <= 1 || (sb.roCompat & RO_COMPAT.sparseSuper) === 0) return true
  for (const base of [3, 5, 7]) {
    let n = base
    while (n < group) n *= base
    if (n === group) return true
  }
  return false
}
