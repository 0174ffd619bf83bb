/**
 * The report as the examiner sees it: report.html of the demo bundle (from fixtures/sample/sample.E01)
 * and of a Windows-like tree with every category, opened in headless Chromium (Debian's
 * /usr/bin/chromium, driven over the DevTools protocol by playwright-core; no browser is downloaded).
 * Screenshots go to tmp/report-screenshots/ (git-ignored).
 */
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {chromium, type BrowserContext, type Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {buildFullWindowsVolume, HOSTILE_COMMENT} from './full-tree.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(REPO_ROOT, 'tmp', 'report-screenshots')

interface OpenedReport {
  page: Page
  consoleErrors: string[]
  requests: string[]
  dialogs: string[]
}

/** Record counts by type as the bundle holds them: parsed/records.sqlite, and the hash-set match lines. */
async function bundleCounts(bundle: string, dir: string): Promise<Map<string, number>> {
  const zip = BundleZip.open(bundle)
  try {
    const db = join(dir, 'records.sqlite')
    writeFileSync(db, await zip.readEntry(zip.entry('parsed/records.sqlite')!))
    const counts = new Map<string, number>()
    const handle = new Database(db, {readonly: true})
    for (const row of handle.prepare('SELECT type, count(*) AS n FROM records GROUP BY type').all() as Array<{type: string; n: number}>) counts.set(row.type, row.n)
    handle.close()
    const matches = zip.entry('parsed/hash-matches.jsonl')
    if (matches) counts.set('hash.match', (await zip.readEntry(matches)).toString('utf8').trim().split('\n').length)
    return counts
  } finally {
    zip.close()
  }
}

async function extractReport(bundle: string, dir: string): Promise<string> {
  const zip = BundleZip.open(bundle)
  try {
    const path = join(dir, 'report.html')
    writeFileSync(path, await zip.readEntry(zip.entry('report.html')!))
    return path
  } finally {
    zip.close()
  }
}

// skipped without Debian's chromium, except where TRAWL_REQUIRE_SHARED=1 (CI, whose .ci/run installs it): there it fails
describe.skipIf(!existsSync(CHROMIUM) && process.env.TRAWL_REQUIRE_SHARED !== '1')('report.html in headless Chromium', () => {
  const dir = scratchDir('trawl-report-')
  let context: BrowserContext
  const bundles: Record<string, string> = {}

  beforeAll(async () => {
    const keys = await makeKeys(join(dir, 'keys'))
    const {root, hashSet} = buildFullWindowsVolume(join(dir, 'tree'))
    bundles.full = join(dir, 'full.zip')
    bundles.demo = join(dir, 'demo.zip')
    const full = await trawl(['collect', '--source', root, '--out', bundles.full, '--case', 'CASE <7> & "co"', '--examiner', 'Test Examiner', '--evidence-item', 'EXH-1', '--hashset', hashSet, ...keys.signArgs], {env: keys.env})
    expect(full.stderr).toBe('')
    // the demo bundle, made as npm run demo makes it
    const demo = await trawl(['collect', '--source', join(REPO_ROOT, 'fixtures/sample/sample.E01'), '--out', bundles.demo, '--case', 'DEMO-0001', '--examiner', 'Demo Examiner', '--evidence-item', 'SAMPLE', ...keys.signArgs], {env: keys.env})
    expect(demo.stderr).toBe('')
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'trawl-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      viewport: {width: 1400, height: 1000},
    })
    mkdirSync(SHOTS, {recursive: true})
  })

  afterAll(async () => {
    await context?.close()
  })

  async function open(path: string): Promise<OpenedReport> {
    const page = await context.newPage()
    const opened: OpenedReport = {page, consoleErrors: [], requests: [], dialogs: []}
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') opened.consoleErrors.push(message.text())
    })
    page.on('pageerror', (error) => opened.consoleErrors.push(error.message))
    page.on('request', (request) => opened.requests.push(request.url()))
    page.on('dialog', (dialog) => {
      opened.dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`file://${path}`)
    await page.waitForSelector('html[data-ready=true]')
    return opened
  }

  /** Every count the page shows, by record type: the summary, the table heading and the table's own count. */
  async function shownCounts(page: Page): Promise<Map<string, number[]>> {
    const shown = await page.evaluate(() => {
      const out: Array<[string, number[]]> = []
      for (const section of document.querySelectorAll('section[data-type]')) {
        const type = section.getAttribute('data-type')!
        if (type === 'file') continue
        const summary = document.querySelector(`[data-summary-type="${type}"]`)?.textContent
        const heading = section.querySelector('[data-role=count]')?.textContent
        const table = (section.querySelector('.record-table') as HTMLElement & {recordTable: {n: number}}).recordTable.n
        const label = section.querySelector('[data-role=shown]')?.textContent ?? ''
        out.push([type, [Number(summary), Number(heading), table, Number(label.replace(/ records$/, ''))]])
      }
      return out
    })
    return new Map(shown)
  }

  for (const name of ['full', 'demo'] as const) {
    it(`${name} bundle: opens with no console error and no request but its own file, and shows the bundle's record counts`, async () => {
      const work = mkdtempSync(join(dir, `${name}-`))
      const path = await extractReport(bundles[name]!, work)
      const expected = await bundleCounts(bundles[name]!, work)
      const {page, consoleErrors, requests, dialogs} = await open(path)
      await page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: true})
      expect(consoleErrors).toEqual([])
      expect(dialogs).toEqual([])
      expect(requests).toEqual([`file://${path}`])
      const shown = await shownCounts(page)
      expect([...shown.keys()].sort()).toEqual([...expected.keys()].sort())
      for (const [type, count] of expected) expect(shown.get(type), type).toEqual([count, count, count, count])
      const total = [...expected.values()].reduce((a, b) => a + b, 0)
      expect(Number(await page.textContent('[data-role=record-total]'))).toBe(total)
      await page.close()
    })
  }

  it('every category of the Windows-like tree has its table, photos with GPS are on the plot', async () => {
    const work = mkdtempSync(join(dir, 'cat-'))
    const {page} = await open(await extractReport(bundles.full!, work))
    const types = await page.$$eval('section[data-type]', (s) => s.map((e) => e.getAttribute('data-type')))
    for (const type of ['browser.visit', 'browser.download', 'browser.search', 'browser.bookmark', 'chat.message', 'chat.call', 'chat.contact', 'media.exif', 'network.profile', 'network.wlan', 'network.rdp', 'network.hosts', 'hash.match', 'file']) {
      expect(types).toContain(type)
    }
    const gps = await page.$$eval('svg.map circle', (c) => c.length)
    expect(gps).toBe(Number(await page.textContent('[data-role=gps-count]')))
    expect(gps).toBeGreaterThanOrEqual(2)
    // the case header, escaped, with the signer fingerprint and the sealing note
    expect(await page.textContent('table.facts')).toContain('CASE <7> & "co"')
    expect(await page.textContent('table.facts')).toMatch(/Signer certificate SHA-256([0-9A-F]{2}:){31}[0-9A-F]{2}/)
    expect(await page.textContent('[data-role=status]')).toContain('verify the bundle with trawl verify')
    await page.close()
  })

  it('sorts visits by time both ways, filters them, and links each row to its copy and source', async () => {
    const work = mkdtempSync(join(dir, 'sort-'))
    const {page} = await open(await extractReport(bundles.full!, work))
    const section = page.locator('#t-browser-visit')
    const column = async (index: number) => section.locator(`tbody tr td:nth-child(${index + 1})`).allTextContents()
    const original = await column(0)
    await section.locator('th', {hasText: 'Visited (UTC)'}).click()
    const ascending = await column(0)
    expect(ascending).toEqual([...original].sort())
    expect(await section.locator('th', {hasText: 'Visited (UTC)'}).getAttribute('aria-sort')).toBe('ascending')
    await section.locator('th', {hasText: 'Visited (UTC)'}).click()
    expect(await column(0)).toEqual([...original].sort().reverse())

    const titles = await column(2)
    await section.locator('[data-role=filter]').fill('WORK VISA')
    const filtered = await column(2)
    expect(filtered.length).toBe(titles.filter((t) => t.toLowerCase().includes('work visa')).length)
    expect(filtered.length).toBeGreaterThan(0)
    expect(await section.locator('[data-role=shown]').textContent()).toBe(`${filtered.length} of ${original.length} records match`)
    // each row: where it was read (file, table, row) and a relative link to the bundle's copy
    const sourceCell = await section.locator('tbody tr').first().locator('td').nth(-2).textContent()
    expect(sourceCell).toMatch(/History \| table visits row \d+$|places\.sqlite \| table moz_historyvisits row \d+$/)
    const href = await section.locator('tbody tr').first().locator('td').last().locator('a').getAttribute('href')
    expect(href).toMatch(/^files\/dir\/Users\/[a-z]+\/AppData\//)
    expect(href).not.toContain(' ')
    await page.close()
  })

  it('groups chat messages by conversation and filters to one conversation', async () => {
    const work = mkdtempSync(join(dir, 'chat-'))
    const {page} = await open(await extractReport(bundles.full!, work))
    const section = page.locator('#t-chat-message')
    const groups = await section.locator('tr.group').allTextContents()
    expect(groups.length).toBeGreaterThanOrEqual(2)
    expect(new Set(groups).size).toBe(groups.length)
    const total = await section.locator('tbody tr:not(.group)').count()
    const select = section.locator('select[data-role=group]')
    const option = (await select.locator('option').allTextContents())[1]!
    await select.selectOption({label: option})
    const rows = await section.locator('tbody tr:not(.group) td:first-child').allTextContents()
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(total)
    expect(new Set(rows)).toEqual(new Set([option]))
    // registry records name hive, key and value
    const rdp = await page.locator('#t-network-rdp tbody tr').first().locator('td').nth(-2).textContent()
    expect(rdp).toMatch(/NTUSER\.DAT \| key Software\\Microsoft\\Terminal Server Client\\/)
    await page.close()
  })

  it('shows hostile evidence text as text: no script runs, no element is injected', async () => {
    const work = mkdtempSync(join(dir, 'hostile-'))
    const {page, dialogs, consoleErrors, requests} = await open(await extractReport(bundles.full!, work))
    const section = page.locator('#t-network-hosts')
    await section.locator('[data-role=filter]').fill('hostile.example')
    const comment = await section.locator('tbody tr').first().locator('td').nth(3).textContent()
    expect(comment).toBe(HOSTILE_COMMENT)
    expect(await page.evaluate(() => (window as unknown as {pwned?: number}).pwned)).toBeUndefined()
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(await page.locator('script.trawl-table').count() + 1)
    expect(dialogs).toEqual([])
    expect(consoleErrors).toEqual([])
    expect(requests.length).toBe(1)
    await page.close()
  })

  it('trawl report writes it again after verifying, with the VALID verdict and the custody log', async () => {
    const out = join(dir, 'again')
    const result = await trawl(['report', bundles.full!, '--out', out])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const {page, consoleErrors} = await open(join(out, 'report.html'))
    expect(consoleErrors).toEqual([])
    expect(await page.textContent('[data-role=status]')).toMatch(/^VALID: verified by trawl at .* all \d+ entries/)
    expect(await page.locator('table[data-role=custody] tbody tr').count()).toBe(1)
    await page.screenshot({path: join(SHOTS, 'full-reported.png')})
    await page.close()
  })
})
