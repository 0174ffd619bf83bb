/**
 * Child of engines-equal.test.ts: reads every database of a list with every SQLite parser
 * (and as an NSRL hash set) using the built trawl (dist/) and the engine TRAWL_SQLITE names,
 * and writes what came out as JSON, typed exactly (BigInt, Buffer, undefined are tagged, not
 * flattened), so that two runs under the two engines can be compared value for value.
 * The records also go through a RecordStore (records.sqlite written and read back by the same
 * engine), whose rows are compared by digest.
 *
 *   node test/sqlite/engine-records.mjs LIST.json OUT.json
 *
 * LIST.json: [{root, path, companions: ['-wal']}] with `path` relative to `root`.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const dist = (path) => import(pathToFileURL(join(root, 'dist/src', path)).href)
const {browserParsers} = await dist('parsers/browser/index.js')
const {chatParsers} = await dist('parsers/chat/index.js')
const {loadHashSet} = await dist('hashset/hash-set.js')
const {RecordStore} = await dist('bundle/records.js')
const {openDatabase, sqliteEngineInfo} = await dist('sqlite/engine.js')

const [listFile, outFile] = process.argv.slice(2)
const list = JSON.parse(readFileSync(listFile, 'utf8'))
const scratchRoot = mkdtempSync(join(tmpdir(), 'trawl-engines-'))

/** JSON of a value with its JS type kept: 1n and 1, a Buffer and a hex string, stay apart. */
function typed(value) {
  return JSON.stringify(value, function (key, v) {
    const raw = this[key]
    if (typeof raw === 'bigint') return {$bigint: raw.toString()}
    if (Buffer.isBuffer(raw)) return {$buffer: raw.toString('hex')}
    if (raw instanceof Uint8Array) return {$uint8array: Buffer.from(raw).toString('hex')}
    if (raw === undefined && key !== '') return {$undefined: true}
    if (typeof raw === 'number' && !Number.isFinite(raw)) return {$number: String(raw)}
    if (typeof v === 'string') return v.replaceAll(scratchRoot, '<scratch>')
    return v
  })
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

function inputFor(entry, n) {
  const dir = join(scratchRoot, String(n))
  mkdirSync(dir, {recursive: true})
  const copyPath = join(dir, basename(entry.path))
  copyFileSync(join(entry.root, entry.path), copyPath)
  for (const suffix of entry.companions) copyFileSync(join(entry.root, entry.path) + suffix, copyPath + suffix)
  const bundlePath = `files/test/${entry.path}`
  let related = 0
  return {
    copyPath,
    companions: entry.companions,
    bundlePath,
    sourcePath: entry.path,
    volume: 'test',
    artifact: {id: 'test', name: 'test', category: 'test'},
    captures: {},
    attributes: {},
    // files beside it on the "volume" (an iPhone backup's hashed files, attachments)
    collectRelated: async (volumePath) => {
      const file = join(entry.root, volumePath)
      if (!existsSync(file) || !statSync(file).isFile()) return undefined
      const copy = join(dir, `related-${related++}`)
      copyFileSync(file, copy)
      return {bundlePath: `files/test/${volumePath}`, copyPath: copy, sourcePath: volumePath, size: statSync(copy).size, sha256: sha256(copy)}
    },
    source: (extra) => ({file: bundlePath, sourcePath: entry.path, volume: 'test', ...extra}),
  }
}

const parsers = [...browserParsers, ...chatParsers]
const store = new RecordStore(mkdtempSync(join(scratchRoot, 'store-')))
const results = []
let n = 0
for (const entry of list) {
  const head = readFileSync(join(entry.root, entry.path)).subarray(0, 4096)
  for (const parser of parsers) {
    const result = {path: entry.path, companions: entry.companions, parser: parser.id}
    if (parser.accepts && !parser.accepts(head)) {
      results.push({...result, accepted: false})
      continue
    }
    const records = []
    try {
      for await (const record of parser.parse(inputFor(entry, n++))) records.push(record)
    } catch (error) {
      result.thrown = `${error?.name}: ${error?.message}`
    }
    for (const record of records) await store.add(`${parser.id}`, record)
    results.push({...result, accepted: true, records: records.map((r) => JSON.parse(typed(r)))})
  }
  try {
    // on a working copy too: SQLite makes -shm (and -wal) beside a WAL-mode file it opens, even read-only
    const set = await loadHashSet(inputFor(entry, n++).copyPath)
    results.push({path: entry.path, companions: entry.companions, parser: 'hashset', set: {format: set.format, counts: set.counts, invalidLines: set.invalidLines, sha256: set.sha256}})
  } catch (error) {
    results.push({path: entry.path, companions: entry.companions, parser: 'hashset', thrown: `${error?.name}: ${error?.message}`})
  }
}
await store.close()
const db = openDatabase(store.databasePath, {readonly: true})
const digest = createHash('sha256')
let rows = 0
for (const row of db.prepare('SELECT id, artifact, type, time, source_file, source_table, source_rowid, record FROM records ORDER BY id').raw(true).iterate()) {
  digest.update(typed(row)).update('\n')
  rows++
}
db.close()
writeFileSync(outFile, typed({engine: sqliteEngineInfo(), results, recordStore: {rows, sha256: digest.digest('hex')}}))
rmSync(scratchRoot, {recursive: true, force: true})
