/**
 * SQLCipher databases decrypted page by page with node:crypto, so the field kit (Node's
 * node:sqlite, no native addons) can read them: the plain pages are written to a working
 * copy that the ordinary SQLite layer then opens read-only. Nothing here writes to the
 * encrypted file.
 *
 * Layout (SQLCipher's sqlcipher.c, sqlcipher_page_cipher and sqlcipher_cipher_ctx_key_derive;
 * zetetic.net/sqlcipher/design): every page of `pageSize` bytes ends in a reserve area of
 * `reserve` bytes holding the page's random 16-byte IV and then its HMAC. The bytes before
 * the reserve are AES-256-CBC ciphertext without padding. Page 1 starts with the 16-byte KDF
 * salt in place of 'SQLite format 3\0', and its ciphertext starts after it. The HMAC covers
 * the ciphertext and the IV followed by the page number as 4 little-endian bytes. A raw key
 * (PRAGMA key = "x'<64 hex>'") is the AES key itself; the HMAC key is PBKDF2 of the AES key
 * over the salt XOR 0x3a, with 2 iterations, using the version's KDF hash.
 *
 * A database in WAL mode keeps its newest pages in -wal frames, each the encrypted page as
 * it would stand in the main file; the WAL checksums are over that ciphertext. Committed
 * frames are applied to the working copy here, as a checkpoint would, since the copy is
 * plain and its WAL could no longer be matched to it by SQLite.
 */
import {closeSync, fstatSync, openSync, readSync, writeSync, ftruncateSync} from 'node:fs'
import {createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual} from 'node:crypto'
import {ParseError, TrawlError} from '../errors.js'

export interface SqlcipherSettings {
  /** 'SQLCipher 4' (defaults of 4.x) or 'SQLCipher 3'. */
  name: string
  pageSize: number
  /** HMAC and KDF hash. */
  hash: 'sha512' | 'sha1'
  hmacSize: number
  /** IV and HMAC, rounded up to the AES block size. */
  reserve: number
}

const IV_SIZE = 16
const SALT_SIZE = 16
const KEY_SIZE = 32
const HMAC_SALT_MASK = 0x3a
const FAST_KDF_ITERATIONS = 2
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')

export const SQLCIPHER_4: SqlcipherSettings = {name: 'SQLCipher 4', pageSize: 4096, hash: 'sha512', hmacSize: 64, reserve: 80}
export const SQLCIPHER_3: SqlcipherSettings = {name: 'SQLCipher 3', pageSize: 1024, hash: 'sha1', hmacSize: 20, reserve: 48}

/** The key opens no page 1 with any of the settings tried. */
export class SqlcipherKeyError extends TrawlError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`)
    this.name = 'SqlcipherKeyError'
  }
}

export interface SqlcipherKeys {
  encryption: Buffer
  hmac: Buffer
}

/** Parses a raw key as Signal's config.json holds it (64 hex digits) or as a PRAGMA writes it ("x'..'"). */
export function parseRawKey(value: string): Buffer {
  const hex = /^x'([0-9a-f]*)'$/i.exec(value.trim())?.[1] ?? value.trim()
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ParseError(`not a raw SQLCipher key: expected 64 hex digits, got ${hex.length} characters`)
  return Buffer.from(hex, 'hex')
}

export function sqlcipherKeys(rawKey: Buffer, salt: Buffer, settings: SqlcipherSettings): SqlcipherKeys {
  if (rawKey.length !== KEY_SIZE) throw new ParseError(`a raw SQLCipher key has ${KEY_SIZE} bytes, not ${rawKey.length}`)
  const hmacSalt = Buffer.from(salt.subarray(0, SALT_SIZE).map((b) => b ^ HMAC_SALT_MASK))
  return {encryption: rawKey, hmac: pbkdf2Sync(rawKey, hmacSalt, FAST_KDF_ITERATIONS, KEY_SIZE, settings.hash)}
}

export type PageResult = {ok: true; plain: Buffer} | {ok: false; reason: string}

/**
 * Authenticates and decrypts one page (`page` is its 1-based number, which the HMAC covers).
 * A page that fails its HMAC is not decrypted: its content cannot be trusted.
 */
export function decryptPage(encrypted: Buffer, page: number, keys: SqlcipherKeys, settings: SqlcipherSettings): PageResult {
  const {pageSize, reserve, hmacSize} = settings
  if (encrypted.length !== pageSize) return {ok: false, reason: `page has ${encrypted.length} bytes, not ${pageSize}`}
  if (!Number.isInteger(page) || page < 1 || page > 0xffffffff) return {ok: false, reason: `invalid page number ${page}`}
  const start = page === 1 ? SALT_SIZE : 0
  const end = pageSize - reserve
  const iv = encrypted.subarray(end, end + IV_SIZE)
  const stored = encrypted.subarray(end + IV_SIZE, end + IV_SIZE + hmacSize)
  const pageNumber = Buffer.alloc(4)
  pageNumber.writeUInt32LE(page)
  const computed = createHmac(settings.hash, keys.hmac).update(encrypted.subarray(start, end + IV_SIZE)).update(pageNumber).digest()
  if (!timingSafeEqual(computed, stored)) {
    return {ok: false, reason: encrypted.every((b) => b === 0) ? 'page is all zeros (never written, or wiped)' : 'HMAC check failed (page altered or damaged, or another key)'}
  }
  const decipher = createDecipheriv('aes-256-cbc', keys.encryption, iv)
  decipher.setAutoPadding(false)
  const body = Buffer.concat([decipher.update(encrypted.subarray(start, end)), decipher.final()])
  const plain = Buffer.alloc(pageSize)
  if (page === 1) SQLITE_MAGIC.copy(plain, 0)
  body.copy(plain, start)
  // the reserve stays zero in the plain copy: SQLite leaves it alone, and the IV and HMAC are in the evidence
  return {ok: true, plain}
}

export interface PlainHeader {
  pageSize: number
  reserve: number
  /** In-header database size in pages (0 in files written by SQLite before 3.7.0). */
  pageCount: number
  writeVersion: number
  readVersion: number
}

/** Reads the SQLite header of a decrypted page 1 and checks it agrees with the cipher settings. */
export function parsePlainHeader(page1: Buffer, settings: SqlcipherSettings): PlainHeader {
  if (page1.length < 100) throw new ParseError(`page 1 has ${page1.length} bytes, fewer than the 100-byte SQLite header`)
  if (!page1.subarray(0, 16).equals(SQLITE_MAGIC)) throw new ParseError('decrypted page 1 does not start with the SQLite header string')
  const raw = page1.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  const header = {pageSize, reserve: page1[20], pageCount: page1.readUInt32BE(28), writeVersion: page1[18], readVersion: page1[19]}
  if (pageSize !== settings.pageSize) throw new ParseError(`decrypted header gives page size ${pageSize}, the cipher uses ${settings.pageSize}`)
  if (header.reserve < settings.reserve) throw new ParseError(`decrypted header reserves ${header.reserve} bytes per page, the cipher needs ${settings.reserve}`)
  if (header.writeVersion < 1 || header.writeVersion > 2 || header.readVersion < 1 || header.readVersion > 2) {
    throw new ParseError(`decrypted header has file format versions ${header.writeVersion}/${header.readVersion}, not 1 (rollback) or 2 (WAL)`)
  }
  return header
}

export interface DamagedPage {
  /** 'database' or 'wal'. */
  file: 'database' | 'wal'
  page: number
  /** Byte offset of the page (or WAL frame) in its file. */
  offset: number
  frame?: number
  reason: string
}

export interface SqlcipherDecryption {
  settings: string
  pageSize: number
  /** Pages of the plain copy (after the WAL). */
  pages: number
  pagesDecrypted: number
  damaged: DamagedPage[]
  /** WAL frames read: applied (committed, authenticated), and left (after the last commit, or not matching the header). */
  walFramesApplied: number
  walFramesIgnored: number
  /** Set when the WAL could not be used at all (bad header). */
  walError?: string
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done === length ? buf : buf.subarray(0, done)
}

/** Tries each settings set on page 1: the first whose HMAC holds is the database's. */
function findSettings(page1Of: (pageSize: number) => Buffer, rawKey: Buffer, path: string, candidates: SqlcipherSettings[]): {settings: SqlcipherSettings; keys: SqlcipherKeys; page1: Buffer} {
  const salt = page1Of(SALT_SIZE)
  if (salt.length < SALT_SIZE) throw new ParseError(`file has ${salt.length} bytes, too short for an SQLCipher database`, path)
  if (salt.equals(SQLITE_MAGIC)) throw new ParseError('file is a plain SQLite database, not SQLCipher-encrypted', path)
  for (const settings of candidates) {
    const encrypted = page1Of(settings.pageSize)
    if (encrypted.length < settings.pageSize) continue
    const keys = sqlcipherKeys(rawKey, salt, settings)
    const result = decryptPage(encrypted, 1, keys, settings)
    if (result.ok) {
      parsePlainHeader(result.plain, settings)
      return {settings, keys, page1: result.plain}
    }
  }
  throw new SqlcipherKeyError(path, `the key does not open this database: page 1 fails its HMAC with ${candidates.map((c) => `${c.name} settings`).join(' and ')} (wrong key, other cipher settings, or page 1 damaged)`)
}

const WAL_MAGIC_LE = 0x377f0682
const WAL_MAGIC_BE = 0x377f0683
const WAL_HEADER = 32
const WAL_FRAME_HEADER = 24

/** The WAL checksum (sqlite.org/fileformat2.html#walcksm), continued from `s`. */
function walChecksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s0, s1] = s
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i)
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4)
    s0 = (s0 + x0 + s1) >>> 0
    s1 = (s1 + x1 + s0) >>> 0
  }
  return [s0, s1]
}

interface WalFrame {
  index: number
  offset: number
  page: number
  data: Buffer
}

/** The committed frames of a WAL whose checksums hold, in order; frames after the last commit are counted, not returned. */
function committedWalFrames(fd: number, size: number, pageSize: number): {frames: WalFrame[]; ignored: number; dbPages: number; error?: string} {
  const header = readAt(fd, WAL_HEADER, 0)
  if (header.length < WAL_HEADER) return {frames: [], ignored: 0, dbPages: 0, error: size === 0 ? undefined : 'WAL shorter than its header'}
  const magic = header.readUInt32BE(0)
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return {frames: [], ignored: 0, dbPages: 0, error: 'not a WAL file (bad magic)'}
  const bigEndian = magic === WAL_MAGIC_BE
  if (header.readUInt32BE(8) !== pageSize) return {frames: [], ignored: 0, dbPages: 0, error: `WAL page size ${header.readUInt32BE(8)} is not the database's ${pageSize}`}
  let sum = walChecksum(header.subarray(0, 24), bigEndian, [0, 0])
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return {frames: [], ignored: 0, dbPages: 0, error: 'WAL header checksum does not match'}
  const salt = header.subarray(16, 24)
  const frameSize = WAL_FRAME_HEADER + pageSize
  const pending: WalFrame[] = []
  const frames: WalFrame[] = []
  let dbPages = 0
  let index = 0
  for (let offset = WAL_HEADER; offset + frameSize <= size; offset += frameSize) {
    const frame = readAt(fd, frameSize, offset)
    const frameHeader = frame.subarray(0, WAL_FRAME_HEADER)
    if (!frameHeader.subarray(8, 16).equals(salt)) break
    const data = frame.subarray(WAL_FRAME_HEADER)
    sum = walChecksum(data, bigEndian, walChecksum(frameHeader.subarray(0, 8), bigEndian, sum))
    if (sum[0] !== frameHeader.readUInt32BE(16) || sum[1] !== frameHeader.readUInt32BE(20)) break
    index++
    pending.push({index, offset, page: frameHeader.readUInt32BE(0), data})
    const commitSize = frameHeader.readUInt32BE(4)
    if (commitSize !== 0) {
      frames.push(...pending.splice(0))
      dbPages = commitSize
    }
  }
  const total = Math.floor(Math.max(0, size - WAL_HEADER) / frameSize)
  return {frames, ignored: total - frames.length, dbPages}
}

export interface DecryptOptions {
  /** The encrypted database (a working copy, never the evidence). */
  path: string
  walPath?: string
  rawKey: Buffer
  /** Where the plain copy is written; it must not exist. */
  outPath: string
  candidates?: SqlcipherSettings[]
}

/**
 * Writes the plain SQLite copy of an SQLCipher database: every page authenticated and
 * decrypted, a page that fails its HMAC written as zeros and listed in `damaged`, the
 * committed WAL frames applied. The copy's header is set to rollback-journal mode (bytes
 * 18-19) so it opens read-only without a WAL; that is the only byte changed.
 * Throws SqlcipherKeyError when the key opens no page 1.
 */
export function decryptSqlcipherDatabase(options: DecryptOptions): SqlcipherDecryption {
  const fd = openSync(options.path, 'r')
  let out: number | undefined
  try {
    const size = fstatSync(fd).size
    const {settings, keys, page1} = findSettings((n) => readAt(fd, n, 0), options.rawKey, options.path, options.candidates ?? [SQLCIPHER_4, SQLCIPHER_3])
    const {pageSize} = settings
    const damaged: DamagedPage[] = []
    out = openSync(options.outPath, 'wx')
    writeSync(out, page1, 0, pageSize, 0)
    let pagesDecrypted = 1
    const fullPages = Math.floor(size / pageSize)
    const zero = Buffer.alloc(pageSize)
    for (let page = 2; page <= fullPages; page++) {
      const offset = (page - 1) * pageSize
      const result = decryptPage(readAt(fd, pageSize, offset), page, keys, settings)
      if (result.ok) pagesDecrypted++
      else damaged.push({file: 'database', page, offset, reason: result.reason})
      writeSync(out, result.ok ? result.plain : zero, 0, pageSize, offset)
    }
    if (size % pageSize !== 0) damaged.push({file: 'database', page: fullPages + 1, offset: fullPages * pageSize, reason: `file ends ${size % pageSize} bytes into this page (truncated)`})
    let pages = fullPages
    const decryption: SqlcipherDecryption = {settings: settings.name, pageSize, pages, pagesDecrypted, damaged, walFramesApplied: 0, walFramesIgnored: 0}
    if (options.walPath) {
      const wal = openSync(options.walPath, 'r')
      try {
        const {frames, ignored, dbPages, error} = committedWalFrames(wal, fstatSync(wal).size, pageSize)
        if (error) decryption.walError = error
        decryption.walFramesIgnored = ignored
        for (const frame of frames) {
          const result = decryptPage(frame.data, frame.page, keys, settings)
          if (!result.ok) {
            damaged.push({file: 'wal', page: frame.page, offset: frame.offset, frame: frame.index, reason: result.reason})
            continue
          }
          writeSync(out, result.plain, 0, pageSize, (frame.page - 1) * pageSize)
          decryption.walFramesApplied++
        }
        if (frames.length > 0) {
          pages = dbPages
          ftruncateSync(out, dbPages * pageSize)
        }
      } finally {
        closeSync(wal)
      }
    }
    decryption.pages = pages
    // rollback-journal mode, so SQLite opens the plain copy read-only without looking for a WAL
    writeSync(out, Buffer.from([1, 1]), 0, 2, 18)
    return decryption
  } finally {
    closeSync(fd)
    if (out !== undefined) closeSync(out)
  }
}
