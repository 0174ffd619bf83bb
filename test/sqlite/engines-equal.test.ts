/**
 * The examiner's check that the engine does not change the evidence read: every SQLite
 * database of fixtures/ and ../shared/testdata, with and without its -wal/-journal, is read
 * by every SQLite parser (and as an NSRL hash set) once with better-sqlite3 under this Node
 * and once with node:sqlite under the field kit's Node, and the records must be the same,
 * value for value and type for type (test/sqlite/engine-records.mjs runs each side).
 * Needs dist/ (`npm test` builds first).
 */
import {execFile, execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {promisify} from 'node:util'
import {beforeAll, expect, it} from 'vitest'
import {describeKitNode} from '../helpers/kit-node.js'
import {REPO_ROOT, SHARED_DIR, describeShared, sharedAvailable} from '../helpers/shared.js'

const run = promisify(execFile)

interface Entry {
  root: string
  path: string
  companions: string[]
}

interface Result {
  path: string
  companions: string[]
  parser: string
  accepted?: boolean
  thrown?: string
  records?: Array<{type: string; [field: string]: unknown}>
  set?: unknown
}

interface Output {
  engine: {engine: string; engineVersion: string; sqliteVersion: string}
  results: Result[]
  recordStore: {rows: number; sha256: string}
}

function isSqlite(file: string): boolean {
  const head = Buffer.alloc(16)
  const fd = openSync(file, 'r')
  try {
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\0'
  } finally {
    closeSync(fd)
  }
}

/** Every SQLite file under `root`, once with its companions and once bare when it has any. */
function databasesUnder(root: string): Entry[] {
  const entries: Entry[] = []
  for (const name of readdirSync(root, {recursive: true, withFileTypes: true})) {
    if (!name.isFile() || /-(wal|shm|journal)$/.test(name.name)) continue
    const file = join(name.parentPath, name.name)
    if (!isSqlite(file)) continue
    const path = relative(root, file)
    const companions = ['-wal', '-journal'].filter((suffix) => existsSync(file + suffix))
    entries.push({root, path, companions})
    if (companions.length > 0) entries.push({root, path, companions: []})
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path) || b.companions.length - a.companions.length)
}

/** Names of the SQLite companions sitting beside a database. */
function besideDatabase(entry: Entry): string[] {
  return ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(join(entry.root, entry.path + suffix)))
}

const key = (r: Result) => `${r.parser} ${r.path}${r.companions.length > 0 ? ` (with ${r.companions.join(', ')})` : ''}`

function countsByType(output: Output): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of output.results) for (const record of r.records ?? []) counts[record.type] = (counts[record.type] ?? 0) + 1
  return counts
}

describeKitNode('records are the same under better-sqlite3 and node:sqlite', (kitNode) => {
  const entries = [...databasesUnder(join(REPO_ROOT, 'fixtures')), ...(sharedAvailable ? databasesUnder(SHARED_DIR) : [])]
  let better: Output
  let node: Output

  /** The files beside each database before the runs: reading must add no -shm or -wal to the test data. */
  const besideBefore = new Map(entries.map((e) => [e.path, besideDatabase(e)]))

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-engines-equal-'))
    const list = join(dir, 'list.json')
    writeFileSync(list, JSON.stringify(entries))
    const child = join(REPO_ROOT, 'test/sqlite/engine-records.mjs')
    // one after the other: each is a few seconds, and the machine is shared
    await run(process.execPath, [child, list, join(dir, 'better.json')], {env: {...process.env, TRAWL_SQLITE: 'better-sqlite3'}, maxBuffer: 1 << 24})
    await run(kitNode, [child, list, join(dir, 'node.json')], {env: {...process.env, TRAWL_SQLITE: 'node'}, maxBuffer: 1 << 24})
    better = JSON.parse(readFileSync(join(dir, 'better.json'), 'utf8')) as Output
    node = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as Output
  }, 300_000)

  it('left the test data as it was: no -shm or -wal appeared beside any database (only working copies are opened)', () => {
    expect(entries.filter((e) => besideDatabase(e).join() !== besideBefore.get(e.path)?.join()).map((e) => e.path)).toEqual([])
  })

  it('each side really used its engine', () => {
    expect(better.engine.engine).toBe('better-sqlite3')
    expect(node.engine).toMatchObject({engine: 'node:sqlite', engineVersion: execFileSync(kitNode, ['--version'], {encoding: 'utf8'}).trim()})
  })

  it('every parser, on every database, gives the same records (or the same refusal) under both engines', () => {
    expect(node.results.map(key)).toEqual(better.results.map(key))
    const differing = better.results
      .map((b, i) => ({b, n: node.results[i]}))
      .filter(({b, n}) => JSON.stringify(b) !== JSON.stringify(n))
      .map(({b, n}) => {
        const at = (b.records ?? []).findIndex((record, i) => JSON.stringify(record) !== JSON.stringify(n.records?.[i]))
        return `${key(b)}: ${b.thrown ?? ''}${n.thrown ? ` / ${n.thrown}` : ''} records ${b.records?.length ?? 0} / ${n.records?.length ?? 0}, first differing #${at}`
      })
    expect(differing).toEqual([])
    expect(countsByType(node)).toEqual(countsByType(better))
  })

  it('reads something from every database kind: each SQLite parser gives records from at least one file', () => {
    const parsersWithRecords = new Set(better.results.filter((r) => (r.records ?? []).length > 0).map((r) => r.parser))
    expect([...parsersWithRecords].sort()).toEqual([
      'android-sms', 'apple-messages', 'chromium-history', 'firefox-downloads', 'firefox-places', 'google-messages', 'iphone-backup',
      'skype-main', 'skype-s4l', 'viber-android', 'viber-desktop', 'whatsapp-android', 'whatsapp-ios',
    ].filter((id) => sharedAvailable || !['android-sms', 'firefox-downloads', 'google-messages', 'viber-android'].includes(id)))
    const rdsv3 = better.results.find((r) => r.parser === 'hashset' && r.path === 'hashset/rdsv3.db')
    expect(rdsv3?.set).toMatchObject({format: 'nsrl-sqlite', counts: {md5: 2, sha1: 2, sha256: 2}})
  })

  it('records.sqlite written and read back by each engine holds the same rows', () => {
    const records = better.results.reduce((n, r) => n + (r.records?.length ?? 0), 0)
    expect(better.recordStore.rows).toBe(records)
    expect(node.recordStore).toEqual(better.recordStore)
  })

  describeShared('the same WAL handling', () => {
    it('Google Messages bugle_db of Android 10: 36 messages with its -wal, 35 without, under both engines', () => {
      for (const output of [better, node]) {
        const messages = (companions: string[]) =>
          output.results
            .find((r) => r.parser === 'google-messages' && r.path === 'chat/google_messages/dam_a10_bugle_db' && r.companions.join() === companions.join())
            ?.records?.filter((record) => record.type === 'chat.message').length
        expect([messages(['-wal']), messages([])]).toEqual([36, 35])
      }
    })
  })
})
