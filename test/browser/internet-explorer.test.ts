import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {readIndexDat, type CacheRecord} from '../../src/msiecf/index-dat.js'
import {internetExplorerIndexParser} from '../../src/parsers/browser/internet-explorer.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

const GOLDEN = join(REPO_ROOT, 'fixtures/msiecf')
const FILES = ['grr_index.dat', 'plaso_Content.IE5_index.dat', 'plaso_History.IE5_index.dat']

interface Exported {
  recovered: boolean
  fields: Map<string, string>
}

/** msiecfexport -m all text: blocks of "Name<TAB>: value" lines; the recovered section follows the allocated one. */
function msiecfexport(name: string): Exported[] {
  const text = readFileSync(join(GOLDEN, `${name}.msiecfexport.txt`), 'latin1')
  const out: Exported[] = []
  let recovered = false
  for (const block of text.split(/\n\n+/)) {
    if (block.includes('Exporting recovered items.')) recovered = true
    if (!block.includes('Record type')) continue
    const fields = new Map<string, string>()
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z][A-Za-z ]*?)\t+: (.*)$/.exec(line)
      if (m) fields.set(m[1]!, m[2]!)
    }
    out.push({recovered, fields})
  }
  return out
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** trawl's ISO form in msiecfexport's notation: "Aug 25, 2015 11:05:18.512000000" (FILETIME) or "Sep 20, 2015 10:58:10" (FAT). */
function exportNotation(iso: string | null): string | undefined {
  if (iso === null) return undefined
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{7}))?Z?$/.exec(iso)!
  return `${MONTHS[Number(m[2]) - 1]} ${m[3]}, ${m[1]} ${m[4]}${m[5] ? `.${m[5]}00` : ''}`
}

function directoryNotation(r: CacheRecord, names: string[]): string | undefined {
  const i = r.cacheDirectoryIndex
  if (i === null) return undefined
  const signed = i > 127 ? i - 256 : i
  return `${signed} (0x${i.toString(16).padStart(2, '0')})${names[i] ? `(${names[i]})` : ''}`
}

describeShared('Internet Explorer index.dat: the three real files against msiecfexport and INDEX.md', () => {
  for (const name of FILES) {
    it(`${name}: every allocated and recovered record equals msiecfexport -m all`, () => {
      const index = readIndexDat(readFileSync(sharedFile(`browser/ie/${name}`)), name)
      const names = index.header.directories.map((d) => d.name)
      const golden = msiecfexport(name)
      expect(index.records.map((r) => `${r.recovered ? 'R' : 'A'}${r.offset}`)).toEqual(golden.map((g) => `${g.recovered ? 'R' : 'A'}${/^(\d+)/.exec(g.fields.get('Offset range')!)![1]}`))
      for (const [i, r] of index.records.entries()) {
        const g = golden[i]!.fields
        const mine = new Map<string, string | undefined>([
          ['Record type', r.kind],
          ['Offset range', `${r.offset} - ${r.offset + r.size} (${r.size})`],
          ['Location', r.location ?? undefined],
          ['Primary time', r.kind === 'REDR' ? undefined : exportNotation(r.primaryTime)],
          ['Secondary time', r.kind === 'REDR' ? undefined : exportNotation(r.secondaryTime)],
          ['Expiration time', exportNotation(r.expirationTime)],
          ['Last checked time', exportNotation(r.lastCheckedTime)],
          ['Filename', r.filename ?? undefined],
          ['Cache directory index', r.kind === 'REDR' ? undefined : directoryNotation(r, names)],
        ])
        for (const [field, value] of mine) expect(value, `${name} record at ${r.offset}: ${field}`).toBe(g.get(field))
      }
    })
  }

  it("GRR's 18 entries of grr_index.dat: sorted by time, [1] the Chrome EULA at 2009-12-11 17:55:46.968, [-1] mshelp at 2011-06-23 18:57:24.25", async () => {
    const input = parserInputFor(sharedFile('browser/ie/grr_index.dat'), {attributes: {container: 'history'}, captures: {user: 'testing'}})
    const visits = (await parseAll(internetExplorerIndexParser, input)).filter((r) => r.type === 'browser.visit')
    expect(visits).toHaveLength(18)
    const byTime = [...visits].sort((a, b) => String(a.visitTime).localeCompare(String(b.visitTime)))
    expect(byTime[1]).toMatchObject({location: 'Visited: testing@http://www.google.com/chrome/chrome/eula.html', url: 'http://www.google.com/chrome/chrome/eula.html', profileUser: 'testing', visitTime: '2009-12-11T17:55:46.9680000Z'})
    expect(byTime.at(-1)).toMatchObject({location: 'Visited: testing@mshelp://windows/?id=d063548a-3fc9-4723-99f3-b12a0c4354a8', visitTime: '2011-06-23T18:57:24.2500000Z'})
    expect(visits.filter((v) => v.recovered)).toHaveLength(11)
    const [account] = input.coverage
    expect(account!.tables.map((t) => [t.table, t.rows, t.parsed, t.unexplained])).toEqual([
      ['hash table entries', 510, 7, 0],
      ['records (hash table)', 7, 7, 0],
      ['records (recovered from unreferenced blocks)', 11, 11, 0],
    ])
  })

  it("plaso's 17 History.IE5 event data: [0] msn.com visited 2015-08-25T11:05:18.512, sync 11:05:20, expiration 2015-09-20T10:58:10, offset 20480", async () => {
    const records = await parseAll(internetExplorerIndexParser, parserInputFor(sharedFile('browser/ie/plaso_History.IE5_index.dat'), {attributes: {container: 'history'}}))
    const visits = records.filter((r) => r.type === 'browser.visit')
    expect(visits).toHaveLength(17)
    expect(visits[0]).toMatchObject({
      location: 'Visited: gold_administrator@http://www.msn.com/?ocid=iehp',
      visitTime: '2015-08-25T11:05:18.5120000Z',
      lastChecked: '2015-08-25T11:05:20',
      expires: '2015-09-20T10:58:10',
      source: {offset: 20480},
    })
  })

  it("plaso's 35 Content.IE5 event data: the bing favicon cached, the fwlink redirect, cache directories named", async () => {
    const records = await parseAll(internetExplorerIndexParser, parserInputFor(sharedFile('browser/ie/plaso_Content.IE5_index.dat'), {attributes: {container: 'cache'}}))
    const items = records.filter((r) => r.type === 'browser.cache' || r.type === 'browser.redirect')
    expect(items).toHaveLength(35)
    expect(items).toContainEqual(expect.objectContaining({type: 'browser.cache', url: 'http://www.bing.com/favicon.ico', cachedFile: '5F9C7HL9\\favicon[1].ico', lastAccessed: '2015-08-25T11:05:37.1370000Z'}))
    expect(items).toContainEqual(expect.objectContaining({type: 'browser.redirect', url: 'http://go.microsoft.com/fwlink/?LinkId=299196'}))
    const container = records.find((r) => r.type === 'browser.cache-container')!
    expect(container).toMatchObject({version: '5.2', cacheDirectories: [{name: 'ENG3X4ZR', files: 8}, {name: '5ZBG4UOD', files: 7}, {name: '5F9C7HL9', files: 2}, {name: 'F4MAMNDH', files: 4}]})
  })

  it('any bytes overwritten in a real index.dat: records or error records, never a throw past the header or a hang', () => {
    const original = readFileSync(sharedFile('browser/ie/plaso_Content.IE5_index.dat'))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0x250, max: original.length - 1}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 60}), (edits) => {
        const copy = Buffer.from(original)
        for (const [at, byte] of edits) copy[at] = byte
        const index = readIndexDat(copy, 'fuzzed')
        expect(index.records.length).toBeLessThanOrEqual(copy.length / 128)
      }),
      {numRuns: 200},
    )
  })
})

it('a file that is not an index.dat is a ParseError, and is refused by signature', () => {
  expect(() => readIndexDat(Buffer.alloc(0x4000), 'zero')).toThrow(ParseError)
  expect(internetExplorerIndexParser.accepts!(Buffer.from('Client UrlCache MMF Ver 5.2\0'))).toBe(true)
  expect(internetExplorerIndexParser.accepts!(Buffer.from('SQLite format 3\0'))).toBe(false)
})
