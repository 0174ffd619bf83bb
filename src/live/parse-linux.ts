/**
 * Parsers of Linux network state output: iproute2 `ip addr`, `ip route`, `ip neigh`,
 * `ss -tanup`, and /etc/resolv.conf. Lines of another shape are skipped.
 */
import {splitEndpoint} from './parse-windows.js'

export interface LinuxInterface {
  index: number
  name: string
  flags: string[]
  state: string | null
  mtu: number | null
  linkType: string | null
  physicalAddress: string | null
  addresses: Array<{family: 'inet' | 'inet6'; address: string; prefixLength: number | null; scope: string | null}>
}

export function parseIpAddr(text: string): LinuxInterface[] {
  const interfaces: LinuxInterface[] = []
  let current: LinuxInterface | undefined
  for (const line of text.split(/\r?\n/)) {
    const head = /^(\d+):\s+([^:\s@]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line)
    if (head) {
      const rest = head[4]
      current = {
        index: Number(head[1]),
        name: head[2],
        flags: head[3] ? head[3].split(',') : [],
        state: /\bstate (\S+)/.exec(rest)?.[1] ?? null,
        mtu: /\bmtu (\d+)/.test(rest) ? Number(/\bmtu (\d+)/.exec(rest)![1]) : null,
        linkType: null,
        physicalAddress: null,
        addresses: [],
      }
      interfaces.push(current)
      continue
    }
    if (!current) continue
    const link = /^\s+link\/(\S+)(?:\s+(\S+))?/.exec(line)
    if (link) {
      current.linkType = link[1]
      current.physicalAddress = link[2] && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(link[2]) ? link[2].toLowerCase() : null
      continue
    }
    const inet = /^\s+(inet6?)\s+([^\s/]+)(?:\/(\d+))?.*?(?:\bscope (\S+))?/.exec(line)
    if (inet) {
      current.addresses.push({
        family: inet[1] as 'inet' | 'inet6',
        address: inet[2],
        prefixLength: inet[3] ? Number(inet[3]) : null,
        scope: /\bscope (\S+)/.exec(line)?.[1] ?? null,
      })
    }
  }
  return interfaces
}

/**
 * The non-empty lines of iproute2 output as whitespace-separated words, with the
 * word after a keyword ("dev eth0", "via 10.0.0.1") looked up by `field`.
 */
function* keywordLines(text: string): Generator<{parts: string[]; field: (name: string) => string | null}> {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '') continue
    const parts = line.split(/\s+/)
    const field = (name: string): string | null => {
      const i = parts.indexOf(name)
      return i >= 0 && i + 1 < parts.length ? parts[i + 1] : null
    }
    yield {parts, field}
  }
}

export interface LinuxNeighbour {
  address: string
  device: string | null
  physicalAddress: string | null
  router: boolean
  state: string | null
}

export function parseIpNeigh(text: string): LinuxNeighbour[] {
  const out: LinuxNeighbour[] = []
  for (const {parts, field} of keywordLines(text)) {
    const last = parts[parts.length - 1]
    out.push({
      address: parts[0],
      device: field('dev'),
      physicalAddress: field('lladdr')?.toLowerCase() ?? null,
      router: parts.includes('router'),
      state: /^[A-Z]+$/.test(last) ? last : null,
    })
  }
  return out
}

export interface LinuxRoute {
  destination: string
  gateway: string | null
  device: string | null
  source: string | null
  protocol: string | null
  metric: number | null
}

export function parseIpRoute(text: string): LinuxRoute[] {
  const out: LinuxRoute[] = []
  for (const {parts, field} of keywordLines(text)) {
    out.push({
      destination: parts[0],
      gateway: field('via'),
      device: field('dev'),
      source: field('src'),
      protocol: field('proto'),
      metric: field('metric') === null ? null : Number(field('metric')),
    })
  }
  return out
}

export interface Socket {
  protocol: string
  state: string
  localAddress: string
  localPort: number | null
  remoteAddress: string
  remotePort: number | null
  processes: Array<{name: string; pid: number; fd: number | null}>
}

export function parseSs(text: string): Socket[] {
  const out: Socket[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || /^Netid\s/.test(line)) continue
    const parts = line.split(/\s+/)
    if (parts.length < 6 || !/^(tcp|udp|raw|u_\w+|sctp|mptcp)$/.test(parts[0])) continue
    const [localAddress, localPort] = splitEndpoint(parts[4])
    const [remoteAddress, remotePort] = splitEndpoint(parts[5])
    const processes = [...parts.slice(6).join(' ').matchAll(/\("([^"]*)",pid=(\d+)(?:,fd=(\d+))?\)/g)].map((m) => ({
      name: m[1],
      pid: Number(m[2]),
      fd: m[3] ? Number(m[3]) : null,
    }))
    out.push({protocol: parts[0], state: parts[1], localAddress, localPort, remoteAddress, remotePort, processes})
  }
  return out
}

export function parseResolvConf(text: string): {nameservers: string[]; search: string[]; domain: string | null} {
  const result = {nameservers: [] as string[], search: [] as string[], domain: null as string | null}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim()
    const [keyword, ...rest] = line.split(/\s+/)
    if (keyword === 'nameserver' && rest[0]) result.nameservers.push(rest[0])
    else if (keyword === 'search') result.search.push(...rest)
    else if (keyword === 'domain' && rest[0]) result.domain = rest[0]
  }
  return result
}
