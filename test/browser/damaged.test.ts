import {copyFileSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, closeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {openDatabase} from '../../src/sqlite/engine.js'
import {chromiumHistoryParser} from '../../src/parsers/browser/chromium.js'
import {firefoxDownloadsParser, firefoxPlacesParser} from '../../src/parsers/browser/firefox.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT} from '../helpers/shared.js'

const fixture = (...parts: string[]) => join(REPO_ROOT, 'fixtures/browser', ...parts)
const scratch = (name: string) => join(mkdtempSync(join(tmpdir(), 'trawl-damaged-')), name)

function truncatedCopy(file: string, keep: number): string {
  const out = scratch('History')
  writeFileSync(out, readFileSync(file).subarray(0, keep))
  return out
}

describe('damaged and foreign databases', () => {
  it('a History cut in half is a ParseError naming where the file ends', async () => {
    const file = truncatedCopy(fixture('chrome-144', 'History'), 81920)
    const run = parseAll(chromiumHistoryParser, parserInputFor(file))
    await expect(run).rejects.toThrow(ParseError)
    await expect(parseAll(chromiumHistoryParser, parserInputFor(file))).rejects.toThrow(
      /SQLite database truncated: header says 40 pages of 4096 bytes \(163840 bytes\) but the file ends at offset 81920/,
    )
  })

  it('a places.sqlite cut short and a file shorter than the SQLite header are ParseErrors', async () => {
    const places = truncatedCopy(fixture('firefox-2024', 'places.sqlite'), 4096 * 3)
    await expect(parseAll(firefoxPlacesParser, parserInputFor(places))).rejects.toThrow(/truncated/)
    const stub = truncatedCopy(fixture('firefox-2024', 'places.sqlite'), 50)
    await expect(parseAll(firefoxPlacesParser, parserInputFor(stub))).rejects.toThrow(ParseError)
  })

  it('a file that is not SQLite at all is a ParseError', async () => {
    const file = scratch('History')
    writeFileSync(file, Buffer.alloc(8192, 0x41))
    await expect(parseAll(chromiumHistoryParser, parserInputFor(file))).rejects.toThrow(/not an SQLite database/)
  })

  it('an unrelated SQLite database is reported as not the expected application database', async () => {
    const file = scratch('History')
    const db = openDatabase(file)
    db.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('hello')")
    db.close()
    await expect(parseAll(chromiumHistoryParser, parserInputFor(file))).rejects.toThrow(/not a Chromium History database: no table urls, visits/)
    await expect(parseAll(firefoxPlacesParser, parserInputFor(file))).rejects.toThrow(/not a Firefox places database: no table moz_places, moz_historyvisits/)
    await expect(parseAll(firefoxDownloadsParser, parserInputFor(file))).rejects.toThrow(/not a Firefox downloads database: no table moz_downloads/)
  })

  it('a damaged visits page gives one error record for that table; downloads and searches are still read', async () => {
    const file = scratch('History')
    copyFileSync(fixture('chrome-144', 'History'), file)
    const probe = openDatabase(file, {readonly: true})
    const {rootpage} = probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'visits'").get() as {rootpage: number}
    const pageSize = probe.prepare('PRAGMA page_size').pluck().get() as number
    probe.close()
    // overwrite the b-tree page header of the visits table with an invalid page type
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (rootpage - 1) * pageSize)
    closeSync(fd)
    const records = await parseAll(chromiumHistoryParser, parserInputFor(file))
    const errors = records.filter((r) => r.type === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].source.table).toBe('visits')
    expect(String(errors[0].error)).toMatch(/^table visits could not be read to the end after 0 rows: .*malformed/)
    expect(records.filter((r) => r.type === 'browser.download')).toHaveLength(2)
    expect(records.filter((r) => r.type === 'browser.search')).toHaveLength(1)
  })
})

describe('a History left with a hot -journal by a browser killed mid-transaction', () => {
  it('is read in its last committed state: the journal is rolled back on a private copy only', async () => {
    const {execFileSync} = await import('node:child_process')
    const {existsSync} = await import('node:fs')
    const dir = mkdtempSync(join(tmpdir(), 'trawl-hotjournal-'))
    const file = join(dir, 'History')
    copyFileSync(fixture('chrome-144', 'History'), file)
    // a writer that dies (SIGKILL) inside a transaction big enough to spill pages into the file
    const writer = `
      import {createRequire} from 'node:module'
      const require = createRequire(process.cwd() + '/')
      // the engine this test run reads with (TRAWL_SQLITE=node under the newer Node, where better-sqlite3 does not load)
      const db = process.env.TRAWL_SQLITE === 'node'
        ? new (require('node:sqlite').DatabaseSync)(${JSON.stringify(file)})
        : new (require('better-sqlite3'))(${JSON.stringify(file)})
      db.exec('PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; BEGIN')
      const insert = db.prepare("INSERT INTO urls(id, url, title, visit_count, typed_count, last_visit_time, hidden) VALUES (?, ?, 'uncommitted', 0, 0, 0, 0)")
      for (let i = 100; i < 3000; i++) insert.run(i, 'https://uncommitted.example/' + 'x'.repeat(200) + i)
      db.prepare('INSERT INTO visits(id, url, visit_time, transition) VALUES (100, 100, 13393245600123456, 0)').run()
      process.kill(process.pid, 'SIGKILL')`
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', writer], {cwd: REPO_ROOT, stdio: 'ignore'})
    } catch {
      // killed, as intended
    }
    expect(existsSync(`${file}-journal`)).toBe(true)
    const evidenceJournal = readFileSync(`${file}-journal`)
    const evidenceMain = readFileSync(file)
    // read-only access alone cannot read it
    expect(() => openDatabase(file, {readonly: true}).prepare('SELECT count(*) FROM urls').get()).toThrow(/readonly/)

    const input = parserInputFor(file)
    expect(input.companions).toEqual(['-journal'])
    const workingCopy = readFileSync(input.copyPath)
    const records = await parseAll(chromiumHistoryParser, input)
    // the rollback happened on a private copy: the working copy and its journal are as collected
    expect(readFileSync(input.copyPath).equals(workingCopy)).toBe(true)
    expect(readFileSync(`${input.copyPath}-journal`).equals(evidenceJournal)).toBe(true)
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    expect(records.filter((r) => r.type === 'browser.visit').map((r) => r.visitId)).toEqual([1, 2, 3, 4, 5])
    expect(records.some((r) => r.title === 'uncommitted')).toBe(false)
    // the original and its journal are untouched
    expect(readFileSync(`${file}-journal`).equals(evidenceJournal)).toBe(true)
    expect(readFileSync(file).equals(evidenceMain)).toBe(true)
  })
})
