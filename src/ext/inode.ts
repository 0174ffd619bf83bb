import {CorruptImageError} from '../errors.js'
import type {Timestamps} from '../fs/types.js'
import {isoFromTicks} from '../time.js'

/**
 * An ext2/3/4 inode (kernel Documentation/filesystems/ext4/inodes.rst; libfsext
 * "The inode"): 128 bytes, plus i_extra_isize bytes of extra fields (nanoseconds,
 * epoch bits and the creation time) in larger inodes.
 */

export const INODE_FLAG = {
  secureDelete: 0x1,
  immutable: 0x10,
  appendOnly: 0x20,
  noDump: 0x40,
  noAtime: 0x80,
  encrypt: 0x800,
  index: 0x1000,
  hugeFile: 0x40000,
  extents: 0x80000,
  eaInode: 0x200000,
  inlineData: 0x10000000,
  casefold: 0x40000000,
} as const

export const MODE_TYPE = {
  fifo: 0x1000,
  characterDevice: 0x2000,
  directory: 0x4000,
  blockDevice: 0x6000,
  regular: 0x8000,
  symlink: 0xa000,
  socket: 0xc000,
} as const

export interface ExtInode {
  number: number
  mode: number
  /** mode & 0xF000 */
  type: number
  uid: number
  gid: number
  size: number
  linkCount: number
  /** i_blocks in 512-byte units (or file-system blocks with HUGE_FILE) */
  blocks: number
  flags: number
  /** i_block: 60 bytes (block map, extent tree root, inline data or fast symlink target) */
  blockField: Buffer
  fileAcl: number
  times: Timestamps
  /** Deletion time (ISO), when set. */
  deleted?: string
  /** Bytes after the extra fields: in-inode extended attributes (inline data lives there). */
  inodeTail: Buffer
  extraSize: number
}

/**
 * A time field: signed 32-bit seconds, widened by the two epoch bits of its _extra
 * field, with the nanoseconds in the extra field's upper 30 bits (inodes.rst,
 * "Inode Timestamps"). Without an extra field the precision is whole seconds.
 * 0 with no nanoseconds is "not set" (as The Sleuth Kit treats it).
 */
export function extTimeToIso(seconds: number, extra: number | undefined): string | undefined {
  const signed = seconds | 0
  if (extra === undefined) {
    if (signed === 0) return undefined
    return isoFromTicks(BigInt(signed), 1n, 0n, 0)
  }
  const epoch = extra & 3
  const nanos = extra >>> 2
  if (signed === 0 && epoch === 0 && nanos === 0) return undefined
  const total = (BigInt(signed) + (BigInt(epoch) << 32n)) * 1_000_000_000n + BigInt(Math.min(nanos, 999_999_999))
  return isoFromTicks(total, 1_000_000_000n, 0n, 9)
}

/**
 * Parses the inode `number` from its `raw` bytes (inode size long). `largeDirSize`: use
 * i_size_high for directories too (largedir); `hugeFile`: i_blocks may count blocks.
 */
export function parseInode(raw: Buffer, number: number, offset: number): ExtInode {
  if (raw.length < 128) throw new CorruptImageError(`ext inode ${number}: the volume ends inside it`, offset)
  const mode = raw.readUInt16LE(0x00)
  const type = mode & 0xf000
  const sizeHigh = raw.readUInt32LE(0x6c)
  // i_size_high was i_dir_acl for directories before largedir; directories are never 4 GiB anyway
  const size = raw.readUInt32LE(0x04) + (type === MODE_TYPE.directory ? 0 : sizeHigh * 2 ** 32)
  let extraSize = 0
  if (raw.length > 128) {
    extraSize = raw.readUInt16LE(0x80)
    // i_extra_isize beyond the inode is damage: read the base fields only
    if (extraSize + 128 > raw.length || extraSize % 4 !== 0) extraSize = 0
  }
  const extraField = (at: number): number | undefined => (extraSize >= at - 0x80 + 4 ? raw.readUInt32LE(at) : undefined)
  const times: Timestamps = {}
  const set = (key: keyof Timestamps, value: string | undefined) => {
    if (value !== undefined) times[key] = value
  }
  set('modified', extTimeToIso(raw.readUInt32LE(0x10), extraField(0x88)))
  set('accessed', extTimeToIso(raw.readUInt32LE(0x08), extraField(0x8c)))
  set('changed', extTimeToIso(raw.readUInt32LE(0x0c), extraField(0x84)))
  if (extraSize >= 0x94 - 0x80) set('created', extTimeToIso(raw.readUInt32LE(0x90), extraField(0x94)))
  const dtime = raw.readUInt32LE(0x14)
  const inode: ExtInode = {
    number,
    mode,
    type,
    uid: raw.readUInt16LE(0x02) | (raw.readUInt16LE(0x78) << 16),
    gid: raw.readUInt16LE(0x18) | (raw.readUInt16LE(0x7a) << 16),
    size,
    linkCount: raw.readUInt16LE(0x1a),
    blocks: raw.readUInt32LE(0x1c) + raw.readUInt16LE(0x74) * 2 ** 32,
    flags: raw.readUInt32LE(0x20),
    blockField: Buffer.from(raw.subarray(0x28, 0x28 + 60)),
    fileAcl: raw.readUInt32LE(0x68) + raw.readUInt16LE(0x76) * 2 ** 32,
    times,
    inodeTail: Buffer.from(raw.subarray(128 + extraSize)),
    extraSize,
  }
  if (dtime !== 0) inode.deleted = extTimeToIso(dtime, undefined)
  return inode
}

/**
 * The value of an extended attribute stored inside the inode, after the extra fields
 * (libfsext "Extended attributes"): a 0xEA020000 magic, then entries whose value
 * offsets count from the first entry. Used for inline data ("system.data").
 */
export function inodeAttribute(inode: ExtInode, nameIndex: number, name: string): Buffer | undefined {
  const tail = inode.inodeTail
  if (tail.length < 8 || tail.readUInt32LE(0) !== 0xea020000) return undefined
  const entries = tail.subarray(4)
  let p = 0
  while (p + 16 <= entries.length) {
    const nameLength = entries[p]
    const index = entries[p + 1]
    const valueOffset = entries.readUInt16LE(p + 2)
    const valueInode = entries.readUInt32LE(p + 4)
    const valueSize = entries.readUInt32LE(p + 8)
    if (nameLength === 0 && index === 0 && valueOffset === 0 && valueInode === 0) break // end of entries
    if (p + 16 + nameLength > entries.length) break
    const entryName = entries.toString('latin1', p + 16, p + 16 + nameLength)
    if (index === nameIndex && entryName === name && valueInode === 0) {
      if (valueOffset + valueSize > entries.length) {
        throw new CorruptImageError(`ext inode ${inode.number}: extended attribute ${name} runs past the inode`)
      }
      return Buffer.from(entries.subarray(valueOffset, valueOffset + valueSize))
    }
    p += (16 + nameLength + 3) & ~3
  }
  return undefined
}
