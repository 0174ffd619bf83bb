#!/usr/bin/env node
/**
 * Browser history benchmark: parses a Chrome 144 History of 100 000 and 400 000
 * visits (generated into .bench/ with the real schema of fixtures/browser/chrome-144,
 * which build.sh made from ../shared/testdata/schemas/chrome-144-History-v70.sql)
 * and reports records per second and peak memory, each size in a fresh process.
 * For reference it times the sqlite3 CLI running the same join in the same run and
 * prints the ratio. Memory must not grow with the number of visits (rows are streamed).
 *
 *   npm run build && node scripts/bench/browser.mjs [visits...]
 */
import Database from 'better-sqlite3'
import {spawnSync, fork} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const benchDir = join(root, '.bench')
const template = join(root, 'fixtures/browser/chrome-144/History')
const distModule = join(root, 'dist/src/parsers/browser/index.js')

// The query the parser runs for visits (with every column of the Chrome 144 schema present).
const VISITS_SQL = `SELECT v.id, v.visit_time, v.from_visit, v.transition, v.visit_duration, v.external_referrer_url,
  v.opener_visit, v.originator_cache_guid, v.app_id, v.url, u.url, u.title, u.visit_count, u.typed_count, u.hidden,
  fu.url, s.source
  FROM visits v LEFT JOIN urls u ON u.id = v.url LEFT JOIN visits fv ON fv.id = v.from_visit
  LEFT JOIN urls fu ON fu.id = fv.url LEFT JOIN visit_source s ON s.id = v.id ORDER BY v.id`

const WEBKIT_2024 = 13_350_000_000_000_000n
const TRANSITIONS = [805306368, 805306369, 838860805, 805306376, 268435456, 536870912, 3, 2684354560, 1073741824, 822083584]

function generate(visits) {
  const file = join(benchDir, `History-${visits}`)
  if (existsSync(file)) {
    const db = new Database(file, {readonly: true})
    const n = db.prepare('SELECT count(*) AS n FROM visits').get().n
    db.close()
    if (n === visits) return file
  }
  mkdirSync(benchDir, {recursive: true})
  rmSync(file, {force: true})
  copyFileSync(template, file)
  const db = new Database(file)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  db.exec('DELETE FROM visits; DELETE FROM urls; DELETE FROM visit_source; DELETE FROM keyword_search_terms; DELETE FROM downloads; DELETE FROM downloads_url_chains;')
  const urls = Math.max(1, Math.floor(visits / 4))
  const insertUrl = db.prepare('INSERT INTO urls(id, url, title, visit_count, typed_count, last_visit_time, hidden) VALUES (?, ?, ?, ?, ?, ?, 0)')
  const insertVisit = db.prepare(
    'INSERT INTO visits(id, url, visit_time, from_visit, transition, segment_id, visit_duration) VALUES (?, ?, ?, ?, ?, 0, ?)',
  )
  const insertSource = db.prepare('INSERT INTO visit_source(id, source) VALUES (?, 0)')
  const insertTerm = db.prepare('INSERT INTO keyword_search_terms(keyword_id, url_id, term, normalized_term) VALUES (2, ?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= urls; i++) {
      const host = `site${i % 5000}.example`
      insertUrl.run(i, `https://${host}/path/${i}?q=${(i * 7919) % 100003}&ref=bench`, `Page ${i} on ${host} - a realistic title of moderate length`, 4, i % 3, WEBKIT_2024 + BigInt(i) * 1_000_000n)
    }
    for (let i = 1; i <= visits; i++) {
      const from = i > 1 && i % 3 === 0 ? i - 1 : 0
      insertVisit.run(i, ((i * 2654435761) % urls) + 1, WEBKIT_2024 + BigInt(i) * 250_123n, from, TRANSITIONS[i % TRANSITIONS.length], (i % 7) * 1_234_567)
      if (i % 50 === 0) insertSource.run(i)
    }
    for (let i = 1; i <= Math.min(1000, urls); i++) insertTerm.run(i, `Term ${i}`, `term ${i}`)
  })()
  db.close()
  return file
}

/** Child: parse one file with the built parser, report count, time and peak memory. */
async function child(file) {
  const {browserParsers} = await import(distModule)
  const parser = browserParsers.find((p) => p.id === 'chromium-history')
  const scratch = `${file}.work`
  copyFileSync(file, scratch)
  const input = {
    copyPath: scratch,
    companions: [],
    bundlePath: 'files/bench/History',
    sourcePath: 'Users/bench/AppData/Local/Google/Chrome/User Data/Default/History',
    volume: 'bench',
    artifact: {id: 'chrome-history', name: 'Google Chrome history', category: 'browser'},
    captures: {user: 'bench', profile: 'Default'},
    attributes: {browser: 'Chrome'},
    collectRelated: async () => undefined,
    // the coverage account is built as in a real run and dropped here
    reportCoverage: () => undefined,
    source: (extra) => ({file: 'files/bench/History', ...extra}),
  }
  let records = 0
  // live heap: what is still reachable after a full collection, sampled every 65 536 records
  let livePeak = 0
  const sampleLive = () => {
    globalThis.gc()
    livePeak = Math.max(livePeak, process.memoryUsage().heapUsed)
  }
  sampleLive()
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  for await (const record of parser.parse(input)) {
    records++
    if (record.type === 'error') throw new Error(String(record.error))
    if ((records & 0xffff) === 0) sampleLive()
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const cpu = process.cpuUsage(cpuStart)
  rmSync(scratch, {force: true})
  sampleLive()
  process.send({records, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, liveHeapMb: livePeak / 1048576})
}

function runChild(file, nodeFlags = []) {
  return new Promise((resolvePromise, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', file], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--expose-gc', ...nodeFlags],
    })
    proc.once('message', resolvePromise)
    proc.once('error', reject)
    proc.once('exit', (code) => code !== 0 && reject(new Error(`child exited with ${code}`)))
  })
}

/** Wall and CPU time of the sqlite3 CLI printing the same join to /dev/null (CPU from bash's `time`). */
function timeSqlite3(file) {
  const start = process.hrtime.bigint()
  const result = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time sqlite3 -readonly "$1" "$2" > /dev/null', 'bench', file, VISITS_SQL], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const times = /([\d.]+) ([\d.]+)\s*$/.exec(result.stderr ?? '')
  if (result.error || result.status !== 0 || !times) return null
  return {ms, cpuMs: (Number(times[1]) + Number(times[2])) * 1000}
}

async function main() {
  if (!existsSync(distModule)) {
    console.error(`build first: npm run build (missing ${distModule})`)
    process.exit(2)
  }
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
  if (sizes.length === 0) sizes.push(100_000, 400_000)
  const rows = []
  for (const visits of sizes) {
    const file = generate(visits)
    const parsed = await runChild(file)
    const reference = timeSqlite3(file)
    rows.push({visits, ...parsed})
    const perSecond = (ms) => Math.round(parsed.records / (ms / 1000)).toLocaleString('en')
    console.log(
      `chromium-history ${visits} visits: ${parsed.records} records in ${parsed.ms.toFixed(0)} ms wall (${perSecond(parsed.ms)} records/s), ` +
        `${parsed.cpuMs.toFixed(0)} ms CPU (${perSecond(parsed.cpuMs)} records/s); peak RSS ${(parsed.maxRssKb / 1024).toFixed(1)} MB, live heap ${parsed.liveHeapMb.toFixed(1)} MB`,
    )
    if (reference === null) console.log('  sqlite3 CLI not available: no reference time')
    else
      console.log(
        `  sqlite3 CLI, same visits join printed to /dev/null: ${reference.ms.toFixed(0)} ms wall, ${reference.cpuMs.toFixed(0)} ms CPU; ` +
          `trawl / sqlite3 = ${(parsed.ms / reference.ms).toFixed(2)}x wall, ${(parsed.cpuMs / reference.cpuMs).toFixed(2)}x CPU`,
      )
  }
  if (rows.length >= 2) {
    const [small, large] = [rows[0], rows[rows.length - 1]]
    const growth = (large.maxRssKb - small.maxRssKb) / 1024
    console.log(
      `memory: ${small.visits} -> ${large.visits} visits (x${(large.visits / small.visits).toFixed(0)}): peak RSS ${(small.maxRssKb / 1024).toFixed(1)} -> ${(large.maxRssKb / 1024).toFixed(1)} MB ` +
        `(${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB), live heap ${small.liveHeapMb.toFixed(1)} -> ${large.liveHeapMb.toFixed(1)} MB`,
    )
  }
  // Peak RSS also reflects how lazily V8 collects garbage; with the heap capped at 16 MB
  // (a parser that kept rows would die here) the largest file must still parse completely.
  const largest = sizes[sizes.length - 1]
  const capped = await runChild(generate(largest), ['--max-old-space-size=16', '--max-semi-space-size=1'])
  console.log(
    `capped heap (--max-old-space-size=16): ${largest} visits -> ${capped.records} records, peak RSS ${(capped.maxRssKb / 1024).toFixed(1)} MB, ` +
      `live heap ${capped.liveHeapMb.toFixed(1)} MB, ${capped.ms.toFixed(0)} ms wall`,
  )
}

if (process.argv[2] === '--child') await child(process.argv[3])
else await main()
