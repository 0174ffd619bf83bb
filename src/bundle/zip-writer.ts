import archiver from 'archiver'
import {createWriteStream, type WriteStream} from 'node:fs'
import {Readable} from 'node:stream'
import {OutputNotWritableError, errorMessage} from '../errors.js'
import {HashingStream, PrefixHashingStream, type Digests, digestsOf} from './hash.js'

export interface WrittenEntry extends Digests {
  path: string
  size: number
  /** Set when the source failed part-way: the entry holds (and the digests cover) the bytes read before it. */
  readError?: Error
}

/**
 * Every entry gets the same DOS time (1980-01-01 00:00, what Date(0) clamps to):
 * real times live in the manifest, and a uniform header makes any edited header byte stand out.
 */
const ENTRY_DATE = new Date(0)

/**
 * Writes a bundle ZIP with archiver, one entry at a time, hashing each entry's
 * bytes as they go in. Writes to `partialPath`; the caller renames it when the run is complete.
 */
export class BundleZipWriter {
  private readonly archive: archiver.Archiver
  private readonly file: WriteStream
  private readonly prefix = new PrefixHashingStream()
  private failure: Error | undefined
  private readonly closed: Promise<void>
  private readonly names = new Set<string>()

  /** `forceZip64` writes ZIP64 records even for small bundles (archiver switches by itself past 4 GiB). */
  constructor(readonly partialPath: string, options: {forceZip64?: boolean} = {}) {
    this.archive = archiver('zip', {zlib: {level: 6}, forceZip64: options.forceZip64})
    // 'wx': never overwrite an existing file
    this.file = createWriteStream(partialPath, {flags: 'wx'})
    this.closed = new Promise((resolve, reject) => {
      this.file.on('close', resolve)
      this.file.on('error', (error) => {
        this.fail(error)
        reject(this.failure)
      })
    })
    this.closed.catch(() => undefined)
    this.archive.on('error', (error) => this.fail(error))
    this.archive.on('warning', (error) => this.fail(error))
    this.archive.pipe(this.prefix).pipe(this.file)
  }

  private fail(error: Error): void {
    this.failure ??= new OutputNotWritableError(this.partialPath, errorMessage(error))
  }

  /** The first error the output met (full disk, vanished folder), if any. */
  get error(): Error | undefined {
    return this.failure
  }

  /** Bytes the archive has produced so far. */
  get offset(): number {
    return this.archive.pointer()
  }

  /**
   * Streams `source` into the entry `path`, hashing in the same pass. Resolves when
   * archiver has consumed the entry. A read error of the source ends the entry
   * with what was read and is returned in `readError`; an output error rejects.
   */
  async addStream(path: string, source: Readable, options: {store?: boolean} = {}): Promise<WrittenEntry> {
    this.claim(path)
    const hashing = new HashingStream()
    const done = this.entryDone(path)
    let readError: Error | undefined
    source.on('error', (error) => {
      readError = error
      // end the entry so archiver moves on; the caller records the read error
      hashing.end()
    })
    source.pipe(hashing)
    this.archive.append(hashing, {name: path, date: ENTRY_DATE, store: options.store})
    await done
    const digests = hashing.hash.digest()
    return {path, size: hashing.hash.size, ...digests, ...(readError ? {readError} : {})}
  }

  async addBuffer(path: string, data: Buffer, options: {store?: boolean} = {}): Promise<WrittenEntry> {
    this.claim(path)
    const done = this.entryDone(path)
    this.archive.append(data, {name: path, date: ENTRY_DATE, store: options.store})
    await done
    return {path, size: data.length, ...digestsOf(data)}
  }

  /** SHA-256 of every byte written so far, once it has reached the file stream. */
  async sealPrefix(): Promise<{length: number; sha256: string}> {
    const length = this.archive.pointer()
    return {length, sha256: await this.prefix.prefixDigest(length)}
  }

  async finalize(): Promise<void> {
    if (this.failure) throw this.failure
    await this.archive.finalize()
    await this.closed
    if (this.failure) throw this.failure
  }

  /** Stops writing after a failure or an interruption; the partial file stays for inspection. */
  async abort(): Promise<void> {
    this.archive.abort()
    this.file.end()
    await this.closed.catch(() => undefined)
  }

  private claim(path: string): void {
    if (this.failure) throw this.failure
    if (this.names.has(path)) throw new Error(`bundle entry ${path} written twice`)
    this.names.add(path)
  }

  private entryDone(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onEntry = (entry: {name: string}) => {
        if (entry.name !== path) return
        cleanup()
        resolve()
      }
      const onError = (error: Error) => {
        cleanup()
        reject(this.failure ?? error)
      }
      const cleanup = () => {
        this.archive.off('entry', onEntry)
        this.archive.off('error', onError)
        this.file.off('error', onError)
      }
      this.archive.on('entry', onEntry)
      this.archive.on('error', onError)
      this.file.on('error', onError)
    })
  }
}

export function bufferStream(data: Buffer): Readable {
  return Readable.from([data])
}
