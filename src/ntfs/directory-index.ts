import {CorruptImageError} from '../errors.js'
import {fileNameNamespace, fileNameParent, fileNameParentSequence, unreadableEntry, type EntrySummary} from './mft-entry.js'
import {applyFixups, u16, u32} from './mft-record.js'

/**
 * A directory's $I30 index (libfsntfs "The index root attribute", "The index allocation
 * attribute", "Index entry"): the names the directory holds, each with the MFT reference
 * of the entry it names and a copy of that entry's $FILE_NAME as the key. The B+ tree is not
 * searched: every node in use is read, the root in $INDEX_ROOT and the index records of
 * $INDEX_ALLOCATION whose bit is set in $BITMAP, so the order of the nodes does not matter.
 */

/** Index entry flags. */
const HAS_SUB_NODE = 0x01
const LAST_ENTRY = 0x02
/** $FILE_NAME file attribute flag: the entry it names is a directory (an index of $I30). */
const FILE_NAME_IS_DIRECTORY = 0x10000000
/** An index record's header and node header come before its update sequence array. */
const INDX_HEADER = 40
/** A $FILE_NAME key: 66 bytes before the name. */
const FILE_NAME_KEY_MIN = 66

/** One name in a directory index. */
export interface IndexedName {
  /** The MFT entry and sequence number the index entry refers to. */
  entry: number
  sequence: number
  /** From the key (the $FILE_NAME copy): its parent reference, namespace and name. */
  parent: number
  parentSequence: number
  namespace: number
  name: string
  /** The key says the entry is a directory. */
  directory: boolean
}

/**
 * The index entries of one node, from its node header at `header` up to where the header
 * says the entries end. Damage (an entry out of bounds, a key too short) ends the node and
 * is reported to `problem`; the names read before it are kept.
 */
export function readIndexNode(buf: Buffer, header: number, limit: number, where: string, out: IndexedName[], problem: (error: CorruptImageError) => void): void {
  if (header + 16 > limit) {
    problem(new CorruptImageError(`${where}: index node header cut short`))
    return
  }
  const first = header + u32(buf, header)
  const end = Math.min(limit, header + u32(buf, header + 4))
  let pos = first
  while (pos + 16 <= end) {
    const length = u16(buf, pos + 8)
    const keyLength = u16(buf, pos + 10)
    const flags = u32(buf, pos + 12)
    if (length < 16 || length % 8 !== 0 || pos + length > end || 16 + keyLength > length) {
      problem(new CorruptImageError(`${where}: index entry at byte ${pos - header} of the node, ${length} bytes, is out of bounds; the rest of the node is not read`))
      return
    }
    if ((flags & HAS_SUB_NODE) !== 0 && length < 16 + keyLength + 8) {
      problem(new CorruptImageError(`${where}: index entry at byte ${pos - header} of the node has no room for its sub-node reference; the rest of the node is not read`))
      return
    }
    if ((flags & LAST_ENTRY) !== 0) return
    const key = pos + 16
    if (keyLength < FILE_NAME_KEY_MIN || FILE_NAME_KEY_MIN + buf[key + 64] * 2 > keyLength) {
      problem(new CorruptImageError(`${where}: index entry at byte ${pos - header} of the node has a $FILE_NAME key of ${keyLength} bytes that cannot hold its name; skipped`))
    } else {
      out.push({
        entry: u32(buf, pos) + u16(buf, pos + 4) * 0x1_0000_0000,
        sequence: u16(buf, pos + 6),
        parent: fileNameParent(buf, key),
        parentSequence: fileNameParentSequence(buf, key),
        namespace: fileNameNamespace(buf, key),
        name: buf.toString('utf16le', key + FILE_NAME_KEY_MIN, key + FILE_NAME_KEY_MIN + buf[key + 64] * 2),
        directory: (u32(buf, key + 56) & FILE_NAME_IS_DIRECTORY) !== 0,
      })
    }
    pos += length
  }
}

/** The $INDEX_ROOT value of a $I30 index: the size of its index records, and the names in the root node. */
export function readIndexRoot(value: Buffer, where: string, out: IndexedName[], problem: (error: CorruptImageError) => void): number {
  if (value.length < 32) throw new CorruptImageError(`${where}: $INDEX_ROOT of ${value.length} bytes is cut short`)
  const recordSize = u32(value, 8)
  readIndexNode(value, 16, value.length, where, out, problem)
  return recordSize
}

/**
 * One index record of $INDEX_ALLOCATION ("INDX", its fix-ups applied in place), its names
 * added to `out`. A record without the signature or with a torn sector is a problem: its
 * names are not read.
 */
export function readIndexRecord(buf: Buffer, where: string, out: IndexedName[], problem: (error: CorruptImageError) => void): void {
  if (buf.length < 40 || buf.toString('latin1', 0, 4) !== 'INDX') {
    problem(new CorruptImageError(`${where}: no INDX signature; its names are not read`))
    return
  }
  try {
    applyFixups(buf, 0, buf.length - (buf.length % 512), 0, undefined, where, INDX_HEADER)
  } catch (error) {
    problem(new CorruptImageError(`${(error as Error).message}; its names are not read`))
    return
  }
  readIndexNode(buf, 24, buf.length, where, out, problem)
}

/** What a listing shows of an entry whose record cannot be read: the names its directory's index holds for it. */
export function damagedFromIndex(entry: number, names: IndexedName[], reason: string): EntrySummary {
  return unreadableEntry({entry, sequence: names[0].sequence, inUse: true, directory: names.some((n) => n.directory)}, names, reason)
}
