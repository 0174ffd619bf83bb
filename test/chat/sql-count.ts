import Database from 'better-sqlite3'
import {copyFileSync, existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

/** count(*) by direct SQL on a scratch copy of `file` (with its -wal, so SQLite applies it). */
export function sqlCount(file: string, sql: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-sql-'))
  const copy = join(dir, basename(file))
  copyFileSync(file, copy)
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`)
  const db = new Database(copy, {readonly: true})
  try {
    return (db.prepare(sql).get() as {n: number}).n
  } finally {
    db.close()
  }
}
