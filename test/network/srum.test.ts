/**
 * SRUM records from the three real SRUDB.dat (../shared/testdata/windows/srum), with the
 * names the SOFTWARE hive gives (fixtures/srum/SOFTWARE, built by fixtures/srum/build.sh
 * for the go-ese database's SIDs) and the coverage account of every table.
 */
import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {bufferReader, EseDatabase} from '../../src/ese/database.js'
import {xorChecksum} from '../../src/ese/header.js'
import {parseEntry, parsePage} from '../../src/ese/page.js'
import {unexplainedRows} from '../../src/parsers/coverage.js'
import {srumParser, SRUM_TABLES} from '../../src/parsers/network/srum.js'
import type {CollectedFile, ParsedRecord} from '../../src/parsers/types.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'

const SOFTWARE = join(REPO_ROOT, 'fixtures/srum/SOFTWARE')
const WLAN_XML = join(REPO_ROOT, 'fixtures/network/wlan/home.xml')

function volumeWith(files: Record<string, string>): (path: string) => Promise<CollectedFile | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-related-'))
  return async (path) => {
    const from = files[path]
    if (!from) return undefined
    const copyPath = join(dir, path.replace(/\//g, '_'))
    copyFileSync(from, copyPath)
    return {bundlePath: `files/test/${path}`, copyPath, sourcePath: path, size: 0, sha256: ''}
  }
}

const related = volumeWith({
  'Windows/System32/config/SOFTWARE': SOFTWARE,
  'ProgramData/Microsoft/Wlansvc/Profiles/Interfaces/{2B8F1A6C-5D3E-4F70-9A1B-0C2D3E4F5A6B}/{8C1E2D3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F}.xml': WLAN_XML,
})

async function srum(file: string, collectRelated = related): Promise<{records: ParsedRecord[]; input: ReturnType<typeof parserInputFor>}> {
  const input = parserInputFor(file, {sourcePath: 'Windows/System32/sru/SRUDB.dat', collectRelated})
  return {records: await parseAll(srumParser, input), input}
}

const ofType = (records: ParsedRecord[], type: string): ParsedRecord[] => records.filter((r) => r.type === type)

describeShared('SRUM parser on the go-ese SRUDB.dat', () => {
  it('one network.usage record per row of the network data usage table, naming app, user, bytes and interface', async () => {
    const {records} = await srum(sharedFile('windows/srum/go-ese/SRUDB.dat'))
    expect(ofType(records, 'network.usage')).toHaveLength(255)
    expect(ofType(records, 'network.connectivity')).toHaveLength(17)
    expect(ofType(records, 'system.app-usage')).toHaveLength(1778)
    // esedbexport row 1 of {973F5D5C-...}: 6, Oct 07, 2021 08:54:00, 161, 8, 1689399632855040, 0, 0, 4063, 12213
    expect(ofType(records, 'network.usage')[0]).toEqual({
      type: 'network.usage',
      source: {file: 'files/test/SRUDB.dat', sourcePath: 'Windows/System32/sru/SRUDB.dat', volume: 'test', table: SRUM_TABLES.networkUsage, rowid: 6},
      provider: '%SystemRoot%\\System32\\nduprov.dll',
      timestamp: '2021-10-07T08:54:00.000Z',
      autoIncId: 6,
      appId: 161,
      app: 'WManSvc',
      appKind: 'service',
      userId: 8,
      userSid: 'S-1-5-18',
      user: 'SYSTEM',
      interface: {luid: '1689399632855040', type: 'ethernet', index: 32769},
      l2ProfileId: 0,
      profileName: null,
      ssid: null,
      l2ProfileFlags: 0,
      bytesSent: 4063,
      bytesReceived: 12213,
    })
    // the user SID of most traffic gets its name from the SOFTWARE hive's ProfileList
    const ana = ofType(records, 'network.usage').filter((r) => r.userSid === 'S-1-5-21-3442094626-3791537600-2028639842-1001')
    expect(ana).toHaveLength(108)
    expect(new Set(ana.map((r) => r.user))).toEqual(new Set(['ana']))
    const edge = ana.filter((r) => r.app === '\\device\\harddiskvolume3\\program files (x86)\\microsoft\\edge\\application\\msedge.exe')
    expect(edge.reduce((sum, r) => sum + (r.bytesReceived as number), 0)).toBe(244608290)
  })

  it('network.connectivity: connected seconds per profile from ConnectStartTime (a FILETIME), full precision', async () => {
    const {records} = await srum(sharedFile('windows/srum/go-ese/SRUDB.dat'))
    // esedbexport: 2, Oct 07, 2021 08:55:00, 1, 2, 1689399632855040, 0, 3644, Oct 07, 2021 07:54:15.649933000, 0
    expect(ofType(records, 'network.connectivity')[0]).toMatchObject({
      provider: '%SystemRoot%\\System32\\ncuprov.dll',
      timestamp: '2021-10-07T08:55:00.000Z',
      connectedSeconds: 3644,
      connectStartTime: '2021-10-07T07:54:15.6499330Z',
      interface: {type: 'ethernet'},
    })
  })

  it('accounts for every table: record tables fully parsed, the id map as names, MSys* as bookkeeping, the other providers listed as not read', async () => {
    const {input} = await srum(sharedFile('windows/srum/go-ese/SRUDB.dat'))
    const [account] = input.coverage
    expect(account).toMatchObject({parser: 'srum', store: 'ese', sourcePath: 'Windows/System32/sru/SRUDB.dat'})
    expect(unexplainedRows(account!)).toBe(0)
    const table = (name: string) => account!.tables.find((t) => t.table === name)
    expect(table(SRUM_TABLES.networkUsage)).toMatchObject({known: true, rows: 255, parsed: 255, unexplained: 0})
    expect(table(SRUM_TABLES.appResourceUsage)).toMatchObject({known: true, rows: 1778, parsed: 1778})
    expect(table('SruDbIdMapTable')).toMatchObject({known: true, rows: 1141, excluded: [{rows: 1141}]})
    expect(table('MSysObjects')).toMatchObject({known: false, rows: 241, excluded: [{reason: 'ESE catalog and engine bookkeeping, not evidence of use', rows: 241}]})
    expect(table('{5C8CF1C7-7257-4F13-B223-970EF5939312}')).toMatchObject({known: false, rows: 4038, excluded: []})
    expect(account!.tables).toHaveLength(14)
  })

  it('an L2ProfileId names its Wi-Fi network through WlanSvc ProfileIndex and the profile XML', async () => {
    // The real rows are all wired (L2ProfileId 0): give one row the profile index 7 of the fixture hive, in a copy.
    const bytes = Buffer.from(readFileSync(sharedFile('windows/srum/go-ese/SRUDB.dat')))
    const database = new EseDatabase(bufferReader(bytes), 'copy')
    const table = database.table(SRUM_TABLES.networkUsage)!
    const row = [...database.rows(table)][0]!
    const pageStart = (row.page + 1) * 4096
    const page = parsePage(bytes.subarray(pageStart, pageStart + 4096), row.page, database.layout)
    const tag = page.tags[row.tag]!
    const value = page.bytes.subarray(tag.offset, tag.offset + tag.size)
    const first = page.tags[0]!
    const entry = parseEntry(value, tag, page.bytes.subarray(first.offset, first.offset + first.size))!
    let at = pageStart + tag.offset + (value.length - entry.data.length) + 4
    for (const column of table.fixedColumns) {
      if (column.name === 'L2ProfileId') break
      at += column.size
    }
    bytes.writeUInt32LE(7, at)
    bytes.writeUInt32LE(xorChecksum(bytes.subarray(pageStart, pageStart + 4096), 8, row.page), pageStart)
    const dir = mkdtempSync(join(tmpdir(), 'trawl-srum-'))
    writeFileSync(join(dir, 'SRUDB.dat'), bytes)
    const {records} = await srum(join(dir, 'SRUDB.dat'))
    expect(ofType(records, 'network.usage')[0]).toMatchObject({
      l2ProfileId: 7,
      wlanProfileGuid: '{8C1E2D3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F}',
      profileName: 'HomeNet',
      ssid: 'HomeNet',
      profileFile: 'files/test/ProgramData/Microsoft/Wlansvc/Profiles/Interfaces/{2B8F1A6C-5D3E-4F70-9A1B-0C2D3E4F5A6B}/{8C1E2D3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F}.xml',
      bytesSent: 4063,
    })
    expect(records.filter((r) => r.type === 'error')).toEqual([])
  })

  it('without a SOFTWARE hive: users stay SIDs, and an error record says why', async () => {
    const {records} = await srum(sharedFile('windows/srum/go-ese/SRUDB.dat'), async () => undefined)
    expect(ofType(records, 'error').map((r) => r.error)).toEqual(['Windows/System32/config/SOFTWARE not found on the volume: SRUM users stay SIDs, L2 profiles stay numbers'])
    expect(ofType(records, 'network.usage').find((r) => r.userId === 155)).toMatchObject({userSid: 'S-1-5-21-3442094626-3791537600-2028639842-1001', user: null, provider: 'Network Data Usage Monitor'})
  })
})

describeShared('SRUM parser on the RathbunVM SRUDB.dat (Windows 10 and 11)', () => {
  for (const [name, usage, connectivity, apps] of [
    ['dam_win10_rathbunvm_clean', 23, 1, 118],
    ['dam_win11_rathbunvm_clean', 143, 9, 662],
  ] as const) {
    it(`${name}: one record per row, every row accounted for`, async () => {
      const {records, input} = await srum(sharedFile(`windows/srum/${name}/SRUDB.dat`), async () => undefined)
      expect([ofType(records, 'network.usage').length, ofType(records, 'network.connectivity').length, ofType(records, 'system.app-usage').length]).toEqual([usage, connectivity, apps])
      expect(ofType(records, 'ese.database')).toEqual([expect.objectContaining({state: 'clean shutdown', dirty: false, problems: 0})])
      expect(unexplainedRows(input.coverage[0]!)).toBe(0)
      for (const record of ofType(records, 'network.usage')) expect(record.timestamp).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    })
  }
})
