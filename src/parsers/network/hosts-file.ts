/**
 * The hosts file (Windows\System32\drivers\etc\hosts): static name resolution that
 * overrides DNS. Each entry is an address followed by one or more names; '#' starts
 * a comment to the end of the line.
 */
import {readFileSync} from 'node:fs'
import {isIP} from 'node:net'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'

export interface HostsEntry {
  line: number
  address: string
  names: string[]
  /** The first token is an IPv4 or IPv6 address (Windows ignores lines where it is not). */
  validAddress: boolean
  comment: string | null
}

export function parseHostsFile(text: string): HostsEntry[] {
  const entries: HostsEntry[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)
  lines.forEach((raw, index) => {
    const hash = raw.indexOf('#')
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim()
    if (body === '') return
    const [address, ...names] = body.split(/\s+/)
    entries.push({
      line: index + 1,
      address,
      names,
      validAddress: isIP(address.replace(/%.*$/, '')) !== 0,
      comment: hash >= 0 ? raw.slice(hash + 1).trim() || null : null,
    })
  })
  return entries
}

export const hostsFileParser: Parser = {
  id: 'hosts-file',
  description: 'hosts file entries (address, names, line number)',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    // hosts files are ASCII/UTF-8 in practice; latin1 keeps any other byte visible without failing
    const data = readFileSync(input.copyPath)
    const text = data.toString(isUtf8(data) ? 'utf8' : 'latin1')
    for (const entry of parseHostsFile(text)) {
      yield {...entry, type: 'network.hosts', source: input.source()}
    }
  },
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(data)
    return true
  } catch {
    return false
  }
}
