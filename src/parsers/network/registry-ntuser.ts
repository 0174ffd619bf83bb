/**
 * NTUSER.DAT: where a user connected over remote desktop and which network shares
 * they mapped.
 *
 *   Software\Microsoft\Terminal Server Client\Servers\<host>   UsernameHint; key last written = last connection saved
 *   Software\Microsoft\Terminal Server Client\Default          MRU0 (most recent) .. MRU9
 *   Network\<drive letter>                                     RemotePath, UserName, ProviderName (persistent mappings)
 *   Software\Microsoft\Windows\CurrentVersion\Explorer\Map Network Drive MRU   MRUList ('ba...') and a..z
 */
import type {RegistryHive, RegistryKey} from '../../registry/hive.js'
import {RegistryCoverage} from '../coverage.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {acceptsHive, guardHiveRecords, hiveStateRecord, openHiveInput, reportHiveCoverage} from './hive-input.js'

const TSC = 'Software\\Microsoft\\Terminal Server Client'
const MAP_DRIVE_MRU = 'Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Map Network Drive MRU'

export function* ntuserNetworkRecords(input: ParserInput, hive: RegistryHive, coverage: RegistryCoverage): Generator<ParsedRecord> {
  const user = input.captures.user ?? null
  const owned = (path: string): {key: RegistryKey | undefined; path: string} => {
    const key = hive.key(path)
    const at = key?.path ?? path
    coverage.key(at, key)
    return {key, path: at}
  }
  const servers = owned(`${TSC}\\Servers`)
  const defaults = owned(`${TSC}\\Default`)
  const network = owned('Network')
  const mruKey = owned(MAP_DRIVE_MRU)
  coverage.unread(hive.key(TSC))

  for (const server of servers.key?.subkeys() ?? []) {
    coverage.parsedSubkey(servers.path, server.name)
    yield {
      type: 'network.rdp',
      source: input.source({key: server.path}),
      user,
      host: server.name,
      usernameHint: server.value('UsernameHint')?.asString() ?? null,
      from: 'Servers',
      lastWritten: server.lastWritten,
    }
  }

  if (defaults.key) {
    const mru = defaults.key
      .values()
      .map((v) => ({v, n: /^MRU(\d+)$/i.exec(v.name)}))
      .filter((x) => x.n !== null)
      .sort((a, b) => Number(a.n![1]) - Number(b.n![1]))
    for (const {v, n} of mru) {
      const position = Number(n![1])
      coverage.parsedValue(defaults.path, v.name)
      yield {
        type: 'network.rdp',
        source: input.source({key: defaults.path, value: v.name}),
        user,
        host: v.asString() ?? null,
        usernameHint: null,
        from: 'Default',
        mruPosition: position,
        // the key's time is when the list last changed, i.e. when MRU0 was used
        lastWritten: position === 0 ? defaults.key.lastWritten : null,
        keyLastWritten: defaults.key.lastWritten,
      }
    }
  }

  for (const drive of network.key?.subkeys() ?? []) {
    coverage.parsedSubkey(network.path, drive.name)
    const userName = drive.value('UserName')
    yield {
      type: 'network.share',
      source: input.source({key: drive.path}),
      user,
      drive: `${drive.name.toUpperCase()}:`,
      remotePath: drive.value('RemotePath')?.asString() ?? null,
      // UserName is a string when other credentials were given, a DWORD 0 when not
      userName: userName?.asString() || null,
      providerName: drive.value('ProviderName')?.asString() ?? null,
      connectionType: drive.value('ConnectionType')?.asNumber() ?? null,
      from: 'Network',
      lastWritten: drive.lastWritten,
    }
  }

  if (mruKey.key) {
    const key = mruKey.key
    const listed = key.value('MRUList')
    const order = listed?.asString() ?? ''
    if (listed) coverage.parsedValue(mruKey.path, listed.name)
    const letters = key.values().map((v) => v.name).filter((n) => /^[a-z]$/i.test(n))
    // MRUList orders the entries, most recent first; a letter it does not name is a stale entry, kept without a position
    const inOrder = order.length > 0 ? [...order] : letters
    const stale = letters.filter((l) => !inOrder.some((o) => o.toLowerCase() === l.toLowerCase()))
    let position = 0
    for (const letter of [...inOrder, ...stale]) {
      const value = key.value(letter)
      if (!value) continue
      const listedAt = stale.includes(letter) ? null : position++
      coverage.parsedValue(mruKey.path, value.name)
      yield {
        type: 'network.share',
        source: input.source({key: mruKey.path, value: value.name}),
        user,
        drive: null,
        remotePath: value.asString() ?? null,
        userName: null,
        providerName: null,
        from: 'Map Network Drive MRU',
        mruPosition: listedAt,
        lastWritten: listedAt === 0 ? key.lastWritten : null,
        keyLastWritten: key.lastWritten,
      }
    }
  }
}

export const registryNtuserParser: Parser = {
  id: 'registry-ntuser',
  description: 'NTUSER.DAT: remote-desktop targets and user names, mapped network drives, Map Network Drive MRU',
  accepts: acceptsHive,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const hive = openHiveInput(input)
    yield hiveStateRecord(input, hive)
    const coverage = new RegistryCoverage()
    yield* guardHiveRecords(input, ntuserNetworkRecords(input, hive, coverage))
    reportHiveCoverage(input, 'registry-ntuser', 'NTUSER.DAT: Terminal Server Client, Network, Map Network Drive MRU', coverage)
  },
}
