/**
 * The SQLite interface every reader of SQLite files in trawl uses (browser and chat
 * parsers, the NSRL RDSv3 hash set, the bundle's records.sqlite). It is the subset of
 * better-sqlite3's API those readers need, so that a second engine over Node's
 * built-in node:sqlite can stand in where better-sqlite3's native module is not
 * available (the Windows field kit). It knows nothing of parsers or evidence.
 */

/** Values bound to `?`, `?NNN`, `:name`, `@name` or `$name` parameters. */
export type SqliteParameter = null | number | bigint | string | Uint8Array | Record<string, unknown>

export interface SqliteRunResult {
  changes: number | bigint
  lastInsertRowid: number | bigint
}

/**
 * A prepared statement. Rows are objects keyed by column name unless `raw(true)`
 * (arrays in select-list order) or `pluck()` (the first column's value). INTEGER
 * values are JS numbers (exact up to 2^53, rounded to the nearest double beyond,
 * as better-sqlite3 does) unless `safeIntegers(true)` makes them BigInt. BLOBs
 * are Buffers. The mode setters return the statement so they chain.
 */
export interface SqliteStatement {
  get(...params: SqliteParameter[]): unknown
  all(...params: SqliteParameter[]): unknown[]
  /** Streams rows one by one; memory does not grow with the table. */
  iterate(...params: SqliteParameter[]): IterableIterator<unknown>
  run(...params: SqliteParameter[]): SqliteRunResult
  raw(toggle?: boolean): this
  pluck(toggle?: boolean): this
  safeIntegers(toggle?: boolean): this
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement
  /** Runs one or more statements that return no rows. */
  exec(sql: string): void
  /** Runs `PRAGMA source` and returns its rows. */
  pragma(source: string): unknown
  close(): void
}

export interface SqliteOpenOptions {
  /**
   * Opened with SQLITE_OPEN_READONLY: nothing in the main file is ever changed.
   * SQLite still applies a -wal beside the file and, for a WAL database, creates
   * -shm (and an empty -wal if none) beside it: open only working copies this way.
   */
  readonly?: boolean
  /** Refuse to create the file when it does not exist (always so when read-only). */
  fileMustExist?: boolean
}

export type SqliteEngineName = 'better-sqlite3' | 'node:sqlite'

/** Which engine read the databases, for the examiner (the manifest's tool section). */
export interface SqliteEngineInfo {
  engine: SqliteEngineName
  /** better-sqlite3's package version, or the Node version whose node:sqlite was used. */
  engineVersion: string
  /** The SQLite library version the engine links (sqlite_version()). */
  sqliteVersion: string
}

export interface SqliteEngine extends SqliteEngineInfo {
  open(path: string, options: SqliteOpenOptions): SqliteDatabase
}

/**
 * An error SQLite reported, the same from both engines: `code` is SQLite's (extended)
 * result code name, as better-sqlite3 names it ('SQLITE_READONLY_ROLLBACK', 'SQLITE_CORRUPT').
 */
export class SqliteError extends Error {
  constructor(message: string, readonly code: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'SqliteError'
  }
}
