import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {beforeAll, expect, it} from 'vitest'
import type {CoverageAccount} from '../../src/parsers/coverage.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'

const LOGS = 'Windows/System32/winevt/Logs'
const RCM = 'Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx'
const HISTORY = 'Users/ana/AppData/Local/Microsoft/Windows/History/History.IE5/index.dat'
const CACHE = 'Users/ana/AppData/Local/Microsoft/Windows/Temporary Internet Files/Content.IE5/index.dat'

interface Line {
  type: string
  source: {file: string; table?: string; rowid?: string; offset?: number}
  [k: string]: unknown
}

/** A Windows-like volume with the real Security and RDP logs and the real IE history and cache index.dat files. */
function windowsTree(root: string): void {
  const put = (from: string, to: string) => {
    mkdirSync(dirname(join(root, to)), {recursive: true})
    copyFileSync(from, join(root, to))
  }
  put(join(REPO_ROOT, 'fixtures/evtx/security.evtx'), `${LOGS}/Security.evtx`)
  put(join(REPO_ROOT, 'fixtures/evtx', `2-vss_0-${RCM}`), `${LOGS}/${RCM}`)
  put(sharedFile('browser/ie/plaso_History.IE5_index.dat'), HISTORY)
  put(sharedFile('browser/ie/plaso_Content.IE5_index.dat'), CACHE)
}

describeShared('event logs and IE index.dat end to end from the CLI', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'eventlogs.zip')
  const root = join(dir, 'volume')
  let stdout = ''
  let keys: Awaited<ReturnType<typeof makeKeys>>
  const records: Line[] = []

  beforeAll(async () => {
    windowsTree(root)
    keys = await makeKeys(join(dir, 'keys'))
    const result = await trawl(['collect', '--allow-same-volume', '--source', root, '--out', bundle, '--case', 'EV-1', '--examiner', 'Test Examiner', '--targets', 'eventlog-security,eventlog-rdp-remote-connection,ie-history,ie-cache', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    stdout = result.stdout
    for (const name of execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).split('\n').filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))) {
      for (const line of execFileSync('unzip', ['-p', bundle, name], {encoding: 'utf8', maxBuffer: 1 << 26}).trim().split('\n')) records.push(JSON.parse(line))
    }
  })

  it('the bundle holds the logons, the RDP authentications, the IE visits and cache entries, each naming its file and chunk or offset', () => {
    // bundle paths escape '%' as %25 (src/collect/bundle-paths.ts), so the %4 of a channel file name reads %254 there
    const of = (type: string, file: string) => records.filter((r) => r.type === type && r.source.file === `files/dir/${file.replaceAll('%', '%25')}`)
    expect(of('system.logon', `${LOGS}/Security.evtx`)).toHaveLength(630)
    expect(of('network.rdp-event', `${LOGS}/${RCM}`)).toHaveLength(5)
    expect(of('browser.visit', HISTORY)).toHaveLength(17)
    expect(of('browser.cache', CACHE).length + of('browser.redirect', CACHE).length).toBe(35)
    for (const r of [...of('system.logon', `${LOGS}/Security.evtx`), ...of('network.rdp-event', `${LOGS}/${RCM}`)]) {
      expect(r.source).toMatchObject({table: expect.stringMatching(/^chunk \d+$/), rowid: expect.stringMatching(/^\d+$/), offset: expect.any(Number)})
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/)
    }
    expect(of('network.rdp-event', `${LOGS}/${RCM}`).map((r) => r.account)).toContain('mpowers')
    // the damaged RDP log: its checksum failures, damaged records and the records its chunk headers
    // declare but that are gone are error records, not silence
    expect(of('error', `${LOGS}/${RCM}`).length).toBe(6)
  })

  it('the summary and manifest.json account for every chunk, event record, hash-table entry and index.dat record', () => {
    expect(stdout).toMatch(/^eventlog-security +1 +631 +0$/m)
    expect(stdout).toMatch(/^ {4}event records: 630 \/ 2261 \(excluded: 620 event 4907/m)
    // the RDP log lost 97 records to overwriting: the run does not claim every record was accounted for
    expect(stdout).toMatch(/^ {4}event records: 5 \/ 1894 \(excluded: 1790 event 261: not an event this parser reads; 2 damaged record or stretch \(error record\)\) {2}97 UNEXPLAINED$/m)
    expect(stdout).toContain('WITH ROWS NOT ACCOUNTED FOR')
    expect(stdout).toMatch(/^ {4}hash table entries: 15 \/ 510 \(excluded: 495 never used or freed \(no record\)\)$/m)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'})) as {coverage: CoverageAccount[]}
    expect(manifest.coverage.map((c) => [c.parser, c.store])).toEqual(
      expect.arrayContaining([
        ['eventlog-security', 'evtx'],
        ['eventlog-rdp-remote-connection', 'evtx'],
        ['internet-explorer-index', 'msiecf'],
        ['internet-explorer-index', 'msiecf'],
      ]),
    )
    for (const account of manifest.coverage) for (const t of account.tables) expect(t.unexplained, `${account.file} ${t.table}`).toBe(account.file.includes('RemoteConnectionManager') && t.table === 'event records' ? 97 : 0)
  })

  it('the bundle verifies', async () => {
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
