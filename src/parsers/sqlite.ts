import {openSync, readSync, closeSync} from 'node:fs'
import {ParseError, errorMessage} from '../errors.js'
import {openDatabase} from '../sqlite/engine.js'
import type {SqliteDatabase} from '../sqlite/types.js'

/** Parsers name the database type from here; it is the engine-neutral one of src/sqlite. */
export type {SqliteDatabase, SqliteStatement} from '../sqlite/types.js'

const SQLITE_MAGIC = 'SQLite format 3\0'

/**
 * Opens the working copy of an evidence database read-only. The copy was made
 * with its -wal/-journal beside it, so SQLite applies committed WAL frames that
 * were never checkpointed. Never call this on evidence itself.
 */
export function openWorkingCopy(copyPath: string): SqliteDatabase {
  const head = Buffer.alloc(16)
  const fd = openSync(copyPath, 'r')
  let read: number
  try {
    read = readSync(fd, head, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  if (read < 16 || head.toString('latin1') !== SQLITE_MAGIC) {
    throw new ParseError('not an SQLite database (bad header)', copyPath)
  }
  try {
    const db = openDatabase(copyPath, {readonly: true, fileMustExist: true})
    // touch the schema now, so a truncated or malformed file fails here with a clear error
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return db
  } catch (error) {
    throw new ParseError(`cannot open SQLite database: ${errorMessage(error)}`, copyPath, {cause: error})
  }
}

export function hasTable(db: SqliteDatabase, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ? COLLATE NOCASE").get(table) !== undefined
}

/** Column names of a table, lower-cased, so parsers detect schema versions instead of assuming one. */
export function tableColumns(db: SqliteDatabase, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info("${table.replaceAll('"', '""')}")`).all() as Array<{name: string}>
  return new Set(rows.map((r) => r.name.toLowerCase()))
}

/** Throws a ParseError saying the file is not the expected application's database. */
export function requireTables(db: SqliteDatabase, tables: string[], what: string, file: string): void {
  const missing = tables.filter((t) => !hasTable(db, t))
  if (missing.length > 0) throw new ParseError(`not a ${what} database: no table ${missing.join(', ')}`, file)
}
