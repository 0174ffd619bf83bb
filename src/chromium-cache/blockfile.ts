/**
 * The blockfile disk cache (net/disk_cache/blockfile, the backend of Chromium and Electron
 * apps such as Discord on Windows): `index` (IndexHeader, 368 bytes, then a hash table of
 * table_len cache addresses), block files data_0..data_N (an 8 KiB BlockFileHeader, magic
 * 0xC104CAC3, then fixed-size blocks: data_0 36-byte rankings nodes, data_1 256-byte blocks
 * holding EntryStores and small streams, data_2 1 KiB, data_3 4 KiB), and f_xxxxxx files for
 * streams over 16 KiB. Layouts: disk_format.h, disk_format_base.h, addr.h.
 *
 * Every index slot's chain is followed (EntryStore.next links entries of one bucket). Then
 * every 256-byte block not yet accounted for, allocated or free, is tried as an EntryStore
 * whose self hash matches: entries no slot reaches (evicted, doomed, deleted, left by a crash)
 * are reported as orphans, so nothing the block files hold as an entry is silently left out.
 * Chromium frees a deleted entry's blocks without wiping them; its streams' blocks may since
 * hold another entry's bytes, so a stream in blocks a live entry uses is not read, and one in
 * free blocks is marked as possibly overwritten.
 */
import {BLOCK_FILE_HEADER_SIZE, addressHex, cacheAddress} from './addr.js'
import type {CacheAddress} from './addr.js'
import {persistentHash} from './hash.js'
import {parseHttpResponseInfo} from './http-response.js'
import {parseCacheKey} from './key.js'
import {cacheTime} from './time.js'
import type {CacheContents, CacheEntry, CacheFolder, CacheProblem, CacheStream} from './types.js'

export const INDEX_MAGIC = 0xc103cac3
export const BLOCK_MAGIC = 0xc104cac3
const INDEX_HEADER_SIZE = 368
const DEFAULT_TABLE_LEN = 0x10000
const ENTRY_SIZE = 256
const KEY_OFFSET = 96
const SELF_HASH_OFFSET = 92
const RANKINGS_SIZE = 36
const MAX_BLOCK_FILES = 256
const STATES = ['normal', 'evicted', 'doomed']
const PARENT_ENTRY = 1
const CHILD_ENTRY = 2
/** SparseHeader (disk_format_base.h): signature, magic, parent key length, last block and its length, 10 spare ints. */
const SPARSE_HEADER_SIZE = 64
const SPARSE_BLOCK = 1024
const SPARSE_CHILD_SIZE = 1 << 20

/**
 * What stream 2 of a sparse entry says: for a parent, the children it has (a bitmap, bit n for
 * child n); for a child, the 1 KiB blocks of its MiB that hold data, and the last block written
 * with its length (a block written in part is not in the bitmap).
 */
export function sparseOf(flags: number, stream2: Buffer | null, child: number | null, problems: string[]): CacheEntry['sparse'] {
  if (!(flags & (PARENT_ENTRY | CHILD_ENTRY))) return undefined
  if (!stream2 || stream2.length < SPARSE_HEADER_SIZE) {
    problems.push('sparse entry without its SparseHeader in stream 2: the fetched ranges are unknown')
    return flags & PARENT_ENTRY ? {role: 'parent', children: []} : {role: 'child', child: child ?? 0, ranges: []}
  }
  if (stream2.readUInt32LE(8) !== INDEX_MAGIC) problems.push('the SparseHeader in stream 2 lacks its magic (0xC103CAC3)')
  const bits: number[] = []
  for (let byte = SPARSE_HEADER_SIZE; byte < stream2.length; byte++) for (let b = 0; b < 8; b++) if (stream2[byte] & (1 << b)) bits.push((byte - SPARSE_HEADER_SIZE) * 8 + b)
  if (flags & PARENT_ENTRY) return {role: 'parent', children: bits}
  const base = (child ?? 0) * SPARSE_CHILD_SIZE
  const blocks = new Map<number, number>(bits.map((b) => [b, SPARSE_BLOCK]))
  const lastBlock = stream2.readInt32LE(16)
  const lastLength = stream2.readInt32LE(20)
  if (lastBlock >= 0 && lastLength > 0 && !blocks.has(lastBlock)) blocks.set(lastBlock, Math.min(lastLength, SPARSE_BLOCK))
  const ranges: Array<[number, number]> = []
  for (const b of [...blocks.keys()].sort((x, y) => x - y)) {
    const start = base + b * SPARSE_BLOCK
    const end = start + blocks.get(b)!
    const previous = ranges[ranges.length - 1]
    if (previous && previous[1] === start) previous[1] = end
    else ranges.push([start, end])
  }
  return {role: 'child', child: child ?? 0, ranges}
}

export function isBlockfileIndex(head: Buffer): boolean {
  return head.length >= 8 && head.readUInt32LE(0) === INDEX_MAGIC
}

export interface BlockFileHeader {
  version: number
  thisFile: number
  nextFile: number
  entrySize: number
  numEntries: number
  maxEntries: number
  /** Allocation bitmap: one bit per block. */
  allocated(block: number): boolean
}

export function readBlockFileHeader(data: Buffer): BlockFileHeader | null {
  if (data.length < BLOCK_FILE_HEADER_SIZE || data.readUInt32LE(0) !== BLOCK_MAGIC) return null
  const mapOffset = 80
  return {
    version: data.readUInt32LE(4),
    thisFile: data.readInt16LE(8),
    nextFile: data.readInt16LE(10),
    entrySize: data.readInt32LE(12),
    numEntries: data.readInt32LE(16),
    maxEntries: data.readInt32LE(20),
    allocated: (block: number) => {
      const byte = mapOffset + (block >>> 3)
      return byte < BLOCK_FILE_HEADER_SIZE && (data[byte] & (1 << (block & 7))) !== 0
    },
  }
}

/**
 * The number of the last f_ file the cache created (IndexHeader.last_file): separate files are
 * numbered from 1 upwards, so f_000001 to this name every one the folder can hold.
 */
export function lastExternalFile(index: Buffer): number {
  return index.length >= 20 ? Math.max(index.readInt32LE(16), 0) : 0
}

class Reader {
  readonly problems: CacheProblem[] = []
  readonly entries: CacheEntry[] = []
  /** Bytes of block files accounted for: file -> set of block numbers. */
  private readonly used = new Map<string, Set<number>>()
  private readonly headers = new Map<string, BlockFileHeader | null>()

  constructor(
    private readonly folder: CacheFolder,
    private readonly thisId: number,
  ) {}

  problem(file: string, offset: number | null, kind: string, message: string): void {
    this.problems.push({file, offset, kind, message})
  }

  blockFile(name: string): {data: Buffer; header: BlockFileHeader} | {error: string} {
    const data = this.folder.read(name)
    if (!data) return {error: `${name} is not in the folder`}
    if (!this.headers.has(name)) this.headers.set(name, readBlockFileHeader(data))
    const header = this.headers.get(name)
    if (!header) return {error: `${name} has no block file header (magic 0xC104CAC3)`}
    return {data, header}
  }

  /** The bytes `length` of a block address, or why they cannot be read. */
  blocks(addr: CacheAddress, length: number): {data: Buffer; truncated: boolean} | {error: string} {
    const file = this.blockFile(addr.fileName)
    if ('error' in file) return file
    if (file.header.entrySize !== addr.blockSize) return {error: `${addr.fileName} holds ${file.header.entrySize}-byte blocks, the address ${addressHex(addr.value)} names ${addr.blockSize}-byte ones`}
    if (length > addr.blocks * addr.blockSize) return {error: `${length} bytes do not fit the ${addr.blocks} block(s) of ${addressHex(addr.value)}`}
    const end = addr.offset + length
    if (addr.offset >= file.data.length) return {error: `${addressHex(addr.value)} points at byte ${addr.offset}, past the end of ${addr.fileName} (${file.data.length} bytes)`}
    this.markUsed(addr)
    return {data: file.data.subarray(addr.offset, Math.min(end, file.data.length)), truncated: end > file.data.length}
  }

  markUsed(addr: CacheAddress): void {
    let set = this.used.get(addr.fileName)
    if (!set) this.used.set(addr.fileName, (set = new Set()))
    for (let b = 0; b < addr.blocks; b++) set.add(addr.startBlock + b)
  }

  isUsed(file: string, block: number): boolean {
    return this.used.get(file)?.has(block) ?? false
  }

  /** The bytes of a stream or long key at `value`, `size` long. */
  data(value: number, size: number): {data: Buffer | null; file: string | null; offset: number | null; problem: string | null} {
    const addr = cacheAddress(value)
    if (!addr.initialized) return {data: null, file: null, offset: null, problem: `address ${addressHex(value)} is not initialized`}
    if (addr.type === 'external') {
      const data = this.folder.read(addr.fileName)
      if (!data) return {data: null, file: addr.fileName, offset: 0, problem: `${addr.fileName} is not in the folder`}
      if (data.length < size) return {data, file: addr.fileName, offset: 0, problem: `${addr.fileName} holds ${data.length} of the ${size} bytes the entry records (truncated)`}
      return {data: data.subarray(0, size), file: addr.fileName, offset: 0, problem: null}
    }
    if (addr.type !== 'block-256' && addr.type !== 'block-1k' && addr.type !== 'block-4k') return {data: null, file: addr.fileName, offset: addr.offset, problem: `address ${addressHex(value)} is of type ${addr.type}, not a data block`}
    const read = this.blocks(addr, size)
    if ('error' in read) return {data: null, file: addr.fileName, offset: addr.offset, problem: read.error}
    return {data: read.data, file: addr.fileName, offset: addr.offset, problem: read.truncated ? `${addr.fileName} ends inside the stream at ${addressHex(value)}: ${read.data.length} of ${size} bytes (truncated)` : null}
  }

  /** Reads the EntryStore at `value`; null (with a problem) when the address does not hold one. */
  entry(value: number, reachable: boolean, blocks: CacheEntry['blocks'] = null): CacheEntry | null {
    const addr = cacheAddress(value)
    const at = addressHex(value)
    if (!addr.initialized || addr.type !== 'block-256' || addr.reservedBitsSet) {
      this.problem(addr.fileName, null, 'bad-address', `${at} is not the address of an entry (type ${addr.type}${addr.initialized ? '' : ', not initialized'})`)
      return null
    }
    const first = this.blocks({...addr, blocks: 1}, ENTRY_SIZE)
    if ('error' in first) {
      this.problem(addr.fileName, addr.offset, 'bad-address', `entry ${at}: ${first.error}`)
      return null
    }
    if (first.truncated) {
      this.problem(addr.fileName, addr.offset, 'truncated', `entry ${at}: ${addr.fileName} ends inside the entry`)
      return null
    }
    const whole = this.blocks(addr, addr.blocks * ENTRY_SIZE)
    const store = 'error' in whole ? first.data : whole.data
    return this.parseEntry(store, addr, reachable, blocks)
  }

  /** Blocks live entries use, frozen before orphans are read: an orphan's stream there was overwritten. */
  private live: Map<string, Set<number>> | null = null

  freezeLive(): void {
    this.live = new Map([...this.used].map(([file, set]) => [file, new Set(set)]))
  }

  /** For an orphan's stream in block files: why its bytes cannot be trusted as the entry's, if they cannot. */
  private orphanStream(value: number): string | null {
    const addr = cacheAddress(value)
    if (!this.live || addr.type === 'external' || !addr.initialized) return null
    const live = this.live.get(addr.fileName)
    for (let b = 0; b < addr.blocks; b++) if (live?.has(addr.startBlock + b)) return `its blocks (${addressHex(value)}) now hold data of an entry the index reaches: overwritten, not read`
    const file = this.blockFile(addr.fileName)
    if ('error' in file) return null
    for (let b = 0; b < addr.blocks; b++) if (!file.header.allocated(addr.startBlock + b)) return `its blocks (${addressHex(value)}) are marked free: the bytes may have been overwritten since the entry was deleted`
    return null
  }

  parseEntry(store: Buffer, addr: CacheAddress, reachable: boolean, blocks: CacheEntry['blocks']): CacheEntry {
    const problems: string[] = []
    const at = addressHex(addr.value)
    const hash = store.readUInt32LE(0)
    const keyLen = store.readInt32LE(32)
    const longKey = store.readUInt32LE(36)
    let keyBytes: Buffer
    if (longKey !== 0) {
      const k = this.data(longKey, keyLen)
      if (k.problem) problems.push(`long key at ${addressHex(longKey)}: ${k.problem}`)
      keyBytes = k.data ?? Buffer.alloc(0)
    } else {
      const end = Math.min(KEY_OFFSET + Math.max(keyLen, 0), store.length)
      if (KEY_OFFSET + keyLen > store.length) problems.push(`key of ${keyLen} bytes runs past the entry's ${store.length / ENTRY_SIZE} block(s)`)
      keyBytes = store.subarray(KEY_OFFSET, end)
    }
    const selfHash = store.readUInt32LE(SELF_HASH_OFFSET)
    const selfHashValid = selfHash === 0 ? null : persistentHash(store.subarray(0, SELF_HASH_OFFSET)) === selfHash
    const keyHashValid = keyBytes.length === keyLen ? persistentHash(keyBytes) === hash : false
    if (selfHashValid === false) problems.push('the EntryStore\'s self hash does not match its bytes (damaged or overwritten)')
    if (!keyHashValid) problems.push('the stored key hash does not match the key')
    const stateValue = store.readInt32LE(20)
    const rankings = this.rankings(store.readUInt32LE(8), addr.value, problems)
    const created = cacheTime(store.readBigUInt64LE(24), 'creation time', problems)
    const streams: CacheStream[] = []
    for (let i = 0; i < 4; i++) {
      const size = store.readInt32LE(40 + i * 4)
      const value = store.readUInt32LE(56 + i * 4)
      if (size === 0 && value === 0) continue
      if (size < 0) {
        streams.push({index: i, size, file: null, offset: null, address: addressHex(value), data: null, problem: `stream ${i} has a negative size (${size})`})
        continue
      }
      if (value === 0) {
        streams.push({index: i, size, file: null, offset: null, address: addressHex(value), data: null, problem: `stream ${i} of ${size} bytes has no address`})
        continue
      }
      const doubt = reachable ? null : this.orphanStream(value)
      if (doubt?.endsWith('not read')) {
        const at = cacheAddress(value)
        streams.push({index: i, size, file: at.fileName, offset: at.offset, address: addressHex(value), data: null, problem: doubt})
        continue
      }
      const d = this.data(value, size)
      streams.push({index: i, size, file: d.file, offset: d.offset, address: addressHex(value), data: d.data, problem: d.problem ?? doubt})
    }
    for (const s of streams) if (s.problem) problems.push(`stream ${s.index}: ${s.problem}`)
    let response = null
    const head = streams.find((s) => s.index === 0)
    if (head?.data && !head.problem) {
      try {
        response = parseHttpResponseInfo(head.data)
      } catch (error) {
        problems.push(`stream 0 (HTTP response info): ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    const key = parseCacheKey(keyBytes.toString('latin1'))
    const sparse = sparseOf(store.readUInt32LE(72), streams.find((s) => s.index === 2)?.data ?? null, key.sparseChild?.child ?? null, problems)
    return {
      backend: 'blockfile',
      key,
      hash: hash.toString(16).padStart(8, '0'),
      file: addr.fileName,
      offset: addr.offset,
      address: at,
      reachable,
      blocks,
      state: STATES[stateValue] ?? String(stateValue),
      dirty: rankings.dirty,
      created,
      lastUsed: rankings.lastUsed,
      lastModified: rankings.lastModified,
      reuseCount: store.readInt32LE(12),
      refetchCount: store.readInt32LE(16),
      streams,
      ...(sparse ? {sparse} : {}),
      response,
      keyHashValid,
      selfHashValid,
      problems,
    }
  }

  /** The entry's rankings node: its times and dirty mark; what is wrong with it goes to `problems`. */
  rankings(value: number, entryAddress: number, problems: string[]): {lastUsed: string | null; lastModified: string | null; dirty: boolean} {
    const none = {lastUsed: null, lastModified: null, dirty: false}
    const addr = cacheAddress(value)
    const fail = (problem: string) => {
      problems.push(problem)
      return none
    }
    if (!addr.initialized || addr.type !== 'rankings') return fail(`rankings node address ${addressHex(value)} is not a rankings address`)
    const read = this.blocks(addr, RANKINGS_SIZE)
    if ('error' in read) return fail(`rankings node: ${read.error}`)
    if (read.truncated) return fail(`rankings node at ${addressHex(value)} is truncated`)
    const node = read.data
    const contents = node.readUInt32LE(24)
    if (contents !== entryAddress) return fail(`rankings node at ${addressHex(value)} belongs to the entry at ${addressHex(contents)}, not this one`)
    // dirty holds the id of the run that opened the entry for writing; 0 once it was closed
    const dirty = node.readInt32LE(28)
    if (dirty !== 0) problems.push(`the entry was open for writing when the cache was copied or the app stopped (dirty, run ${dirty}${dirty === this.thisId ? ', the last run' : ''}): its data may be incomplete`)
    return {
      lastUsed: cacheTime(node.readBigUInt64LE(0), 'rankings last used time', problems),
      lastModified: cacheTime(node.readBigUInt64LE(8), 'rankings last modified time', problems),
      dirty: dirty !== 0,
    }
  }

  /** Tries every allocated, unaccounted 256-byte block of the entry block files as an EntryStore. */
  orphans(): CacheEntry[] {
    const found: CacheEntry[] = []
    for (let n = 1; n < MAX_BLOCK_FILES; n++) {
      const name = `data_${n}`
      const data = this.folder.read(name)
      if (!data) {
        if (n > 3) break
        continue
      }
      const file = this.blockFile(name)
      if ('error' in file || file.header.entrySize !== ENTRY_SIZE) continue
      const blocks = Math.floor((data.length - BLOCK_FILE_HEADER_SIZE) / ENTRY_SIZE)
      for (let b = 0; b < blocks; b++) {
        if (this.isUsed(name, b)) continue
        const o = BLOCK_FILE_HEADER_SIZE + b * ENTRY_SIZE
        const store = data.subarray(o, o + ENTRY_SIZE)
        const selfHash = store.readUInt32LE(SELF_HASH_OFFSET)
        const keyLen = store.readInt32LE(32)
        if (selfHash === 0 || keyLen <= 0 || keyLen > 1 << 20) continue
        if (persistentHash(store.subarray(0, SELF_HASH_OFFSET)) !== selfHash) continue
        const longKey = store.readUInt32LE(36)
        const blocksOfKey = longKey === 0 ? Math.min(4, Math.ceil((KEY_OFFSET + keyLen + 1) / ENTRY_SIZE)) : 1
        const value = (0x80000000 | (2 << 28) | ((blocksOfKey - 1) << 24) | (n << 16) | b) >>> 0
        const entry = this.entry(value, false, file.header.allocated(b) ? 'allocated' : 'free')
        if (entry) found.push(entry)
      }
    }
    return found
  }
}

/** Reads a blockfile cache folder. Throws only when `index` is not a blockfile index. */
export function readBlockfileCache(folder: CacheFolder): CacheContents {
  const index = folder.read('index')
  if (!index || !isBlockfileIndex(index)) throw new Error('index is not a blockfile cache index (magic 0xC103CAC3)')
  const problems: CacheProblem[] = []
  if (index.length < INDEX_HEADER_SIZE) throw new Error(`index of ${index.length} bytes is shorter than its header`)
  const version = index.readUInt32LE(4)
  const declaredEntries = index.readInt32LE(8)
  const thisId = index.readInt32LE(20)
  const tableLen = index.readInt32LE(28) || DEFAULT_TABLE_LEN
  const crash = index.readInt32LE(32)
  const created = cacheTime(index.readBigUInt64LE(40), 'index creation time')
  const reader = new Reader(folder, thisId)
  if (![0x20000, 0x20001, 0x30000].includes(version)) reader.problem('index', 4, 'version', `index version ${addressHex(version)} is not 2.0, 2.1 or 3.0, the ones this reader knows: entries are read with the 3.0 layout`)
  const slots = Math.min(tableLen, Math.floor((index.length - INDEX_HEADER_SIZE) / 4))
  if (slots < tableLen) reader.problem('index', index.length, 'truncated', `the index holds ${slots} of its ${tableLen} hash table slots`)
  let indexSlots = 0
  let unreadable = 0
  const seen = new Set<number>()
  const entries: CacheEntry[] = []
  for (let slot = 0; slot < slots; slot++) {
    let value = index.readUInt32LE(INDEX_HEADER_SIZE + slot * 4)
    if (value === 0) continue
    indexSlots++
    while (value !== 0) {
      if (seen.has(value)) {
        reader.problem('index', INDEX_HEADER_SIZE + slot * 4, 'loop', `slot ${slot}: the chain comes back to ${addressHex(value)}`)
        break
      }
      seen.add(value)
      const entry = reader.entry(value, true)
      if (!entry) {
        // the next link is inside the entry that could not be read: the rest of the chain is out of reach
        unreadable++
        break
      }
      if ((Number.parseInt(entry.hash, 16) & (tableLen - 1)) !== slot) entry.problems.push(`the entry's hash belongs in slot ${Number.parseInt(entry.hash, 16) & (tableLen - 1)}, it was reached from slot ${slot}`)
      entries.push(entry)
      const addr = cacheAddress(value)
      const data = folder.read(addr.fileName)
      value = data && addr.offset + 8 <= data.length ? data.readUInt32LE(addr.offset + 4) : 0
    }
  }
  const indexedEntries = entries.length
  reader.freezeLive()
  const orphans = reader.orphans()
  for (const o of orphans) reader.problem(o.file, o.offset, 'orphan', `entry ${o.address} (${o.key.url ?? o.key.key}) is in ${o.file} but no index slot reaches it (${o.blocks === 'free' ? 'deleted: its blocks are marked free' : 'evicted, doomed, or written by a run that crashed'})`)
  if (declaredEntries !== indexedEntries) reader.problem('index', 8, 'count', `the index header declares ${declaredEntries} entries, ${indexedEntries} were reached from its slots`)
  problems.push(...reader.problems)
  return {backend: 'blockfile', version, created, openOrCrashed: crash !== 0, entries: [...entries, ...orphans], problems, counts: {indexSlots, indexedEntries, declaredEntries, unreadable, orphans: orphans.length}}
}
