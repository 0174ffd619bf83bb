/**
 * Opening a browser's SQLite working copy the way every browser parser needs it:
 * a truncated copy is refused with the offset where it ends, the database must
 * be the expected application's (its tables present), and integers come back as
 * BigInt where a browser stores 64-bit times.
 */
import {closeSync, copyFileSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {ParseError, errorMessage} from '../../errors.js'
import {openDatabase} from '../../sqlite/engine.js'
import {openWorkingCopy, requireTables, type SqliteDatabase} from '../sqlite.js'
import type {SqliteCoverage} from '../coverage.js'
import type {ParsedRecord, ParserInput} from '../types.js'
import type {BrowserOwner} from './owner.js'

/**
 * SQLite file format §1.3: the page size is at offset 16 (1 means 65536) and the
 * "in-header database size" in pages at offset 28, valid only when the
 * version-valid-for number (offset 92) equals the change counter (offset 24).
 * A file shorter than that size lost its tail: refuse it rather than report a
 * partial history as if it were complete.
 */
export function checkNotTruncated(copyPath: string): void {
  const head = Buffer.alloc(100)
  const fd = openSync(copyPath, 'r')
  let read: number
  let size: number
  try {
    read = readSync(fd, head, 0, 100, 0)
    size = fstatSync(fd).size
  } finally {
    closeSync(fd)
  }
  // not SQLite at all: openWorkingCopy says so
  if (read < 16 || head.toString('latin1', 0, 16) !== 'SQLite format 3\0') return
  // a hot journal may hold the header of a transaction cut short: its rollback decides
  if (existsSync(`${copyPath}-journal`)) return
  if (read < 100) throw new ParseError(`SQLite header truncated: file has only ${read} bytes`, copyPath)
  const rawPageSize = head.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  const pages = head.readUInt32BE(28)
  const headerValid = head.readUInt32BE(92) === head.readUInt32BE(24)
  if (!headerValid || pages === 0 || pageSize < 512) return
  const expected = pages * pageSize
  if (size < expected) {
    throw new ParseError(`SQLite database truncated: header says ${pages} pages of ${pageSize} bytes (${expected} bytes) but the file ends at offset ${size}`, copyPath)
  }
}

/**
 * A browser killed in the middle of a transaction leaves a hot -journal holding the
 * pages as they were before it. SQLite refuses to read such a file read-only
 * (SQLITE_READONLY_ROLLBACK) because the file may hold half-written pages; rolling
 * the journal back gives the last committed state, as the browser itself would on its
 * next start. That write happens on a private copy made for it, never on the
 * working copy, the bundle's copy or the evidence.
 */
function rolledBackCopy(copyPath: string): {path: string; dir: string} {
  // beside the working copy (the run's working folder: in memory for an encrypted collect), never the system temp
  const dir = mkdtempSync(join(dirname(copyPath), 'trawl-rollback-'))
  const path = join(dir, basename(copyPath))
  copyFileSync(copyPath, path)
  copyFileSync(`${copyPath}-journal`, `${path}-journal`)
  try {
    const db = openDatabase(path, {fileMustExist: true})
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get()
    } finally {
      db.close()
    }
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw new ParseError(`cannot roll back the hot journal: ${errorMessage(error)}`, copyPath, {cause: error})
  }
  return {path, dir}
}

function needsRollback(error: unknown, copyPath: string): boolean {
  const cause = error instanceof Error ? (error.cause as {code?: unknown} | undefined) : undefined
  return cause?.code === 'SQLITE_READONLY_ROLLBACK' && existsSync(`${copyPath}-journal`)
}

/** An open browser database; close() also removes any private copy made to read it. */
export interface BrowserDatabase {
  db: SqliteDatabase
  /** True when a hot journal was rolled back to read the last committed state. */
  rolledBack: boolean
  close(): void
}

/** Opens the working copy read-only and checks it is `what`'s database (has `tables`). */
export function openBrowserDatabase(copyPath: string, what: string, tables: string[]): BrowserDatabase {
  checkNotTruncated(copyPath)
  let db: SqliteDatabase
  let privateDir: string | undefined
  try {
    db = openWorkingCopy(copyPath)
  } catch (error) {
    if (!needsRollback(error, copyPath)) throw error
    const copy = rolledBackCopy(copyPath)
    privateDir = copy.dir
    try {
      db = openWorkingCopy(copy.path)
    } catch (reopen) {
      rmSync(copy.dir, {recursive: true, force: true})
      throw reopen
    }
  }
  const close = () => {
    db.close()
    if (privateDir) rmSync(privateDir, {recursive: true, force: true})
  }
  try {
    requireTables(db, tables, what, copyPath)
  } catch (error) {
    close()
    throw error
  }
  return {db, rolledBack: privateDir !== undefined, close}
}

/** BigInt or number from SQLite (safeIntegers) to a JS number; ids, counts and sizes fit. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return null
}

/** Text column to string (a BLOB is decoded as UTF-8, as browsers write text). */
export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return String(value)
}

/** Integer time column to BigInt (kept exact: Chromium times exceed 2^53). */
export function toBigInt(value: unknown): bigint | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value))
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim())
  return null
}

/**
 * A select list read in raw mode: rows come back as arrays, about
 * twice as cheap per row as objects, and are read by name through `at`.
 */
export function selectList<N extends string>(columns: ReadonlyArray<readonly [N, string]>): {sql: string; at: Record<N, number>} {
  const at = {} as Record<N, number>
  columns.forEach(([name], index) => {
    at[name] = index
  })
  return {sql: columns.map(([, expression]) => expression).join(', '), at}
}

/** SQL identifier quoting for column names found in the schema. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** A column expression if the table has the column, else NULL: one query fits every schema version. */
export function optional(columns: Set<string>, alias: string, column: string): string {
  return columns.has(column.toLowerCase()) ? `${alias}.${quoteIdentifier(column)}` : 'NULL'
}

/** The name of an enumeration value; a value the table does not know is named by its number, never dropped. */
export function enumName(table: Record<number, string>, value: number | null): string | null {
  if (value === null) return null
  return table[value] ?? `unknown_${value}`
}

/** Browsers fill NOT NULL text columns with '' for "none". */
export function nonEmpty(value: unknown): string | null {
  const text = toText(value)
  return text === null || text === '' ? null : text
}

export function bool(value: unknown): boolean | null {
  const n = toNumber(value)
  return n === null ? null : n !== 0
}

/** One table's reader; it marks in `coverage` each row that became (part of) a record. */
export type Section = (db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage) => Generator<ParsedRecord>

/**
 * Runs one section (one table) of a database. A failure inside it (a damaged
 * page met half-way) becomes one error record naming the table and how many rows
 * were read, and the other sections still run.
 */
export async function* readSection(
  table: string,
  section: Section,
  db: SqliteDatabase,
  input: ParserInput,
  owner: BrowserOwner,
  coverage: SqliteCoverage,
): AsyncGenerator<ParsedRecord> {
  let rows = 0
  try {
    for (const record of section(db, input, owner, coverage)) {
      rows++
      yield record
    }
  } catch (error) {
    yield {
      type: 'error',
      source: input.source({table}),
      error: `table ${table} could not be read to the end after ${rows} rows: ${errorMessage(error)}`,
    }
  }
}


/**
 * Hands the coverage account of a browser database to collection (see coverage.ts).
 * Called once the sections ran, also after one failed half-way: its unread rows then
 * show as unexplained instead of the database looking completely read.
 */
export function reportBrowserCoverage(input: ParserInput, coverage: SqliteCoverage, parser: string, readAs: string): void {
  const {volume} = input.source()
  input.reportCoverage(coverage.account({parser, file: input.bundlePath, sourcePath: input.sourcePath, ...(volume ? {volume} : {}), readAs}))
}
