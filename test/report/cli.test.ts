/**
 * trawl records and trawl timeline on the demo bundle (fixtures/sample/sample.E01) and on a
 * Windows-like tree with every category: what an examiner checks with TSK's mactime and a spreadsheet.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {beforeAll, describe, expect, it} from 'vitest'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {bodyfileLines, csvField, csvLines, type TimelineEvent} from '../../src/report/timeline.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {buildFullWindowsVolume, HOSTILE_COMMENT} from './full-tree.js'

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes, nothing else; throws on anything off. */
function parseCsvStrict(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let i = 0
  const fail = (why: string) => {
    throw new Error(`CSV not RFC 4180 at byte ${i}: ${why}`)
  }
  while (i < text.length) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) fail('unterminated quoted field')
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += text[i++]
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') fail('quote inside an unquoted field')
        field += text[i++]
      }
    }
    row.push(field)
    if (text[i] === ',') {
      i++
      continue
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      rows.push(row)
      row = []
      i += 2
      continue
    }
    if (i < text.length) fail(`${JSON.stringify(text[i])} after a field (a record must end in CRLF)`)
  }
  if (row.length > 0) fail('the last record does not end in CRLF')
  return rows
}

/** A UTC time as a sortable key: the fraction padded to nanoseconds. */
const key = (t: string) => t.replace(/(\.\d+)?Z$/, (m) => `${(m.length > 1 ? m.slice(0, -1) : '.').padEnd(10, '0')}Z`)

async function recordCounts(bundle: string, dir: string): Promise<Map<string, number>> {
  const zip = BundleZip.open(bundle)
  try {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.sqlite`)
    writeFileSync(path, await zip.readEntry(zip.entry('parsed/records.sqlite')!))
    const db = new Database(path, {readonly: true})
    const counts = new Map((db.prepare('SELECT type, count(*) AS n FROM records GROUP BY type').all() as Array<{type: string; n: number}>).map((r) => [r.type, r.n]))
    db.close()
    const matches = zip.entry('parsed/hash-matches.jsonl')
    if (matches) counts.set('hash.match', (await zip.readEntry(matches)).toString('utf8').trim().split('\n').length)
    return counts
  } finally {
    zip.close()
  }
}

describe('trawl records and trawl timeline from the CLI', () => {
  const dir = scratchDir('trawl-timeline-')
  const full = join(dir, 'full.zip')
  const demo = join(dir, 'demo.zip')

  beforeAll(async () => {
    const keys = await makeKeys(join(dir, 'keys'))
    const {root, hashSet} = buildFullWindowsVolume(join(dir, 'tree'))
    expect((await trawl(['collect', '--source', root, '--out', full, '--case', 'TL-1', '--examiner', 'Test Examiner', '--hashset', hashSet, ...keys.signArgs], {env: keys.env})).stderr).toBe('')
    expect((await trawl(['collect', '--source', join(REPO_ROOT, 'fixtures/sample/sample.E01'), '--out', demo, '--case', 'DEMO-0001', '--examiner', 'Demo Examiner', ...keys.signArgs], {env: keys.env})).stderr).toBe('')
  })

  it('records: every record of the bundle once, by type prefix, and by text in any value', async () => {
    const counts = await recordCounts(full, dir)
    const all = await trawl(['records', full, '--json'])
    expect(all.code).toBe(0)
    const records = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string})
    expect(records.length).toBe([...counts.values()].reduce((a, b) => a + b, 0))
    const browser = await trawl(['records', full, '--type', 'browser', '--json'])
    const browserTypes = browser.stdout.trim().split('\n').map((l) => (JSON.parse(l) as {type: string}).type)
    expect(browserTypes.length).toBe([...counts].filter(([t]) => t.startsWith('browser.')).reduce((a, [, n]) => a + n, 0))
    expect(new Set(browserTypes)).toEqual(new Set(['browser.visit', 'browser.download', 'browser.search', 'browser.bookmark']))
    const visa = await trawl(['records', full, '--type', 'browser.visit', '--grep', 'WORK VISA'])
    const lines = visa.stdout.trim().split('\n')
    expect(lines.length).toBe(records.filter((r) => r.type === 'browser.visit' && JSON.stringify(r).toLowerCase().includes('work visa')).length)
    for (const line of lines) expect(line).toMatch(/^browser\.visit .*work visa.*\[.*History \| table visits row \d+\]$/i)
    expect(visa.stderr).toBe(`${lines.length} records\n`)
    // evidence text reaches the terminal with its control characters escaped
    const hostile = await trawl(['records', full, '--grep', 'hostile.example'])
    expect(hostile.stdout).toContain('</script>')
    expect(hostile.stdout).toContain('\\u2028')
    expect(hostile.stdout).not.toContain('\u2028')
  })

  it("timeline bodyfile: mactime -b reads it, and its lines for files equal TSK's fls -m of the same image", async () => {
    const result = await trawl(['timeline', demo, '--format', 'bodyfile'])
    expect(result.code).toBe(0)
    const body = join(dir, 'demo.body')
    writeFileSync(body, result.stdout)
    const mactime = spawnSync('mactime', ['-b', body, '-d', '-z', 'UTC'], {encoding: 'utf8'})
    expect(mactime.error).toBeUndefined()
    expect(mactime.status).toBe(0)
    expect(mactime.stderr).toBe('')
    const rows = mactime.stdout.trim().split('\n')
    expect(rows[0]).toBe('Date,Size,Type,Mode,UID,GID,Meta,File Name')
    expect(rows.some((r) => r.includes('[browser.visit visitTime]'))).toBe(true)
    expect(rows.some((r) => r.startsWith('Xxx'))).toBe(false)

    // fixtures/sample/golden/fls-m.txt: fls -r -m / of the image's NTFS partition (fls-m.sh made it)
    const fls = new Map(readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/fls-m.txt'), 'utf8').trim().split('\n').map((l) => [l.split('|')[1]!, l.split('|')]))
    const fileLines = result.stdout.trim().split('\n').map((l) => l.split('|')).filter((f) => f[2] !== '0')
    const manifest = JSON.parse(execFileSync('unzip', ['-p', demo, 'manifest.json'], {encoding: 'utf8'})) as {entries: Array<{kind: string; md5: string; source?: {stream?: string; fileNameTimes?: unknown[]}}>}
    const copies = manifest.entries.filter((e) => e.kind === 'copy')
    expect(fileLines.length).toBe(copies.length + copies.reduce((n, e) => n + (e.source?.stream ? 0 : (e.source?.fileNameTimes?.length ?? 0)), 0))
    for (const ours of fileLines) {
      const theirs = fls.get(ours[1]!)
      expect(theirs, ours[1]).toBeDefined()
      // name, mode, MFT entry, and the four times atime|mtime|ctime|crtime in whole seconds
      expect([ours[1], ours[3], ours[2]!.split('-')[0], ...ours.slice(7)]).toEqual([theirs![1], theirs![3], theirs![2]!.split('-')[0], ...theirs!.slice(7)])
      // fls -m gives a $FILE_NAME line the attribute's own length; a data line the file's size, as trawl
      if (!ours[1]!.endsWith(' ($FILE_NAME)')) expect(ours[6]).toBe(theirs![6])
      // where fls writes 0, trawl writes the MD5 it computed while copying
      expect(copies.some((e) => e.md5 === ours[0])).toBe(true)
    }
  })

  it('bodyfile fields are atime|mtime|ctime|crtime in that order (TSK bodyfile 3.x)', () => {
    const times = {accessed: '2024-01-01T00:00:01.9999999Z', modified: '2024-01-01T00:00:02Z', changed: '2024-01-01T00:00:03.5Z', created: '2024-01-01T00:00:04Z'}
    const event: TimelineEvent = {time: times.created, type: 'file', event: '$SI created', description: '', source: '', copy: 'files/p1/a', volume: 'p1', file: {path: 'a|b', size: 5, inode: '70-2', md5: 'm', deleted: true, times}}
    const base = Date.UTC(2024, 0, 1) / 1000
    expect([...bodyfileLines([event], 1)]).toEqual([`m|/a%7Cb (deleted)|70-2|-/rrwxrwxrwx|0|0|5|${base + 1}|${base + 2}|${base + 3}|${base + 4}`])
  })

  it('timeline csv: strict RFC 4180, sorted, every UTC time of every record and file', async () => {
    const result = await trawl(['timeline', full, '--format', 'csv'])
    expect(result.code).toBe(0)
    const rows = parseCsvStrict(result.stdout)
    expect(rows[0]).toEqual(['Time (UTC)', 'Type', 'Event', 'Description', 'Source', 'Copy in bundle', 'Volume', 'Artifact'])
    for (const row of rows) expect(row.length).toBe(8)
    const data = rows.slice(1)
    for (let i = 1; i < data.length; i++) expect(key(data[i]![0]!) >= key(data[i - 1]![0]!), `${data[i - 1]![0]} then ${data[i]![0]}`).toBe(true)
    for (const row of data) expect(row[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/)
    // every copied file's times are there: $SI and $FN on NTFS, stat times here
    const jsonl = await trawl(['timeline', full, '--format', 'jsonl'])
    const events = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; copy: string})
    expect(events.length).toBe(data.length)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', full, 'manifest.json'], {encoding: 'utf8'})) as {entries: Array<{kind: string; path: string; source?: {times: Record<string, string>}}>}
    for (const entry of manifest.entries.filter((e) => e.kind === 'copy')) {
      expect(events.filter((e) => e.type === 'file' && e.copy === entry.path).length).toBe(Object.keys(entry.source!.times).length)
    }
    expect(data.some((r) => r[1] === 'chat.message' && r[2] === 'sentAt')).toBe(true)
    expect(data.some((r) => r[1] === 'network.rdp' && r[2] === 'lastWritten')).toBe(true)
    expect(data.some((r) => r[1] === 'media.exif' && r[2] === 'dateTimeOriginal')).toBe(true)
  })

  it('timeline --from/--to/--type narrow it; a time that is not UTC is a usage error', async () => {
    const result = await trawl(['timeline', full, '--format', 'jsonl', '--from', '2024-09-05', '--to', '2024-09-05T08:54:00.123456Z', '--type', 'browser'])
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as {time: string; type: string})
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) {
      expect(e.type.startsWith('browser.')).toBe(true)
      expect(key(e.time) >= key('2024-09-05T00:00:00Z') && key(e.time) <= key('2024-09-05T08:54:00.123456Z'), e.time).toBe(true)
    }
    expect(events.some((e) => e.time === '2024-09-05T08:54:00.123456Z')).toBe(true)
    const bad = await trawl(['timeline', full, '--format', 'csv', '--from', 'yesterday'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^trawl: yesterday is not a UTC time/)
  })

  it('CSV: hostile text with quotes, commas and line breaks reads back intact with a strict reader', () => {
    const description = `${HOSTILE_COMMENT},\r\nsecond line "quoted"`
    const event: TimelineEvent = {time: '2024-01-01T00:00:00Z', type: 'network.hosts', event: 'x', description, source: 'hosts | line 6', copy: 'files/dir/hosts'}
    const rows = parseCsvStrict([...csvLines([event])].join(''))
    expect(rows[1]).toEqual(['2024-01-01T00:00:00Z', 'network.hosts', 'x', description, 'hosts | line 6', 'files/dir/hosts', '', ''])
  })

  it('CSV fields: quotes doubled, formulas guarded', () => {
    expect(csvField('a,"b"')).toBe('"a,""b"""')
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvField('line\r\nbreak')).toBe('"line\r\nbreak"')
  })
})
