import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {XmlElement, XmlNode} from '../../src/evtx/binxml.js'
import type {EvtxRecord} from '../../src/evtx/evtx-file.js'
import {eventFields} from '../../src/evtx/event.js'
import {eventLogParsers} from '../../src/parsers/eventlog/index.js'
import {networkProfileLog, rdpClientLog, rdpLocalSessionLog, wlanLog} from '../../src/parsers/eventlog/channels.js'
import type {ParsedRecord} from '../../src/parsers/types.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {evtxexportRecords, notation} from './oracle.js'
import {syntheticEvtx, type SyntheticEvent} from './synthetic-evtx.js'

const FIX = join(REPO_ROOT, 'fixtures/evtx')
const RCM = '2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx'
const parser = (id: string) => eventLogParsers.find((p) => p.id === id)!

/** The oracle's value of EventData/Data[@Name=name] (or a UserData leaf) for each record, by EventRecordID. */
function oracleValues(file: string, eventIds: number[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  for (const r of evtxexportRecords(join(FIX, `${file}.evtxexport.xml.gz`))) {
    const id = Number(r.lines.find((l) => l.startsWith('/Event/System/EventID='))!.split('=')[1])
    if (!eventIds.includes(id)) continue
    const values = new Map<string, string>()
    const lines = r.lines.map(notation)
    for (let i = 0; i < lines.length; i++) {
      const name = /^\/Event\/EventData\/Data@Name=(.*)$/.exec(lines[i]!)?.[1]
      if (name !== undefined) values.set(name, lines[i + 1]!.replace(/^\/Event\/EventData\/Data=/, ''))
      const leaf = /^\/Event\/UserData\/[^/]+\/([^/@=]+)=(.*)$/.exec(lines[i]!)
      if (leaf) values.set(leaf[1]!, leaf[2]!)
      if (lines[i]!.startsWith('/Event/System/TimeCreated@SystemTime=')) values.set('@time', lines[i]!.split('=')[1]!)
    }
    out.set(r.recordId, values)
  }
  return out
}

const none = (v: string | undefined) => (v === undefined || v === '' || v === '-' ? null : v)

describe('eventlog-security on real Security logs', () => {
  it('security.evtx: one system.logon per 4624/4625/4634/4647/4778/4779, values equal evtxexport, every other event excluded by id', async () => {
    const input = parserInputFor(join(FIX, 'security.evtx'))
    const records = await parseAll(parser('eventlog-security'), input)
    const oracle = oracleValues('security.evtx', [4624, 4625, 4634, 4647, 4778, 4779])
    const logons = records.filter((r) => r.type === 'system.logon')
    expect(logons).toHaveLength(oracle.size)
    expect(logons.filter((r) => r.eventId === 4624)).toHaveLength(583)
    expect(logons.filter((r) => r.eventId === 4647)).toHaveLength(36)
    for (const r of logons) {
      const o = oracle.get(String(r.eventRecordId))!
      expect(o, `record ${r.eventRecordId}`).toBeDefined()
      expect([r.account, r.domain, r.logonId, r.sourceAddress, r.workstation]).toEqual([
        none(o.get('TargetUserName')),
        none(o.get('TargetDomainName')),
        none(o.get('TargetLogonId'))?.replace(/^0x0+(?=.)/, '0x') ?? null,
        none(o.get('IpAddress')),
        none(o.get('WorkstationName')),
      ])
      expect(r.logonType).toBe(o.has('LogonType') ? Number(o.get('LogonType')) : null)
      expect(notation(`T=${String(r.time)}`)).toBe(`T=${o.get('@time')}`)
      expect(r.source).toMatchObject({file: input.bundlePath, table: expect.stringMatching(/^chunk \d+$/), rowid: expect.stringMatching(/^\d+$/)})
    }
    const first = logons.find((r) => r.eventId === 4624)!
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/)
    const [account] = input.coverage
    expect(account).toMatchObject({parser: 'eventlog-security', store: 'evtx'})
    const events = account!.tables.find((t) => t.table === 'event records')!
    expect(events).toMatchObject({rows: 2261, parsed: logons.length, unexplained: 0})
    expect(events.excluded).toContainEqual({reason: 'event 4672: not an event this parser reads', rows: 459})
    expect(account!.tables.find((t) => t.table === 'chunks')).toMatchObject({unexplained: 0})
  })

  it('Security_short_selected.evtx: the 4625 failed remote-interactive logon of Administrator, with status', async () => {
    const records = await parseAll(parser('eventlog-security'), parserInputFor(join(FIX, 'Security_short_selected.evtx')))
    const [failed, ...rest] = records.filter((r) => r.type === 'system.logon')
    expect(rest).toEqual([])
    const o = oracleValues('Security_short_selected.evtx', [4625]).get(String(failed!.eventRecordId))!
    expect(failed).toMatchObject({action: 'logon-failed', logonType: 10, logonTypeName: 'RemoteInteractive', account: none(o.get('TargetUserName')), sourceAddress: none(o.get('IpAddress')), status: o.get('Status'), subStatus: o.get('SubStatus')})
  })
})

describe('eventlog-rdp-remote-connection on a real RemoteConnectionManager log (damaged chunks)', () => {
  it('five 1149 authentications with user, domain and source address as evtxexport reads them; damage reported, the rest read', async () => {
    const input = parserInputFor(join(FIX, RCM))
    const records = await parseAll(parser('eventlog-rdp-remote-connection'), input)
    const rdp = records.filter((r) => r.type === 'network.rdp-event')
    const oracle = oracleValues(RCM, [1149])
    expect(rdp).toHaveLength(5)
    expect(oracle.size).toBe(5)
    for (const r of rdp) {
      const o = oracle.get(String(r.eventRecordId))!
      expect([r.direction, r.action, r.account, r.domain, r.sourceAddress]).toEqual(['incoming', 'authenticated', none(o.get('Param1')), none(o.get('Param2')), none(o.get('Param3'))])
    }
    expect(rdp.map((r) => r.account)).toContain('mpowers')
    const errors = records.filter((r) => r.type === 'error')
    expect(errors.map((e) => e.error)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^chunk 1 fails its record data checksum/), expect.stringMatching(/^event record 463011: unexpected BinXml token/), expect.stringMatching(/^no valid event record at chunk offset 32904/)]),
    )
    // chunks 1 and 15 were partly overwritten (the log comes from a volume shadow copy): 97 records their
    // headers declare are not there, and the account says so instead of looking complete
    expect(errors.map((e) => e.error)).toEqual(
      expect.arrayContaining([
        'chunk 1: its header declares records 401513-401596 (84); 51 of them were found and 2 stretches were damaged: 31 declared records are not in the chunk (lost to damage or overwritten)',
        'chunk 15: its header declares records 352106-352210 (105); 39 of them were found and 0 stretches were damaged: 66 declared records are not in the chunk (lost to damage or overwritten)',
      ]),
    )
    const events = input.coverage[0]!.tables.find((t) => t.table === 'event records')!
    expect(events).toMatchObject({rows: 1894, parsed: 5, unexplained: 97})
    expect(events.excluded).toEqual(
      expect.arrayContaining([
        {reason: 'event 261: not an event this parser reads', rows: 1790},
        {reason: 'damaged record or stretch (error record)', rows: 2},
      ]),
    )
  })

  it('a file that is not an event log is refused by signature and, if forced, fails with a ParseError', async () => {
    expect(parser('eventlog-security').accepts!(Buffer.from('SQLite format 3\0'))).toBe(false)
    await expect(parseAll(parser('eventlog-security'), parserInputFor(join(REPO_ROOT, 'fixtures/evtx/README.md')))).rejects.toThrow(/not an EVTX file/)
  })
})

/**
 * No WLAN-AutoConfig, NetworkProfile, LocalSessionManager or RDPClient log with a licence
 * allowing it to be committed was found (fixtures/evtx/README.md): these handlers are checked
 * on event trees built here, with the data names those channels' manifests define.
 */
function event(provider: string, id: number, data: Record<string, string>, user = false): XmlNode[] {
  const el = (name: string, children: XmlNode[] = [], attributes: XmlElement['attributes'] = []): XmlElement => ({kind: 'element', name, attributes, children})
  const str = (value: string): XmlNode => ({kind: 'value', value: {type: 'string', value}})
  const system = el('System', [el('Provider', [], [{name: 'Name', content: [{kind: 'value', value: {type: 'string', value: provider}}]}]), el('EventID', [{kind: 'value', value: {type: 'int', bits: 16, signed: false, value: id}}])])
  const body = user
    ? el('UserData', [el('EventXML', Object.entries(data).map(([k, v]) => el(k, [str(v)])))])
    : el('EventData', Object.entries(data).map(([k, v]) => el('Data', [str(v)], [{name: 'Name', content: [{kind: 'value', value: {type: 'string', value: k}}]}])))
  return [el('Event', [system, body])]
}

function handle(reader: typeof wlanLog, nodes: XmlNode[]): Record<string, unknown> {
  const fields = eventFields(nodes)
  return reader.handlers[fields.eventId!]!(fields, {} as EvtxRecord) as ParsedRecord
}

describe('channel handlers on built events (no licensed real log found)', () => {
  it('WLAN 8001 connected and 8003 disconnected: SSID, profile, BSSID (Vista/7 manifests), interface, reason', () => {
    const connected = handle(wlanLog, event('Microsoft-Windows-WLAN-AutoConfig', 8001, {InterfaceGuid: '{0D3A1B2C-0000-4000-8000-000000000001}', InterfaceDescription: 'Intel(R) Wi-Fi 6 AX201', ConnectionMode: 'Automatic connection with a profile', ProfileName: 'CafeNet', SSID: 'CafeNet', BSSType: 'Infrastructure', BSSID: '00:11:22:33:44:55', PHYType: '802.11ac', AuthenticationAlgorithm: 'WPA2-Personal', CipherAlgorithm: 'AES-CCMP', OnexEnabled: '0'}))
    expect(connected).toMatchObject({action: 'connected', ssid: 'CafeNet', profileName: 'CafeNet', bssid: '00:11:22:33:44:55', interfaceDescription: 'Intel(R) Wi-Fi 6 AX201', authentication: 'WPA2-Personal', encryption: 'AES-CCMP'})
    const gone = handle(wlanLog, event('Microsoft-Windows-WLAN-AutoConfig', 8003, {SSID: 'CafeNet', ProfileName: 'CafeNet', Reason: 'The network is disconnected by the user.', ReasonCode: '0x8'}))
    expect(gone).toMatchObject({action: 'disconnected', ssid: 'CafeNet', bssid: null, reason: 'The network is disconnected by the user.', reasonCode: '0x8'})
  })

  it('NetworkProfile 10000/10001: network connected and disconnected by name', () => {
    expect(handle(networkProfileLog, event('Microsoft-Windows-NetworkProfile', 10000, {Name: 'HomeNet 2', Description: 'HomeNet', Guid: '{AB000000-0000-0000-0000-000000000001}', Type: '0', State: '9', Category: '0'}))).toMatchObject({action: 'connected', networkName: 'HomeNet 2', description: 'HomeNet', category: '0'})
    expect(handle(networkProfileLog, event('Microsoft-Windows-NetworkProfile', 10001, {Name: 'HomeNet 2', Description: 'HomeNet', Type: '0', State: '0', Category: '0'}))).toMatchObject({action: 'disconnected', networkName: 'HomeNet 2'})
  })

  it('LocalSessionManager 21/24/25 (UserData): user, session id and source address; RDPClient 1024: the server', () => {
    expect(handle(rdpLocalSessionLog, event('Microsoft-Windows-TerminalServices-LocalSessionManager', 21, {User: 'WS01\\ana', SessionID: '2', Address: '10.0.0.7'}, true))).toMatchObject({direction: 'incoming', action: 'session-logon', account: 'WS01\\ana', sessionId: 2, sourceAddress: '10.0.0.7'})
    expect(handle(rdpLocalSessionLog, event('Microsoft-Windows-TerminalServices-LocalSessionManager', 24, {User: 'WS01\\ana', SessionID: '2', Address: '10.0.0.7'}, true))).toMatchObject({action: 'session-disconnected'})
    expect(handle(rdpLocalSessionLog, event('Microsoft-Windows-TerminalServices-LocalSessionManager', 25, {User: 'WS01\\ana', SessionID: '2', Address: 'LOCAL'}, true))).toMatchObject({action: 'session-reconnected', sourceAddress: 'LOCAL'})
    expect(handle(rdpClientLog, event('Microsoft-Windows-TerminalServices-ClientActiveXCore', 1024, {Name: 'Server Name', Value: 'fileserver.example.org', CustomLevel: 'Info'}))).toMatchObject({direction: 'outgoing', action: 'connecting', server: 'fileserver.example.org'})
  })
})

describe('a truncated Security log', () => {
  it('cut 7 000 bytes into its only chunk, inside its sixth record: an error record says so, the whole records before the cut are still read', async () => {
    const {copyFileSync, truncateSync, mkdtempSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const cut = join(mkdtempSync(join(tmpdir(), 'trawl-evtx-')), 'Security.evtx')
    copyFileSync(join(FIX, 'Security_short_selected.evtx'), cut)
    truncateSync(cut, 4096 + 7000)
    const input = parserInputFor(cut)
    const records = await parseAll(parser('eventlog-security'), input)
    expect(records.filter((r) => r.type === 'error').map((r) => r.error)).toEqual(
      expect.arrayContaining(['the file ends 7000 bytes into its last chunk (a truncated copy?): that chunk is read as far as it goes', expect.stringMatching(/^chunk 0 fails its record data checksum/)]),
    )
    const events = input.coverage[0]!.tables.find((t) => t.table === 'event records')!
    expect(events.unexplained).toBe(0)
    // the 4625 logon lies before the cut: it is still there
    expect(records.filter((r) => r.type === 'system.logon').map((r) => r.eventId)).toEqual([4625])
  })
})

describe('channel parsers on synthetic logs (test/evtx/synthetic-evtx.ts: no licensed real WLAN, NetworkProfile or RDPClient log)', () => {
  async function syntheticLog(name: string, events: SyntheticEvent[]): Promise<string> {
    const {mkdtempSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const path = join(mkdtempSync(join(tmpdir(), 'trawl-evtx-')), `synthetic-${name}`)
    writeFileSync(path, syntheticEvtx(events))
    return path
  }
  const wlan = (eventId: number, recordId: number, time: string, data: Record<string, string>): SyntheticEvent => ({provider: 'Microsoft-Windows-WLAN-AutoConfig', eventId, recordId, time, channel: 'Microsoft-Windows-WLAN-AutoConfig/Operational', computer: 'LAPTOP-7', data})

  it('WLAN AutoConfig: connected and disconnected with SSID (XML specials kept), BSSID and times at 100 ns; other ids excluded by id', async () => {
    const path = await syntheticLog('Microsoft-Windows-WLAN-AutoConfig%4Operational.evtx', [
      wlan(8001, 1, '2024-03-01T08:15:02.1234567Z', {InterfaceGuid: '{0D3A1B2C-0000-4000-8000-000000000001}', InterfaceDescription: 'Intel(R) Wi-Fi 6 AX201', ConnectionMode: 'Automatic connection with a profile', ProfileName: 'Hotel & Spa <5G>', SSID: 'Hotel & Spa <5G>', BSSType: 'Infrastructure', BSSID: 'a4:2b:b0:11:22:33'}),
      wlan(11004, 2, '2024-03-01T08:15:03Z', {SSID: 'Hotel & Spa <5G>'}),
      wlan(8003, 3, '2024-03-01T09:40:00Z', {ProfileName: 'Hotel & Spa <5G>', SSID: 'Hotel & Spa <5G>', Reason: 'The network is disconnected by the user.'}),
    ])
    const input = parserInputFor(path)
    const records = (await parseAll(parser('eventlog-wlan'), input)).filter((r) => r.type === 'network.wlan-event')
    expect(records.map((r) => [r.action, r.ssid, r.bssid, r.time, r.eventRecordId, r.source.table, r.source.rowid])).toEqual([
      ['connected', 'Hotel & Spa <5G>', 'a4:2b:b0:11:22:33', '2024-03-01T08:15:02.1234567Z', '1', 'chunk 0', '1'],
      ['disconnected', 'Hotel & Spa <5G>', null, '2024-03-01T09:40:00.0000000Z', '3', 'chunk 0', '3'],
    ])
    expect(records[1]!.reason).toBe('The network is disconnected by the user.')
    expect(input.coverage[0]!.tables.find((t) => t.table === 'event records')).toMatchObject({rows: 3, parsed: 2, excluded: [{reason: 'event 11004: not an event this parser reads', rows: 1}], unexplained: 0})
  })

  it('NetworkProfile 10000/10001 and RDPClient 1024/1102: network names and outgoing RDP servers', async () => {
    const np = (eventId: number, recordId: number, name: string): SyntheticEvent => ({provider: 'Microsoft-Windows-NetworkProfile', eventId, recordId, time: '2024-03-02T10:00:00.5Z', channel: 'Microsoft-Windows-NetworkProfile/Operational', computer: 'LAPTOP-7', data: {Name: name, Description: name, Guid: '{5737EAEA-782D-4E67-A998-BF231E4C1753}', Type: '0', State: '1', Category: '0'}})
    const profile = await parseAll(parser('eventlog-network-profile'), parserInputFor(await syntheticLog('Microsoft-Windows-NetworkProfile%4Operational.evtx', [np(10000, 7, 'Hotel & Spa <5G> 2'), np(10001, 8, 'Hotel & Spa <5G> 2')])))
    expect(profile.filter((r) => r.type === 'network.connection-event').map((r) => [r.action, r.networkName])).toEqual([
      ['connected', 'Hotel & Spa <5G> 2'],
      ['disconnected', 'Hotel & Spa <5G> 2'],
    ])
    const rdp = (eventId: number, recordId: number, value: string): SyntheticEvent => ({provider: 'Microsoft-Windows-TerminalServices-ClientActiveXCore', eventId, recordId, time: '2024-03-02T11:00:00Z', channel: 'Microsoft-Windows-TerminalServices-RDPClient/Operational', computer: 'LAPTOP-7', data: {Name: 'Server Name', Value: value, CustomLevel: 'Info'}})
    const client = await parseAll(parser('eventlog-rdp-client'), parserInputFor(await syntheticLog('Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx', [rdp(1024, 1, 'fileserver.example.org'), rdp(1102, 2, '203.0.113.9')])))
    expect(client.filter((r) => r.type === 'network.rdp-event').map((r) => [r.direction, r.action, r.server])).toEqual([
      ['outgoing', 'connecting', 'fileserver.example.org'],
      ['outgoing', 'connection-initiated', '203.0.113.9'],
    ])
  })
})
