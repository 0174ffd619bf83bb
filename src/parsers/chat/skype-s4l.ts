/**
 * Skype 8 and later (the Store app's %LOCALAPPDATA%\Packages\Microsoft.SkypeApp_kzf8qxf38zg5c\
 * LocalState\s4l-<account>.db, and the desktop app's copy under %APPDATA%\Microsoft\Skype for
 * Desktop). The database is SQLite in the "nsp" layout: every table has nsp_pk (key) and
 * nsp_data (a JSON document) plus indexed nsp_i_* columns. As public tools read it (IPED's
 * SkypeSqliteV12, Mobius' skype message_parser; bebinary4n6's analysis of Skype 14):
 *  - messagesv12: cuid, conversationId, creator ('8:live:bob', '19:...@thread.skype' for
 *    group senders shown as the thread), createdTime (ms since 1970), content (Skype
 *    markup), messagetype ('RichText', 'Text', 'RichText/UriObject', 'Event/Call', ...),
 *    _isMyMessage (1 for the account's own), _serverMessages[].originalarrivaltime.
 *  - conversationsv14 (conversationsv13 in older builds): conv.id, conv._threadProps.topic
 *    and createdat (ms), conv._threadMembers[].id.
 *  - profilecachev8: mri, firstName, lastName, displayNameOverride, city, phones[].number,
 *    birthday, mood.
 *  - internaldata: nsp_pk 'Cpriv_prefs_v2' holds value.skypeName, the account.
 * Only messages are synced when a chat is opened in the app, so a database may list
 * conversations without their messages (bebinary4n6).
 *
 * Coverage: messagesv12, the conversations table, profilecachev8 row by row; internaldata's
 * account row parsed and its other rows excluded as settings. A row whose nsp_data is not a
 * JSON object is reported as an error record and excluded with that reason.
 */
import {posix} from 'node:path'
import {ParseError} from '../../errors.js'
import {unixMillisToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, reportDatabaseCoverage} from './app-database.js'
import {chatContact, chatConversation, chatMessage, integer, nonEmpty, safeTime, text} from './chat-record.js'
import {decodeSkypeBody} from './skype-markup.js'

const APP = 'Skype'
type Json = Record<string, unknown>

function object(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null
}

function parseJson(value: unknown): Json | null {
  const s = text(value)
  if (s === null) return null
  try {
    return object(JSON.parse(s))
  } catch {
    return null
  }
}

/** '8:live:bob' -> 'live:bob'; the prefix is the identity type (8 Skype, 4 phone, 28 bot, 19 thread). */
function handle(mri: unknown): string | null {
  const s = nonEmpty(mri)
  if (s === null) return null
  const i = s.indexOf(':')
  return i > 0 && /^\d+$/.test(s.slice(0, i)) ? s.slice(i + 1) : s
}

export function conversationsTable(db: SqliteDatabase): string | null {
  return hasTable(db, 'conversationsv14') ? 'conversationsv14' : hasTable(db, 'conversationsv13') ? 'conversationsv13' : null
}

export function isSkypeS4lDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'messagesv12') && conversationsTable(db) !== null
}

function* rows(db: SqliteDatabase, table: string): Generator<{rowid: number | null; pk: string | null; data: Json | null}> {
  for (const row of db.prepare(`SELECT rowid AS _rowid, nsp_pk, nsp_data FROM "${table}" ORDER BY rowid`).iterate() as Iterable<Record<string, unknown>>) {
    yield {rowid: integer(row._rowid), pk: text(row.nsp_pk), data: parseJson(row.nsp_data)}
  }
}

function* readS4l(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const convTable = conversationsTable(db) as string
  for (const table of ['internaldata', convTable, 'messagesv12', 'profilecachev8']) coverage.table(table)
  const bad = (table: string, row: {rowid: number | null; pk: string | null}): ParsedRecord => {
    coverage.exclude(table, 'nsp_data is not a JSON object (damaged row)')
    return {type: 'error', source: input.source({table, rowid: row.rowid ?? undefined}), parser: 'skype-s4l', error: `${table} row ${row.pk ?? row.rowid}: nsp_data is not a JSON object`}
  }

  let account: string | null = null
  if (coverage.has('internaldata')) {
    for (const row of db.prepare("SELECT rowid AS _rowid, nsp_data FROM internaldata WHERE nsp_pk = 'Cpriv_prefs_v2'").iterate() as Iterable<Record<string, unknown>>) {
      account = nonEmpty(object(parseJson(row.nsp_data)?.value)?.skypeName) ?? account
      coverage.parsed('internaldata', row._rowid)
    }
    coverage.excludeWhere('internaldata', "the app's settings and caches (only Cpriv_prefs_v2 names the account)", "nsp_pk IS NOT 'Cpriv_prefs_v2'")
  }
  account ??= /^s4l-(.+)\.db$/i.exec(posix.basename(input.sourcePath))?.[1] ?? null

  const names = new Map<string, string>()
  if (coverage.has('profilecachev8')) {
    for (const row of rows(db, 'profilecachev8')) {
      if (!row.data) {
        yield bad('profilecachev8', row)
        continue
      }
      const d = row.data
      const id = handle(d.mri)
      const name = nonEmpty(d.displayNameOverride) ?? ([nonEmpty(d.firstName), nonEmpty(d.lastName)].filter((s) => s !== null).join(' ') || null)
      if (id && name) names.set(id, name)
      const phones = Array.isArray(d.phones) ? d.phones.map((p) => nonEmpty(object(p)?.number)).filter((p): p is string => p !== null) : []
      coverage.parsed('profilecachev8', row.rowid)
      yield chatContact(input.source({table: 'profilecachev8', rowid: row.rowid ?? undefined}), {app: APP, account, handle: id, name, mri: nonEmpty(d.mri), phones, city: nonEmpty(d.city), country: nonEmpty(d.country), birthday: nonEmpty(d.birthday), mood: nonEmpty(d.mood)})
    }
  }

  const conversations = new Map<string, {name: string; members: string[]}>()
  for (const row of rows(db, convTable)) {
    const conv = object(row.data?.conv)
    if (!conv) {
      yield bad(convTable, row)
      continue
    }
    const id = nonEmpty(conv.id) ?? (row.pk ? row.pk.replace(/^C/, '') : null)
    const props = object(conv._threadProps)
    const topic = nonEmpty(props?.topic)
    const threadMembers = Array.isArray(conv._threadMembers) ? conv._threadMembers.map((m) => handle(object(m)?.id)).filter((m): m is string => m !== null) : []
    const other = handle(id)
    const members = threadMembers.length > 0 ? threadMembers : [...(account ? [account] : []), ...(other && other !== account && !id?.startsWith('19:') ? [other] : [])]
    const name = topic ?? (id?.startsWith('19:') ? id : other) ?? `conversation ${row.rowid}`
    if (id) conversations.set(id, {name, members})
    coverage.parsed(convTable, row.rowid)
    yield chatConversation(input.source({table: convTable, rowid: row.rowid ?? undefined}), {
      app: APP,
      account,
      conversation: name,
      title: topic,
      participants: members,
      conversationId: id,
      kind: id?.startsWith('19:') ? 'group' : 'one-to-one',
      createdAt: safeTime(unixMillisToIso, props?.createdat),
    })
  }

  for (const row of rows(db, 'messagesv12')) {
    if (!row.data) {
      yield bad('messagesv12', row)
      continue
    }
    const d = row.data
    const conversationId = nonEmpty(d.conversationId)
    const conv = conversationId ? conversations.get(conversationId) : undefined
    const mine = integer(d._isMyMessage) === 1
    const sender = mine ? (account ?? handle(d.creator)) : handle(d.creator)
    const raw = text(d.content)
    const decoded = raw === null ? null : decodeSkypeBody(raw)
    const server = Array.isArray(d._serverMessages) ? object(d._serverMessages[0]) : null
    const members = conv?.members ?? [...(account ? [account] : []), ...(handle(conversationId) && !conversationId?.startsWith('19:') ? [handle(conversationId) as string] : [])]
    coverage.parsed('messagesv12', row.rowid)
    yield chatMessage(input.source({table: 'messagesv12', rowid: row.rowid ?? undefined}), {
      app: APP,
      account,
      conversation: conv?.name ?? (conversationId?.startsWith('19:') ? conversationId : handle(conversationId)),
      sender,
      senderName: sender ? (names.get(sender) ?? null) : null,
      recipients: [...new Set(members)].filter((m) => m !== sender),
      direction: mine ? 'outgoing' : 'incoming',
      sentAt: safeTime(unixMillisToIso, d.createdTime),
      body: decoded?.text ?? null,
      bodyRaw: raw,
      attachments: (decoded?.files ?? []).map((name) => ({name, path: null, bundlePath: null, sha256: null})),
      messageId: nonEmpty(d.cuid),
      messageType: nonEmpty(d.messagetype),
      serverArrivalAt: nonEmpty(server?.originalarrivaltime),
      conversationId,
    })
  }
}

export const skypeS4lParser: Parser = {
  id: 'skype-s4l',
  description: 'Skype 8+ s4l-<account>.db (Store and desktop app): messages, conversations with members, contacts, the account',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      if (!isSkypeS4lDb(db)) throw new ParseError('not a Skype 8 s4l database: no messagesv12 and conversationsv14/v13 tables', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readS4l(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'skype-s4l', 'Skype 8+ s4l database')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
