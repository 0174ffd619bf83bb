/**
 * The SQLite interface under the engine this run uses: `npm test` runs this file once
 * with better-sqlite3 (the development Node) and once with node:sqlite (the kit's Node,
 * TRAWL_SQLITE=node, see scripts/test-node-sqlite.mjs). Every expectation is the same
 * for both: that is what lets parsers run unchanged on either.
 */
import {copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {chooseSqliteEngine, openDatabase, sqliteEngineInfo} from '../../src/sqlite/engine.js'
import {resultCodeName} from '../../src/sqlite/result-codes.js'
import type {SqliteDatabase} from '../../src/sqlite/types.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'

const expectedEngine = process.env.TRAWL_SQLITE === 'node' ? 'node:sqlite' : 'better-sqlite3'
const scratch = () => mkdtempSync(join(tmpdir(), 'trawl-sqlite-'))

/** A copy of `file` with the companions named, in a fresh scratch folder, as collection makes it. */
function workingCopy(file: string, companions: string[]): string {
  const copy = join(scratch(), basename(file))
  copyFileSync(file, copy)
  for (const suffix of companions) copyFileSync(file + suffix, copy + suffix)
  return copy
}

/** 2^53 + 1: the first integer a double cannot hold. */
const BEYOND_DOUBLE = 9007199254740993n

function valuesDatabase(): SqliteDatabase {
  const db = openDatabase(join(scratch(), 'values.sqlite'))
  db.exec(`CREATE TABLE v(id INTEGER PRIMARY KEY, small INTEGER, big INTEGER, real REAL, text TEXT, blob BLOB);
    INSERT INTO v VALUES (1, 42, ${BEYOND_DOUBLE}, 1.5, 'één', x'00ff10');
    INSERT INTO v VALUES (2, -7, -${BEYOND_DOUBLE}, NULL, NULL, NULL);`)
  return db
}

describe(`the SQLite engine of this run (${expectedEngine})`, () => {
  it('is the one TRAWL_SQLITE names, with the SQLite version it links', () => {
    const info = sqliteEngineInfo()
    expect(info.engine).toBe(expectedEngine)
    expect(info.sqliteVersion).toMatch(/^3\.\d+\.\d+$/)
    expect(info.engineVersion).toBe(expectedEngine === 'node:sqlite' ? process.version : JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')).version)
  })

  it('is chosen without TRAWL_SQLITE too: better-sqlite3 where it loads, else node:sqlite', () => {
    expect(chooseSqliteEngine(undefined).engine).toBe(expectedEngine)
  })

  it('refuses an engine that does not load in this Node, and an unknown name, in one clear line', () => {
    if (expectedEngine === 'node:sqlite') {
      // better-sqlite3's native module is built for the development Node's ABI: the fallback path
      expect(() => chooseSqliteEngine('better-sqlite3')).toThrow(/^TRAWL_SQLITE=better-sqlite3 but better-sqlite3 does not load in Node v\d+/)
    } else if (!/^v(2[3-9]|[3-9]\d)\./.test(process.version)) {
      expect(() => chooseSqliteEngine('node')).toThrow(/^TRAWL_SQLITE=node but Node v\d+\.\d+\.\d+ has no usable node:sqlite \(it needs Node 24, or 22\.16 and later\)/)
    }
    expect(() => chooseSqliteEngine('sqlite4')).toThrow('TRAWL_SQLITE must be better-sqlite3 or node, not "sqlite4"')
  })

  it('gives integers as numbers (beyond 2^53 the nearest double), BigInt with safeIntegers, BLOBs as Buffers', () => {
    const db = valuesDatabase()
    const row = db.prepare('SELECT * FROM v WHERE id = 1').get() as Record<string, unknown>
    expect(row).toEqual({id: 1, small: 42, big: 9007199254740992, real: 1.5, text: 'één', blob: Buffer.from([0, 0xff, 0x10])})
    expect(Buffer.isBuffer(row.blob)).toBe(true)
    const safe = db.prepare('SELECT id, small, big, real FROM v ORDER BY id').safeIntegers(true).all()
    expect(safe).toEqual([
      {id: 1n, small: 42n, big: BEYOND_DOUBLE, real: 1.5},
      {id: 2n, small: -7n, big: -BEYOND_DOUBLE, real: null},
    ])
    db.close()
  })

  it('gives rows as arrays in select-list order with raw(true), even where two columns share a name', () => {
    const db = valuesDatabase()
    expect(db.prepare('SELECT small, id, small, text FROM v ORDER BY id').raw(true).all()).toEqual([
      [42, 1, 42, 'één'],
      [-7, 2, -7, null],
    ])
    expect(db.prepare('SELECT big, blob FROM v WHERE id = 1').raw(true).safeIntegers(true).get()).toEqual([BEYOND_DOUBLE, Buffer.from([0, 0xff, 0x10])])
    expect(db.prepare('SELECT text FROM v ORDER BY id').pluck().all()).toEqual(['één', null])
    expect(db.prepare('SELECT count(*) FROM v').pluck().get()).toBe(2)
    expect(db.prepare('SELECT 1 FROM v WHERE id = 99').get()).toBeUndefined()
    db.close()
  })

  it('streams with iterate(): a loop left early frees the statement, and a huge integer met half-way loses no row', () => {
    const db = openDatabase(join(scratch(), 'stream.sqlite'))
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER)')
    const insert = db.prepare('INSERT INTO t(id, n) VALUES (?, ?)')
    db.exec('BEGIN')
    for (let i = 1; i <= 1000; i++) insert.run(i, i === 600 ? BEYOND_DOUBLE : i * 3)
    db.exec('COMMIT')
    const statement = db.prepare('SELECT id, n FROM t ORDER BY id').raw(true)
    let seen = 0
    for (const _row of statement.iterate()) if (++seen === 10) break
    const rows = [...statement.iterate()] as number[][]
    expect(rows).toHaveLength(1000)
    expect(rows.map((r) => r[0])).toEqual(Array.from({length: 1000}, (_, i) => i + 1))
    expect(rows[598]).toEqual([599, 1797])
    expect(rows[599]).toEqual([600, 9007199254740992])
    expect(rows[600]).toEqual([601, 1803])
    db.close()
  })

  it('binds positional and named parameters, and run() reports changes and the new rowid', () => {
    const db = openDatabase(join(scratch(), 'params.sqlite'))
    db.exec('CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, data BLOB)')
    const result = db.prepare('INSERT INTO p(name, data) VALUES (?, ?)').run('ana', Buffer.from('x'))
    expect(result).toEqual({changes: 1, lastInsertRowid: 1})
    db.prepare('INSERT INTO p(name, data) VALUES (@name, @data)').run({name: 'bob', data: null})
    expect(db.prepare('SELECT name FROM p WHERE id = :id').pluck().get({id: 2})).toBe('bob')
    expect(db.prepare('SELECT data FROM p WHERE name = ?').pluck().get('ana')).toEqual(Buffer.from('x'))
    expect(db.pragma('journal_mode')).toEqual([{journal_mode: 'delete'}])
    db.close()
  })

  it('reports SQLite errors with the message and the extended result code name better-sqlite3 gives', () => {
    const db = valuesDatabase()
    expect(() => db.prepare('SELECT * FROM nope')).toThrow(expect.objectContaining({message: 'no such table: nope', code: 'SQLITE_ERROR'}))
    expect(() => db.exec("INSERT INTO v(id) VALUES (1)")).toThrow(expect.objectContaining({code: 'SQLITE_CONSTRAINT_PRIMARYKEY'}))
    db.close()
    expect([776, 11, 779, 14, 522, 1555, 4096].map(resultCodeName)).toEqual([
      'SQLITE_READONLY_ROLLBACK', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CANTOPEN', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'UNKNOWN_SQLITE_ERROR_4096',
    ])
  })

  it('opens read-only: the WAL beside a working copy is applied, nothing is written, the main file and WAL stay byte-identical', () => {
    const copy = workingCopy(join(REPO_ROOT, 'fixtures/browser/chrome-144-wal/History'), ['-wal'])
    const main = readFileSync(copy)
    const wal = readFileSync(`${copy}-wal`)
    const db = openDatabase(copy, {readonly: true})
    const withWal = db.prepare('SELECT count(*) FROM visits').pluck().get() as number
    expect(() => db.exec('DELETE FROM visits')).toThrow(expect.objectContaining({code: 'SQLITE_READONLY'}))
    db.close()
    const bare = openDatabase(workingCopy(join(REPO_ROOT, 'fixtures/browser/chrome-144-wal/History'), []), {readonly: true})
    const withoutWal = bare.prepare('SELECT count(*) FROM visits').pluck().get() as number
    bare.close()
    expect(withWal).toBeGreaterThan(withoutWal)
    expect(readFileSync(copy).equals(main)).toBe(true)
    expect(readFileSync(`${copy}-wal`).equals(wal)).toBe(true)
    // SQLite's WAL index: a read-only connection makes -shm beside the copy (never beside evidence)
    expect(readdirSync(join(copy, '..')).sort()).toEqual(['History', 'History-shm', 'History-wal'])
  })

  it('refuses to create a database that must exist, and never creates one read-only', () => {
    const dir = scratch()
    expect(() => openDatabase(join(dir, 'absent.sqlite'), {readonly: true})).toThrow(expect.objectContaining({code: expect.stringMatching(/^SQLITE_CANTOPEN/)}))
    expect(() => openDatabase(join(dir, 'absent.sqlite'), {fileMustExist: true})).toThrow(expect.objectContaining({code: expect.stringMatching(/^SQLITE_CANTOPEN/)}))
    expect(existsSync(join(dir, 'absent.sqlite'))).toBe(false)
  })
})

describe('an engine that cannot be used, from the CLI', () => {
  it('stops collect with one line and exit code 2 before anything is written (TRAWL_SQLITE=sqlite4)', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const out = join(dir, 'case.zip')
    const result = await trawl(['collect', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', out, '--case', 'C-1', '--examiner', 'E', ...keys.signArgs], {
      env: {...keys.env, TRAWL_SQLITE: 'sqlite4'},
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('trawl: TRAWL_SQLITE must be better-sqlite3 or node, not "sqlite4"\n')
    expect(readdirSync(dir)).toEqual(['keys'])
  })
})

describeShared('WAL of a real Google Messages database under this engine', () => {
  const bugle = sharedFile('chat/google_messages/dam_a10_bugle_db')

  it('bugle_db of Android 10: 36 messages with its -wal, 35 without (INDEX.md)', () => {
    for (const [companions, messages] of [[['-wal'], 36], [[], 35]] as const) {
      const copy = workingCopy(bugle, [...companions])
      const db = openDatabase(copy, {readonly: true})
      expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(messages)
      db.close()
      // without a -wal, SQLite makes an empty one (and -shm) beside the copy of a WAL-mode file
      expect(readdirSync(join(copy, '..')).sort()).toEqual(['dam_a10_bugle_db', 'dam_a10_bugle_db-shm', 'dam_a10_bugle_db-wal'])
    }
  })
})
