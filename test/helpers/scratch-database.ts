import {copyFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import type {CoverageAccount} from '../../src/parsers/coverage.js'
import {openDatabase} from '../../src/sqlite/engine.js'
import type {SqliteDatabase} from '../../src/sqlite/types.js'

/**
 * A writable scratch copy of a database for a test to change as the app itself would
 * (expire visits, rename a table, add a row), through trawl's SQLite interface so it works
 * under either engine. The original, a fixture or shared test data, is never opened.
 */
export function changedCopy(file: string, change: (db: SqliteDatabase) => void, name = basename(file)): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'trawl-scratch-')), name)
  copyFileSync(file, copy)
  const db = openDatabase(copy)
  try {
    change(db)
  } finally {
    db.close()
  }
  return copy
}

/** The coverage of one table in the first account a parser reported. */
export const tableOf = (input: {coverage: CoverageAccount[]}, table: string) => input.coverage[0].tables.find((t) => t.table === table)
