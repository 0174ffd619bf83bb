import Database from 'better-sqlite3'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {SqliteCoverage, unexplainedRows} from '../../src/parsers/coverage.js'

function database(): Database.Database {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'trawl-coverage-')), 'app.db'))
  db.exec(`
    CREATE TABLE messages (id INTEGER PRIMARY KEY, kind TEXT, body TEXT);
    INSERT INTO messages (kind, body) VALUES ('text', 'a'), ('text', 'b'), ('system', NULL), ('text', 'c');
    CREATE TABLE added_in_v2 (id INTEGER PRIMARY KEY);
    INSERT INTO added_in_v2 DEFAULT VALUES; INSERT INTO added_in_v2 DEFAULT VALUES;
    CREATE TABLE android_metadata (locale TEXT); INSERT INTO android_metadata VALUES ('en_US');
  `)
  return db
}

describe('SQLite coverage account', () => {
  it('counts parsed, excluded and unexplained rows of a known table, and lists the tables not read', () => {
    const db = database()
    const coverage = new SqliteCoverage(db).table('messages')
    coverage.parsed('messages', 1)
    coverage.parsed('messages', 1) // the same row in two records counts once
    coverage.parsed('messages', 2)
    coverage.excludeWhere('messages', 'system rows', "kind = 'system'")
    const account = coverage.account({parser: 'test', file: 'files/dir/app.db'})
    expect(account.tables[0]).toEqual({table: 'messages', known: true, rows: 4, parsed: 2, excluded: [{reason: 'system rows', rows: 1}], unexplained: 1})
    expect(unexplainedRows(account)).toBe(1)
    const unread = account.tables.filter((t) => !t.known)
    expect(unread.map((t) => [t.table, t.rows, t.excluded.length])).toEqual([
      ['added_in_v2', 2, 0],
      ['android_metadata', 1, 1],
    ])
    expect(unread.every((t) => t.unexplained === 0)).toBe(true)
  })

  it('refuses to mark rows of a table it was not told about', () => {
    const coverage = new SqliteCoverage(database())
    expect(() => coverage.parsed('messages', 1)).toThrow(/not registered/)
  })
})
