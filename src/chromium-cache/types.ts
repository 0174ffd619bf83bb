/**
 * What the Chromium disk cache readers return, for either backend: the entries with their
 * key, streams and parsed response, and every index slot, entry or stream they could not
 * read, each with its place in the files.
 */
import type {CachedHttpResponse} from './http-response.js'
import type {CacheKey} from './key.js'

/** The files of one cache folder, by name as in the folder ('index', 'data_1', 'f_00001a', '0123abcd_0'). */
export interface CacheFolder {
  read(name: string): Buffer | undefined
}

export interface CacheStream {
  /** 0: HTTP response info; 1: body; 2: code-cache metadata (blockfile) / sparse (simple _s). */
  index: number
  size: number
  /** File and byte offset where the stream's data starts. */
  file: string | null
  offset: number | null
  /** Blockfile: the stream's cache address (0x...). */
  address?: string
  /** Simple: the CRC-32 the EOF record stores, and whether the data match it (null: no CRC stored). */
  crc32?: number | null
  crcValid?: boolean | null
  data: Buffer | null
  /** Why the data could not be read (whole or in part). */
  problem: string | null
}

export interface CacheEntry {
  backend: 'blockfile' | 'simple'
  key: CacheKey
  /** The key's hash as stored (blockfile: 32-bit PersistentHash; simple: 64-bit entry hash, hex). */
  hash: string
  /** Where the entry's record is: file and byte offset; blockfile also its address. */
  file: string
  offset: number
  address?: string
  /** False for an entry found in a block file but reached from no index slot (deleted, evicted, or from a crashed run). */
  reachable: boolean
  /**
   * For an entry no slot reaches: 'allocated' when its blocks are still marked in use (evicted
   * or doomed and not yet freed, or a crashed run's), 'free' when the block file marks them free
   * (deleted; its bytes not yet overwritten). Null for an entry reached from the index.
   */
  blocks: 'allocated' | 'free' | null
  /** Blockfile EntryStore.state: normal, evicted, doomed. */
  state: string | null
  /** Blockfile: the rankings node marks the entry as being written (not closed cleanly). */
  dirty: boolean
  created: string | null
  lastUsed: string | null
  lastModified: string | null
  reuseCount: number | null
  refetchCount: number | null
  streams: CacheStream[]
  /**
   * Blockfile range-requested resources (EntryStore.flags): the parent holds the headers and a
   * bitmap of its children; each child holds one MiB of the resource, of which `ranges` (byte
   * offsets in the resource, end exclusive) are marked held: whole 1 KiB blocks and the last
   * block written. A block written in part before a later write is not marked, though its bytes
   * stay in stream 1; the rest of stream 1 is holes.
   */
  sparse?: {role: 'parent'; children: number[]} | {role: 'child'; child: number; ranges: Array<[number, number]>}
  response: CachedHttpResponse | null
  /** Consistency checks: the stored key hash matches the key; the structure's own hash matches. */
  keyHashValid: boolean | null
  selfHashValid: boolean | null
  problems: string[]
}

export interface CacheProblem {
  file: string
  offset: number | null
  /** 'bad-address', 'truncated', 'orphan', 'dirty', 'missing-file', 'bad-header', 'loop', 'unreadable'. */
  kind: string
  message: string
}

export interface CacheCounts {
  /** Index slots holding an address (blockfile), or entries the index names (simple). */
  indexSlots: number
  /** Entries reached from the index (following blockfile hash chains). */
  indexedEntries: number
  /** Entries the index header says it holds. */
  declaredEntries: number | null
  /** Addresses or files named by the index that could not be read as an entry. */
  unreadable: number
  /** Entries found in block files but reached from no index slot. */
  orphans: number
}

export interface CacheContents {
  backend: 'blockfile' | 'simple'
  version: number
  created: string | null
  /**
   * Blockfile: the index header's crash flag, set while a run has the cache open and cleared
   * when it closes it: true for a cache copied from a running app, or left by one that crashed.
   */
  openOrCrashed: boolean
  entries: CacheEntry[]
  problems: CacheProblem[]
  counts: CacheCounts
}
