#!/usr/bin/env node
/**
 * report.html benchmark: renders the report of 100 000 browser visits (records shaped exactly as
 * the Chromium parser writes them, with varied URLs, titles and times over four profiles) and
 * prints the time, the file size and the peak memory; then, when Debian's chromium is installed,
 * how long Chromium takes to open it until the first page of every table is shown, and to filter
 * and sort the visits.
 *
 *   npm run build && node scripts/bench/report.mjs [visits]
 */
/* global document */
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {gzipSync} from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const {renderReport} = await import(pathToFileURL(join(root, 'dist/src/report/html.js')).href)
const visits = Number(process.argv[2] ?? 100_000)

const profiles = [['Chrome', 'ana', 'Default'], ['Chrome', 'ana', 'Profile 1'], ['Edge', 'bob', 'Default'], ['Firefox', 'bob', 'x1y2z3ab.default-release']]
const words = ['jobs', 'abroad', 'visa', 'flat', 'contract', 'travel', 'work', 'agency', 'salary', 'europe', 'cheap', 'flights', 'hotel', 'news']
function* records() {
  const t0 = Date.UTC(2024, 0, 1)
  for (let i = 0; i < visits; i++) {
    const [browser, user, profile] = profiles[i % profiles.length]
    const a = words[i % words.length], b = words[(i * 7) % words.length]
    const file = `files/p1/Users/${user}/AppData/Local/${browser}/User Data/${profile}/History`
    yield {
      type: 'browser.visit', artifact: `${browser.toLowerCase()}-history`, browser, profile, user,
      url: `https://www.example${i % 997}.org/${a}/${b}?id=${i}`, title: `${a} ${b} - page ${i}`,
      visitTime: new Date(t0 + i * 37_000).toISOString().replace('Z', '123Z'), visitId: i + 1, urlId: (i % 5000) + 1,
      visitDuration: 'PT5S', visitDurationMicros: 5000000, transition: i % 3 ? 'link' : 'typed', transitionQualifiers: [], transitionRaw: 0,
      fromVisit: i > 0 ? i : null, fromUrl: i % 2 ? `https://www.example${(i - 1) % 997}.org/` : null, externalReferrerUrl: null, openerVisit: null,
      visitSource: 'browsed', syncedFromDevice: null, appId: null, visitCount: (i % 9) + 1, typedCount: 0, hidden: false,
      source: {file, sourcePath: file.slice('files/p1/'.length), volume: 'p1', table: 'visits', rowid: i + 1},
    }
  }
}

const input = {
  case: {id: 'BENCH-1', examiner: 'Bench'}, tool: {name: 'trawl', version: 'bench'},
  source: {kind: 'image', path: '/evidence/bench.E01', volumes: []}, startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:10:00Z',
  complete: true, signer: {subject: 'CN=Bench', certificateSha256: '00'}, status: {state: 'sealing', at: '2026-01-01T00:10:00Z'},
  custody: [], artifacts: [], errors: [], files: [], records: records(),
}
globalThis.gc?.()
const started = process.hrtime.bigint()
const html = await renderReport(input)
const ms = Number(process.hrtime.bigint() - started) / 1e6
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`
console.log(`report of ${visits} visits: ${ms.toFixed(0)} ms, ${mib(html.length)} (${(html.length / visits).toFixed(0)} bytes per visit; gzip ${mib(gzipSync(html).length)}), peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`)

const chromiumPath = '/usr/bin/chromium'
if (!existsSync(chromiumPath)) {
  console.log('(chromium not installed: opening time not measured)')
  process.exit(0)
}
const dir = mkdtempSync(join(tmpdir(), 'trawl-bench-report-'))
const file = join(dir, 'report.html')
writeFileSync(file, html)
const {chromium} = await import('playwright-core')
mkdirSync(join(dir, 'profile'))
const context = await chromium.launchPersistentContext(join(dir, 'profile'), {executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']})
const page = await context.newPage()
let t = Date.now()
await page.goto(`file://${file}`)
await page.waitForSelector('html[data-ready=true]', {timeout: 300_000})
console.log(`chromium: opened and first pages shown in ${Date.now() - t} ms`)
const section = page.locator('#t-browser-visit')
t = Date.now()
await section.locator('[data-role=filter]').fill('visa flat')
await page.waitForFunction(() => /match$/.test(document.querySelector('#t-browser-visit [data-role=shown]').textContent))
console.log(`chromium: filter over ${visits} visits (first filter builds the search text) in ${Date.now() - t} ms: ${await section.locator('[data-role=shown]').textContent()}`)
await section.locator('[data-role=filter]').fill('')
t = Date.now()
await section.locator('th', {hasText: 'Title'}).click()
await page.waitForFunction(() => document.querySelector('#t-browser-visit th[aria-sort]') !== null)
console.log(`chromium: sort ${visits} visits by title in ${Date.now() - t} ms`)
await context.close()
