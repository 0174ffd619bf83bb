/**
 * The independent check for the browser tests: direct SQL on a scratch copy of the
 * same file (never the original: opening a WAL database even read-only may create or
 * change its -wal/-shm), with times converted by SQLite's own date functions.
 */
import {copyFileSync, existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {openDatabase} from '../../src/sqlite/engine.js'

export function querySql<T = Record<string, unknown>>(file: string, sql: string): T[] {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-oracle-'))
  const copy = join(dir, basename(file))
  copyFileSync(file, copy)
  for (const suffix of ['-wal', '-journal']) if (existsSync(file + suffix)) copyFileSync(file + suffix, copy + suffix)
  const db = openDatabase(copy, {readonly: true})
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

export function countSql(file: string, table: string, where = ''): number {
  return querySql<{n: number}>(file, `SELECT count(*) AS n FROM ${table} ${where}`)[0].n
}

/** SQL expression: Chromium time (µs since 1601) as ISO 8601 UTC with microseconds, by SQLite's strftime. */
export function sqlWebkitIso(column: string): string {
  return `CASE WHEN ${column} = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', ${column} / 1000000 - 11644473600, 'unixepoch') || printf('.%06d', ${column} % 1000000) || 'Z' END`
}

/** SQL expression: PRTime (µs since 1970) as ISO 8601 UTC with microseconds. */
export function sqlPrtimeIso(column: string): string {
  return `CASE WHEN ${column} = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', ${column} / 1000000, 'unixepoch') || printf('.%06d', ${column} % 1000000) || 'Z' END`
}
