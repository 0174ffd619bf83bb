import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {fileUriToPath, firefoxDownloadsParser, firefoxPlacesParser} from '../../src/parsers/browser/firefox.js'
import type {ParsedRecord, Parser} from '../../src/parsers/types.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {countSql, querySql, sqlPrtimeIso} from './oracle.js'
import {changedCopy, tableOf} from '../helpers/scratch-database.js'

const byType = (records: ParsedRecord[], type: string) => records.filter((r) => r.type === type)

async function parse(parser: Parser, file: string) {
  const records = await parseAll(
    parser,
    parserInputFor(file, {attributes: {browser: 'Firefox'}, captures: {user: 'ana', profile: 'abcd1234.default-release'}}),
  )
  return {
    records,
    visits: byType(records, 'browser.visit'),
    downloads: byType(records, 'browser.download'),
    bookmarks: byType(records, 'browser.bookmark'),
    errors: byType(records, 'error'),
  }
}

const visitOracle = (file: string) =>
  querySql(
    file,
    `SELECT v.id AS visitId, p.url AS url, p.title AS title, ${sqlPrtimeIso('v.visit_date')} AS visitTime, v.visit_type AS visitTypeRaw
     FROM moz_historyvisits v LEFT JOIN moz_places p ON p.id = v.place_id ORDER BY v.id`,
  )
const visitFields = (v: ParsedRecord) => ({visitId: v.visitId, url: v.url, title: v.title, visitTime: v.visitTime, visitTypeRaw: v.visitTypeRaw})

const DOWNLOAD_ANNOTATIONS = `moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id WHERE n.name = 'downloads/destinationFileURI'`

describeShared('Firefox places.sqlite of real Firefox versions', () => {
  const places = [
    {file: 'browser/firefox/plaso_places.sqlite', userVersion: 10, visits: 1, downloads: 0, bookmarks: 101},
    {file: 'browser/firefox/rdapaz_win_2017_places.sqlite', userVersion: 36, visits: 188, downloads: 26, bookmarks: 15},
  ]
  for (const item of places) {
    describe(`${item.file} (user_version ${item.userVersion})`, () => {
      it('has as many visits, downloads and bookmarks as a direct SQL count, no error records', async () => {
        const file = sharedFile(item.file)
        expect(querySql<{user_version: number}>(file, 'PRAGMA user_version')[0].user_version).toBe(item.userVersion)
        const {visits, downloads, bookmarks, errors} = await parse(firefoxPlacesParser, file)
        expect(errors).toEqual([])
        expect(visits.length).toBe(countSql(file, 'moz_historyvisits'))
        expect(downloads.length).toBe(countSql(file, DOWNLOAD_ANNOTATIONS))
        expect(bookmarks.length).toBe(countSql(file, 'moz_bookmarks'))
        expect([visits.length, downloads.length, bookmarks.length]).toEqual([item.visits, item.downloads, item.bookmarks])
      })

      it('gives every visit the URL, title, type and time (to the microsecond) SQLite computes', async () => {
        const file = sharedFile(item.file)
        const {visits, records} = await parse(firefoxPlacesParser, file)
        expect(visits.map(visitFields)).toEqual(visitOracle(file))
        for (const record of records) {
          expect(record).toMatchObject({browser: 'Firefox', profile: 'abcd1234.default-release', user: 'ana'})
          expect(typeof record.source.rowid).toBe('number')
        }
      })
    })
  }

  it('plaso places (Firefox <= 23): the one visit and the bookmarks plaso reports', async () => {
    const {visits, bookmarks} = await parse(firefoxPlacesParser, sharedFile('browser/firefox/plaso_places.sqlite'))
    expect(visits[0]).toMatchObject({
      url: 'http://news.google.com/',
      title: 'Google News',
      visitTime: '2011-07-01T11:16:21.371935Z',
      visitCount: 1,
      visitType: 'typed',
      visitTypeRaw: 2,
      source: {table: 'moz_historyvisits', rowid: 1},
    })
    const recent = bookmarks.find((b) => b.title === 'Recently Bookmarked')
    expect(recent).toMatchObject({kind: 'bookmark', dateAdded: '2011-07-01T11:13:59.266344Z', folderPath: 'Bookmarks Menu'})
    const headlines = bookmarks.find((b) => b.title === 'Latest Headlines')
    expect(headlines).toMatchObject({kind: 'folder', folderPath: 'Bookmarks Toolbar', dateAdded: '2011-03-21T10:05:01.553774Z'})
    const inFeed = bookmarks.find((b) => b.bookmarkId === 24)
    expect(inFeed).toMatchObject({title: "'Doubts' over Strauss-Kahn case", folderPath: 'Bookmarks Toolbar/Latest Headlines'})
    expect(bookmarks.filter((b) => b.kind === 'separator')).toHaveLength(2)
    expect(bookmarks.filter((b) => b.kind === 'folder')).toHaveLength(8)
  })

  it('Firefox 53 places: download annotations with target path, size, state and times; referring visits', async () => {
    const {visits, downloads} = await parse(firefoxPlacesParser, sharedFile('browser/firefox/rdapaz_win_2017_places.sqlite'))
    expect(visits[0]).toMatchObject({url: 'https://www.mozilla.org/en-US/firefox/53.0.2/firstrun/', visitTime: '2017-05-17T08:36:09.130000Z'})
    expect(visits.filter((v) => v.fromVisit !== null)).toHaveLength(countSql(sharedFile('browser/firefox/rdapaz_win_2017_places.sqlite'), 'moz_historyvisits', 'WHERE from_visit > 0'))
    expect(visits.filter((v) => v.visitType === 'download')).toHaveLength(25)
    expect(downloads[0]).toMatchObject({
      url: 'https://i.ytimg.com/vi/sfA0tZgtSeg/maxresdefault.jpg',
      targetUri: 'file:///C:/Users/computer/Desktop/maxresdefault.jpg',
      targetPath: 'C:\\Users\\computer\\Desktop\\maxresdefault.jpg',
      fileName: 'maxresdefault.jpg',
      // no download-type visit survives for this place: dated by its destination annotation
      startTime: '2017-05-18T20:20:39.245000Z',
      startTimeFrom: 'destination annotation',
      endTime: '2017-05-18T20:20:39.495Z',
      totalBytes: 361929,
      state: 'finished',
      source: {table: 'moz_annos', rowid: 4},
    })
    const kitten = downloads.find((d) => d.fileName === 'cute-kittens-30-57b30ad41bc90__605.jpg')
    expect(kitten).toMatchObject({startTime: '2017-05-30T22:39:54.671000Z', startTimeFrom: 'download visit', totalBytes: 55589})
    expect(downloads.filter((d) => String(d.targetPath).startsWith('P:\\')).map((d) => d.targetPath)).toEqual([
      'P:\\4426323.jpg',
      'P:\\adopting-a-cat.jpg',
      'P:\\Siamese-Cat-Names.jpg',
    ])
    // Firefox writes metaData only when a download ends: the last one never did
    expect(downloads.at(-1)).toMatchObject({targetPath: 'C:\\Users\\computer\\Downloads\\ccsetup532.exe', state: null, endTime: null, metaData: null})
  })

  it('downloads.sqlite (Firefox <= 25): the download plaso reports', async () => {
    const file = sharedFile('browser/firefox/plaso_downloads.sqlite')
    const {downloads, errors} = await parse(firefoxDownloadsParser, file)
    expect(errors).toEqual([])
    expect(downloads).toHaveLength(countSql(file, 'moz_downloads'))
    expect(downloads[0]).toMatchObject({
      type: 'browser.download',
      url: 'https://plaso.googlecode.com/files/plaso-static-1.0.1-win32-vs2008.zip',
      targetUri: 'file:///D:/plaso-static-1.0.1-win32-vs2008.zip',
      targetPath: 'D:\\plaso-static-1.0.1-win32-vs2008.zip',
      receivedBytes: 15974599,
      totalBytes: 15974599,
      startTime: '2013-07-18T18:59:59.312000Z',
      endTime: '2013-07-18T19:01:18.578000Z',
      state: 'finished',
      mimeType: 'application/zip',
      browser: 'Firefox',
      source: {table: 'moz_downloads', rowid: 1},
    })
  })

  for (const [parser, what, files] of [
    [firefoxPlacesParser, 'Firefox places', ['browser/firefox/plaso_firefox_10_cookies.sqlite', 'browser/firefox/plaso_downloads.sqlite', 'browser/chrome/plaso_History']],
    [firefoxDownloadsParser, 'Firefox downloads', ['browser/firefox/plaso_places.sqlite', 'browser/firefox/plaso_firefox_2_cookies.sqlite']],
  ] as const) {
    for (const file of files) {
      it(`${parser.id} reports ${file} as not a ${what} database`, async () => {
        await expect(parseAll(parser, parserInputFor(sharedFile(file)))).rejects.toThrow(ParseError)
        await expect(parseAll(parser, parserInputFor(sharedFile(file)))).rejects.toThrow(new RegExp(`not a ${what} database: no table`))
      })
    }
  }
})

const fixture = (...parts: string[]) => join(REPO_ROOT, 'fixtures/browser', ...parts)
const golden = (dir: string, name: string) => JSON.parse(readFileSync(fixture(dir, `${name}.golden.json`), 'utf8')) as Array<Record<string, unknown>>

describe('Firefox 2024 places.sqlite (user_version 77) built from the real schema', () => {
  it('matches the sqlite3 golden output for visits and bookmarks', async () => {
    const {visits, bookmarks, errors} = await parse(firefoxPlacesParser, fixture('firefox-2024', 'places.sqlite'))
    expect(errors).toEqual([])
    expect(visits.map(visitFields)).toEqual(golden('firefox-2024', 'visits'))
    expect(bookmarks.map((b) => ({bookmarkId: b.bookmarkId, kindRaw: b.kindRaw, title: b.title, url: b.url, dateAdded: b.dateAdded, lastModified: b.lastModified}))).toEqual(golden('firefox-2024', 'bookmarks'))
  })

  it('decodes visit types and referring visits', async () => {
    const {visits} = await parse(firefoxPlacesParser, fixture('firefox-2024', 'places.sqlite'))
    expect(visits.map((v) => v.visitType)).toEqual(['typed', 'link', 'download', 'reload'])
    expect(visits[1]).toMatchObject({fromVisit: 1, fromUrl: 'https://www.mozilla.org/', title: 'News – front page', frecency: 100, visitSourceRaw: 0})
    expect(visits[0]).toMatchObject({fromVisit: null, typed: true, visitCount: 2, frecency: 200, lastVisitTime: '2024-06-01T09:03:00.444444Z'})
  })

  it('reads the download from its annotations: destination, metaData state, end time and size', async () => {
    const {downloads} = await parse(firefoxPlacesParser, fixture('firefox-2024', 'places.sqlite'))
    expect(downloads).toEqual([
      expect.objectContaining({
        type: 'browser.download',
        url: 'https://example.com/report.pdf',
        targetUri: 'file:///C:/Users/ana/Downloads/report%20final.pdf',
        targetPath: 'C:\\Users\\ana\\Downloads\\report final.pdf',
        startTime: '2024-06-01T09:02:00.333333Z',
        startTimeFrom: 'download visit',
        endTime: '2024-06-01T09:02:01.500Z',
        totalBytes: 123456,
        state: 'finished',
        deleted: false,
        annotationAdded: '2024-06-01T09:02:00.400000Z',
        source: expect.objectContaining({table: 'moz_annos', rowid: 1}),
        browser: 'Firefox',
        profile: 'abcd1234.default-release',
        user: 'ana',
      }),
    ])
  })

  it('types folders and separators and builds each bookmark folder path from its parents', async () => {
    const {bookmarks} = await parse(firefoxPlacesParser, fixture('firefox-2024', 'places.sqlite'))
    const byId = new Map(bookmarks.map((b) => [b.bookmarkId, b]))
    expect(byId.get(9)).toMatchObject({kind: 'bookmark', title: 'News front page', url: 'https://news.example/', folderPath: 'toolbar/Investigations/Case 42', dateAdded: '2024-06-01T09:01:10.000001Z', lastModified: '2024-06-01T09:01:10.000002Z', guid: 'bookmguid009'})
    expect(byId.get(8)).toMatchObject({kind: 'folder', title: 'Case 42', url: null, folderPath: 'toolbar/Investigations'})
    expect(byId.get(10)).toMatchObject({kind: 'separator', folderPath: 'menu'})
    expect(byId.get(11)).toMatchObject({kind: 'bookmark', url: 'https://www.mozilla.org/', folderPath: 'menu'})
    expect(byId.get(1)).toMatchObject({kind: 'folder', folderPath: ''})
    expect(byId.get(3)).toMatchObject({kind: 'folder', title: 'toolbar', folderPath: ''})
  })
})

describe('a places.sqlite whose last visit is only in its -wal', () => {
  it('reads the visit committed to places.sqlite-wal but never checkpointed', async () => {
    const {visits} = await parse(firefoxPlacesParser, fixture('firefox-2024-wal', 'places.sqlite'))
    expect(visits.map(visitFields)).toEqual(golden('firefox-2024-wal', 'visits'))
    expect(visits.map((v) => v.url)).toEqual(['https://checkpointed.example/', 'https://only-in-wal.example/'])
    expect(visits[1]).toMatchObject({fromUrl: 'https://checkpointed.example/', visitType: 'typed'})
  })
})

describe('file: URIs of Firefox download targets', () => {
  it('become local paths, percent-decoded; other text is kept', () => {
    expect(fileUriToPath('file:///C:/Users/a/x%20y.zip')).toBe('C:\\Users\\a\\x y.zip')
    expect(fileUriToPath('file:///home/a/%C3%A9t%C3%A9.pdf')).toBe('/home/a/été.pdf')
    expect(fileUriToPath('file:///D:/')).toBe('D:\\')
    expect(fileUriToPath('file:///D:')).toBe('D:\\')
    expect(fileUriToPath('file:///C:/100%.txt')).toBe('C:\\100%.txt')
    expect(fileUriToPath('C:\\plain\\path')).toBe('C:\\plain\\path')
    expect(fileUriToPath(null)).toBe(null)
  })
})

describeShared('Firefox coverage: downloads of both kinds, places without visits, bookmark annotations', () => {
  const rdapaz = sharedFile('browser/firefox/rdapaz_win_2017_places.sqlite')

  it('Firefox 53 places.sqlite: 26 downloads from annotations, first C:/Users/computer/Desktop/maxresdefault.jpg; all 77 annotations read (26 destinations, 26 names, 25 metaData)', async () => {
    const input = parserInputFor(rdapaz)
    const downloads = (await parseAll(firefoxPlacesParser, input)).filter((r) => r.type === 'browser.download')
    expect(downloads).toHaveLength(26)
    expect(downloads[0]).toMatchObject({targetUri: 'file:///C:/Users/computer/Desktop/maxresdefault.jpg', source: {table: 'moz_annos'}})
    expect(tableOf(input, 'moz_annos')).toMatchObject({rows: 77, parsed: 77, excluded: [], unexplained: 0})
    expect(tableOf(input, 'moz_downloads')).toMatchObject({known: true, absent: true})
  })

  it('a places.sqlite holding both annotation downloads and a moz_downloads table gets both read: 26 + 1 downloads', async () => {
    // the real moz_downloads schema and row of plaso's downloads.sqlite, added to the Firefox 53 places.sqlite
    const legacy = sharedFile('browser/firefox/plaso_downloads.sqlite')
    const [{sql}] = querySql<{sql: string}>(legacy, "SELECT sql FROM sqlite_master WHERE name = 'moz_downloads'")
    const rows = querySql(legacy, 'SELECT * FROM moz_downloads')
    const file = changedCopy(rdapaz, (db) => {
      db.exec(sql)
      const columns = Object.keys(rows[0])
      const insert = db.prepare(`INSERT INTO moz_downloads (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
      for (const row of rows) insert.run(...columns.map((c) => row[c] as never))
    }, 'places.sqlite')
    const input = parserInputFor(file)
    const downloads = (await parseAll(firefoxPlacesParser, input)).filter((r) => r.type === 'browser.download')
    expect(downloads.filter((d) => d.source.table === 'moz_annos')).toHaveLength(26)
    expect(downloads.filter((d) => d.source.table === 'moz_downloads')).toEqual([
      expect.objectContaining({url: 'https://plaso.googlecode.com/files/plaso-static-1.0.1-win32-vs2008.zip', targetPath: 'D:\\plaso-static-1.0.1-win32-vs2008.zip', startTime: '2013-07-18T18:59:59.312000Z'}),
    ])
    expect(tableOf(input, 'moz_downloads')).toMatchObject({rows: 1, parsed: 1, unexplained: 0})
    expect(tableOf(input, 'moz_annos')).toMatchObject({rows: 77, parsed: 77})
  })

  it('Firefox 53 places.sqlite whose visits to the truecrypt search expired: the place stays a browser.url record with its last visit time', async () => {
    const file = changedCopy(rdapaz, (db) => db.prepare('DELETE FROM moz_historyvisits WHERE place_id = 9').run(), 'places.sqlite')
    const input = parserInputFor(file)
    const records = await parseAll(firefoxPlacesParser, input)
    expect(records.filter((r) => r.type === 'browser.url')).toEqual([
      expect.objectContaining({
        url: 'https://www.google.com/search?q=truecrypt&ie=utf-8&oe=utf-8&client=firefox-b-ab',
        lastVisitTime: '2017-05-17T08:37:42.865000Z',
        visitCount: 1,
        typed: true,
        source: expect.objectContaining({table: 'moz_places', rowid: 9}),
      }),
    ])
    expect(querySql(file, `SELECT ${sqlPrtimeIso('last_visit_date')} AS t FROM moz_places WHERE id = 9`)[0].t).toBe('2017-05-17T08:37:42.865000Z')
    // the 7 never-visited bookmarked places are in their bookmark records
    expect(tableOf(input, 'moz_places')).toMatchObject({rows: 156, parsed: 156, unexplained: 0})
  })

  it('plaso places.sqlite: bookmark annotations (descriptions, livemark feeds) are part of their bookmark, all 8 moz_items_annos rows read', async () => {
    const input = parserInputFor(sharedFile('browser/firefox/plaso_places.sqlite'))
    const bookmarks = (await parseAll(firefoxPlacesParser, input)).filter((r) => r.type === 'browser.bookmark')
    expect(bookmarks.find((b) => b.bookmarkId === 11)).toMatchObject({
      title: 'Ubuntu and Free Software links',
      annotations: {'bookmarkProperties/description': 'Information and resources about Ubuntu, Debian and Free Software in general'},
    })
    expect(bookmarks.find((b) => b.bookmarkId === 23)?.annotations).toMatchObject({
      'livemark/feedURI': 'http://fxfeeds.mozilla.com/en-US/firefox/headlines.xml',
      'livemark/siteURI': 'http://www.bbc.co.uk/go/rss/int/news/-/news/',
    })
    expect(tableOf(input, 'moz_items_annos')).toMatchObject({rows: 8, parsed: 8, unexplained: 0})
    expect(tableOf(input, 'moz_bookmarks_roots')).toMatchObject({rows: 5, parsed: 5})
  })
})
