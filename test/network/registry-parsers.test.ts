import {expect, it} from 'vitest'
import {registryNtuserParser} from '../../src/parsers/network/registry-ntuser.js'
import {registrySystemParser} from '../../src/parsers/network/registry-system.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

describeShared('registry-system on the real Windows 7 SYSTEM hive (regipy)', () => {
  it('computer WKS-WIN732BITA, ControlSet001, two interfaces with 10.3.58.5 and 192.168.1.123, Eastern time', async () => {
    const input = parserInputFor(sharedFile('registry/regipy/SYSTEM'), {sourcePath: 'Windows/System32/config/SYSTEM'})
    const records = await parseAll(registrySystemParser, input)
    const byType = (t: string) => records.filter((r) => r.type === t)
    expect(byType('registry.hive')).toHaveLength(1)
    expect(byType('registry.hive')[0]).toMatchObject({dirty: false, logsApplied: []})

    const [computer] = byType('system.computer')
    expect(computer).toMatchObject({computerName: 'WKS-WIN732BITA', controlSet: 'ControlSet001'})
    expect(computer.source).toMatchObject({key: 'ControlSet001\\Control\\ComputerName\\ComputerName', value: 'ComputerName'})

    const interfaces = byType('network.interface')
    // Interfaces holds three GUIDs in ControlSet001 (regfexport golden): two configured, one empty
    expect(interfaces.map((i) => i.interfaceGuid)).toEqual([
      '{698E50A9-4F58-4D86-B61D-F42E58DCACF6}',
      '{6AAFC9A9-0542-4DB2-8760-CCFFA953737C}',
      '{e29ac6c2-7037-11de-816d-806e6f6e6963}',
    ])
    expect(interfaces[0]).toMatchObject({
      enableDhcp: false,
      ipAddresses: ['10.3.58.5'],
      subnetMasks: ['255.255.255.0'],
      defaultGateways: ['10.3.58.1'],
      nameServers: ['10.3.58.4'],
      dhcpServer: '255.255.255.255',
      leaseObtainedTime: null,
    })
    expect(interfaces[1]).toMatchObject({
      ipAddresses: ['192.168.1.123'],
      defaultGateways: ['192.168.1.1'],
      nameServers: ['192.168.1.112'],
      // LeaseObtainedTime 1289408803 and LeaseTerminatesTime 1289948803 (unix seconds, regfexport)
      leaseObtainedTime: '2010-11-10T17:06:43Z',
      leaseTerminatesTime: '2010-11-16T23:06:43Z',
    })
    expect(interfaces[1].source).toMatchObject({key: 'ControlSet001\\services\\Tcpip\\Parameters\\Interfaces\\{6AAFC9A9-0542-4DB2-8760-CCFFA953737C}'})

    const [tz] = byType('system.timezone')
    expect(tz).toMatchObject({
      timeZoneKeyName: 'Eastern Standard Time',
      biasMinutes: 300,
      daylightBiasMinutes: -60,
      standardBiasMinutes: 0,
      activeTimeBiasMinutes: 240,
      // decoded as the documented SYSTEMTIME (wYear, wMonth, wDayOfWeek, wDay, wHour, ...); this hive's bytes
      // (00 00 03 00 02 00 02 00 00 00 ...) give 2nd Tuesday of March 00:00, not the US rule: kept as stored,
      // with the raw bytes beside it so the examiner can see it
      daylightStart: {month: 3, dayOfWeek: 2, week: 2, hour: 0, minute: 0},
      standardStart: {month: 11, dayOfWeek: 1, week: 2, hour: 0, minute: 0},
      daylightStartHex: '0000030002000200' + '0'.repeat(16),
      standardStartHex: '00000b0001000200' + '0'.repeat(16),
    })
  })
})

describeShared('registry-ntuser on real NTUSER.DAT hives', () => {
  it('regipy NTUSER.DAT: mapped drive P: -> \\\\controller\\public (Microsoft Windows Network)', async () => {
    const input = parserInputFor(sharedFile('registry/regipy/NTUSER.DAT'), {captures: {user: 'vibranium'}})
    const records = await parseAll(registryNtuserParser, input)
    const shares = records.filter((r) => r.type === 'network.share')
    expect(shares).toHaveLength(1)
    expect(shares[0]).toMatchObject({
      user: 'vibranium',
      drive: 'P:',
      remotePath: '\\\\controller\\public',
      userName: null,
      providerName: 'Microsoft Windows Network',
      connectionType: 1,
      from: 'Network',
    })
    expect(shares[0].source).toMatchObject({key: 'Network\\p'})
    // Terminal Server Client exists but holds no Servers or Default keys in this hive
    expect(records.filter((r) => r.type === 'network.rdp')).toHaveLength(0)
  })

  it('plaso_regf_NTUSER.DAT: no remote-desktop or share traces (the hive has an empty Network key)', async () => {
    const records = await parseAll(registryNtuserParser, parserInputFor(sharedFile('registry/plaso_regf_NTUSER.DAT')))
    expect(records.map((r) => r.type)).toEqual(['registry.hive'])
  })
})
