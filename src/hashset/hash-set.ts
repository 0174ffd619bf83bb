/**
 * Known-file hash sets (--hashset): plain lists of MD5 / SHA-1 / SHA-256 hex digests,
 * NSRL RDS CSV (NSRLFile.txt, RDSv3 exports), hashdeep files and the NSRL RDSv3 SQLite
 * database itself. The format is detected from the content; each set is streamed
 * once into sorted binary digest tables (see DigestTable).
 */
import {createHash, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import {basename} from 'node:path'
import {FileNotFoundError, ParseError, errorMessage} from '../errors.js'
import {openDatabase} from '../sqlite/engine.js'
import {decodeHexInto, DigestTable, DigestTableBuilder} from './digest-table.js'

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256'

/** Digest widths in bytes. */
export const DIGEST_BYTES: Record<HashAlgorithm, number> = {md5: 16, sha1: 20, sha256: 32}

/** Strongest first: a SHA-256 match is reported before an MD5 one. */
const MATCH_ORDER: HashAlgorithm[] = ['sha256', 'sha1', 'md5']

/** Lower-case hex digests of one file; the engine fills the ones any loaded set needs. */
export interface FileHashes {
  md5?: string
  sha1?: string
  sha256?: string
}

export interface HashMatch {
  /** Name of the set (its file name unless given). */
  set: string
  /** Path of the set file, as given. */
  setPath: string
  algorithm: HashAlgorithm
  /** The matching digest, lower-case hex. */
  hash: string
}

export type HashSetFormat = 'plain' | 'csv' | 'hashdeep' | 'nsrl-sqlite'

export interface HashSet {
  readonly name: string
  readonly path: string
  readonly format: HashSetFormat
  /** Distinct digests over all algorithms. */
  readonly size: number
  /** Distinct digests per algorithm. */
  readonly counts: Record<HashAlgorithm, number>
  /** Lines that hold no digest of a known length (reported, not fatal). */
  readonly invalidLines: number
  /** Bytes of digest storage. */
  readonly byteLength: number
  /** SHA-256 of the set file as read, so a report can name exactly which list was used. */
  readonly sha256: string
  /** The first digest of `hashes` in the set, strongest algorithm first. */
  match(hashes: FileHashes): HashMatch | undefined
}

function algorithmOfHexLength(length: number): HashAlgorithm | undefined {
  return length === 32 ? 'md5' : length === 40 ? 'sha1' : length === 64 ? 'sha256' : undefined
}

/** Column name to algorithm: 'SHA-1', 'sha1', 'SHA1 hash' -> 'sha1'. */
function algorithmOfColumn(name: string): HashAlgorithm | undefined {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '')
  if (key === 'md5' || key === 'md5hash') return 'md5'
  if (key === 'sha1' || key === 'sha1hash') return 'sha1'
  if (key === 'sha256' || key === 'sha256hash') return 'sha256'
  return undefined
}

/** Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = []
  let i = 0
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = ''
      i++
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i++
          break
        }
        value += line[i++]
      }
      fields.push(value)
      // skip to the next separator
      while (i < line.length && line[i] !== ',') i++
      i++
    } else {
      const comma = line.indexOf(',', i)
      const end = comma === -1 ? line.length : comma
      fields.push(line.slice(i, end).trim())
      i = end + 1
    }
  }
  return fields
}

class DigestSetBuilder {
  private readonly builders: Record<HashAlgorithm, DigestTableBuilder> = {
    md5: new DigestTableBuilder(16),
    sha1: new DigestTableBuilder(20),
    sha256: new DigestTableBuilder(32),
  }
  invalidLines = 0

  /** Adds a hex digest of any known length; returns false if it is not one. */
  addAny(hex: string): boolean {
    const algorithm = algorithmOfHexLength(hex.length)
    return algorithm !== undefined && this.builders[algorithm].addHex(hex)
  }

  /** Adds a digest that must be of `algorithm` (a CSV column); empty cells are skipped. */
  addAs(algorithm: HashAlgorithm, hex: string): boolean {
    if (hex === '') return false
    if (hex.length !== DIGEST_BYTES[algorithm] * 2) return false
    return this.builders[algorithm].addHex(hex)
  }

  build(): Record<HashAlgorithm, DigestTable> {
    return {md5: this.builders.md5.build(), sha1: this.builders.sha1.build(), sha256: this.builders.sha256.build()}
  }
}

class LoadedHashSet implements HashSet {
  readonly size: number
  readonly counts: Record<HashAlgorithm, number>
  readonly byteLength: number

  constructor(
    readonly name: string,
    readonly path: string,
    readonly format: HashSetFormat,
    private readonly tables: Record<HashAlgorithm, DigestTable>,
    readonly invalidLines: number,
    readonly sha256: string,
  ) {
    this.counts = {md5: tables.md5.size, sha1: tables.sha1.size, sha256: tables.sha256.size}
    this.size = this.counts.md5 + this.counts.sha1 + this.counts.sha256
    this.byteLength = tables.md5.byteLength + tables.sha1.byteLength + tables.sha256.byteLength
  }

  /** One reusable buffer per width for the digest being looked up. */
  private readonly scratch: Record<HashAlgorithm, Buffer> = {md5: Buffer.alloc(16), sha1: Buffer.alloc(20), sha256: Buffer.alloc(32)}

  match(hashes: FileHashes): HashMatch | undefined {
    for (const algorithm of MATCH_ORDER) {
      const hex = hashes[algorithm]
      if (!hex || this.tables[algorithm].size === 0) continue
      const digest = this.scratch[algorithm]
      if (hex.length !== digest.length * 2 || !decodeHexInto(hex, digest)) continue
      if (this.tables[algorithm].has(digest)) {
        return {set: this.name, setPath: this.path, algorithm, hash: hex.toLowerCase()}
      }
    }
    return undefined
  }
}

/**
 * Calls `onLine` for each line of a file (LF or CRLF), streaming. Bytes are read as
 * Latin-1: hex digests and CSV structure are ASCII. Lines are handed over
 * synchronously per chunk; an async iterator per line costs more than the parsing.
 */
async function forEachLine(path: string, onLine: (line: string) => void, fileHash: Hash): Promise<void> {
  let rest = ''
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) {
    fileHash.update(chunk as Buffer)
    const text = rest + (chunk as Buffer).toString('latin1')
    let start = 0
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl))
      start = nl + 1
    }
    rest = text.slice(start)
  }
  if (rest !== '') onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest)
}

/** The first token of a plain line: up to whitespace, ',' or ';' (md5sum writes 'digest  name'). */
function firstToken(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 32 || c === 9 || c === 44 || c === 59) return line.slice(0, i)
  }
  return line
}

interface CsvColumns {
  columns: Array<[HashAlgorithm, number]>
}

function csvHeader(line: string): CsvColumns | undefined {
  if (!line.includes(',')) return undefined
  const columns: Array<[HashAlgorithm, number]> = []
  splitCsvLine(line).forEach((name, index) => {
    const algorithm = algorithmOfColumn(name)
    if (algorithm) columns.push([algorithm, index])
  })
  return columns.length > 0 ? {columns} : undefined
}

async function loadTextSet(path: string, builder: DigestSetBuilder, fileHash: Hash): Promise<HashSetFormat> {
  let format: HashSetFormat | undefined
  let csv: CsvColumns | undefined
  let first = true
  await forEachLine(path, (line) => {
    if (first) {
      line = line.replace(/^\u00ef\u00bb\u00bf/, '') // UTF-8 byte-order mark read as Latin-1
      first = false
    }
    // Fast path: a bare digest line (the bulk of any large list) needs no trimming.
    if (csv === undefined && format === 'plain' && (line.length === 32 || line.length === 40 || line.length === 64)) {
      if (!builder.addAny(line)) builder.invalidLines++
      return
    }
    const trimmed = line.trim()
    if (trimmed === '') return
    // hashdeep: '%%%% HASHDEEP-1.0', then '%%%% size,md5,sha256,filename'; '##' comments.
    if (trimmed.startsWith('%%%%')) {
      const header = csvHeader(trimmed.slice(4).trim())
      if (header) {
        csv = header
        format = 'hashdeep'
      }
      return
    }
    if (trimmed.startsWith('#')) return
    if (format === undefined) {
      // The first meaningful line decides: a CSV header naming hash columns, else a plain list.
      csv = csvHeader(trimmed)
      format = csv ? 'csv' : 'plain'
      if (csv) return
    }
    if (csv) {
      const fields = splitCsvLine(trimmed)
      let added = false
      for (const [algorithm, index] of csv.columns) if (builder.addAs(algorithm, fields[index] ?? '')) added = true
      if (!added) builder.invalidLines++
    } else if (!builder.addAny(firstToken(trimmed))) {
      builder.invalidLines++
    }
  }, fileHash)
  return format ?? 'plain'
}

/** NSRL RDSv3 is an SQLite database: its FILE view (or METADATA table) holds sha256, sha1, md5. */
function loadNsrlSqlite(path: string, builder: DigestSetBuilder): void {
  const db = openDatabase(path, {readonly: true, fileMustExist: true})
  try {
    const objects = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view')").all() as Array<{name: string}>
    const preferred = ['FILE', 'METADATA']
    const candidates = [...objects.map((o) => o.name)].sort((a, b) => {
      const ra = preferred.indexOf(a.toUpperCase())
      const rb = preferred.indexOf(b.toUpperCase())
      return (ra === -1 ? 99 : ra) - (rb === -1 ? 99 : rb)
    })
    for (const name of candidates) {
      const quoted = `"${name.replace(/"/g, '""')}"`
      const columns = (db.prepare(`PRAGMA table_info(${quoted})`).all() as Array<{name: string}>)
        .map((c): [HashAlgorithm | undefined, string] => [algorithmOfColumn(c.name), c.name])
        .filter((c): c is [HashAlgorithm, string] => c[0] !== undefined)
      if (columns.length === 0) continue
      const select = `SELECT ${columns.map(([, c]) => `"${c.replace(/"/g, '""')}"`).join(', ')} FROM ${quoted}`
      for (const row of db.prepare(select).raw().iterate() as Iterable<unknown[]>) {
        let added = false
        columns.forEach(([algorithm], i) => {
          const value = row[i]
          if (typeof value === 'string' && builder.addAs(algorithm, value.trim())) added = true
        })
        if (!added) builder.invalidLines++
      }
      return
    }
    throw new ParseError('no table or view with md5, sha1 or sha256 columns', path)
  } finally {
    db.close()
  }
}

/**
 * Loads a hash set, detecting its format. Throws FileNotFoundError for a missing
 * file and ParseError when it holds no digest at all.
 */
export async function loadHashSet(path: string, options: {name?: string} = {}): Promise<HashSet> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new ParseError('hash set is not a file', path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(path)
    throw error
  }
  const handle = await open(path, 'r')
  const magic = Buffer.alloc(16)
  try {
    await handle.read(magic, 0, 16, 0)
  } finally {
    await handle.close()
  }
  const builder = new DigestSetBuilder()
  const fileHash = createHash('sha256')
  let format: HashSetFormat
  try {
    if (magic.toString('latin1') === 'SQLite format 3\0') {
      // hashed before it is opened: SQLite only reads it (readonly), but the hash names the file as given
      for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) fileHash.update(chunk as Buffer)
      loadNsrlSqlite(path, builder)
      format = 'nsrl-sqlite'
    } else {
      format = await loadTextSet(path, builder, fileHash)
    }
  } catch (error) {
    if (error instanceof ParseError) throw error
    throw new ParseError(`cannot read hash set: ${errorMessage(error)}`, path, {cause: error})
  }
  const set = new LoadedHashSet(options.name ?? basename(path), path, format, builder.build(), builder.invalidLines, fileHash.digest('hex'))
  if (set.size === 0) throw new ParseError('hash set holds no MD5, SHA-1 or SHA-256 digest', path)
  return set
}

/** The digests the engine must compute for every collected file so that all sets can be checked. */
export function neededAlgorithms(sets: Iterable<HashSet>): HashAlgorithm[] {
  const needed = new Set<HashAlgorithm>()
  for (const set of sets) for (const algorithm of MATCH_ORDER) if (set.counts[algorithm] > 0) needed.add(algorithm)
  return MATCH_ORDER.filter((a) => needed.has(a))
}

/** Every set that knows the file (one match per set). */
export function matchAll(sets: Iterable<HashSet>, hashes: FileHashes): HashMatch[] {
  const matches: HashMatch[] = []
  for (const set of sets) {
    const match = set.match(hashes)
    if (match) matches.push(match)
  }
  return matches
}
