import {existsSync} from 'node:fs'
import {availableParallelism, totalmem} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {pictureHash, type PictureHash} from './picture-hash.js'

/**
 * Perceptual hashes computed on worker threads (picture-worker.ts). Decoding a photo in
 * JavaScript takes about a third of a second of CPU per 8 megapixels, far more than copying
 * it: on the main thread it held the whole collection to one core. Here each picture is
 * hashed on a thread of its own, while the collector copies the next files, and the result
 * is the same function's (picture-hash.ts) on the same bytes.
 *
 * The threads are started on the first picture: one per core (the main thread mostly waits
 * on them while photos are collected) and per 2 GiB of memory (decoding a photo of 8
 * megapixels peaks near 400 MB), at least one, at most four; TRAWL_PICTURE_THREADS=N sets the number. They hold the process open only while a
 * picture is out. Run from the TypeScript sources (the tests), where there is no compiled
 * worker to start, or with TRAWL_PICTURE_THREADS=0, pictures are hashed in the calling thread.
 */

const WORKER_FILE = new URL('./picture-worker.js', import.meta.url)
const MAX_THREADS = 4

interface Job {
  resolve: (result: PictureHash) => void
  thread: Thread
}

interface Thread {
  worker: Worker
  jobs: number
}

class PicturePool {
  private readonly threads: Thread[] = []
  private readonly jobs = new Map<number, Job>()
  private nextId = 1
  broken: Error | undefined

  constructor(private readonly size: number) {}

  hash(path: string, format: string, size: number, probes: boolean): Promise<PictureHash> {
    const thread = this.thread()
    const id = this.nextId++
    return new Promise<PictureHash>((resolve) => {
      this.jobs.set(id, {resolve, thread})
      if (thread.jobs++ === 0) thread.worker.ref()
      thread.worker.postMessage({id, path, format, size, probes})
    })
  }

  /** The least busy thread, a new one while there are fewer than the pool's size. */
  private thread(): Thread {
    const idle = this.threads.find((t) => t.jobs === 0)
    if (idle) return idle
    if (this.threads.length < this.size) return this.start()
    return this.threads.reduce((a, b) => (b.jobs < a.jobs ? b : a))
  }

  private start(): Thread {
    const worker = new Worker(WORKER_FILE, {execArgv: []})
    const thread: Thread = {worker, jobs: 0}
    worker.on('message', (m: {id: number; result: PictureHash}) => {
      const job = this.jobs.get(m.id)
      if (!job) return
      this.jobs.delete(m.id)
      if (--thread.jobs === 0) worker.unref()
      job.resolve(m.result)
    })
    const stop = (error: Error) => {
      this.broken ??= error
      // 'error' is followed by 'exit': the thread is taken out once
      const at = this.threads.indexOf(thread)
      if (at !== -1) this.threads.splice(at, 1)
      // what the thread still had is answered: not hashed, and why
      for (const [id, job] of this.jobs) {
        if (job.thread !== thread) continue
        this.jobs.delete(id)
        job.resolve({pdq: null, quality: null, notHashed: `not hashed: the picture thread stopped (${error.message})`})
      }
    }
    worker.on('error', stop)
    worker.on('exit', (code) => stop(new Error(`exit code ${code}`)))
    worker.unref()
    this.threads.push(thread)
    return thread
  }
}

let pool: PicturePool | undefined | null

function picturePool(): PicturePool | undefined {
  if (pool === undefined) {
    const setting = process.env.TRAWL_PICTURE_THREADS
    // the main thread mostly waits while photos are decoded: a thread per core, but decoding an
    // 8-megapixel photo in JavaScript peaks near 400 MB, so at most one per 2 GiB of memory
    const threads = setting === undefined ? Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / 2 ** 31))) : Number(setting)
    pool = existsSync(fileURLToPath(WORKER_FILE)) && Number.isInteger(threads) && threads > 0 ? new PicturePool(Math.min(MAX_THREADS, threads)) : null
  }
  return pool ?? undefined
}

/** pictureHash on a picture thread where there are threads, else here. */
export function hashPicture(path: string, format: string, size: number, probes: boolean): Promise<PictureHash> {
  const threads = picturePool()
  return threads && !threads.broken ? threads.hash(path, format, size, probes) : pictureHash(path, format, size, probes)
}
