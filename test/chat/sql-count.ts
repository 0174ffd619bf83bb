import {copyFileSync, existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {openDatabase} from '../../src/sqlite/engine.js'

/** count(*) by direct SQL on a scratch copy of `file` (with its -wal, so SQLite applies it). */
export function sqlCount(file: string, sql: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-sql-'))
  const copy = join(dir, basename(file))
  copyFileSync(file, copy)
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`)
  const db = openDatabase(copy, {readonly: true})
  try {
    return (db.prepare(sql).get() as {n: number}).n
  } finally {
    db.close()
  }
}
