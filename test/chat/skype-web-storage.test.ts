/**
 * Skype for Desktop's web storage read whole from the CLI: an IndexedDB folder and Local
 * Storage written by the real Chromium (fixtures/indexeddb, build.sh) placed where Skype for
 * Desktop keeps its own; every record and item becomes a record naming its LevelDB file and key.
 */
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {readIndexedDb, readLocalStorage} from '../../src/indexeddb/index.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SKYPE = 'Users/ana/AppData/Roaming/Microsoft/Skype for Desktop'
const PROFILE = join(REPO_ROOT, 'fixtures/indexeddb/profile')
const IDB = join(PROFILE, 'IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb')
const LS = join(PROFILE, 'Local Storage/leveldb')

it('collect on a Windows-like tree with Skype for Desktop: every IndexedDB record and Local Storage item a record, with file and key, all accounted for', async () => {
  const dir = scratchDir()
  const keys = await makeKeys(join(dir, 'keys'))
  const volume = join(dir, 'volume')
  const idbDir = join(volume, SKYPE, 'IndexedDB/file__0.indexeddb.leveldb')
  mkdirSync(idbDir, {recursive: true})
  cpSync(IDB, idbDir, {recursive: true})
  mkdirSync(join(volume, SKYPE, 'Local Storage/leveldb'), {recursive: true})
  cpSync(LS, join(volume, SKYPE, 'Local Storage/leveldb'), {recursive: true})
  const bundle = join(dir, 'skype.zip')
  const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'SK-1', '--examiner', 'Test Examiner', '--targets', 'skype8-web-storage', ...keys.signArgs], {env: keys.env})
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
  const records = execFileSync('unzip', ['-p', bundle, 'parsed/skype8-web-storage.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))

  // IndexedDB: as many records as the reader finds (it is checked against Chromium's own answers in test/indexeddb)
  const idb = readIndexedDb(IDB)
  const all = [...idb.databases.flatMap((d) => d.objectStores.flatMap((s) => s.records)), ...idb.formerRecords]
  const rows = records.filter((r) => r.type === 'webstorage.record')
  const errors = records.filter((r) => r.type === 'error')
  expect(rows.length + errors.length).toBe(all.length)
  expect(rows.length).toBeGreaterThan(1200)
  for (const r of rows) {
    expect(r.app).toBe('Skype')
    expect(listing).toContain(r.source.file)
    expect(r.source.sourcePath).toMatch(new RegExp(`^${SKYPE}/IndexedDB/file__0\\.indexeddb\\.leveldb/\\d{6}\\.(log|ldb)$`))
    expect(r.source.key).toBeTruthy()
  }
  expect(rows.find((r) => r.database === 'trawl-fixture' && r.key === 'ascii' && r.state === 'superseded')).toMatchObject({value: 'plain text', deleted: false})
  expect(rows.find((r) => r.database === 'trawl-fixture' && r.key === 'to-delete')).toMatchObject({state: 'deleted', value: 'temporary', deleted: true})
  expect(rows.find((r) => r.database === 'deleted-db')).toMatchObject({value: 'a record of a deleted database'})

  // Local Storage: every item of every origin
  const ls = readLocalStorage(LS)
  const items = records.filter((r) => r.type === 'webstorage.item')
  expect(items).toHaveLength(ls.items.length + ls.formerItems.length)
  for (const i of ls.items) expect(items.find((r) => r.origin === i.origin && r.key === i.key && r.state === 'live')?.value).toBe(i.value)

  const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
  const coverage = manifest.coverage.filter((c: {parser: string}) => c.parser === 'web-storage')
  expect(coverage).toHaveLength(2)
  for (const c of coverage) for (const t of c.tables) expect(t.unexplained).toBe(0)
  expect(coverage.flatMap((c: {tables: Array<{rows: number}>}) => c.tables).reduce((n: number, t: {rows: number}) => n + t.rows, 0)).toBe(all.length + items.length)
  expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
})
