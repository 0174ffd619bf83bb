/**
 * Discord desktop (Electron; also PTB and Canary) keeps its web storage in Chromium Local Storage,
 * `%APPDATA%\discord\Local Storage\leveldb`, origin https://discord.com. Values are JSON text:
 *   user_id_cache, email_cache: the signed-in user's id and e-mail;
 *   MultiAccountStore: {_state: {users: [{id, username, discriminator, avatar, ...}]}}, the
 *     accounts switched between;
 *   token (older clients): the authentication token in clear;
 *   tokens (newer clients): per user id, "dQw4w9WgXcQ:" + base64 of a Chromium os_crypt v10
 *     AES-GCM blob whose key is DPAPI-protected in discord\Local State: recorded as encrypted.
 * One chat.account per user id found. Coverage: every Local Storage item of discord.com is
 * counted, those not read listed as app settings, other origins and older values by count.
 */
import {errorMessage} from '../../errors.js'
import {readLocalStorage} from '../../indexeddb/index.js'
import type {LocalStorageContents, LocalStorageItem} from '../../indexeddb/index.js'
import type {TableCoverage} from '../coverage.js'
import {acceptsLevelDbCurrent, collectLevelDbFolder} from '../leveldb-input.js'
import type {CollectedLevelDb} from '../leveldb-input.js'
import type {ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'

const ORIGIN = 'https://discord.com'
const ENCRYPTED_PREFIX = 'dQw4w9WgXcQ:'
const READ_KEYS = new Set(['user_id_cache', 'email_cache', 'MultiAccountStore', 'token', 'tokens'])

export interface DiscordToken {
  /** 'plain': the token as the API takes it; 'encrypted': os_crypt v10, key DPAPI-protected in Local State. */
  kind: 'plain' | 'encrypted'
  value: string
}

interface DiscordAccount {
  id: string
  username: string | null
  discriminator: string | null
  email: string | null
  token: DiscordToken | null
  items: LocalStorageItem[]
}

const json = (item: LocalStorageItem | undefined): unknown => {
  if (!item?.value) return undefined
  try {
    return JSON.parse(item.value)
  } catch {
    return item.value
  }
}
const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null)

export function discordToken(value: string): DiscordToken {
  return value.startsWith(ENCRYPTED_PREFIX) ? {kind: 'encrypted', value} : {kind: 'plain', value}
}

/** The accounts the live Local Storage items of discord.com name. */
export function discordAccounts(items: LocalStorageItem[]): DiscordAccount[] {
  const byKey = new Map(items.filter((i) => i.origin === ORIGIN).map((i) => [i.key, i]))
  const accounts = new Map<string, DiscordAccount>()
  const accountOf = (id: string) => {
    let a = accounts.get(id)
    if (!a) accounts.set(id, (a = {id, username: null, discriminator: null, email: null, token: null, items: []}))
    return a
  }
  const current = s(json(byKey.get('user_id_cache')))
  if (current) {
    const a = accountOf(current)
    a.items.push(byKey.get('user_id_cache')!)
    const email = byKey.get('email_cache')
    if (s(json(email))) [a.email, a.items] = [s(json(email)), [...a.items, email!]]
    const token = byKey.get('token')
    if (s(json(token))) [a.token, a.items] = [discordToken(s(json(token))!), [...a.items, token!]]
  }
  const multi = json(byKey.get('MultiAccountStore')) as {_state?: {users?: unknown[]}} | undefined
  for (const u of Array.isArray(multi?._state?.users) ? multi._state.users : []) {
    const user = u as Record<string, unknown>
    const id = s(user?.id)
    if (!id) continue
    const a = accountOf(id)
    a.username = s(user.username)
    a.discriminator = s(user.discriminator)
    a.items.push(byKey.get('MultiAccountStore')!)
  }
  const tokens = json(byKey.get('tokens'))
  if (tokens && typeof tokens === 'object') {
    for (const [id, t] of Object.entries(tokens as Record<string, unknown>)) {
      if (typeof t !== 'string') continue
      const a = accountOf(id)
      a.token ??= discordToken(t)
      a.items.push(byKey.get('tokens')!)
    }
  }
  return [...accounts.values()]
}

export const discordParser: Parser = {
  id: 'discord-local-storage',
  description: 'Discord desktop Local Storage (Chromium LevelDB): the signed-in accounts, their e-mail and authentication token (in clear, or encrypted with a DPAPI-protected key)',
  accepts: acceptsLevelDbCurrent,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const gathered = await collectLevelDbFolder(input)
    try {
      for (const problem of gathered.problems) yield {type: 'error', source: input.source(), error: problem}
      let ls: LocalStorageContents
      try {
        ls = readLocalStorage(gathered.folder)
      } catch (error) {
        yield {type: 'error', source: input.source(), error: `Local Storage ${gathered.sourceFolder}: ${errorMessage(error)}`}
        return
      }
      for (const p of ls.problems) yield {type: 'error', source: sourceOf(input, gathered, p.file, '', p.offset), error: p.message}
      yield* readDiscord(input, gathered, ls)
    } finally {
      gathered.dispose()
    }
  },
}

function sourceOf(input: ParserInput, gathered: CollectedLevelDb, file: string, key: string, offset: number): RecordSource {
  return {file: gathered.bundlePaths.get(file) ?? input.bundlePath, sourcePath: `${gathered.sourceFolder}/${file}`, volume: input.volume, key, offset}
}

function* readDiscord(input: ParserInput, gathered: CollectedLevelDb, ls: LocalStorageContents): Generator<ParsedRecord> {
  const app = input.attributes.app ?? 'Discord'
  const accounts = discordAccounts(ls.items)
  const used = new Set<LocalStorageItem>()
  for (const a of accounts) {
    const first = a.items[0]
    for (const i of a.items) used.add(i)
    yield {
      type: 'chat.account',
      source: sourceOf(input, gathered, first.at.file, `${first.origin}\u0000${first.key}`, first.at.offset),
      app,
      account: a.id,
      name: a.username,
      discriminator: a.discriminator,
      emails: a.email,
      token: a.token,
      tokenNote: a.token?.kind === 'encrypted' ? 'encrypted with the os_crypt key in discord/Local State, itself protected by the user\'s DPAPI master key' : null,
      localStorage: a.items.map((i) => ({key: i.key, file: i.at.file, sequence: i.at.sequence, keyHex: i.at.keyHex})),
    }
  }
  const discord = ls.items.filter((i) => i.origin === ORIGIN)
  const others = ls.items.filter((i) => i.origin !== ORIGIN)
  const notRead = discord.filter((i) => !used.has(i))
  const unexplained = notRead.filter((i) => READ_KEYS.has(i.key)).length
  const tables: TableCoverage[] = [
    {
      table: `Local Storage ${ORIGIN}`, known: true, rows: discord.length, parsed: discord.length - notRead.length,
      excluded: notRead.length - unexplained > 0 ? [{reason: 'app setting or cache, not an account', rows: notRead.length - unexplained}] : [],
      unexplained,
    },
  ]
  const former = ls.formerItems.filter((i) => i.origin === ORIGIN).length
  if (former) tables.push({table: `Local Storage ${ORIGIN} (older values)`, known: true, rows: former, parsed: 0, excluded: [{reason: 'deleted or overwritten values LevelDB still holds; accounts are read from the live ones', rows: former}], unexplained: 0})
  for (const origin of new Set(others.map((i) => i.origin))) tables.push({table: `Local Storage ${origin}`, known: false, rows: others.filter((i) => i.origin === origin).length, parsed: 0, excluded: [], unexplained: 0})
  input.reportCoverage({parser: 'discord-local-storage', store: 'indexeddb', file: input.bundlePath, sourcePath: gathered.sourceFolder, volume: input.volume, readAs: 'Discord Local Storage (Chromium LevelDB)', tables})
}
