/**
 * Parsers of Windows command output (English locale, as Windows prints it): ipconfig /all,
 * netstat -ano / -anob, arp -a. The raw output always goes into the bundle; these records
 * make it searchable. Lines that do not fit the expected shape are skipped, never guessed.
 */

export interface IpconfigAdapter {
  adapter: string
  description: string | null
  physicalAddress: string | null
  mediaState: string | null
  dnsSuffix: string | null
  dhcpEnabled: boolean | null
  ipv4Addresses: string[]
  ipv6Addresses: string[]
  subnetMasks: string[]
  defaultGateways: string[]
  dhcpServer: string | null
  dnsServers: string[]
  /** As printed, in the machine's local time and locale. */
  leaseObtained: string | null
  leaseExpires: string | null
}

export interface IpconfigResult {
  hostName: string | null
  primaryDnsSuffix: string | null
  adapters: IpconfigAdapter[]
}

const FIELD = /^\s+([^.:][^:]*?)[ .]*: ?(.*)$/

/** '54-E1-AD-12-34-56' -> '54:e1:ad:12:34:56' */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':')
}

function stripTag(address: string): string {
  return address.replace(/\((Preferred|Deprecated|Tentative|Duplicate)\)$/i, '').trim()
}

export function parseIpconfigAll(text: string): IpconfigResult {
  const result: IpconfigResult = {hostName: null, primaryDnsSuffix: null, adapters: []}
  let section: Map<string, string[]> | undefined
  let header = ''
  let lastLabel: string | undefined
  const sections: Array<[string, Map<string, string[]>]> = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '')
    if (line === '') continue
    if (!/^\s/.test(line) && (line.endsWith(':') || /^Windows IP Configuration$/i.test(line))) {
      header = line.replace(/:$/, '')
      section = new Map()
      sections.push([header, section])
      lastLabel = undefined
      continue
    }
    if (!section) continue
    const m = FIELD.exec(line)
    if (m && / \. |\.\s*:|:\s/.test(line)) {
      lastLabel = m[1].trim().replace(/[ .]+$/, '')
      section.set(lastLabel, m[2].trim() === '' ? [] : [m[2].trim()])
    } else if (lastLabel && /^\s{20,}\S/.test(line)) {
      section.get(lastLabel)?.push(line.trim()) // continuation: more DNS servers, gateways
    }
  }
  const one = (s: Map<string, string[]>, label: string): string | null => s.get(label)?.[0] ?? null
  for (const [name, s] of sections) {
    if (/^Windows IP Configuration$/i.test(name)) {
      result.hostName = one(s, 'Host Name')
      result.primaryDnsSuffix = one(s, 'Primary Dns Suffix')
      continue
    }
    const adapter = name.replace(/^.*? adapter /, '')
    const v6 = [...(s.get('Link-local IPv6 Address') ?? []), ...(s.get('IPv6 Address') ?? []), ...(s.get('Temporary IPv6 Address') ?? [])]
    const dhcp = one(s, 'DHCP Enabled')
    result.adapters.push({
      adapter,
      description: one(s, 'Description'),
      physicalAddress: one(s, 'Physical Address') ? normalizeMac(one(s, 'Physical Address') as string) : null,
      mediaState: one(s, 'Media State'),
      dnsSuffix: one(s, 'Connection-specific DNS Suffix') || null,
      dhcpEnabled: dhcp === null ? null : /^yes$/i.test(dhcp),
      ipv4Addresses: [...(s.get('IPv4 Address') ?? []), ...(s.get('IP Address') ?? []), ...(s.get('Autoconfiguration IPv4 Address') ?? [])].map(stripTag),
      ipv6Addresses: v6.map(stripTag),
      subnetMasks: s.get('Subnet Mask') ?? [],
      defaultGateways: (s.get('Default Gateway') ?? []).map(stripTag),
      dhcpServer: one(s, 'DHCP Server'),
      dnsServers: s.get('DNS Servers') ?? [],
      leaseObtained: one(s, 'Lease Obtained'),
      leaseExpires: one(s, 'Lease Expires'),
    })
  }
  return result
}

export interface Connection {
  protocol: 'TCP' | 'UDP'
  localAddress: string
  localPort: number | null
  remoteAddress: string | null
  remotePort: number | null
  state: string | null
  pid: number | null
  /** netstat -b: the executable ([name.exe]) and the services or components above it. */
  process: string | null
  components: string[]
}

/** '[::1]:445' -> ['::1', 445]; '0.0.0.0:135' -> ['0.0.0.0', 135]; '*:*' -> ['*', null] */
export function splitEndpoint(endpoint: string): [string, number | null] {
  const at = endpoint.lastIndexOf(':')
  if (at < 0) return [endpoint, null]
  let host = endpoint.slice(0, at)
  const port = endpoint.slice(at + 1)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return [host, /^\d+$/.test(port) ? Number(port) : null]
}

export function parseNetstat(text: string): Connection[] {
  const connections: Connection[] = []
  let last: Connection | undefined
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '') continue
    const parts = line.split(/\s+/)
    if (parts[0] === 'TCP' || parts[0] === 'UDP') {
      const protocol = parts[0]
      const [localAddress, localPort] = splitEndpoint(parts[1])
      const [remoteAddress, remotePort] = parts[2] ? splitEndpoint(parts[2]) : [null, null]
      // UDP lines have no state column
      const state = protocol === 'TCP' ? (parts[3] ?? null) : null
      const pidText = protocol === 'TCP' ? parts[4] : parts[3]
      last = {
        protocol,
        localAddress,
        localPort,
        remoteAddress,
        remotePort,
        state,
        pid: pidText && /^\d+$/.test(pidText) ? Number(pidText) : null,
        process: null,
        components: [],
      }
      connections.push(last)
    } else if (last && /^\[.*\]$/.test(line)) {
      last.process = line.slice(1, -1)
    } else if (last && !/^(Active Connections|Proto\s)/.test(line)) {
      last.components.push(line) // a service name, a component, or "Can not obtain ownership information"
    }
  }
  return connections
}

export interface Neighbour {
  interfaceAddress: string | null
  address: string
  physicalAddress: string | null
  /** 'dynamic' or 'static', as arp prints it. */
  entryType: string | null
}

export function parseArp(text: string): Neighbour[] {
  const neighbours: Neighbour[] = []
  let iface: string | null = null
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    const header = /^Interface:\s+(\S+)/.exec(line)
    if (header) {
      iface = header[1]
      continue
    }
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\s+([0-9a-f]{2}(?:-[0-9a-f]{2}){5})\s+(\S+)$/i.exec(line)
    if (m) neighbours.push({interfaceAddress: iface, address: m[1], physicalAddress: normalizeMac(m[2]), entryType: m[3]})
  }
  return neighbours
}
