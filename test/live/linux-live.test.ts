import {existsSync, readFileSync} from 'node:fs'
import {networkInterfaces} from 'node:os'
import {describe, expect, it} from 'vitest'
import {collectLiveNetworkState, runWithoutShell} from '../../src/live/collect.js'
import {linuxLiveCommands, resolveAbsolute} from '../../src/live/commands.js'
import {parseIpAddr, parseIpNeigh, parseIpRoute, parseResolvConf, parseSs} from '../../src/live/parse-linux.js'

const onLinux = process.platform === 'linux' && linuxLiveCommands().some((c) => c.name === 'ip-addr' && resolveAbsolute(c.paths) !== undefined)

describe('Linux output parsers', () => {
  it('ip addr, ip neigh, ip route, ss -tanup and resolv.conf as iproute2 prints them', () => {
    const addr = parseIpAddr(
      [
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
        '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
        '    inet 127.0.0.1/8 scope host lo',
        '       valid_lft forever preferred_lft forever',
        '4: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP group default qlen 1000',
        '    link/ether 02:FC:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
        '    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0',
        '    inet6 fe80::fc:ff:fe00:1/64 scope link ',
      ].join('\n'),
    )
    expect(addr[1]).toEqual({
      index: 4,
      name: 'eth0',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      state: 'UP',
      mtu: 1400,
      linkType: 'ether',
      physicalAddress: '02:fc:00:00:00:01',
      addresses: [
        {family: 'inet', address: '192.0.2.2', prefixLength: 24, scope: 'global'},
        {family: 'inet6', address: 'fe80::fc:ff:fe00:1', prefixLength: 64, scope: 'link'},
      ],
    })
    expect(parseIpNeigh('192.0.2.1 dev eth0 lladdr 02:fc:00:00:00:05 STALE \nfd00::1 dev eth0 router FAILED \n')).toEqual([
      {address: '192.0.2.1', device: 'eth0', physicalAddress: '02:fc:00:00:00:05', router: false, state: 'STALE'},
      {address: 'fd00::1', device: 'eth0', physicalAddress: null, router: true, state: 'FAILED'},
    ])
    expect(parseIpRoute('default via 192.0.2.1 dev eth0 \n192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 metric 100\n')).toEqual([
      {destination: 'default', gateway: '192.0.2.1', device: 'eth0', source: null, protocol: null, metric: null},
      {destination: '192.0.2.0/24', gateway: null, device: 'eth0', source: '192.0.2.2', protocol: 'kernel', metric: 100},
    ])
    expect(
      parseSs(
        [
          'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess',
          'udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=640,fd=13))',
          'tcp   ESTAB  0      0      [fd00::2]:22     [fd00::9]:50122 users:(("sshd",pid=900,fd=4),("sshd",pid=950,fd=4))',
          'tcp   LISTEN 0      128          0.0.0.0:2024      0.0.0.0:*',
        ].join('\n'),
      ),
    ).toEqual([
      {protocol: 'udp', state: 'UNCONN', localAddress: '127.0.0.53%lo', localPort: 53, remoteAddress: '0.0.0.0', remotePort: null, processes: [{name: 'systemd-resolve', pid: 640, fd: 13}]},
      {protocol: 'tcp', state: 'ESTAB', localAddress: 'fd00::2', localPort: 22, remoteAddress: 'fd00::9', remotePort: 50122, processes: [{name: 'sshd', pid: 900, fd: 4}, {name: 'sshd', pid: 950, fd: 4}]},
      {protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 2024, remoteAddress: '0.0.0.0', remotePort: null, processes: []},
    ])
    expect(parseResolvConf('# generated\nnameserver 10.255.255.53\nsearch corp.example home.example\noptions ndots:1\n')).toEqual({nameservers: ['10.255.255.53'], search: ['corp.example', 'home.example'], domain: null})
  })
})

describe.skipIf(!onLinux)('live network state on this Linux machine', () => {
  it('runs ip/ss by absolute path, reads resolv.conf and hosts, and agrees with os.networkInterfaces()', async () => {
    const state = await collectLiveNetworkState({platform: 'linux', timeoutMs: 10_000})
    expect(state.outputs.map((o) => o.path)).toEqual([
      'live/ip-addr.txt',
      'live/ip-route.txt',
      'live/ip-neigh.txt',
      'live/ss-tanup.txt',
      'live/resolv-conf.txt',
      'live/hosts.txt',
      'live/os-network-interfaces.json',
      'live/commands.json',
    ])
    const ipAddr = state.outputs[0].metadata
    expect(ipAddr.commandLine).toMatch(/^\/\S+\/ip addr$/)
    expect(ipAddr.exitCode).toBe(0)
    expect(ipAddr.missing).toBe(false)
    const liveNames = state.records.filter((r) => r.type === 'live.interface' && (r.addresses as unknown[]).length > 0).map((r) => r.name as string).sort()
    const nodeNames = Object.keys(networkInterfaces()).sort()
    expect(liveNames).toEqual(nodeNames)
    // every IPv4 address Node sees is in ip addr's records
    const liveV4 = new Set(state.records.filter((r) => r.type === 'live.interface').flatMap((r) => (r.addresses as Array<{family: string; address: string}>).map((a) => a.address)))
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4') expect(liveV4.has(a.address)).toBe(true)
    if (existsSync('/etc/resolv.conf')) {
      const resolver = state.records.find((r) => r.type === 'live.resolver')!
      expect(resolver.nameservers).toEqual(parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8')).nameservers)
      expect(state.outputs[4].data.equals(readFileSync('/etc/resolv.conf'))).toBe(true)
    }
    expect(state.records.filter((r) => r.type === 'live.network')).toHaveLength(1)
  })

  it('a command that does not exist is recorded as missing; a slow one is stopped at its timeout', async () => {
    const state = await collectLiveNetworkState({
      platform: 'linux',
      commands: [{name: 'nothing', kind: 'exec', paths: ['/nonexistent/bin/nothing', 'relative/ip'], args: [], description: 'test'}],
    })
    expect(state.outputs[0].metadata).toMatchObject({missing: true, exitCode: null, error: 'not found: /nonexistent/bin/nothing, relative/ip'})
    const slow = await runWithoutShell('/bin/sleep', ['5'], 200)
    expect(slow.timedOut).toBe(true)
    expect(slow.error).toBe('timed out after 200 ms')
    // no shell: metacharacters are plain arguments
    const echo = await runWithoutShell('/bin/echo', ['$(id)', ';', 'ls'], 5000)
    expect(echo.stdout.toString()).toBe('$(id) ; ls\n')
  })
})
