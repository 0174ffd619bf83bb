import {closeSync, createReadStream, fstatSync, openSync, readSync} from 'node:fs'
import {PassThrough, Readable, Transform, type TransformCallback} from 'node:stream'
import {crc32, createInflateRaw} from 'node:zlib'
import {CorruptBundleError} from '../errors.js'
import {FLAG_DESCRIPTOR, FLAG_UTF8, MAX32, SIG_CENTRAL, SIG_DESCRIPTOR, SIG_EOCD, SIG_EOCD64, SIG_LOCAL, SIG_LOCATOR64} from './zip-format.js'

/**
 * A strict ZIP reader for bundles. It accepts only the layout trawl writes:
 * entries packed back to back from offset 0, then the central directory, then
 * the end records, nothing else; so that no byte of the file goes unchecked.
 * Unreadable structure is a CorruptBundleError; readable but non-canonical
 * structure (hostile names, duplicates, headers that disagree) is a problem.
 */


export interface ZipEntry {
  name: string
  method: number
  flags: number
  crc32: number
  compressedSize: number
  size: number
  versionMadeBy: number
  versionNeeded: number
  time: number
  date: number
  internalAttributes: number
  externalAttributes: number
  localHeaderOffset: number
  dataOffset: number
  /** First byte after the entry's data and data descriptor. */
  end: number
  zip64: boolean
  /** Offset of the entry's central directory record in the file. */
  centralRecordOffset: number
}

export class BundleZip {
  readonly entries: ZipEntry[] = []
  /** Non-canonical structure found while reading: each one makes the bundle invalid. */
  readonly problems: string[] = []
  readonly size: number
  /** Offset of the central directory. */
  centralDirectoryOffset = 0
  /** Offsets of the end records: the ZIP64 end record and locator (when present) and the classic one. */
  endRecords: {eocd: number; eocd64?: number; locator64?: number} = {eocd: 0}
  private readonly fd: number | undefined
  /** Set for a bundle held in memory (decrypted from a .zip.p7m, never written to disk). */
  private readonly data: Buffer | undefined

  private constructor(readonly path: string, data?: Buffer) {
    if (data) {
      this.data = data
      this.size = data.length
      return
    }
    try {
      this.fd = openSync(path, 'r')
    } catch (error) {
      throw new CorruptBundleError(path, `cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
    }
    this.size = fstatSync(this.fd).size
  }

  static open(path: string): BundleZip {
    return BundleZip.read(new BundleZip(path))
  }

  /** A bundle in memory; `path` names it in messages. */
  static fromBuffer(path: string, data: Buffer): BundleZip {
    return BundleZip.read(new BundleZip(path, data))
  }

  private static read(zip: BundleZip): BundleZip {
    try {
      zip.readStructure()
    } catch (error) {
      zip.close()
      throw error
    }
    return zip
  }

  close(): void {
    if (this.fd === undefined) return
    try {
      closeSync(this.fd)
    } catch {
      // already closed
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name)
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || offset + length > this.size) throw new CorruptBundleError(this.path, `structure points outside the file`, offset)
    if (this.data) return Buffer.from(this.data.subarray(offset, offset + length))
    const buffer = Buffer.alloc(length)
    let done = 0
    while (done < length) {
      const n = readSync(this.fd!, buffer, done, length - done, offset + done)
      if (n === 0) throw new CorruptBundleError(this.path, 'unexpected end of file', offset + done)
      done += n
    }
    return buffer
  }

  /** The bytes from `start` up to `end` (exclusive), in pieces. */
  openRange(start: number, end: number): Readable {
    if (end <= start) return new PassThrough().end()
    if (this.data) {
      const data = this.data
      return Readable.from((function* () {
        for (let at = start; at < end; at += 1 << 20) yield data.subarray(at, Math.min(end, at + (1 << 20)))
      })())
    }
    return createReadStream(this.path, {start, end: end - 1, highWaterMark: 1 << 20})
  }

  /** The decompressed bytes of an entry; errors if its CRC-32 or size do not match the directory. */
  openEntry(entry: ZipEntry): Readable {
    const raw = this.openRange(entry.dataOffset, entry.dataOffset + entry.compressedSize)
    const check = new EntryCheck(entry)
    if (entry.method === 8) {
      const inflate = createInflateRaw()
      raw.on('error', (error: Error) => check.destroy(error))
      inflate.on('error', (error) => check.destroy(new Error(`${entry.name}: compressed data is corrupt (${error.message})`)))
      return raw.pipe(inflate).pipe(check)
    }
    raw.on('error', (error: Error) => check.destroy(error))
    return raw.pipe(check)
  }

  async readEntry(entry: ZipEntry, limit = 256 * 1024 * 1024): Promise<Buffer> {
    if (entry.size > limit) throw new CorruptBundleError(this.path, `${entry.name} is too large to read whole (${entry.size} bytes)`)
    const chunks: Buffer[] = []
    for await (const chunk of this.openEntry(entry)) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }

  private readStructure(): void {
    if (this.size < 22) throw new CorruptBundleError(this.path, 'too short to be a ZIP (truncated?)')
    const eocdOffset = this.size - 22
    const eocd = this.read(eocdOffset, 22)
    if (eocd.readUInt32LE(0) !== SIG_EOCD) {
      throw new CorruptBundleError(this.path, 'no end-of-central-directory record at the end of the file (truncated or not a bundle)')
    }
    let entryCount = eocd.readUInt16LE(10)
    let cdSize = eocd.readUInt32LE(12)
    let cdOffset = eocd.readUInt32LE(16)
    if (eocd.readUInt16LE(4) !== 0 || eocd.readUInt16LE(6) !== 0) this.problems.push('end record names another disk')
    if (eocd.readUInt16LE(8) !== eocd.readUInt16LE(10)) this.problems.push('end record entry counts disagree')
    if (eocd.readUInt16LE(20) !== 0) this.problems.push('end record has a comment')
    let cdEnd = eocdOffset
    this.endRecords = {eocd: eocdOffset}
    if (entryCount === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
      const locatorOffset = eocdOffset - 20
      const locator = this.read(locatorOffset, 20)
      if (locator.readUInt32LE(0) !== SIG_LOCATOR64) throw new CorruptBundleError(this.path, 'ZIP64 locator missing', locatorOffset)
      const eocd64Offset = Number(locator.readBigUInt64LE(8))
      if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1) this.problems.push('ZIP64 locator names another disk')
      if (eocd64Offset + 56 !== locatorOffset) this.problems.push('ZIP64 end record is not where the locator says')
      const eocd64 = this.read(eocd64Offset, 56)
      if (eocd64.readUInt32LE(0) !== SIG_EOCD64) throw new CorruptBundleError(this.path, 'ZIP64 end record missing', eocd64Offset)
      if (eocd64.readBigUInt64LE(4) !== 44n) this.problems.push('ZIP64 end record has an unexpected size')
      if (eocd64.readUInt32LE(16) !== 0 || eocd64.readUInt32LE(20) !== 0) this.problems.push('ZIP64 end record names another disk')
      if (eocd64.readBigUInt64LE(24) !== eocd64.readBigUInt64LE(32)) this.problems.push('ZIP64 entry counts disagree')
      entryCount = Number(eocd64.readBigUInt64LE(32))
      cdSize = Number(eocd64.readBigUInt64LE(40))
      cdOffset = Number(eocd64.readBigUInt64LE(48))
      cdEnd = eocd64Offset
      this.endRecords = {eocd: eocdOffset, eocd64: eocd64Offset, locator64: locatorOffset}
    }
    if (cdOffset + cdSize !== cdEnd) throw new CorruptBundleError(this.path, 'central directory is not where the end record says', cdOffset)
    this.centralDirectoryOffset = cdOffset
    const cd = this.read(cdOffset, cdSize)
    let p = 0
    for (let i = 0; i < entryCount; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new CorruptBundleError(this.path, `central directory record ${i} is damaged`, cdOffset + p)
      const entry = this.readCentralRecord(cd, p, cdOffset)
      p = entry.next
      this.entries.push(entry.entry)
    }
    if (p !== cd.length) this.problems.push(`central directory has ${cd.length - p} unexplained bytes`)
    this.readLocalHeaders()
    this.checkLayout()
    this.checkNames()
    this.checkUniformity()
  }

  private readCentralRecord(cd: Buffer, p: number, cdOffset: number): {entry: ZipEntry; next: number} {
    const nameLength = cd.readUInt16LE(p + 28)
    const extraLength = cd.readUInt16LE(p + 30)
    const commentLength = cd.readUInt16LE(p + 32)
    const next = p + 46 + nameLength + extraLength + commentLength
    if (next > cd.length) throw new CorruptBundleError(this.path, 'central directory record runs past its end', cdOffset + p)
    const flags = cd.readUInt16LE(p + 8)
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLength)
    const name = this.decodeName(nameBytes, flags)
    if (commentLength !== 0) this.problems.push(`${name}: entry has a comment`)
    if (cd.readUInt16LE(p + 34) !== 0) this.problems.push(`${name}: entry names another disk`)
    let size = cd.readUInt32LE(p + 24)
    let compressedSize = cd.readUInt32LE(p + 20)
    let localHeaderOffset = cd.readUInt32LE(p + 42)
    let zip64 = false
    const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength)
    for (const field of this.extraFields(extra, name)) {
      if (field.id !== 0x0001) continue
      zip64 = true
      let q = 0
      const take = (): number => {
        if (q + 8 > field.data.length) throw new CorruptBundleError(this.path, `${name}: ZIP64 field too short`, cdOffset + p)
        const v = Number(field.data.readBigUInt64LE(q))
        q += 8
        return v
      }
      if (size === MAX32) size = take()
      if (compressedSize === MAX32) compressedSize = take()
      if (localHeaderOffset === MAX32) localHeaderOffset = take()
      if (q !== field.data.length) this.problems.push(`${name}: ZIP64 field has unexplained bytes`)
    }
    const entry: ZipEntry = {
      name,
      versionMadeBy: cd.readUInt16LE(p + 4),
      versionNeeded: cd.readUInt16LE(p + 6),
      flags,
      method: cd.readUInt16LE(p + 10),
      time: cd.readUInt16LE(p + 12),
      date: cd.readUInt16LE(p + 14),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize,
      size,
      internalAttributes: cd.readUInt16LE(p + 36),
      externalAttributes: cd.readUInt32LE(p + 38),
      localHeaderOffset,
      dataOffset: 0,
      end: 0,
      zip64,
      centralRecordOffset: cdOffset + p,
    }
    if (entry.method !== 0 && entry.method !== 8) this.problems.push(`${name}: unsupported compression method ${entry.method}`)
    if (entry.method === 0 && entry.compressedSize !== entry.size) this.problems.push(`${name}: stored entry sizes disagree`)
    if ((flags & ~(FLAG_DESCRIPTOR | FLAG_UTF8)) !== 0) this.problems.push(`${name}: unexpected flags 0x${flags.toString(16)}`)
    return {entry, next}
  }

  private *extraFields(extra: Buffer, name: string): Generator<{id: number; data: Buffer}> {
    let q = 0
    while (q < extra.length) {
      if (q + 4 > extra.length) {
        this.problems.push(`${name}: malformed extra field`)
        return
      }
      const id = extra.readUInt16LE(q)
      const length = extra.readUInt16LE(q + 2)
      if (q + 4 + length > extra.length) {
        this.problems.push(`${name}: malformed extra field`)
        return
      }
      if (id !== 0x0001) this.problems.push(`${name}: unexpected extra field 0x${id.toString(16)}`)
      yield {id, data: extra.subarray(q + 4, q + 4 + length)}
      q += 4 + length
    }
  }

  private decodeName(bytes: Buffer, flags: number): string {
    const ascii = bytes.every((b) => b < 0x80)
    if (!ascii && (flags & FLAG_UTF8) === 0) {
      this.problems.push(`entry name ${JSON.stringify(bytes.toString('latin1'))} is not UTF-8 flagged`)
      return bytes.toString('latin1')
    }
    const name = bytes.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(bytes)) this.problems.push(`entry name ${JSON.stringify(name)} is not valid UTF-8`)
    return name
  }

  private readLocalHeaders(): void {
    for (const entry of this.entries) {
      const at = entry.localHeaderOffset
      const header = this.read(at, 30)
      if (header.readUInt32LE(0) !== SIG_LOCAL) throw new CorruptBundleError(this.path, `${entry.name}: local header missing`, at)
      const nameLength = header.readUInt16LE(26)
      const extraLength = header.readUInt16LE(28)
      const rest = this.read(at + 30, nameLength + extraLength)
      const mismatch = (what: string) => this.problems.push(`${entry.name}: local header ${what} differs from the central directory`)
      if (!rest.subarray(0, nameLength).equals(Buffer.from(entry.name, (entry.flags & FLAG_UTF8) !== 0 || /^[\x00-\x7f]*$/.test(entry.name) ? 'utf8' : 'latin1'))) mismatch('name')
      if (header.readUInt16LE(4) !== entry.versionNeeded) mismatch('version')
      if (header.readUInt16LE(6) !== entry.flags) mismatch('flags')
      if (header.readUInt16LE(8) !== entry.method) mismatch('method')
      if (header.readUInt16LE(10) !== entry.time) mismatch('time')
      if (header.readUInt16LE(12) !== entry.date) mismatch('date')
      let localCompressed = header.readUInt32LE(18)
      let localSize = header.readUInt32LE(22)
      let localZip64 = false
      for (const field of this.extraFields(rest.subarray(nameLength), entry.name)) {
        if (field.id !== 0x0001) continue
        localZip64 = true
        if (field.data.length !== 16) {
          this.problems.push(`${entry.name}: local ZIP64 field has an unexpected size`)
          continue
        }
        if (localSize === MAX32) localSize = Number(field.data.readBigUInt64LE(0))
        if (localCompressed === MAX32) localCompressed = Number(field.data.readBigUInt64LE(8))
      }
      entry.dataOffset = at + 30 + nameLength + extraLength
      let end = entry.dataOffset + entry.compressedSize
      if ((entry.flags & FLAG_DESCRIPTOR) !== 0) {
        if (header.readUInt32LE(14) !== 0 || localCompressed !== 0 || localSize !== 0) mismatch('deferred sizes')
        const wide = entry.zip64 || localZip64
        const descriptor = this.read(end, wide ? 24 : 16)
        if (descriptor.readUInt32LE(0) !== SIG_DESCRIPTOR) throw new CorruptBundleError(this.path, `${entry.name}: data descriptor missing`, end)
        const crc = descriptor.readUInt32LE(4)
        const dCompressed = wide ? Number(descriptor.readBigUInt64LE(8)) : descriptor.readUInt32LE(8)
        const dSize = wide ? Number(descriptor.readBigUInt64LE(16)) : descriptor.readUInt32LE(12)
        if (crc !== entry.crc32 || dCompressed !== entry.compressedSize || dSize !== entry.size) mismatch('data descriptor')
        end += wide ? 24 : 16
      } else if (header.readUInt32LE(14) !== entry.crc32 || localCompressed !== entry.compressedSize || localSize !== entry.size) {
        mismatch('CRC or sizes')
      }
      entry.end = end
    }
  }

  /** Entries must be packed back to back from offset 0 up to the central directory. */
  private checkLayout(): void {
    const sorted = [...this.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
    let expected = 0
    for (const entry of sorted) {
      if (entry.localHeaderOffset !== expected) {
        this.problems.push(`${entry.name}: ${entry.localHeaderOffset > expected ? 'unexplained bytes before' : 'overlaps the previous entry at'} offset ${entry.localHeaderOffset}`)
      }
      expected = entry.end
    }
    if (expected !== this.centralDirectoryOffset) this.problems.push(`unexplained bytes between the last entry and the central directory`)
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i] !== sorted[i]) {
        this.problems.push('central directory order differs from the file order')
        break
      }
    }
  }

  private checkNames(): void {
    const seen = new Map<string, string>()
    for (const entry of this.entries) {
      const problem = hostileNameProblem(entry.name)
      if (problem) this.problems.push(`hostile entry name ${JSON.stringify(entry.name)}: ${problem}`)
      const key = entry.name.normalize('NFC').toLowerCase()
      const other = seen.get(key)
      if (other !== undefined) this.problems.push(`duplicate entry ${JSON.stringify(entry.name)}${other === entry.name ? '' : ` (same as ${JSON.stringify(other)} when case is ignored)`}`)
      else seen.set(key, entry.name)
    }
  }

  /** trawl writes every entry with the same version, time, date and attributes: a lone different value was edited. */
  private checkUniformity(): void {
    const first = this.entries[0]
    if (!first) return
    for (const entry of this.entries) {
      for (const field of ['versionMadeBy', 'time', 'date', 'internalAttributes', 'externalAttributes'] as const) {
        if (entry[field] !== first[field]) this.problems.push(`${entry.name}: ${field} differs from the other entries`)
      }
    }
  }
}

/** Why an entry name could escape or confuse an extraction, or undefined if it is safe. */
export function hostileNameProblem(name: string): string | undefined {
  if (name === '') return 'empty'
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute path'
  if (name.includes('\\')) return 'backslash'
  if (/[\x00-\x1f\x7f]/.test(name)) return 'control character'
  const segments = name.split('/')
  if (segments.includes('..')) return 'parent-directory segment'
  if (segments.includes('.') || segments.some((s) => s === '')) return 'empty or dot segment'
  return undefined
}

/** Checks the CRC-32 and length of decompressed entry bytes as they pass. */
class EntryCheck extends Transform {
  private crc = 0
  private length = 0
  constructor(private readonly entry: ZipEntry) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc = crc32(chunk, this.crc)
    this.length += chunk.length
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    if (this.length !== this.entry.size) callback(new Error(`${this.entry.name}: ${this.length} bytes, the directory says ${this.entry.size}`))
    else if ((this.crc >>> 0) !== this.entry.crc32) callback(new Error(`${this.entry.name}: CRC-32 does not match`))
    else callback()
  }
}
