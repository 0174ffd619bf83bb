/**
 * The better-sqlite3 engine: its Database and Statement objects already are the
 * interface in types.ts (the interface was cut from their API), so they are handed
 * out as they are, with no wrapper in the per-row path. Its errors are its own
 * SqliteError, whose `code` names the extended result code as ours does.
 */
import {createRequire} from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'
import type {SqliteDatabase, SqliteEngine, SqliteOpenOptions} from './types.js'

/**
 * Loads better-sqlite3 and proves its native module runs in this Node: the package
 * loads its .node file only when the first Database is made, so an ABI mismatch
 * (a build for another Node) or a missing build shows only then. Throws if it cannot.
 */
export function loadBetterSqlite3(): SqliteEngine {
  const require = createRequire(import.meta.url)
  const Database = require('better-sqlite3') as typeof BetterSqlite3
  const probe = new Database(':memory:')
  let sqliteVersion: string
  try {
    sqliteVersion = probe.prepare('SELECT sqlite_version()').pluck().get() as string
  } finally {
    probe.close()
  }
  const {version} = require('better-sqlite3/package.json') as {version: string}
  return {
    engine: 'better-sqlite3',
    engineVersion: version,
    sqliteVersion,
    open(path: string, options: SqliteOpenOptions): SqliteDatabase {
      const db = new Database(path, {readonly: options.readonly === true, fileMustExist: options.fileMustExist === true || options.readonly === true})
      return db as unknown as SqliteDatabase
    },
  }
}
