/**
 * Linear ext directory entries (kernel Documentation/filesystems/ext4/directory.rst,
 * "Linear (Classic) Directories"): inode u32, rec_len u16, name_len u8 and file_type u8
 * (with the filetype feature; else name_len is u16), then the name. Hash-tree (htree)
 * directories keep the same entries in their leaf blocks, so every block is read as
 * linear entries; the index blocks look like one empty entry and yield nothing.
 *
 * A deleted name stays in the bytes its predecessor's rec_len grew over, as The Sleuth
 * Kit finds them: the space after each entry's own length is searched for entries that
 * still look whole, and those are returned marked deleted, in on-disk order.
 */

export interface DirectoryName {
  inode: number
  name: string
  /** Directory entry file_type (0 unknown, 1 file, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink). */
  fileType: number
  deleted: boolean
  /** Offset of the entry in the block, for error messages. */
  offset: number
}

export const FILE_TYPE = {unknown: 0, regular: 1, directory: 2, characterDevice: 3, blockDevice: 4, fifo: 5, socket: 6, symlink: 7} as const

const decoder = new TextDecoder('utf-8', {fatal: false})

export interface DirectoryParseOptions {
  /** With the filetype feature the byte after name_len is a type; without it, name_len is 16-bit. */
  fileTypes: boolean
  /** Highest inode number the volume has: a deleted candidate naming more is not an entry. */
  inodeCount: number
  /** Look for deleted names in the slack of each entry. */
  deleted: boolean
  /** Start of the area of `block` not to search for deleted names (htree root data), if any. */
  noSlackFrom?: number
}

function minimumLength(nameLength: number): number {
  return (8 + nameLength + 3) & ~3
}

function nameAt(block: Buffer, p: number, nameLength: number): string {
  return decoder.decode(block.subarray(p + 8, p + 8 + nameLength))
}

/** A deleted entry must look like one written whole: sane lengths, a plausible inode and name. */
function plausibleDeleted(block: Buffer, p: number, end: number, options: DirectoryParseOptions): {nameLength: number; recLength: number} | undefined {
  if (p + 8 > end) return undefined
  const inode = block.readUInt32LE(p)
  const recLength = block.readUInt16LE(p + 4)
  const nameLength = options.fileTypes ? block[p + 6] : block.readUInt16LE(p + 6)
  const fileType = options.fileTypes ? block[p + 7] : 0
  if (nameLength === 0 || p + 8 + nameLength > end || fileType > 7) return undefined
  if (inode > options.inodeCount) return undefined
  if (recLength < minimumLength(nameLength) || recLength % 4 !== 0) return undefined
  for (let i = p + 8; i < p + 8 + nameLength; i++) if (block[i] === 0 || block[i] === 0x2f) return undefined
  return {nameLength, recLength}
}

/**
 * The entries of one directory block (or inline-data area), live ones and, with
 * `deleted`, the deleted ones found in slack. Stops at the first entry whose rec_len
 * cannot be right (the rest of the block is unreadable) and reports it in `damage`.
 */
export function parseDirectoryBlock(block: Buffer, options: DirectoryParseOptions): {names: DirectoryName[]; damage?: {offset: number; reason: string}} {
  const names: DirectoryName[] = []
  let p = 0
  while (p + 8 <= block.length) {
    const inode = block.readUInt32LE(p)
    const recLength = block.readUInt16LE(p + 4)
    const nameLength = options.fileTypes ? block[p + 6] : block.readUInt16LE(p + 6)
    const fileType = options.fileTypes ? block[p + 7] : 0
    if (recLength < 8 || recLength % 4 !== 0 || p + recLength > block.length || (inode !== 0 && minimumLength(nameLength) > recLength)) {
      return {names, damage: {offset: p, reason: `directory entry with record length ${recLength} and name length ${nameLength}`}}
    }
    if (inode !== 0 && nameLength > 0) {
      const name = nameAt(block, p, nameLength)
      if (name !== '.' && name !== '..') names.push({inode, name, fileType, deleted: false, offset: p})
    }
    if (options.deleted) {
      // the slack after this entry's own bytes (all of it when the entry itself is unused)
      const end = p + recLength
      let q = inode === 0 ? p : p + minimumLength(nameLength)
      if (options.noSlackFrom !== undefined && q >= options.noSlackFrom) q = end
      while (q + 8 <= end) {
        const found = plausibleDeleted(block, q, end, options)
        if (!found) {
          q += 4
          continue
        }
        const name = nameAt(block, q, found.nameLength)
        if (name !== '.' && name !== '..') names.push({inode: block.readUInt32LE(q), name, fileType: options.fileTypes ? block[q + 7] : 0, deleted: true, offset: q})
        q += minimumLength(found.nameLength)
      }
    }
    p += recLength
  }
  return {names}
}

/**
 * True if this block of an htree directory is an interior index node (dx_node):
 * one empty entry spanning the block, then a count/limit pair that fits it.
 */
export function isHtreeNode(block: Buffer): boolean {
  if (block.length < 16) return false
  if (block.readUInt32LE(0) !== 0 || block.readUInt16LE(4) !== block.length || block[6] !== 0) return false
  const limit = block.readUInt16LE(8)
  const count = block.readUInt16LE(10)
  return limit > 0 && count <= limit && 8 + limit * 8 <= block.length
}
