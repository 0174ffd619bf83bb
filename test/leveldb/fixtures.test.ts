import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readLevelDb} from '../../src/leveldb/index.js'
import type {LevelDbRecord} from '../../src/leveldb/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/leveldb/build.sh writes two databases with Debian's libleveldb (python3-plyvel)
 * and records what LevelDB itself iterates; trawl, reading the files without LevelDB, must
 * give exactly that. Values over 1 KiB are compared by SHA-256, as the goldens hold them.
 */
const FIXTURES = join(REPO_ROOT, 'fixtures/leveldb')
const golden = (name: string) => JSON.parse(readFileSync(join(FIXTURES, 'golden', name), 'utf8'))
const value = (v: Uint8Array | null) => (v === null ? null : v.length <= 1024 ? Buffer.from(v).toString('hex') : `sha256:${createHash('sha256').update(v).digest('hex')}`)
const viewOf = (records: LevelDbRecord[]) => records.map((r) => ({key: Buffer.from(r.key).toString('hex'), value: value(r.value)}))

describe('LevelDB fixtures written by the real LevelDB', () => {
  it('gives the current view LevelDB iterates for a database compacted into snappy tables plus a log', () => {
    const db = readLevelDb(join(FIXTURES, 'tables'))
    expect(db.problems).toEqual([])
    expect(viewOf(db.view)).toEqual(golden('tables.json').view)
    // Both kinds of file contributed, and the tables were snappy-compressed.
    expect(db.read.map((f) => f.kind).sort()).toContain('log')
    const tables = db.read.filter((f) => f.kind === 'table')
    expect(tables.length).toBeGreaterThan(1)
    expect(tables.every((f) => f.blocks! > 1 && f.compressedBlocks === f.blocks)).toBe(true)
    expect(db.read.every((f) => f.records > 0)).toBe(true)
    expect(db.notRead.map((f) => f.file).sort()).toEqual(['CURRENT', 'LOCK', 'LOG', 'MANIFEST-000002'])
    // Deletions survive as records (the examiner sees what was deleted), hidden from the view.
    const deleted = db.records.filter((r) => r.state === 'deleted')
    expect(deleted.length).toBeGreaterThan(0)
    expect(deleted.some((r) => r.source === 'log') && deleted.some((r) => r.source === 'table')).toBe(true)
  })

  it('gives every record of a log-only database with LevelDB’s sequence numbers, one batch spanning three blocks', () => {
    const db = readLevelDb(join(FIXTURES, 'log-only'))
    const expected = golden('log-only.json')
    expect(db.problems).toEqual([])
    expect(db.read).toEqual([{file: '000003.log', kind: 'log', bytes: 70234, records: expected.records.length}])
    expect(db.records.map((r) => ({sequence: r.sequence, key: Buffer.from(r.key).toString('hex'), value: value(r.value), deleted: r.state === 'deleted'}))).toEqual(expected.records)
    expect(viewOf(db.view)).toEqual(expected.view)
    // The write batch's three records share the batch's offset and are numbered inside it.
    const batch = db.records.slice(-3)
    expect(new Set(batch.map((r) => r.offset)).size).toBe(1)
    expect(batch.map((r) => r.index)).toEqual([0, 1, 2])
  })
})
