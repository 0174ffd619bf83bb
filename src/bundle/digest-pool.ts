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

/** How the three digests are spread over threads. */
const GROUPS: ReadonlyArray<ReadonlyArray<keyof Digests>> = [['md5'], ['sha256', 'sha1']]
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
  resolve: (hex: Partial<Digests>) => void
  reject: (error: Error) => void
  parts: Partial<Digests>
  remaining: number
}

class DigestPool {
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

  constructor() {
    this.workers = GROUPS.map((algorithms) => {
      const worker = new Worker(WORKER_SOURCE, {eval: true, workerData: {memory: this.memory, slotBytes: SLOT_BYTES, algorithms}})
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

  /** Copies `chunk` into shared slots (waiting for one to be free) and has every worker hash it. */
  async update(id: number, chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length; at += SLOT_BYTES) {
      const part = chunk.subarray(at, at + SLOT_BYTES)
      const slot = await this.freeSlot()
      part.copy(this.view, slot * SLOT_BYTES)
      this.users[slot] = this.workers.length
      this.busy(1)
      for (const worker of this.workers) worker.postMessage({op: 'update', id, slot, length: part.length})
    }
  }

  digest(id: number): Promise<Digests> {
    return new Promise<Partial<Digests>>((resolve, reject) => {
      if (this.broken) return reject(this.broken)
      this.pending.set(id, {resolve, reject, parts: {}, remaining: this.workers.length})
      this.busy(1)
      for (const worker of this.workers) worker.postMessage({op: 'digest', id})
    }) as Promise<Digests>
  }

  private async freeSlot(): Promise<number> {
    for (;;) {
      if (this.broken) throw this.broken
      const slot = this.users.indexOf(0)
      if (slot !== -1) return slot
      await new Promise<void>((resolve) => this.freeWaiters.push(resolve))
    }
  }

  private onMessage(algorithms: ReadonlyArray<keyof Digests>, m: {op: string; slot?: number; id?: number; hex?: string[]}): void {
    if (m.op === 'free') {
      if (--this.users[m.slot!] === 0) {
        this.busy(-1)
        const waiters = this.freeWaiters
        this.freeWaiters = []
        for (const wake of waiters) wake()
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

/** The digests of one entry, hashed on the pool's threads. */
export class PooledDigests {
  size = 0
  constructor(
    private readonly pool: DigestPool,
    private readonly id: number,
  ) {}

  update(chunk: Buffer): Promise<void> {
    this.size += chunk.length
    return this.pool.update(this.id, chunk)
  }

  digest(): Promise<Digests> {
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

let pool: DigestPool | undefined

/**
 * Digests for an entry of about `expectedSize` bytes. `TRAWL_DIGEST_THREADS=0` keeps
 * every digest on the calling thread (the tests compare both ways).
 */
export function entryDigests(expectedSize: number | undefined): EntryDigests {
  if (expectedSize === undefined || expectedSize < POOLED_DIGEST_MIN_BYTES || !threadsWanted()) return new InlineDigests()
  try {
    pool ??= new DigestPool()
    return pool.open()
  } catch {
    // a pool that could not start or broke: hash here, slower but the same digests
    return new InlineDigests()
  }
}

function threadsWanted(): boolean {
  const setting = process.env.TRAWL_DIGEST_THREADS
  if (setting !== undefined) return setting !== '0'
  return availableParallelism() > 1
}
