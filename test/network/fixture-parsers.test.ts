import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {registryNtuserParser} from '../../src/parsers/network/registry-ntuser.js'
import {registrySoftwareParser} from '../../src/parsers/network/registry-software.js'
import {registrySystemParser} from '../../src/parsers/network/registry-system.js'
import type {CollectedFile} from '../../src/parsers/types.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

const FIX = join(REPO_ROOT, 'fixtures/network')

/** collectRelated as the engine does it: a working copy of another file of the same volume. */
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

describe('registry-software on the hivex-built SOFTWARE hive', () => {
  it('two profiles joined with their signatures; local SYSTEMTIMEs converted with the SYSTEM hive’s Eastern time rules', async () => {
    const input = parserInputFor(join(FIX, 'SOFTWARE'), {
      sourcePath: 'Windows/System32/config/SOFTWARE',
      collectRelated: volumeWith({'Windows/System32/config/SYSTEM': join(FIX, 'SYSTEM')}),
    })
    const records = await parseAll(registrySoftwareParser, input)
    expect(records.map((r) => r.type)).toEqual(['registry.hive', 'network.profile', 'network.profile'])
    const [home, corp] = records.slice(1)
    expect(home).toMatchObject({
      profileGuid: '{6B6B2A5E-3C1A-4D22-9F00-0A1B2C3D4E5F}',
      profileName: 'HomeNet',
      category: 'private',
      nameType: 'wireless',
      managed: false,
      // 30 minutes before daylight time starts: standard time, UTC = local + 300 min
      dateCreatedLocal: '2016-03-13T01:30:00.000',
      dateCreated: '2016-03-13T06:30:00.000Z',
      // daylight time: UTC = local + 240 min
      dateLastConnectedLocal: '2016-07-04T18:05:07.250',
      dateLastConnected: '2016-07-04T22:05:07.250Z',
      defaultGatewayMac: '00:1a:2b:3c:4d:5e',
      dnsSuffix: '<none>',
      firstNetwork: 'HomeNet',
      timeZone: {keyName: 'Eastern Standard Time', biasMinutes: 300, from: 'files/test/Windows/System32/config/SYSTEM:ControlSet001\\Control\\TimeZoneInformation'},
    })
    expect(home.signatures).toEqual([
      {
        kind: 'Unmanaged',
        key: 'Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Signatures\\Unmanaged\\010103000F0000F0080000000F0000F0E1A2B3C4D5E6F708192A3B4C5D6E7F80',
        description: 'HomeNet',
        dnsSuffix: '<none>',
        firstNetwork: 'HomeNet',
        defaultGatewayMac: '00:1a:2b:3c:4d:5e',
      },
    ])
    expect(home.source).toMatchObject({key: 'Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{6B6B2A5E-3C1A-4D22-9F00-0A1B2C3D4E5F}'})
    expect(corp).toMatchObject({
      profileName: 'corp.example',
      category: 'domain',
      nameType: 'wired',
      managed: true,
      // the repeated hour when daylight time ends is read as daylight time
      dateCreatedLocal: '2016-11-06T01:30:00.000',
      dateCreated: '2016-11-06T05:30:00.000Z',
      dateLastConnected: '2017-01-15T14:00:00.000Z',
      defaultGatewayMac: 'f0:9f:c2:11:22:33',
      dnsSuffix: 'corp.example',
    })
  })

  it('without a SYSTEM hive the times stay local and an error record says why', async () => {
    const records = await parseAll(registrySoftwareParser, parserInputFor(join(FIX, 'SOFTWARE')))
    expect(records.filter((r) => r.type === 'error').map((r) => r.error)).toEqual([
      'Windows/System32/config/SYSTEM not found on the volume: profile times stay local',
    ])
    const home = records.find((r) => r.type === 'network.profile')!
    expect(home).toMatchObject({dateCreatedLocal: '2016-03-13T01:30:00.000', dateCreated: null, timeZone: null})
  })

  it('a dirty SOFTWARE with its LOG1 companion: the records reflect the log and the hive record says it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-dirty-'))
    copyFileSync(join(FIX, 'dirty-new/SOFTWARE'), join(dir, 'SOFTWARE'))
    copyFileSync(join(FIX, 'dirty-new/SOFTWARE.LOG1'), join(dir, 'SOFTWARE.LOG1'))
    const input = parserInputFor(join(FIX, 'dirty-new/SOFTWARE'), {copyPath: join(dir, 'SOFTWARE'), companions: ['.LOG1']})
    const records = await parseAll(registrySoftwareParser, input)
    expect(records[0]).toMatchObject({type: 'registry.hive', dirty: true, logsApplied: ['SOFTWARE.LOG1']})
    expect(records.filter((r) => r.type === 'network.profile').map((r) => r.profileName)).toEqual(['HomeNet 2', 'corp.example', 'CoffeeShop'])
  })
})

describe('registry-system on the hivex-built SYSTEM hive', () => {
  it('DHCP interface with lease times, Tcpip host and domain names', async () => {
    const records = await parseAll(registrySystemParser, parserInputFor(join(FIX, 'SYSTEM')))
    expect(records.find((r) => r.type === 'system.computer')).toMatchObject({
      computerName: 'FIELD-LAPTOP',
      controlSet: 'ControlSet001',
      hostname: 'FIELD-LAPTOP',
      nvHostname: 'FIELD-LAPTOP',
      domain: 'corp.example',
      nvDomain: 'corp.example',
    })
    const ifaces = records.filter((r) => r.type === 'network.interface')
    expect(ifaces).toHaveLength(1)
    expect(ifaces[0]).toMatchObject({
      interfaceGuid: '{11111111-2222-3333-4444-555555555555}',
      enableDhcp: true,
      ipAddresses: [],
      dhcpIpAddress: '192.168.7.23',
      dhcpSubnetMask: '255.255.255.0',
      dhcpDefaultGateways: ['192.168.7.1'],
      dhcpServer: '192.168.7.1',
      dhcpDomain: 'home.example',
      nameServers: [],
      dhcpNameServers: ['192.168.7.1', '8.8.8.8'],
      leaseObtainedTime: '2016-07-04T18:05:07Z',
      leaseTerminatesTime: '2016-07-05T18:05:07Z',
    })
    expect(records.find((r) => r.type === 'system.timezone')).toMatchObject({
      daylightStart: {month: 3, dayOfWeek: 0, week: 2, hour: 2, minute: 0},
      standardStart: {month: 11, dayOfWeek: 0, week: 1, hour: 2, minute: 0},
    })
  })
})

describe('registry-ntuser on the hivex-built NTUSER.DAT', () => {
  it('remote-desktop servers and MRU, mapped drive Z:, Map Network Drive MRU in MRUList order', async () => {
    const records = await parseAll(registryNtuserParser, parserInputFor(join(FIX, 'NTUSER.DAT'), {captures: {user: 'alice'}}))
    const rdp = records.filter((r) => r.type === 'network.rdp')
    expect(rdp.map((r) => [r.from, r.host, r.usernameHint, r.mruPosition ?? null])).toEqual([
      ['Servers', '10.0.0.5', 'CORP\\alice', null],
      ['Servers', 'jump.corp.example', 'alice', null],
      ['Default', 'jump.corp.example', null, 0],
      ['Default', '10.0.0.5', null, 1],
    ])
    expect(rdp.every((r) => r.user === 'alice')).toBe(true)
    expect(rdp[0].source).toMatchObject({key: 'Software\\Microsoft\\Terminal Server Client\\Servers\\10.0.0.5'})
    expect(rdp[2].source).toMatchObject({key: 'Software\\Microsoft\\Terminal Server Client\\Default', value: 'MRU0'})
    const shares = records.filter((r) => r.type === 'network.share')
    expect(shares.map((r) => [r.from, r.drive, r.remotePath, r.userName])).toEqual([
      ['Network', 'Z:', '\\\\fileserver\\cases', 'CORP\\alice'],
      ['Map Network Drive MRU', null, '\\\\nas01\\evidence', null],
      ['Map Network Drive MRU', null, '\\\\fileserver\\cases', null],
    ])
  })
})

describe('registry-software: signatures whose profile is gone', () => {
  it('are reported on their own (orphanSignature) with gateway MAC and DNS suffix', async () => {
    const data = Buffer.from(readFileSync(join(FIX, 'SOFTWARE')))
    // rename the HomeNet profile key (its nk name is stored as ASCII) so no profile matches its signature
    const at = data.indexOf('{6B6B2A5E-3C1A-4D22-9F00-0A1B2C3D4E5F}', 0, 'latin1')
    expect(at).toBeGreaterThan(4096)
    data.write('E', at + 36, 'latin1')
    const dir = mkdtempSync(join(tmpdir(), 'trawl-orphan-'))
    writeFileSync(join(dir, 'SOFTWARE'), data)
    const records = await parseAll(registrySoftwareParser, parserInputFor(join(dir, 'SOFTWARE')))
    const profiles = records.filter((r) => r.type === 'network.profile')
    expect(profiles.map((p) => [p.profileGuid, p.profileName, p.orphanSignature ?? false])).toEqual([
      ['{6B6B2A5E-3C1A-4D22-9F00-0A1B2C3D4E5E}', 'HomeNet', false],
      ['{A0B1C2D3-E4F5-4607-8899-AABBCCDDEEFF}', 'corp.example', false],
      ['{6B6B2A5E-3C1A-4D22-9F00-0A1B2C3D4E5F}', null, true],
    ])
    expect(profiles[0].defaultGatewayMac).toBeNull()
    expect(profiles[2]).toMatchObject({defaultGatewayMac: '00:1a:2b:3c:4d:5e', dnsSuffix: '<none>', firstNetwork: 'HomeNet', description: 'HomeNet'})
  })
})
