import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'
import {MultiHash, type Digests} from './hash.js'

/**
 * SHA-256, SHA-1 and MD5 of large entries, computed on worker threads so that the
 * copy is not held to the speed of three digests one after another on one thread.
 * MD5 alone is the slowest of the three (about 1.7 s per GiB here, SHA-256 and SHA-1
 * about 0.65 s each with the CPU's SHA extensions), so it gets a thread to itself and
 * SHA-256 + SHA-1 share the other: the copy then runs at the speed of MD5.
 *
 * Each chunk the copy reads is placed once in shared memory and both threads hash
 * that same slot: the bytes hashed are the bytes written, from the same read.
 */

/** How the three digests of a bundle entry are spread over threads. */
const ENTRY_GROUPS: Groups = [['md5'], ['sha256', 'sha1']]

/** Algorithms (node:crypto names) per thread. */
export type Groups = ReadonlyArray<ReadonlyArray<string>>
const SLOT_BYTES = 1 << 20
const SLOTS = 8

/** The worker: keeps one set of hashes per open entry, hashes the slot it is told, says when it is done. */
const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const memory = new Uint8Array(workerData.memory)
const open = new Map()
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let hashes = open.get(m.id)
    if (!hashes) open.set(m.id, (hashes = workerData.algorithms.map((a) => createHash(a))))
    const bytes = memory.subarray(m.slot * workerData.slotBytes, m.slot * workerData.slotBytes + m.length)
    for (const hash of hashes) hash.update(bytes)
    parentPort.postMessage({op: 'free', slot: m.slot})
  } else if (m.op === 'digest') {
    const hashes = open.get(m.id) ?? workerData.algorithms.map((a) => createHash(a))
    open.delete(m.id)
    parentPort.postMessage({op: 'digest', id: m.id, hex: hashes.map((h) => h.digest('hex'))})
  }
})
`

interface Pending {
  resolve: (hex: Record<string, string>) => void
  reject: (error: Error) => void
  parts: Record<string, string>
  remaining: number
}

/** Marks a slot an entry is still filling. */
const RESERVED = -1

export class DigestPool {
  private readonly memory = new SharedArrayBuffer(SLOT_BYTES * SLOTS)
  private readonly view = Buffer.from(this.memory)
  private readonly workers: Worker[]
  /** How many workers still hash each slot (0 = free). */
  private readonly users = new Array<number>(SLOTS).fill(0)
  private freeWaiters: Array<() => void> = []
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private broken: Error | undefined
  /** Slots being hashed plus digests asked for: while any is out, the threads keep the process alive. */
  private outstanding = 0

  constructor(groups: Groups) {
    this.workers = groups.map((algorithms) => {
      // no inherited execArgv: under --input-type=module the CommonJS source would be read as a module
      const worker = new Worker(WORKER_SOURCE, {eval: true, execArgv: [], workerData: {memory: this.memory, slotBytes: SLOT_BYTES, algorithms}})
      worker.on('message', (m: {op: string; slot?: number; id?: number; hex?: string[]}) => this.onMessage(algorithms, m))
      worker.on('error', (error) => this.fail(error))
      worker.on('exit', (code) => this.fail(new Error(`digest thread stopped (exit code ${code})`)))
      // idle threads must not keep the process alive (after the listeners: adding one refs the port again);
      // they are held referenced only while work is out (see busy)
      worker.unref()
      return worker
    })
  }

  /** A new entry's digests. */
  open(): PooledDigests {
    if (this.broken) throw this.broken
    return new PooledDigests(this, this.nextId++)
  }

  /** The memory of a slot, to copy an entry's bytes into. */
  slotView(slot: number): Buffer {
    return this.view.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES)
  }

  /** Has every thread hash the first `length` bytes of a slot the entry filled. */
  post(id: number, slot: number, length: number): void {
    this.users[slot] = this.workers.length
    this.busy(1)
    for (const worker of this.workers) worker.postMessage({op: 'update', id, slot, length})
  }

  /** Gives back a reserved slot that was not used. */
  release(slot: number): void {
    this.users[slot] = 0
    this.wake()
  }

  digest(id: number): Promise<Record<string, string>> {
    return new Promise<Record<string, string>>((resolve, reject) => {
      if (this.broken) return reject(this.broken)
      this.pending.set(id, {resolve, reject, parts: {}, remaining: this.workers.length})
      this.busy(1)
      for (const worker of this.workers) worker.postMessage({op: 'digest', id})
    })
  }

  /** A free slot, reserved for the caller: at once when there is one, else when one is freed. */
  reserve(): number | Promise<number> {
    if (this.broken) throw this.broken
    const slot = this.users.indexOf(0)
    if (slot === -1) return this.freeSlot()
    this.users[slot] = RESERVED
    return slot
  }

  private async freeSlot(): Promise<number> {
    for (;;) {
      if (this.broken) throw this.broken
      const slot = this.users.indexOf(0)
      if (slot !== -1) {
        this.users[slot] = RESERVED
        return slot
      }
      await new Promise<void>((resolve) => this.freeWaiters.push(resolve))
    }
  }

  private wake(): void {
    const waiters = this.freeWaiters
    this.freeWaiters = []
    for (const wake of waiters) wake()
  }

  private onMessage(algorithms: ReadonlyArray<string>, m: {op: string; slot?: number; id?: number; hex?: string[]}): void {
    if (m.op === 'free') {
      if (--this.users[m.slot!] === 0) {
        this.busy(-1)
        this.wake()
      }
      return
    }
    const pending = this.pending.get(m.id!)
    if (!pending) return
    algorithms.forEach((algorithm, i) => (pending.parts[algorithm] = m.hex![i]))
    if (--pending.remaining === 0) {
      this.pending.delete(m.id!)
      this.busy(-1)
      pending.resolve(pending.parts)
    }
  }

  private busy(change: number): void {
    const before = this.outstanding
    this.outstanding += change
    if (before === 0 && this.outstanding > 0) for (const worker of this.workers) worker.ref()
    else if (before > 0 && this.outstanding === 0) for (const worker of this.workers) worker.unref()
  }

  private fail(error: Error): void {
    this.broken ??= error
    this.outstanding = 0
    for (const worker of this.workers ?? []) worker.unref()
    for (const pending of this.pending.values()) pending.reject(this.broken)
    this.pending.clear()
    const waiters = this.freeWaiters
    this.freeWaiters = []
    for (const wake of waiters) wake()
  }
}

/**
 * The digests of one entry, hashed on the pool's threads. Small chunks are gathered
 * into a slot of 1 MiB before the threads are told, so that a chunk of 32 KiB (an EWF
 * chunk) does not cost a message to each thread.
 */
export class PooledDigests {
  size = 0
  private slot: number | undefined
  private filled = 0

  constructor(
    private readonly pool: DigestPool,
    private readonly id: number,
  ) {}

  /** Copies the chunk into shared memory; resolves at once unless every slot is still being hashed. */
  update(chunk: Buffer): void | Promise<void> {
    this.size += chunk.length
    let at = 0
    while (at < chunk.length) {
      if (this.slot === undefined) {
        const slot = this.pool.reserve()
        if (typeof slot !== 'number') return slot.then((s) => this.fill(s, chunk, at))
        this.slot = slot
        this.filled = 0
      }
      at = this.copy(chunk, at)
    }
  }

  private fill(slot: number, chunk: Buffer, at: number): void | Promise<void> {
    this.slot = slot
    this.filled = 0
    at = this.copy(chunk, at)
    if (at < chunk.length) {
      this.size -= chunk.length - at
      return this.update(chunk.subarray(at))
    }
  }

  /** Copies what fits of chunk[at..] into the open slot; posts the slot when full. */
  private copy(chunk: Buffer, at: number): number {
    const view = this.pool.slotView(this.slot!)
    const n = Math.min(view.length - this.filled, chunk.length - at)
    chunk.copy(view, this.filled, at, at + n)
    this.filled += n
    if (this.filled === view.length) {
      this.pool.post(this.id, this.slot!, this.filled)
      this.slot = undefined
    }
    return at + n
  }

  async digest(): Promise<Digests> {
    return (await this.digestAll()) as unknown as Digests
  }

  /** Every algorithm of the pool's groups, by name. */
  digestAll(): Promise<Record<string, string>> {
    if (this.slot !== undefined) {
      if (this.filled > 0) this.pool.post(this.id, this.slot, this.filled)
      else this.pool.release(this.slot)
      this.slot = undefined
    }
    return this.pool.digest(this.id)
  }
}

/** The digests of one entry on the calling thread: for small entries, where a round trip to a thread costs more than hashing. */
export class InlineDigests {
  private readonly hash = new MultiHash()

  get size(): number {
    return this.hash.size
  }

  update(chunk: Buffer): void {
    this.hash.update(chunk)
  }

  digest(): Promise<Digests> {
    return Promise.resolve(this.hash.digest())
  }
}

export type EntryDigests = PooledDigests | InlineDigests

/** Entries at least this large (by the size expected) are hashed on threads. */
export const POOLED_DIGEST_MIN_BYTES = 1 << 20

const pools = new Map<string, DigestPool>()

/** The pool hashing `groups` (one thread per group), started on first use; undefined when threads are not to be used. */
export function digestPool(groups: Groups): DigestPool | undefined {
  if (!threadsWanted()) return undefined
  const key = JSON.stringify(groups)
  let pool = pools.get(key)
  if (!pool) {
    try {
      pool = new DigestPool(groups)
    } catch {
      return undefined
    }
    pools.set(key, pool)
  }
  return pool
}

/**
 * Digests for an entry of about `expectedSize` bytes. `TRAWL_DIGEST_THREADS=0` keeps
 * every digest on the calling thread (the tests compare both ways).
 */
export function entryDigests(expectedSize: number | undefined): EntryDigests {
  if (expectedSize === undefined || expectedSize < POOLED_DIGEST_MIN_BYTES) return new InlineDigests()
  try {
    return digestPool(ENTRY_GROUPS)?.open() ?? new InlineDigests()
  } catch {
    // a pool that broke: hash here, slower but the same digests
    return new InlineDigests()
  }
}

function threadsWanted(): boolean {
  const setting = process.env.TRAWL_DIGEST_THREADS
  if (setting !== undefined) return setting !== '0'
  return availableParallelism() > 1
}
