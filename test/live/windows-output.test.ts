import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {collectLiveNetworkState, type CommandRunner} from '../../src/live/collect.js'
import {windowsLiveCommands, windowsSystem32} from '../../src/live/commands.js'
import {parseArp, parseIpconfigAll, parseNetstat} from '../../src/live/parse-windows.js'
import {REPO_ROOT} from '../helpers/shared.js'

const REC = join(REPO_ROOT, 'fixtures/network/live-windows')
const recorded = (name: string) => readFileSync(join(REC, `${name}.txt`))

describe('recorded Windows command output', () => {
  it('ipconfig /all: host, three adapters, Wi-Fi with its DHCP lease and two DNS servers', () => {
    const r = parseIpconfigAll(recorded('ipconfig-all').toString('latin1'))
    expect(r.hostName).toBe('FIELD-LAPTOP')
    expect(r.primaryDnsSuffix).toBe('corp.example')
    expect(r.adapters.map((a) => a.adapter)).toEqual(['Ethernet', 'Wi-Fi', 'Bluetooth Network Connection'])
    expect(r.adapters[0]).toMatchObject({mediaState: 'Media disconnected', physicalAddress: '54:e1:ad:12:34:56', ipv4Addresses: [], dnsSuffix: null})
    expect(r.adapters[1]).toEqual({
      adapter: 'Wi-Fi',
      description: 'Intel(R) Wireless-AC 9560 160MHz',
      physicalAddress: '3c:f0:11:aa:bb:cc',
      mediaState: null,
      dnsSuffix: 'home.example',
      dhcpEnabled: true,
      ipv4Addresses: ['192.168.7.23'],
      ipv6Addresses: ['fe80::1c2d:3e4f:5a6b:7c8d%12'],
      subnetMasks: ['255.255.255.0'],
      defaultGateways: ['192.168.7.1'],
      dhcpServer: '192.168.7.1',
      dnsServers: ['192.168.7.1', '8.8.8.8'],
      leaseObtained: 'Monday, July 4, 2016 2:05:07 PM',
      leaseExpires: 'Tuesday, July 5, 2016 2:05:07 PM',
    })
  })

  it('netstat -anob: 9 sockets with PID, process and services; IPv6 endpoints split', () => {
    const c = parseNetstat(recorded('netstat-anob').toString('latin1'))
    expect(c).toHaveLength(9)
    expect(c[0]).toEqual({protocol: 'TCP', localAddress: '0.0.0.0', localPort: 135, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTENING', pid: 1012, process: 'svchost.exe', components: ['RpcSs']})
    expect(c[1]).toMatchObject({pid: 4, process: null, components: ['Can not obtain ownership information']})
    expect(c[3]).toMatchObject({remoteAddress: '10.0.0.5', remotePort: 3389, state: 'ESTABLISHED', process: 'mstsc.exe'})
    expect(c[6]).toMatchObject({localAddress: 'fe80::1c2d:3e4f:5a6b:7c8d%12', localPort: 49810, remoteAddress: 'fe80::1%12', remotePort: 443, state: 'SYN_SENT'})
    expect(c[7]).toEqual({protocol: 'UDP', localAddress: '0.0.0.0', localPort: 5353, remoteAddress: '*', remotePort: null, state: null, pid: 2344, process: 'svchost.exe', components: ['Dnscache']})
  })

  it('arp -a: 6 neighbours on two interfaces', () => {
    const n = parseArp(recorded('arp-a').toString('latin1'))
    expect(n).toHaveLength(6)
    expect(n[0]).toEqual({interfaceAddress: '192.168.7.23', address: '192.168.7.1', physicalAddress: 'f0:9f:c2:11:22:33', entryType: 'dynamic'})
    expect(n[5]).toEqual({interfaceAddress: '172.20.96.1', address: '172.20.111.255', physicalAddress: 'ff:ff:ff:ff:ff:ff', entryType: 'static'})
  })
})

describe('the Windows live command set', () => {
  it('names every program by an absolute path under %SystemRoot%\\System32, never a bare name', () => {
    const commands = windowsLiveCommands({SystemRoot: 'D:\\WINDOWS'})
    expect(commands.map((c) => `${c.paths[0]} ${c.args.join(' ')}`.trim())).toEqual([
      'D:\\WINDOWS\\System32\\ipconfig.exe /all',
      'D:\\WINDOWS\\System32\\ipconfig.exe /displaydns',
      'D:\\WINDOWS\\System32\\NETSTAT.EXE -anob',
      'D:\\WINDOWS\\System32\\ARP.EXE -a',
      'D:\\WINDOWS\\System32\\ROUTE.EXE print',
      'D:\\WINDOWS\\System32\\netsh.exe wlan show interfaces',
      'D:\\WINDOWS\\System32\\netsh.exe wlan show profiles',
      'D:\\WINDOWS\\System32\\nbtstat.exe -c',
      'D:\\WINDOWS\\System32\\net.exe use',
      'D:\\WINDOWS\\System32\\net.exe session',
      'D:\\WINDOWS\\System32\\drivers\\etc\\hosts',
    ])
    // a relative or UNC SystemRoot is not trusted
    expect(windowsSystem32({SystemRoot: 'Windows'})).toBe('C:\\Windows\\System32')
    expect(windowsSystem32({SystemRoot: '\\\\evil\\share'})).toBe('C:\\Windows\\System32')
  })

  it('collects the recorded outputs into live/<name>.txt entries with metadata and records; missing ones are recorded, not fatal', async () => {
    const calls: Array<[string, string[]]> = []
    const outputs: Record<string, Buffer> = {
      '/all': recorded('ipconfig-all'),
      '-anob': recorded('netstat-anob'),
      '-a': recorded('arp-a'),
    }
    const runner: CommandRunner = async (file, args) => {
      calls.push([file, args])
      const out = outputs[args[0]]
      if (args[0] === 'session') return {stdout: Buffer.alloc(0), stderr: Buffer.from('System error 5 has occurred.\r\n\r\nAccess is denied.\r\n'), exitCode: 2, signal: null, timedOut: false, error: null}
      return {stdout: out ?? Buffer.from('ok\r\n'), stderr: Buffer.alloc(0), exitCode: 0, signal: null, timedOut: false, error: null}
    }
    const present = new Set(windowsLiveCommands({SystemRoot: 'C:\\Windows'}).flatMap((c) => c.paths).filter((p) => !/nbtstat|hosts/.test(p)))
    const state = await collectLiveNetworkState({platform: 'win32', env: {SystemRoot: 'C:\\Windows'}, runner, exists: (p) => present.has(p), timeoutMs: 5000})
    expect(state.outputs.map((o) => o.path)).toEqual([
      'live/ipconfig-all.txt',
      'live/ipconfig-displaydns.txt',
      'live/netstat-anob.txt',
      'live/arp-a.txt',
      'live/route-print.txt',
      'live/netsh-wlan-interfaces.txt',
      'live/netsh-wlan-profiles.txt',
      'live/nbtstat-c.txt',
      'live/net-use.txt',
      'live/net-session.txt',
      'live/hosts.txt',
      'live/os-network-interfaces.json',
      'live/commands.json',
    ])
    expect(calls.every(([file]) => file.startsWith('C:\\Windows\\System32\\'))).toBe(true)
    expect(calls).toHaveLength(9)
    const ipconfig = state.outputs[0]
    expect(ipconfig.data.equals(recorded('ipconfig-all'))).toBe(true)
    expect(ipconfig.metadata).toMatchObject({
      commandLine: 'C:\\Windows\\System32\\ipconfig.exe /all',
      exitCode: 0,
      missing: false,
      stdoutBytes: recorded('ipconfig-all').length,
      stdoutSha256: createHash('sha256').update(recorded('ipconfig-all')).digest('hex'),
    })
    expect(Date.parse(ipconfig.metadata.endTime)).toBeGreaterThanOrEqual(Date.parse(ipconfig.metadata.startTime))
    expect(state.outputs[7].metadata).toMatchObject({missing: true, exitCode: null, commandLine: null, stdoutBytes: 0})
    expect(state.outputs[9].metadata).toMatchObject({exitCode: 2, stderr: 'System error 5 has occurred.\r\n\r\nAccess is denied.\r\n'})
    const count = (t: string) => state.records.filter((r) => r.type === t).length
    expect([count('live.interface'), count('live.connection'), count('live.neighbour'), count('live.network')]).toEqual([3, 9, 6, 1])
    expect(state.records.find((r) => r.type === 'live.connection')!.source).toEqual({file: 'live/netstat-anob.txt'})
  })
})
