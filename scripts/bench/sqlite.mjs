#!/usr/bin/env node
/**
 * SQLite engines benchmark: node:sqlite (the field kit's engine) against better-sqlite3 on a
 * Chrome History of 100 000 visits, built with the sqlite3 CLI from the real schema in
 * ../shared/testdata/schemas/chrome-144-History-v70.sql into .bench/sqlite/.
 *
 * Measured as a user runs it: `trawl collect` of a Windows-like tree holding that History,
 * once with better-sqlite3 under this Node and once with node:sqlite under the kit's Node
 * (scripts/node-runtime.mjs; better-sqlite3's native module does not load there), alternating,
 * median of 3 each; the parsed records of the two bundles must be identical. Also the
 * chromium-history parser alone in a fresh process (no start-up, no hashing, no ZIP), and
 * `trawl --version` for each Node, to tell engine time from Node start-up time.
 * The two engines run under different Node versions: that is the comparison the kit makes.
 *
 *   npm run build && node scripts/bench/sqlite.mjs [visits]
 */
import {createHash} from 'node:crypto'
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {nodeRuntime} from '../node-runtime.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const benchDir = join(root, '.bench/sqlite')
const schema = resolve(root, '../shared/testdata/schemas/chrome-144-History-v70.sql')
const bin = join(root, 'bin/run.js')
const PASS = {TRAWL_BENCH_PASS: 'bench passphrase'}
const HISTORY_IN_TREE = 'Users/bench/AppData/Local/Google/Chrome/User Data/Default/History'

/** 100 000 visits over 25 000 URLs, Chrome 144 schema (meta version 70), times in 2024, built by SQL alone. */
function generate(visits) {
  const file = join(benchDir, `tree-${visits}`, HISTORY_IN_TREE)
  const done = `${file}.complete`
  if (existsSync(done)) return file
  rmSync(join(benchDir, `tree-${visits}`), {recursive: true, force: true})
  mkdirSync(dirname(file), {recursive: true})
  const urls = Math.max(1, Math.floor(visits / 4))
  const fill = `
    PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;
    INSERT INTO meta(key, value) VALUES ('version', '70'), ('last_compatible_version', '16');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${urls})
      INSERT INTO urls(id, url, title, visit_count, typed_count, last_visit_time, hidden)
      SELECT i, 'https://site' || (i % 5000) || '.example/path/' || i || '?q=' || ((i * 7919) % 100003) || '&ref=bench',
        'Page ' || i || ' on site' || (i % 5000) || '.example - a realistic title of moderate length', 4, i % 3, 13350000000000000 + i * 1000000, 0 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${visits})
      INSERT INTO visits(id, url, visit_time, from_visit, transition, segment_id, visit_duration)
      SELECT i, ((i * 2654435761) % ${urls}) + 1, 13350000000000000 + i * 250123, CASE WHEN i > 1 AND i % 3 = 0 THEN i - 1 ELSE 0 END,
        CASE i % 4 WHEN 0 THEN 805306368 WHEN 1 THEN 805306369 WHEN 2 THEN 838860805 ELSE 268435456 END, 0, (i % 7) * 1234567 FROM n;
    INSERT INTO visit_source(id, source) SELECT id, 0 FROM visits WHERE id % 50 = 0;`
  // sqlite_sequence is SQLite's own (made by the first AUTOINCREMENT table): the dump's CREATE of it is refused
  const tables = readFileSync(schema, 'utf8').split('\n').filter((line) => !line.startsWith('CREATE TABLE sqlite_sequence'))
  execFileSync('sqlite3', [file], {input: `${tables.join('\n')}\n${fill}\n`})
  writeFileSync(done, '')
  return file
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function run(node, args, env) {
  const start = process.hrtime.bigint()
  const result = spawnSync(node, args, {cwd: root, env: {...process.env, ...env}, encoding: 'utf8', maxBuffer: 1 << 26})
  const s = seconds(start)
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  return {s, stdout: result.stdout}
}

/** Child: the chromium-history parser alone over a copy of the History, in this process's engine. */
async function child(file) {
  const {browserParsers} = await import(pathToFileURL(join(root, 'dist/src/parsers/browser/index.js')).href)
  const {sqliteEngineInfo} = await import(pathToFileURL(join(root, 'dist/src/sqlite/engine.js')).href)
  const parser = browserParsers.find((p) => p.id === 'chromium-history')
  const copy = `${file}.work-${process.pid}`
  copyFileSync(file, copy)
  const input = {
    copyPath: copy,
    companions: [],
    bundlePath: 'files/bench/History',
    sourcePath: HISTORY_IN_TREE,
    volume: 'bench',
    artifact: {id: 'chrome-history', name: 'Google Chrome history', category: 'browser'},
    captures: {user: 'bench', profile: 'Default'},
    attributes: {browser: 'Chrome'},
    collectRelated: async () => undefined,
    source: (extra) => ({file: 'files/bench/History', ...extra}),
  }
  let records = 0
  const start = process.hrtime.bigint()
  for await (const record of parser.parse(input)) {
    if (record.type === 'error') throw new Error(String(record.error))
    records++
  }
  const s = seconds(start)
  rmSync(copy, {force: true})
  console.log(JSON.stringify({records, s, maxRssKb: process.resourceUsage().maxRSS, engine: sqliteEngineInfo()}))
}

async function main() {
  if (!existsSync(join(root, 'dist/src/sqlite/engine.js'))) {
    console.error('build first: npm run build')
    process.exit(2)
  }
  if (!existsSync(schema)) {
    console.log(`sqlite engines: skipped, ${schema} not found (../shared/testdata)`)
    return
  }
  const visits = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 100_000
  const history = generate(visits)
  const tree = join(benchDir, `tree-${visits}`)
  const kit = nodeRuntime()
  const engines = [
    {label: 'better-sqlite3', node: process.execPath, env: {TRAWL_SQLITE: 'better-sqlite3'}},
    {label: 'node:sqlite', node: kit.node, env: {TRAWL_SQLITE: 'node'}},
  ]
  const keys = join(benchDir, 'keys')
  if (!existsSync(join(keys, 'key.pem'))) {
    rmSync(keys, {recursive: true, force: true})
    run(process.execPath, [bin, 'keys', 'create', '--name', 'Bench Examiner', '--org', 'Bench', '--out', keys, '--passphrase-env', 'TRAWL_BENCH_PASS'], PASS)
  }
  const sign = ['--key', join(keys, 'key.pem'), '--cert', join(keys, 'cert.pem'), '--passphrase-env', 'TRAWL_BENCH_PASS']

  for (const e of engines) {
    e.version = execFileSync(e.node, ['--version'], {encoding: 'utf8'}).trim()
    e.startup = []
    e.parse = []
    e.collect = []
  }
  for (let round = 0; round < 3; round++) {
    for (const e of engines) {
      e.startup.push(run(e.node, [bin, '--version'], e.env).s)
      const parsed = JSON.parse(run(e.node, [fileURLToPath(import.meta.url), '--child', history], e.env).stdout)
      if (parsed.engine.engine !== e.label) throw new Error(`${e.label} run used ${parsed.engine.engine}`)
      e.records = parsed.records
      e.sqliteVersion = parsed.engine.sqliteVersion
      e.parse.push(parsed.s)
      e.rssMb = parsed.maxRssKb / 1024
      const out = join(benchDir, `case-${e.label.replace(':', '-')}.zip`)
      rmSync(out, {force: true})
      e.collect.push(run(e.node, [bin, 'collect', '--source', tree, '--out', out, '--case', 'BENCH', '--examiner', 'Bench Examiner', ...sign], {...PASS, ...e.env}).s)
      const manifest = JSON.parse(execFileSync('unzip', ['-p', out, 'manifest.json'], {encoding: 'utf8', maxBuffer: 1 << 26}))
      if (manifest.tool.sqlite?.engine !== e.label) throw new Error(`bundle of the ${e.label} run names ${manifest.tool.sqlite?.engine}`)
      const jsonl = execFileSync('unzip', ['-p', out, 'parsed/chrome-history.jsonl'], {maxBuffer: 1 << 28})
      e.recordsSha256 = createHash('sha256').update(jsonl).digest('hex')
      e.jsonlLines = jsonl.toString('utf8').split('\n').filter(Boolean).length
    }
  }
  const [better, node] = engines
  for (const e of engines) {
    const perSecond = Math.round(e.records / median(e.parse)).toLocaleString('en')
    console.log(
      `${e.label.padEnd(14)} (Node ${e.version}, SQLite ${e.sqliteVersion}): parser alone ${median(e.parse).toFixed(3)} s for ${e.records} records (${perSecond}/s, peak RSS ${e.rssMb.toFixed(0)} MB); ` +
        `trawl collect ${median(e.collect).toFixed(2)} s; trawl --version ${median(e.startup).toFixed(2)} s`,
    )
  }
  console.log(
    `node:sqlite / better-sqlite3: parser ${(median(node.parse) / median(better.parse)).toFixed(2)}x, whole collect ${(median(node.collect) / median(better.collect)).toFixed(2)}x, ` +
      `start-up ${(median(node.startup) / median(better.startup)).toFixed(2)}x (median of 3, same run, ${visits} visits)`,
  )
  const same = better.recordsSha256 === node.recordsSha256
  console.log(`parsed/chrome-history.jsonl of the two bundles: ${same ? 'identical' : 'DIFFERENT'} (${better.jsonlLines} / ${node.jsonlLines} records, sha256 ${better.recordsSha256.slice(0, 16)}…)`)
  if (!same) process.exit(1)
}

if (process.argv[2] === '--child') await child(process.argv[3])
else await main()
