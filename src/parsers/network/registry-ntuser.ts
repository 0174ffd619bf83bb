/**
 * NTUSER.DAT: where a user connected over remote desktop and which network shares
 * they mapped.
 *
 *   Software\Microsoft\Terminal Server Client\Servers\<host>   UsernameHint; key last written = last connection saved
 *   Software\Microsoft\Terminal Server Client\Default          MRU0 (most recent) .. MRU9
 *   Network\<drive letter>                                     RemotePath, UserName, ProviderName (persistent mappings)
 *   Software\Microsoft\Windows\CurrentVersion\Explorer\Map Network Drive MRU   MRUList ('ba...') and a..z
 */
import type {RegistryHive} from '../../registry/hive.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {acceptsHive, guardHiveRecords, hiveStateRecord, openHiveInput} from './hive-input.js'

const TSC = 'Software\\Microsoft\\Terminal Server Client'
const MAP_DRIVE_MRU = 'Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Map Network Drive MRU'

export function* ntuserNetworkRecords(input: ParserInput, hive: RegistryHive): Generator<ParsedRecord> {
  const user = input.captures.user ?? null

  for (const server of hive.key(`${TSC}\\Servers`)?.subkeys() ?? []) {
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

  const defaults = hive.key(`${TSC}\\Default`)
  if (defaults) {
    const mru = defaults
      .values()
      .map((v) => ({v, n: /^MRU(\d+)$/i.exec(v.name)}))
      .filter((x) => x.n !== null)
      .sort((a, b) => Number(a.n![1]) - Number(b.n![1]))
    for (const {v, n} of mru) {
      const position = Number(n![1])
      yield {
        type: 'network.rdp',
        source: input.source({key: defaults.path, value: v.name}),
        user,
        host: v.asString() ?? null,
        usernameHint: null,
        from: 'Default',
        mruPosition: position,
        // the key's time is when the list last changed, i.e. when MRU0 was used
        lastWritten: position === 0 ? defaults.lastWritten : null,
        keyLastWritten: defaults.lastWritten,
      }
    }
  }

  for (const drive of hive.key('Network')?.subkeys() ?? []) {
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

  const mruKey = hive.key(MAP_DRIVE_MRU)
  if (mruKey) {
    const order = mruKey.value('MRUList')?.asString() ?? ''
    const letters = order.length > 0 ? [...order] : mruKey.values().map((v) => v.name).filter((n) => /^[a-z]$/i.test(n))
    let position = 0
    for (const letter of letters) {
      const value = mruKey.value(letter)
      if (!value) continue
      yield {
        type: 'network.share',
        source: input.source({key: mruKey.path, value: value.name}),
        user,
        drive: null,
        remotePath: value.asString() ?? null,
        userName: null,
        providerName: null,
        from: 'Map Network Drive MRU',
        mruPosition: position,
        lastWritten: position === 0 ? mruKey.lastWritten : null,
        keyLastWritten: mruKey.lastWritten,
      }
      position++
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
    yield* guardHiveRecords(input, ntuserNetworkRecords(input, hive))
  },
}
