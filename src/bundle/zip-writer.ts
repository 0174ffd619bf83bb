import {createHash, type Hash} from 'node:crypto'
import {close, closeSync, openSync, write, writeFileSync} from 'node:fs'
import {Readable} from 'node:stream'
import {crc32, createDeflateRaw, deflateRawSync, type DeflateRaw} from 'node:zlib'
import {OutputNotWritableError, errorMessage} from '../errors.js'
import {shouldStore} from './compressibility.js'
import type {EnvelopeEncryptor} from './cms-envelope.js'
import {entryDigests} from './digest-pool.js'
import {type Digests, digestsOf} from './hash.js'
import {FLAG_DESCRIPTOR, FLAG_UTF8, MAX32, SIG_CENTRAL, SIG_DESCRIPTOR, SIG_EOCD, SIG_EOCD64, SIG_LOCAL, SIG_LOCATOR64} from './zip-format.js'

export interface WrittenEntry extends Digests {
  path: string
  size: number
  /** Set when the source failed part-way: the entry holds (and the digests cover) the bytes read before it. */
  readError?: Error
}

export interface StreamOptions {
  /** Store (method 0) instead of deflating; by default decided from the entry's first bytes (see compressibility.ts). */
  store?: boolean
  /** The size the entry is expected to have: large entries are hashed on threads and get ZIP64 fields from the start. */
  expectedSize?: number
  /** Also write the bytes to this new local file (a working copy for a parser), from the same read. */
  copyTo?: string
}

/*
 * The ZIP layout (PKWARE APPNOTE 6.3.10), the same as the bundles archiver wrote before:
 * - streamed entries: local header with general purpose bit 3 (CRC and sizes follow the
 *   data in a data descriptor, 4.3.9), version needed 2.0;
 * - buffers: stored ones with CRC and sizes in the local header (version 1.0), deflated
 *   ones with a data descriptor like streams;
 * - ZIP64 (4.5.3): an entry that may reach 4 GiB, or starts past it, carries the ZIP64
 *   extra field in both headers and an 8-byte-size data descriptor (version needed 4.5);
 *   the ZIP64 end record and locator when the directory needs them or when forced.
 * Every entry has the same DOS time (1980-01-01 00:00, what Date(0) clamps to): real
 * times live in the manifest, and a uniform header makes any edited header byte stand out.
 */
const VERSION_MADE_BY = (3 << 8) | 45 // Unix, APPNOTE 4.5
const VERSION_STORED = 10
const VERSION_DESCRIPTOR = 20
const VERSION_ZIP64 = 45
const DOS_TIME = 0
const DOS_DATE = (0 << 9) | (1 << 5) | 1 // 1980-01-01
/** Regular file, rw-r--r--, with the DOS archive bit. */
const EXTERNAL_ATTRIBUTES = ((0o100644 << 16) | 0x20) >>> 0
/** An entry expected at least this large gets ZIP64 fields up front, so a file that grows while copied still fits. */
const ZIP64_EXPECTED_BYTES = 2 ** 31
/** Output bytes queued for writing before the copy waits for the disk. */
const MAX_QUEUED_BYTES = 16 << 20
const DEFLATE_LEVEL = 6
/** Pieces smaller than this are gathered into one write. */
const GATHER_BYTES = 256 * 1024

interface CentralRecord {
  name: Buffer
  flags: number
  method: number
  version: number
  crc: number
  compressedSize: number
  size: number
  offset: number
  /** Sizes in the ZIP64 field (streamed entries that may pass 4 GiB). */
  zip64Sizes: boolean
}

/**
 * Writes a bundle ZIP one entry at a time, hashing each entry's bytes as they go in,
 * and the SHA-256 of every byte of the file as it is produced (the sealed prefix).
 * Writes to `partialPath`; the caller renames it when the run is complete.
 */
export class BundleZipWriter {
  private readonly fd: number
  private readonly prefix = createHash('sha256')
  private position = 0
  private failure: Error | undefined
  private readonly names = new Set<string>()
  private readonly central: CentralRecord[] = []
  private readonly forceZip64: boolean
  private queued = 0
  /** Bytes produced but not yet handed to a write, and where they start. */
  private gathered: Buffer[] = []
  private gatheredBytes = 0
  private writes = new Set<Promise<void>>()
  private drainWaiters: Array<() => void> = []
  private closed = false
  private busy = false
  /**
   * Encrypts every byte on its way to the file (CMS, cms-envelope.ts). The writer only ever
   * appends (local headers are never revisited: sizes follow in data descriptors), so the
   * archive passes through the cipher once, in order, and the plaintext never reaches the disk.
   */
  private readonly envelope: EnvelopeEncryptor | undefined
  /** Bytes handed to the file (ciphertext when encrypting), and their SHA-256. */
  private written = 0
  /** Archive offset just past the last piece queued. */
  private queuedEnd = 0
  /** Only when encrypting: a plain file's bytes are the archive's, whose SHA-256 the prefix already takes. */
  private readonly fileHash: Hash | undefined

  /**
   * `forceZip64` writes the ZIP64 end records even for small bundles (they are needed by themselves past 4 GiB);
   * `envelope` encrypts the file as it is written.
   */
  constructor(readonly partialPath: string, options: {forceZip64?: boolean; envelope?: EnvelopeEncryptor} = {}) {
    this.forceZip64 = options.forceZip64 ?? false
    this.envelope = options.envelope
    this.fileHash = options.envelope ? createHash('sha256') : undefined
    try {
      // 'wx': never overwrite an existing file
      this.fd = openSync(partialPath, 'wx')
    } catch (error) {
      throw new OutputNotWritableError(partialPath, errorMessage(error))
    }
    if (this.envelope) this.queueOut(this.envelope.header)
  }

  /** SHA-256 of the file as written (the encrypted file when encrypting), once finalized. */
  fileSha256: string | undefined

  /** The first error the output met (full disk, vanished folder), if any. */
  get error(): Error | undefined {
    return this.failure
  }

  /** Bytes the archive has produced so far. */
  get offset(): number {
    return this.position
  }

  /**
   * Streams `source` into the entry `path`, hashing in the same pass. A read error of the
   * source ends the entry with what was read and is returned in `readError`; an output
   * error rejects.
   */
  async addStream(path: string, source: Readable, options: StreamOptions = {}): Promise<WrittenEntry> {
    this.claim(path)
    this.busy = true
    const name = Buffer.from(path, 'utf8')
    const offset = this.position
    const zip64 = offset >= MAX32 || (options.expectedSize ?? 0) >= ZIP64_EXPECTED_BYTES
    const digests = entryDigests(options.expectedSize)
    const copy = options.copyTo === undefined ? undefined : new LocalCopy(options.copyTo)
    let crc = 0
    let compressedSize = 0
    let deflater: DeflateRaw | undefined
    let method: number | undefined
    let readError: Error | undefined
    const started = (head: Buffer) => {
      method = options.store || head.length === 0 || shouldStore(head) ? 0 : 8
      this.localHeader(name, FLAG_DESCRIPTOR, method, zip64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR, 0, 0, 0, zip64)
      if (method === 8) {
        deflater = createDeflateRaw({level: DEFLATE_LEVEL})
        deflater.on('data', (out: Buffer) => {
          compressedSize += out.length
          this.emit(out)
        })
      }
    }
    try {
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          if (this.failure) throw this.failure
          if (method === undefined) started(chunk)
          crc = crc32(chunk, crc)
          copy?.write(chunk)
          const hashed = digests.update(chunk)
          if (deflater) {
            if (!deflater.write(chunk)) await new Promise((resolve) => deflater!.once('drain', resolve))
          } else {
            compressedSize += chunk.length
            this.emit(chunk)
          }
          await hashed
          if (this.queued > MAX_QUEUED_BYTES) await this.drained(MAX_QUEUED_BYTES / 2)
        }
      } catch (error) {
        if (this.failure) throw this.failure
        readError = error as Error
      }
      if (method === undefined) started(Buffer.alloc(0))
      if (deflater) await endDeflate(deflater)
      const size = digests.size
      if (!zip64 && (size >= MAX32 || compressedSize >= MAX32)) {
        this.fail(new Error(`${path} grew past 4 GiB while it was copied`))
        throw this.failure
      }
      const descriptor = Buffer.alloc(zip64 ? 24 : 16)
      descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0)
      descriptor.writeUInt32LE(crc >>> 0, 4)
      if (zip64) {
        descriptor.writeBigUInt64LE(BigInt(compressedSize), 8)
        descriptor.writeBigUInt64LE(BigInt(size), 16)
      } else {
        descriptor.writeUInt32LE(compressedSize, 8)
        descriptor.writeUInt32LE(size, 12)
      }
      this.emit(descriptor)
      this.central.push({name, flags: this.flags(name, FLAG_DESCRIPTOR), method: method!, version: zip64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR, crc: crc >>> 0, compressedSize, size, offset, zip64Sizes: zip64})
      const result = await digests.digest()
      if (copy) {
        await copy.close()
        // the working copy is on the output medium: failing to write it is an output failure
        if (copy.error) this.fail(copy.error)
      }
      if (this.failure) throw this.failure
      return {path, size, ...result, ...(readError ? {readError} : {})}
    } catch (error) {
      deflater?.destroy()
      await copy?.close()
      throw this.failure ?? error
    } finally {
      this.busy = false
    }
  }

  async addBuffer(path: string, data: Buffer, options: {store?: boolean} = {}): Promise<WrittenEntry> {
    this.claim(path)
    const name = Buffer.from(path, 'utf8')
    const offset = this.position
    const crc = crc32(data) >>> 0
    if (options.store || data.length === 0) {
      const version = offset >= MAX32 ? VERSION_ZIP64 : VERSION_STORED
      this.localHeader(name, 0, 0, version, crc, data.length, data.length, false)
      this.emit(data)
      this.central.push({name, flags: this.flags(name, 0), method: 0, version, crc, compressedSize: data.length, size: data.length, offset, zip64Sizes: false})
    } else {
      const zip64 = offset >= MAX32
      const deflated = deflateRawSync(data, {level: DEFLATE_LEVEL})
      const version = zip64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR
      this.localHeader(name, FLAG_DESCRIPTOR, 8, version, 0, 0, 0, zip64)
      this.emit(deflated)
      const descriptor = Buffer.alloc(zip64 ? 24 : 16)
      descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0)
      descriptor.writeUInt32LE(crc, 4)
      if (zip64) {
        descriptor.writeBigUInt64LE(BigInt(deflated.length), 8)
        descriptor.writeBigUInt64LE(BigInt(data.length), 16)
      } else {
        descriptor.writeUInt32LE(deflated.length, 8)
        descriptor.writeUInt32LE(data.length, 12)
      }
      this.emit(descriptor)
      this.central.push({name, flags: this.flags(name, FLAG_DESCRIPTOR), method: 8, version, crc, compressedSize: deflated.length, size: data.length, offset, zip64Sizes: zip64})
    }
    await this.drained(MAX_QUEUED_BYTES)
    if (this.failure) throw this.failure
    return {path, size: data.length, ...digestsOf(data)}
  }

  /**
   * A small file read whole (ReadOnlyFileSystem.readSmall), laid out byte for byte as
   * addStream lays out a source that yields `data` as its one chunk: a local header with
   * a data descriptor, stored or deflated as its first bytes decide, the working copy
   * written from the same buffer. One deflate call, one hash call per digest and no
   * stream per file: for 100 000 files of 4 KiB the streams cost more than the bytes.
   */
  async addWhole(path: string, data: Buffer, options: {copyTo?: string} = {}): Promise<WrittenEntry> {
    this.claim(path)
    const name = Buffer.from(path, 'utf8')
    const offset = this.position
    const zip64 = offset >= MAX32
    const method = data.length === 0 || shouldStore(data) ? 0 : 8
    const version = zip64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR
    const crc = crc32(data) >>> 0
    const body = method === 8 ? deflateRawSync(data, {level: DEFLATE_LEVEL}) : data
    this.localHeader(name, FLAG_DESCRIPTOR, method, version, 0, 0, 0, zip64)
    this.emit(body)
    this.emit(dataDescriptor(zip64, crc, body.length, data.length))
    this.central.push({name, flags: this.flags(name, FLAG_DESCRIPTOR), method, version, crc, compressedSize: body.length, size: data.length, offset, zip64Sizes: zip64})
    const digests = digestsOf(data)
    if (options.copyTo !== undefined) {
      try {
        writeFileSync(options.copyTo, data, {flag: 'wx'})
      } catch (error) {
        // the working copy is on the output medium: failing to write it is an output failure
        this.fail(error as Error)
      }
    }
    if (this.queued > MAX_QUEUED_BYTES) await this.drained(MAX_QUEUED_BYTES / 2)
    if (this.failure) throw this.failure
    return {path, size: data.length, ...digests}
  }

  /** SHA-256 of the whole file, once finalized: every byte as it was written, hashed as it was produced. */
  sha256: string | undefined

  /** SHA-256 of every byte written so far. */
  async sealPrefix(): Promise<{length: number; sha256: string}> {
    if (this.failure) throw this.failure
    return {length: this.position, sha256: this.prefix.copy().digest('hex')}
  }

  async finalize(): Promise<void> {
    if (this.failure) throw this.failure
    const cdOffset = this.position
    for (const record of this.central) this.emit(centralRecord(record))
    const cdSize = this.position - cdOffset
    const count = this.central.length
    const zip64 = this.forceZip64 || count >= 0xffff || cdSize >= MAX32 || cdOffset >= MAX32
    if (zip64) {
      const eocd64Offset = this.position
      const end64 = Buffer.alloc(56 + 20)
      end64.writeUInt32LE(SIG_EOCD64, 0)
      end64.writeBigUInt64LE(44n, 4)
      end64.writeUInt16LE(VERSION_ZIP64, 12)
      end64.writeUInt16LE(VERSION_ZIP64, 14)
      end64.writeBigUInt64LE(BigInt(count), 24)
      end64.writeBigUInt64LE(BigInt(count), 32)
      end64.writeBigUInt64LE(BigInt(cdSize), 40)
      end64.writeBigUInt64LE(BigInt(cdOffset), 48)
      end64.writeUInt32LE(SIG_LOCATOR64, 56)
      end64.writeBigUInt64LE(BigInt(eocd64Offset), 64)
      end64.writeUInt32LE(1, 72)
      this.emit(end64)
    }
    const eocd = Buffer.alloc(22)
    eocd.writeUInt32LE(SIG_EOCD, 0)
    eocd.writeUInt16LE(zip64 ? 0xffff : count, 8)
    eocd.writeUInt16LE(zip64 ? 0xffff : count, 10)
    eocd.writeUInt32LE(zip64 ? MAX32 : cdSize, 12)
    eocd.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16)
    this.emit(eocd)
    this.sha256 = this.prefix.digest('hex')
    await this.drained(0)
    if (this.envelope && !this.failure) {
      this.queueOut(this.envelope.final())
      await this.drained(0)
    }
    this.fileSha256 = this.fileHash ? this.fileHash.digest('hex') : this.sha256
    await this.close()
    if (this.failure) throw this.failure
  }

  /** Stops writing after a failure or an interruption; the partial file stays for inspection. */
  async abort(): Promise<void> {
    // what was produced is written out; the failure, if any, stays the one that happened
    await this.drained(0)
    await this.close()
  }

  private async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await new Promise<void>((resolve) => close(this.fd, (error) => {
      if (error) this.fail(error)
      resolve()
    }))
  }

  private fail(error: Error): void {
    this.failure ??= error instanceof OutputNotWritableError ? error : new OutputNotWritableError(this.partialPath, errorMessage(error))
  }

  private claim(path: string): void {
    if (this.failure) throw this.failure
    if (this.closed) throw new OutputNotWritableError(this.partialPath, 'the bundle was already closed')
    if (this.busy) throw new Error(`bundle entry ${path} started while another was being written`)
    if (this.names.has(path)) throw new Error(`bundle entry ${path} written twice`)
    this.names.add(path)
  }

  private flags(name: Buffer, flags: number): number {
    // APPNOTE 4.4.4 bit 11: the name is UTF-8 (only set when it is not plain ASCII, as before)
    return name.some((b) => b >= 0x80) ? flags | FLAG_UTF8 : flags
  }

  private localHeader(name: Buffer, flags: number, method: number, version: number, crc: number, compressedSize: number, size: number, zip64: boolean): void {
    const header = Buffer.alloc(30 + name.length + (zip64 ? 20 : 0))
    header.writeUInt32LE(SIG_LOCAL, 0)
    header.writeUInt16LE(version, 4)
    header.writeUInt16LE(this.flags(name, flags), 6)
    header.writeUInt16LE(method, 8)
    header.writeUInt16LE(DOS_TIME, 10)
    header.writeUInt16LE(DOS_DATE, 12)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(zip64 ? MAX32 : compressedSize, 18)
    header.writeUInt32LE(zip64 ? MAX32 : size, 22)
    header.writeUInt16LE(name.length, 26)
    header.writeUInt16LE(zip64 ? 20 : 0, 28)
    name.copy(header, 30)
    if (zip64) {
      // the sizes follow in the data descriptor: zero here (APPNOTE 4.5.3)
      header.writeUInt16LE(0x0001, 30 + name.length)
      header.writeUInt16LE(16, 32 + name.length)
    }
    this.emit(header)
  }

  /**
   * Appends bytes to the archive: hashed into the prefix now, written at their offset in
   * the background. Small pieces (headers, descriptors, small files) are gathered into
   * one write, so that many small files do not cost three system calls each.
   */
  private emit(data: Buffer): void {
    if (data.length === 0) return
    this.prefix.update(data)
    if (data.length >= GATHER_BYTES) {
      // what was gathered goes first, at the offsets it was given
      this.flush()
      const at = this.position
      this.position += data.length
      if (!this.failure) this.queue(data, at)
      return
    }
    this.position += data.length
    if (this.failure) return
    this.gathered.push(data)
    this.gatheredBytes += data.length
    if (this.gatheredBytes >= GATHER_BYTES) this.flush()
  }

  /** Writes what was gathered. */
  private flush(): void {
    if (this.gatheredBytes === 0) return
    const data = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered, this.gatheredBytes)
    const at = this.position - this.gatheredBytes
    this.gathered = []
    this.gatheredBytes = 0
    if (!this.failure) this.queue(data, at)
  }

  private queue(data: Buffer, at: number): void {
    // pieces come in the order of their offsets, back to back: the file is appended to in order
    if (at !== this.queuedEnd) throw new Error(`bundle bytes queued out of order (at ${at}, expected ${this.queuedEnd})`)
    this.queuedEnd = at + data.length
    this.queueOut(this.envelope ? this.envelope.update(data) : data)
  }

  /** Writes bytes at the end of the file (they are written in the background, at their offsets). */
  private queueOut(data: Buffer): void {
    // after close the descriptor number may belong to another file: nothing more is written
    if (this.closed || data.length === 0) return
    const at = this.written
    this.written += data.length
    this.fileHash?.update(data)
    this.queued += data.length
    const done = writeAll(this.fd, data, at).then(
      () => undefined,
      (error: Error) => this.fail(error),
    ).finally(() => {
      this.queued -= data.length
      this.writes.delete(done)
      this.wake()
    })
    this.writes.add(done)
  }

  private wake(): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const wake of waiters) wake()
  }

  /** Waits until at most `bytes` are still queued for the disk (0: everything written). */
  private async drained(bytes: number): Promise<void> {
    if (bytes === 0 || this.gatheredBytes > bytes) this.flush()
    while (this.queued > bytes && this.writes.size > 0) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve))
    }
  }
}

function centralRecord(r: CentralRecord): Buffer {
  const offsetInField = r.offset >= MAX32
  const fields: bigint[] = []
  if (r.zip64Sizes) fields.push(BigInt(r.size), BigInt(r.compressedSize))
  if (offsetInField) fields.push(BigInt(r.offset))
  const extraLength = fields.length === 0 && !r.zip64Sizes ? 0 : 4 + 8 * fields.length
  const record = Buffer.alloc(46 + r.name.length + extraLength)
  record.writeUInt32LE(SIG_CENTRAL, 0)
  record.writeUInt16LE(VERSION_MADE_BY, 4)
  record.writeUInt16LE(r.version, 6)
  record.writeUInt16LE(r.flags, 8)
  record.writeUInt16LE(r.method, 10)
  record.writeUInt16LE(DOS_TIME, 12)
  record.writeUInt16LE(DOS_DATE, 14)
  record.writeUInt32LE(r.crc, 16)
  record.writeUInt32LE(r.zip64Sizes ? MAX32 : r.compressedSize, 20)
  record.writeUInt32LE(r.zip64Sizes ? MAX32 : r.size, 24)
  record.writeUInt16LE(r.name.length, 28)
  record.writeUInt16LE(extraLength, 30)
  record.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38)
  record.writeUInt32LE(offsetInField ? MAX32 : r.offset, 42)
  r.name.copy(record, 46)
  if (extraLength > 0) {
    record.writeUInt16LE(0x0001, 46 + r.name.length)
    record.writeUInt16LE(8 * fields.length, 48 + r.name.length)
    fields.forEach((value, i) => record.writeBigUInt64LE(value, 50 + r.name.length + 8 * i))
  }
  return record
}

/** The data descriptor after a streamed entry (APPNOTE 4.3.9; 8-byte sizes under ZIP64, 4.3.9.2). */
function dataDescriptor(zip64: boolean, crc: number, compressedSize: number, size: number): Buffer {
  const descriptor = Buffer.alloc(zip64 ? 24 : 16)
  descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0)
  descriptor.writeUInt32LE(crc >>> 0, 4)
  if (zip64) {
    descriptor.writeBigUInt64LE(BigInt(compressedSize), 8)
    descriptor.writeBigUInt64LE(BigInt(size), 16)
  } else {
    descriptor.writeUInt32LE(compressedSize, 8)
    descriptor.writeUInt32LE(size, 12)
  }
  return descriptor
}

function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number) => {
      if (done === data.length) return resolve()
      write(fd, data, done, data.length - done, position + done, (error, written) => {
        if (error) reject(error)
        else step(done + written)
      })
    }
    step(0)
  })
}

function endDeflate(deflater: DeflateRaw): Promise<void> {
  return new Promise((resolve, reject) => {
    deflater.once('end', resolve)
    deflater.once('error', reject)
    deflater.end()
    // 'end' is only emitted once the output has been read: it is, by the 'data' listener
    deflater.resume()
  })
}

/**
 * A working copy written from the same chunks as the entry (for a parser to open):
 * never over an existing file, writes queued in order at their offsets.
 */
class LocalCopy {
  private readonly fd: number | undefined
  private position = 0
  private pending: Promise<void>[] = []
  private closed = false
  error: Error | undefined

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'wx')
    } catch (error) {
      this.error = error as Error
    }
  }

  write(chunk: Buffer): void {
    if (this.fd === undefined || this.error) return
    const at = this.position
    this.position += chunk.length
    this.pending.push(writeAll(this.fd, chunk, at).catch((error: Error) => {
      this.error ??= error
    }))
    if (this.pending.length > 64) this.pending = [Promise.all(this.pending).then(() => undefined)]
  }

  async close(): Promise<void> {
    await Promise.all(this.pending)
    this.pending = []
    if (this.fd !== undefined && !this.closed) {
      this.closed = true
      try {
        closeSync(this.fd)
      } catch {
        // closed already
      }
    }
  }
}

export function bufferStream(data: Buffer): Readable {
  return Readable.from([data])
}
