/**
 * The fixed, documented set of commands `trawl collect --live` runs on the machine
 * under examination (COFEE-style volatile network state). Every program is named by
 * an ABSOLUTE path and run without a shell, so a planted `ipconfig.exe` earlier on the
 * PATH, or shell metacharacters, cannot change what runs. Files are read, never executed.
 *
 * Windows: %SystemRoot%\System32 (SystemRoot from the environment, C:\Windows if unset).
 * Linux: the first existing of the usual absolute locations of iproute2's ip and ss.
 */
import {existsSync} from 'node:fs'
import {isAbsolute, win32} from 'node:path'

export type LiveOutputKind = 'exec' | 'file'

export interface LiveCommand {
  /** Short name; the output goes to live/<name>.txt in the bundle. */
  name: string
  kind: LiveOutputKind
  /** Absolute path candidates, the first existing is used (exec), or the file to read (file). */
  paths: string[]
  args: string[]
  /** What the examiner gets from it. */
  description: string
  /** Parser of the output into records (see parse-*.ts). */
  parser?: 'ipconfig' | 'netstat' | 'arp' | 'ip-addr' | 'ip-neigh' | 'ip-route' | 'ss' | 'hosts' | 'resolv-conf'
}

/** %SystemRoot%\System32, validated to be an absolute Windows path. */
export function windowsSystem32(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows'
  const safe = win32.isAbsolute(root) && !root.startsWith('\\\\') ? root : 'C:\\Windows'
  return win32.join(safe, 'System32')
}

export function windowsLiveCommands(env: NodeJS.ProcessEnv = process.env): LiveCommand[] {
  const sys = windowsSystem32(env)
  const exe = (name: string): string[] => [win32.join(sys, name)]
  return [
    {name: 'ipconfig-all', kind: 'exec', paths: exe('ipconfig.exe'), args: ['/all'], description: 'adapters, addresses, DHCP leases, DNS servers', parser: 'ipconfig'},
    {name: 'ipconfig-displaydns', kind: 'exec', paths: exe('ipconfig.exe'), args: ['/displaydns'], description: 'DNS resolver cache (names recently resolved)'},
    {name: 'netstat-anob', kind: 'exec', paths: exe('NETSTAT.EXE'), args: ['-anob'], description: 'connections and listening ports with owning process (-b needs elevation)', parser: 'netstat'},
    {name: 'arp-a', kind: 'exec', paths: exe('ARP.EXE'), args: ['-a'], description: 'ARP cache (neighbours on the local links)', parser: 'arp'},
    {name: 'route-print', kind: 'exec', paths: exe('ROUTE.EXE'), args: ['print'], description: 'routing table'},
    {name: 'netsh-wlan-interfaces', kind: 'exec', paths: exe('netsh.exe'), args: ['wlan', 'show', 'interfaces'], description: 'Wi-Fi interface state, connected SSID and BSSID'},
    {name: 'netsh-wlan-profiles', kind: 'exec', paths: exe('netsh.exe'), args: ['wlan', 'show', 'profiles'], description: 'Wi-Fi profiles known to the machine'},
    {name: 'nbtstat-c', kind: 'exec', paths: exe('nbtstat.exe'), args: ['-c'], description: 'NetBIOS name cache'},
    {name: 'net-use', kind: 'exec', paths: exe('net.exe'), args: ['use'], description: 'mapped drives and connected shares'},
    {name: 'net-session', kind: 'exec', paths: exe('net.exe'), args: ['session'], description: 'inbound SMB sessions (needs elevation)'},
    {name: 'hosts', kind: 'file', paths: [win32.join(sys, 'drivers', 'etc', 'hosts')], args: [], description: 'hosts file', parser: 'hosts'},
  ]
}

export function linuxLiveCommands(): LiveCommand[] {
  const ip = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']
  const ss = ['/usr/bin/ss', '/usr/sbin/ss', '/bin/ss', '/sbin/ss']
  return [
    {name: 'ip-addr', kind: 'exec', paths: ip, args: ['addr'], description: 'interfaces and addresses', parser: 'ip-addr'},
    {name: 'ip-route', kind: 'exec', paths: ip, args: ['route'], description: 'routing table', parser: 'ip-route'},
    {name: 'ip-neigh', kind: 'exec', paths: ip, args: ['neigh'], description: 'neighbour (ARP/NDP) cache', parser: 'ip-neigh'},
    {name: 'ss-tanup', kind: 'exec', paths: ss, args: ['-tanup'], description: 'TCP and UDP sockets with owning process', parser: 'ss'},
    {name: 'resolv-conf', kind: 'file', paths: ['/etc/resolv.conf'], args: [], description: 'DNS resolver configuration', parser: 'resolv-conf'},
    {name: 'hosts', kind: 'file', paths: ['/etc/hosts'], args: [], description: 'hosts file', parser: 'hosts'},
  ]
}

/** The first candidate that exists; candidates must be absolute (a relative one is refused, never searched). */
export function resolveAbsolute(paths: string[], platform: NodeJS.Platform = process.platform, exists: (p: string) => boolean = existsSync): string | undefined {
  for (const p of paths) {
    const absolute = platform === 'win32' ? win32.isAbsolute(p) : isAbsolute(p)
    if (absolute && exists(p)) return p
  }
  return undefined
}
