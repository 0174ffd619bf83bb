import {copyFileSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {chromiumHistoryParser} from '../../src/parsers/browser/chromium.js'
import {coverageWarnings} from '../../src/parsers/coverage.js'
import type {ParsedRecord} from '../../src/parsers/types.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {countSql, querySql, sqlWebkitIso} from './oracle.js'
import {changedCopy, tableOf} from '../helpers/scratch-database.js'

const byType = (records: ParsedRecord[], type: string) => records.filter((r) => r.type === type)

async function parseHistory(file: string) {
  const records = await parseAll(
    chromiumHistoryParser,
    parserInputFor(file, {attributes: {browser: 'Chrome'}, captures: {user: 'ana', profile: 'Profile 1'}}),
  )
  return {
    records,
    visits: byType(records, 'browser.visit'),
    downloads: byType(records, 'browser.download'),
    searches: byType(records, 'browser.search'),
    errors: byType(records, 'error'),
  }
}

/** Hindsight and GRR list visits by time: sort the same way (visit id breaks ties). */
const byTime = (records: ParsedRecord[]) =>
  [...records].sort((a, b) => String(a.visitTime).localeCompare(String(b.visitTime)) || Number(a.visitId) - Number(b.visitId))

/**
 * hindsight's conversion: the raw value divided by 1e6 in a double, then rounded to the
 * microsecond. Near 1.3e10 seconds a double is only ~2 µs fine, so the last digit can move.
 */
const hindsightMicros = (raw: number) => Math.round(((raw / 1e6 - 11644473600) % 1) * 1e6)

/** INDEX.md quotes plaso/hindsight/GRR times as UTC without the 'Z' and with fewer digits: compare in that form. */
const peerTime = (iso: unknown) => String(iso).replace('T', ' ').replace(/Z$/, '')

// Every real History file of ../shared/testdata, with the counts INDEX.md observed (sqlite3 counts).
const REAL_HISTORIES: Array<{file: string; meta: number; visits: number; downloads: number; searches: number}> = [
  {file: 'browser/chrome/hindsight_v01/History', meta: 16, visits: 46, downloads: 2, searches: 5},
  {file: 'browser/chrome/hindsight_v10/History', meta: 20, visits: 84, downloads: 2, searches: 5},
  {file: 'browser/chrome/plaso_History', meta: 20, visits: 69, downloads: 2, searches: 3},
  {file: 'browser/chrome/hindsight_v20/History', meta: 22, visits: 58, downloads: 2, searches: 5},
  {file: 'browser/chrome/grr_History2', meta: 25, visits: 4, downloads: 0, searches: 2},
  {file: 'browser/chrome/grr_History3', meta: 29, visits: 19, downloads: 4, searches: 5},
  {file: 'browser/chrome/plaso_History-57.0.2987.133', meta: 32, visits: 1, downloads: 1, searches: 0},
  {file: 'browser/chrome/plaso_History-58.0.3029.96', meta: 33, visits: 1, downloads: 1, searches: 0},
]

describeShared('Chromium History of real Chrome versions (meta version 16 to 33)', () => {
  for (const item of REAL_HISTORIES) {
    describe(`${item.file} (meta.version ${item.meta})`, () => {
      it('has as many visits, downloads and search terms as a direct SQL count, no error records', async () => {
        const file = sharedFile(item.file)
        expect(querySql<{value: string}>(file, "SELECT value FROM meta WHERE key = 'version'")[0].value).toBe(String(item.meta))
        const {visits, downloads, searches, errors} = await parseHistory(file)
        expect(errors).toEqual([])
        expect(visits.length).toBe(countSql(file, 'visits'))
        expect(downloads.length).toBe(countSql(file, 'downloads'))
        expect(searches.length).toBe(countSql(file, 'keyword_search_terms'))
        expect([visits.length, downloads.length, searches.length]).toEqual([item.visits, item.downloads, item.searches])
      })

      it('gives every visit the URL, title and time (to the microsecond) that SQLite itself computes', async () => {
        const file = sharedFile(item.file)
        const {visits} = await parseHistory(file)
        const expected = querySql(
          file,
          `SELECT v.id AS visitId, u.url AS url, u.title AS title, ${sqlWebkitIso('v.visit_time')} AS visitTime
           FROM visits v LEFT JOIN urls u ON u.id = v.url ORDER BY v.id`,
        )
        expect(visits.map((v) => ({visitId: v.visitId, url: v.url, title: v.title, visitTime: v.visitTime}))).toEqual(expected)
      })

      it('attributes records to browser, profile and user and names table and rowid', async () => {
        const {records} = await parseHistory(sharedFile(item.file))
        for (const record of records) {
          expect(record).toMatchObject({browser: 'Chrome', profile: 'Profile 1', user: 'ana'})
          expect(record.source.table).toMatch(/^(visits|downloads|keyword_search_terms)$/)
          expect(typeof record.source.rowid).toBe('number')
        }
      })
    })
  }

  it('GRR History2 (meta 25): 4 visits, first and last as GRR reports them', async () => {
    const {visits} = await parseHistory(sharedFile('browser/chrome/grr_History2'))
    const sorted = byTime(visits)
    expect(peerTime(sorted[0].visitTime)).toBe('2013-05-03 15:11:26.556635')
    expect(String(sorted[0].url).startsWith("https://www.google.ch/search?q=why+you+shouldn")).toBe(true)
    expect(peerTime(sorted[3].visitTime)).toBe('2013-05-03 15:11:39.763984')
    expect(String(sorted[3].url).startsWith('http://www.test.ch/')).toBe(true)
  })

  it('GRR History3 (meta 29): 23 entries = 19 visits + 4 downloads, with URL chains from downloads_url_chains', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/grr_History3'))
    expect(visits.length + downloads.length).toBe(23)
    expect(downloads.map((d) => d.url)).toEqual([
      'http://www.eicar.org/download/eicar.com',
      'http://www.eicar.org/download/eicar.com.txt',
      'http://www.eicar.org/download/eicar_com.zip',
      'https://dl.google.com/chrome/mac/stable/GGRO/googlechrome.dmg',
    ])
    expect(downloads[0]).toMatchObject({
      targetPath: '/Users/temp/Downloads/eicar.com',
      currentPath: null,
      startTime: '2014-06-30T16:54:36.100765Z',
      endTime: null,
      state: 'interrupted',
      interruptReason: 'file_failed',
      dangerType: 'not_dangerous',
      referrer: 'http://www.eicar.org/85-0-Download.html',
      mimeType: 'application/octet-stream',
    })
    expect(downloads[2]).toMatchObject({state: 'complete', endTime: '2014-06-30T16:55:05.767037Z', receivedBytes: 184})
  })

  it('hindsight v01 (meta 16): record[7] Computer_forensics at 04:28:55.498622, downloads in time_t seconds', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/hindsight_v01/History'))
    const seventh = byTime(visits)[7]
    expect(seventh.url).toBe('http://en.wikipedia.org/wiki/Computer_forensics')
    // hindsight prints .498623: it divides the raw 13014880135498622 by 1e6 in a double (about
    // 2 µs resolution at that magnitude). The stored value ends in ...498622, as SQLite's own
    // strftime check above confirms, so trawl reports .498622.
    expect(seventh.visitTime).toBe('2013-06-05T04:28:55.498622Z')
    expect(hindsightMicros(Number(13014880135498622n))).toBe(498623) // INDEX.md's value, by hindsight's method
    expect(downloads[0]).toMatchObject({
      url: 'http://upload.wikimedia.org/wikipedia/commons/7/7a/Hard_disk.jpg',
      startTime: '2013-06-05T04:28:30Z',
      receivedBytes: 1387537,
      targetPath: 'C:\\Users\\Ryan\\Documents\\Downloads\\Hard_disk.jpg',
      state: 'complete',
    })
  })

  it('hindsight v10 (meta 20): record[7] Computer_forensics at 2013-06-27 04:23:14.176756; download at 04:23:25', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/hindsight_v10/History'))
    const seventh = byTime(visits)[7]
    expect(seventh.url).toBe('http://en.wikipedia.org/wiki/Computer_forensics')
    expect(peerTime(seventh.visitTime)).toBe('2013-06-27 04:23:14.176756')
    expect(peerTime(downloads[0].startTime)).toBe('2013-06-27 04:23:25')
    expect(downloads[0].receivedBytes).toBe(1387537)
  })

  it('hindsight v20 (meta 22): record[7] at 21:26:13.162177 (hindsight: .162176); download at 21:26:05 with an end time', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/hindsight_v20/History'))
    // stored 13017101173162177: hindsight's double division rounds the last digit down (see v01)
    expect(byTime(visits)[7].url).toBe('http://en.wikipedia.org/wiki/Computer_forensics')
    expect(byTime(visits)[7].visitTime).toBe('2013-06-30T21:26:13.162177Z')
    expect(hindsightMicros(Number(13017101173162177n))).toBe(162176) // INDEX.md's value, by hindsight's method
    expect(peerTime(downloads[0].startTime)).toBe('2013-06-30 21:26:05')
    expect(downloads[0]).toMatchObject({endTime: '2013-06-30T21:26:08Z', receivedBytes: 1387537, opened: false})
  })

  it('plaso History (Chrome 8 era): first visit Ubuntu Start Page, download funcats_scr.exe at 08:35:30', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/plaso_History'))
    expect(visits.length + downloads.length).toBe(71) // plaso's 71 event_data; GRR's 71 entries
    expect(visits[0]).toMatchObject({
      url: 'http://start.ubuntu.com/10.04/Google/',
      title: 'Ubuntu Start Page',
      visitCount: 4,
      visitTime: '2011-04-07T12:03:11.000000Z',
    })
    expect(downloads[0]).toMatchObject({
      targetPath: '/home/john/Downloads/funcats_scr.exe',
      receivedBytes: 1132155,
      startTime: '2011-05-23T08:35:30Z',
    })
    // GRR: the last entry (of visits and downloads in time order) is at 2011-05-23 08:37:27.061516
    const last = [...visits.map((v) => String(v.visitTime)), ...downloads.map((d) => String(d.startTime))].sort().at(-1)
    expect(peerTime(last)).toBe('2011-05-23 08:37:27.061516')
  })

  it('plaso History 57 (meta 32): visit and download as plaso reports them', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/plaso_History-57.0.2987.133'))
    expect(visits[0]).toMatchObject({
      url: 'https://raw.githubusercontent.com/dfirlabs/chrome-specimens/master/generate-specimens.sh',
      visitTime: '2018-01-21T14:09:53.885478Z',
    })
    expect(downloads[0]).toMatchObject({
      targetPath: '/home/ubuntu/Downloads/plaso-20171231.1.win32.msi',
      receivedBytes: 3080192,
      startTime: '2018-01-21T14:09:53.900399Z',
      endTime: '2018-01-21T14:09:54.858738Z',
      dangerType: 'maybe_dangerous_content',
      guid: '975BA9C6-1590-4F71-AD70-8CDF5F9749A8',
    })
  })

  it('plaso History 58 (meta 33): visit 14:09:27.315765, download 14:09:27.200398 to 14:09:28.116062', async () => {
    const {visits, downloads} = await parseHistory(sharedFile('browser/chrome/plaso_History-58.0.3029.96'))
    expect(visits[0].visitTime).toBe('2018-01-21T14:09:27.315765Z')
    expect(downloads[0]).toMatchObject({
      startTime: '2018-01-21T14:09:27.200398Z',
      endTime: '2018-01-21T14:09:28.116062Z',
      receivedBytes: 3080192,
    })
  })

  for (const notHistory of ['browser/edge/plaso_load_statistics.db', 'browser/chrome/plaso_Cookies-68.0.3440.106', 'browser/chrome/plaso_cookies.db']) {
    it(`reports ${notHistory} as not a Chromium History database`, async () => {
      const run = parseAll(chromiumHistoryParser, parserInputFor(sharedFile(notHistory)))
      await expect(run).rejects.toThrow(ParseError)
      await expect(parseAll(chromiumHistoryParser, parserInputFor(sharedFile(notHistory)))).rejects.toThrow(
        /not a Chromium History database: no table urls, visits/,
      )
    })
  }
})

const fixture = (...parts: string[]) => join(REPO_ROOT, 'fixtures/browser', ...parts)
const golden = (dir: string, name: string) => JSON.parse(readFileSync(fixture(dir, `${name}.golden.json`), 'utf8')) as Array<Record<string, unknown>>

describe('Chrome 144 History (meta version 70) built from the real schema', () => {
  it('matches the sqlite3 golden output for visits, downloads and searches', async () => {
    const {visits, downloads, searches, errors} = await parseHistory(fixture('chrome-144', 'History'))
    expect(errors).toEqual([])
    expect(visits.map((v) => ({visitId: v.visitId, url: v.url, title: v.title, visitTime: v.visitTime, transitionRaw: v.transitionRaw, visitDurationMicros: v.visitDurationMicros}))).toEqual(golden('chrome-144', 'visits'))
    expect(downloads.map((d) => ({downloadId: d.downloadId, targetPath: d.targetPath, startTime: d.startTime, endTime: d.endTime, receivedBytes: d.receivedBytes, totalBytes: d.totalBytes, urlChain: (d.urlChain as string[]).join(' ')}))).toEqual(golden('chrome-144', 'downloads'))
    expect(searches.map((s) => ({term: s.term, url: s.url, visitTime: s.visitTime}))).toEqual(golden('chrome-144', 'searches'))
  })

  it('decodes transitions, durations, referrers and sync origin of each visit', async () => {
    const {visits} = await parseHistory(fixture('chrome-144', 'History'))
    expect(visits.map((v) => [v.transition, v.transitionQualifiers])).toEqual([
      ['typed', ['chain_start', 'chain_end']],
      ['generated', ['from_address_bar', 'chain_start', 'chain_end']],
      ['link', ['forward_back', 'chain_start', 'chain_end']],
      ['link', ['chain_end', 'server_redirect']],
      ['typed', ['chain_end', 'server_redirect']], // stored signed (-1610612735), read as 0xA0000001
    ])
    expect(visits[0]).toMatchObject({visitDuration: 'PT12.345678S', visitDurationMicros: 12345678, typedCount: 1, visitCount: 2, hidden: false})
    expect(visits[1]).toMatchObject({visitDuration: 'PT2S'})
    expect(visits[2]).toMatchObject({visitDuration: null, visitDurationMicros: 0, externalReferrerUrl: 'https://referrer.example/'})
    expect(visits[3]).toMatchObject({fromVisit: 2, fromUrl: 'https://www.google.com/search?q=trawl+forensics', hidden: true, title: ''})
    expect(visits[4]).toMatchObject({visitDuration: 'PT0.000001S', visitSource: 'synced', syncedFromDevice: 'c0ffee-device-guid'})
    expect(visits[0]).toMatchObject({visitSource: 'browsed', fromVisit: null, fromUrl: null})
  })

  it('gives each download its URL chain in chain_index order and decoded state, danger and interrupt reason', async () => {
    const {downloads} = await parseHistory(fixture('chrome-144', 'History'))
    expect(downloads[0]).toMatchObject({
      type: 'browser.download',
      url: 'https://dl.example.net/tool.zip',
      urlChain: ['http://dl.example.net/tool.zip', 'https://dl.example.net/tool.zip'],
      targetPath: 'C:\\Users\\ana\\Downloads\\tool.zip',
      currentPath: 'C:\\Users\\ana\\Downloads\\tool.zip',
      startTime: '2025-06-01T10:06:30.999999Z',
      endTime: '2025-06-01T10:07:00.500000Z',
      lastAccessTime: '2025-06-02T08:00:00.000000Z',
      receivedBytes: 1048576,
      totalBytes: 1048576,
      state: 'complete',
      dangerType: 'not_dangerous',
      interruptReason: 'none',
      opened: true,
      referrer: 'https://dl.example.net/',
      tabUrl: 'https://dl.example.net/page',
      tabReferrerUrl: 'https://www.google.com/',
      mimeType: 'application/zip',
      guid: '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
      source: {table: 'downloads', rowid: 1},
    })
    expect(downloads[1]).toMatchObject({
      currentPath: 'C:\\Users\\ana\\Downloads\\Unconfirmed 1234.crdownload',
      targetPath: 'C:\\Users\\ana\\Downloads\\setup.exe',
      endTime: null,
      lastAccessTime: null,
      state: 'interrupted',
      stateRaw: 4,
      dangerType: 'dangerous_content',
      dangerTypeRaw: 3,
      interruptReason: 'user_canceled',
      interruptReasonRaw: 40,
      opened: false,
      referrer: null,
      originalMimeType: 'application/octet-stream',
    })
  })

  it('reports the keyword search term with its results page', async () => {
    const {searches} = await parseHistory(fixture('chrome-144', 'History'))
    expect(searches).toEqual([
      expect.objectContaining({
        type: 'browser.search',
        term: 'Trawl Forensics',
        normalizedTerm: 'trawl forensics',
        url: 'https://www.google.com/search?q=trawl+forensics',
        title: 'trawl forensics - Google Search',
        visitTime: '2025-06-01T10:05:07.654321Z',
        keywordId: 2,
        browser: 'Chrome',
        profile: 'Profile 1',
        user: 'ana',
      }),
    ])
  })
})

describe('Chromium 106 History (meta version 58) built from the real schema', () => {
  it('matches the sqlite3 golden output and decodes its values', async () => {
    const {visits, downloads, searches, errors} = await parseHistory(fixture('chromium-106', 'History'))
    expect(errors).toEqual([])
    expect(visits.map((v) => ({visitId: v.visitId, url: v.url, title: v.title, visitTime: v.visitTime, transitionRaw: v.transitionRaw, visitDurationMicros: v.visitDurationMicros}))).toEqual(golden('chromium-106', 'visits'))
    expect(downloads.map((d) => ({downloadId: d.downloadId, targetPath: d.targetPath, startTime: d.startTime, endTime: d.endTime, receivedBytes: d.receivedBytes, totalBytes: d.totalBytes, urlChain: (d.urlChain as string[]).join(' ')}))).toEqual(golden('chromium-106', 'downloads'))
    expect(searches.map((s) => ({term: s.term, url: s.url, visitTime: s.visitTime}))).toEqual(golden('chromium-106', 'searches'))
    expect(visits[0]).toMatchObject({transition: 'keyword', transitionQualifiers: ['from_address_bar', 'chain_start', 'chain_end']})
    expect(visits[1]).toMatchObject({visitDuration: 'PT61.000001S', fromVisit: 1, fromUrl: 'https://www.bing.com/search?q=chromium+106'})
    expect(downloads[0]).toMatchObject({state: 'cancelled', dangerType: 'potentially_unwanted', interruptReason: 'user_shutdown', byWebAppId: null})
  })
})

describe('a History whose last writes are only in its -wal', () => {
  it('reads the rows committed to History-wal but never checkpointed, leaving the working copy and its -wal as they were', async () => {
    const input = parserInputFor(fixture('chrome-144-wal', 'History'))
    expect(input.companions).toEqual(['-wal'])
    const before = [readFileSync(input.copyPath), readFileSync(`${input.copyPath}-wal`)]
    const records = await parseAll(chromiumHistoryParser, input)
    expect(readFileSync(input.copyPath).equals(before[0])).toBe(true)
    expect(readFileSync(`${input.copyPath}-wal`).equals(before[1])).toBe(true)
    const visits = records.filter((r) => r.type === 'browser.visit')
    const downloads = records.filter((r) => r.type === 'browser.download')
    expect(visits.map((v) => ({visitId: v.visitId, url: v.url, title: v.title, visitTime: v.visitTime, transitionRaw: v.transitionRaw, visitDurationMicros: v.visitDurationMicros}))).toEqual(golden('chrome-144-wal', 'visits'))
    expect(visits.map((v) => v.url)).toEqual(['https://checkpointed.example/', 'https://only-in-wal.example/'])
    expect(downloads).toHaveLength(1)
    expect(downloads[0]).toMatchObject({url: 'https://only-in-wal.example/wal.bin', targetPath: 'C:\\Users\\ana\\Downloads\\wal.bin'})
  })

  it('without the -wal the same main file has only the checkpointed visit (the WAL rows are really WAL-only)', async () => {
    const alone = join(mkdtempSync(join(tmpdir(), 'trawl-nowal-')), 'History')
    copyFileSync(fixture('chrome-144-wal', 'History'), alone)
    const {visits, downloads} = await parseHistory(alone)
    expect(visits.map((v) => v.url)).toEqual(['https://checkpointed.example/'])
    expect(downloads).toHaveLength(0)
  })
})

describeShared('Chromium History coverage: rows that have no visit or no downloads row still become records', () => {
  it('GRR History3 whose visits to http://eicar.org/ expired: the URL stays a browser.url record with its typed count and last visit time', async () => {
    // Chrome's expiry deletes visits and keeps a URL the user typed (typed_count 1)
    const file = changedCopy(sharedFile('browser/chrome/grr_History3'), (db) => db.prepare('DELETE FROM visits WHERE url = 3').run(), 'History')
    const input = parserInputFor(file, {attributes: {browser: 'Chrome'}, captures: {user: 'ana', profile: 'Profile 1'}})
    const records = await parseAll(chromiumHistoryParser, input)
    const urls = records.filter((r) => r.type === 'browser.url')
    const [expected] = querySql(file, `SELECT ${sqlWebkitIso('last_visit_time')} AS lastVisitTime FROM urls WHERE id = 3`)
    expect(urls).toEqual([
      expect.objectContaining({
        url: 'http://eicar.org/',
        title: 'Home ° EICAR - European Expert Group for IT-Security',
        typedCount: 1,
        visitCount: 1,
        lastVisitTime: expected.lastVisitTime,
        source: expect.objectContaining({table: 'urls', rowid: 3}),
        browser: 'Chrome',
        user: 'ana',
      }),
    ])
    expect(urls[0].lastVisitTime).toBe('2014-06-30T16:54:21.678935Z')
    expect(tableOf(input, 'urls')).toMatchObject({rows: 18, parsed: 18, unexplained: 0})
    expect(records.filter((r) => r.type === 'browser.visit')).toHaveLength(18)
  })

  it('GRR History3 whose first downloads row was removed: its downloads_url_chains row still becomes a download from http://www.eicar.org/download/eicar.com', async () => {
    const file = changedCopy(sharedFile('browser/chrome/grr_History3'), (db) => db.prepare('DELETE FROM downloads WHERE id = 1').run(), 'History')
    const input = parserInputFor(file)
    const downloads = (await parseAll(chromiumHistoryParser, input)).filter((r) => r.type === 'browser.download')
    expect(downloads).toHaveLength(4)
    expect(downloads.filter((d) => d.urlChainOnly)).toEqual([
      expect.objectContaining({url: 'http://www.eicar.org/download/eicar.com', urlChain: ['http://www.eicar.org/download/eicar.com'], downloadId: 1, source: expect.objectContaining({table: 'downloads_url_chains', rowid: 1})}),
    ])
    expect(tableOf(input, 'downloads_url_chains')).toMatchObject({rows: 4, parsed: 4, unexplained: 0})
    expect(tableOf(input, 'downloads')).toMatchObject({rows: 3, parsed: 3})
  })
})

describe('Chromium History coverage accounts (fixtures built from the real schemas)', () => {
  it('Chrome 144: every row of the six tables read is accounted for, the chains of both downloads (3 rows) included; the other tables are listed', async () => {
    const input = parserInputFor(fixture('chrome-144', 'History'))
    await parseAll(chromiumHistoryParser, input)
    expect(input.coverage).toHaveLength(1)
    const known = input.coverage[0].tables.filter((t) => t.known).map((t) => [t.table, t.parsed, t.rows])
    expect(known).toEqual([
      ['urls', 4, 4],
      ['visits', 5, 5],
      ['visit_source', 1, 1],
      ['downloads', 2, 2],
      ['downloads_url_chains', 3, 3],
      ['keyword_search_terms', 1, 1],
    ])
    const notRead = input.coverage[0].tables.filter((t) => !t.known).map((t) => t.table)
    expect(notRead).toEqual(expect.arrayContaining(['segments', 'segment_usage', 'clusters', 'clusters_and_visits', 'content_annotations', 'meta']))
  })

  it('a History with no rows at all still reports its account: every known table 0 of 0', async () => {
    const file = changedCopy(fixture('chrome-144', 'History'), (db) => {
      for (const {name} of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{name: string}>) db.prepare(`DELETE FROM "${name}"`).run()
    })
    const input = parserInputFor(file)
    expect(await parseAll(chromiumHistoryParser, input)).toEqual([])
    expect(input.coverage).toHaveLength(1)
    expect(input.coverage[0].tables.filter((t) => t.known).every((t) => t.rows === 0 && t.parsed === 0 && t.unexplained === 0)).toBe(true)
  })

  it('a History whose downloads_url_chains is renamed by a newer version is flagged: the table the parser reads is absent and the renamed one is suspect', async () => {
    const file = changedCopy(fixture('chrome-144', 'History'), (db) => db.prepare('ALTER TABLE downloads_url_chains RENAME TO downloads_url_chains_v2').run())
    const input = parserInputFor(file)
    await parseAll(chromiumHistoryParser, input)
    expect(tableOf(input, 'downloads_url_chains')).toMatchObject({known: true, absent: true})
    expect(coverageWarnings(input.coverage[0])).toEqual([
      expect.stringMatching(/table downloads_url_chains_v2 \(3 rows\) was not read: it looks like a renamed or newer version of downloads_url_chains/),
    ])
  })
})
