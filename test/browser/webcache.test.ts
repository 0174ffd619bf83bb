/**
 * WebCache records from the WebCacheV01.dat-like fixture (fixtures/ese/webcache, checked
 * against esedbexport in test/ese/webcache-reader.test.ts): visits from the History and
 * MSHist containers, the download with its source URL and saved path, the cookie entry,
 * and every table accounted for.
 */
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {splitHistoryUrl, webcacheParser} from '../../src/parsers/browser/webcache.js'
import {unexplainedRows} from '../../src/parsers/coverage.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT} from '../helpers/shared.js'

const FIXTURE = join(REPO_ROOT, 'fixtures/ese/webcache/WebCacheV01.dat')

async function read() {
  const input = parserInputFor(FIXTURE, {
    sourcePath: 'Users/Administrator/AppData/Local/Microsoft/Windows/WebCache/WebCacheV01.dat',
    captures: {user: 'Administrator'},
    attributes: {browser: 'Internet Explorer / Edge (WebCache)'},
  })
  return {records: await parseAll(webcacheParser, input), input}
}

describe('ie-webcache on the WebCacheV01.dat fixture', () => {
  it('visits: URL without its "Visited:" or MSHist prefix, visit time and count, the container named', async () => {
    const {records} = await read()
    const visits = records.filter((r) => r.type === 'browser.visit')
    expect(visits.map((v) => [v.container, v.url, v.visitTime, v.visitCount])).toEqual([
      ['History', 'https://www.example.org/search?q=ferry+times', '2023-08-21T02:14:16.6752849Z', 3],
      ['History', 'file:///C:/Users/Administrator/Documents/plan.txt', '2023-08-21T02:15:00.0000001Z', 1],
      ['MSHist012023082020230821', ':Host: This PC', '2023-08-21T02:14:16.6752849Z', 1],
      ['MSHist012023082020230821', 'file:///C:/מדריך/test.html', '2023-08-21T02:14:16.6722799Z', 1],
    ])
    // go-ese's golden values for its real file: EntryId 1, ExpiryTime 133393040566647726
    expect(visits[3]).toMatchObject({
      source: {table: 'Container_2', rowid: 1, sourcePath: 'Users/Administrator/AppData/Local/Microsoft/Windows/WebCache/WebCacheV01.dat'},
      user: 'Administrator',
      browser: 'Internet Explorer / Edge (WebCache)',
      webcacheUser: 'Administrator',
      historyPeriod: '2023082020230821',
      expiryTime: '2023-09-16T02:14:16.6647726Z',
      modifiedTime: '2023-08-20T19:14:16.6642496Z',
    })
  })

  it('the download: source URL and saved path from ResponseHeaders, size and start time', async () => {
    const {records} = await read()
    expect(records.filter((r) => r.type === 'browser.download')).toEqual([
      expect.objectContaining({
        source: expect.objectContaining({table: 'Container_3', rowid: 1}),
        container: 'iedownload',
        url: 'https://download.example.org/tools/setup.exe',
        targetPath: 'C:\\Users\\Administrator\\Downloads\\setup.exe',
        fileName: 'setup.exe',
        totalBytes: 1048576,
        startTime: '2023-08-21T02:16:40.0000000Z',
        accessedTime: '2023-08-21T02:16:52.3456789Z',
      }),
    ])
  })

  it('the cookie entry: host, path, cookie file and times', async () => {
    const {records} = await read()
    expect(records.filter((r) => r.type === 'browser.cookie')).toEqual([
      expect.objectContaining({host: 'example.org', path: '/', webcacheUser: 'administrator', cookieFile: 'ABCD1234.cookie', expiryTime: '2025-08-18T14:13:19.0000000Z', creationTime: '2023-08-21T02:18:20.0000000Z'}),
    ])
  })

  it('accounts for every table and row, and says the database was read clean', async () => {
    const {records, input} = await read()
    expect(records.filter((r) => r.type === 'ese.database')).toEqual([expect.objectContaining({state: 'clean shutdown', dirty: false, problems: 0})])
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const [account] = input.coverage
    expect(account).toMatchObject({parser: 'ie-webcache', store: 'ese'})
    expect(unexplainedRows(account!)).toBe(0)
    expect(account!.tables.map((t) => [t.table, t.rows, t.parsed])).toEqual([
      ['Containers', 4, 4],
      ['Container_1', 2, 2],
      ['Container_2', 2, 2],
      ['Container_3', 1, 1],
      ['Container_4', 1, 1],
    ])
  })

  it('splits the history URL forms', () => {
    expect(splitHistoryUrl('Visited: ana@https://x.example/')).toEqual({user: 'ana', url: 'https://x.example/', period: null})
    expect(splitHistoryUrl(':2023082020230821: ana@file:///C:/a.txt')).toEqual({user: 'ana', url: 'file:///C:/a.txt', period: '2023082020230821'})
    expect(splitHistoryUrl('https://plain.example/')).toEqual({user: null, url: 'https://plain.example/', period: null})
  })
})
