/**
 * Viber (two parsers, one per database).
 *
 * Viber Desktop viber.db (%APPDATA%\ViberPC\<phone number>\viber.db). Every message and
 * call is an Events row (EventID, TimeStamp in ms since 1970, Direction, ChatID, ContactID);
 * Messages (Body, Subject, PayloadPath, ...) and Calls (Duration, Type) hang off EventID.
 * Contact holds the people (Number, Name, ClientName), ChatInfo the conversations and
 * ChatRelation their members. This layout follows what public tools query (promnesia's
 * viber source, viberpy); columns are detected, not assumed. Direction 1 is taken as
 * outgoing and 0 as incoming, and ContactID of an event is its author.
 *
 * Viber for Android viber_data (calls, phonebookcontact, phonebookdata), as found in a
 * phone dump: calls.type 1 incoming, 2 outgoing, 3 missed; viber_call_type 1 audio,
 * 4 video (Autopsy's Viber module); date in ms since 1970, duration in seconds.
 *
 * Coverage (coverage.ts): desktop Contact, ChatRelation, ChatInfo, Events, Messages and
 * Calls; Android calls, phonebookcontact and phonebookdata, row by row. An Events row
 * with neither a Messages nor a Calls row is an event kind not read: it shows as
 * unexplained. Other tables (Android phonebookrawcontact, vibernumbers, ...) are listed.
 */
import {ParseError} from '../../errors.js'
import {unixMillisToIso} from '../../time.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import {SqliteCoverage} from '../coverage.js'
import {asParseError, reportDatabaseCoverage} from './app-database.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {chatCall, chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type Direction} from './chat-record.js'

const APP = 'Viber'

export function isViberDesktopDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'Events') && hasTable(db, 'Contact') && hasTable(db, 'Messages') && tableColumns(db, 'Events').has('eventid')
}

export function isViberAndroidData(db: SqliteDatabase): boolean {
  return hasTable(db, 'calls') && hasTable(db, 'phonebookcontact') && tableColumns(db, 'calls').has('viber_call_type')
}

function desktopDirection(value: unknown): Direction | null {
  const d = integer(value)
  return d === 1 ? 'outgoing' : d === 0 ? 'incoming' : null
}

function* readViberDesktop(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  for (const table of ['Contact', 'ChatRelation', 'ChatInfo', 'Events', 'Messages', 'Calls']) coverage.table(table)
  const account = input.captures.account ?? null
  const contactCols = tableColumns(db, 'Contact')
  const contacts = new Map<number, {handle: string | null; name: string | null}>()
  for (const row of db.prepare(`SELECT ContactID, ${pick(contactCols, ['Number', 'Name', 'ClientName', 'MID', 'VID', 'ViberContact'])} FROM Contact ORDER BY ContactID`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row.ContactID)
    const handle = nonEmpty(row.Number) ?? nonEmpty(row.MID) ?? nonEmpty(row.VID)
    const name = nonEmpty(row.Name) ?? nonEmpty(row.ClientName)
    if (id !== null) contacts.set(id, {handle, name})
    coverage.parsed('Contact', id)
    yield chatContact(input.source({table: 'Contact', rowid: id ?? undefined}), {
      app: APP,
      account,
      handle,
      name,
      number: nonEmpty(row.Number),
      profileName: nonEmpty(row.ClientName),
      viberUser: row.ViberContact === null ? null : integer(row.ViberContact) === 1,
    })
  }
  const handleOf = (id: unknown): string | null => contacts.get(integer(id) ?? -1)?.handle ?? null

  const members = new Map<number, string[]>()
  if (hasTable(db, 'ChatRelation')) {
    for (const row of db.prepare('SELECT ChatID, ContactID FROM ChatRelation').iterate() as Iterable<Record<string, unknown>>) {
      const chat = integer(row.ChatID)
      const who = handleOf(row.ContactID)
      if (chat === null || who === null) {
        coverage.exclude('ChatRelation', 'chat member row whose contact has no number or id', 1)
        continue
      }
      // a member is one (ChatID, ContactID) pair
      coverage.parsed('ChatRelation', `${chat}/${integer(row.ContactID)}`)
      const list = members.get(chat) ?? []
      list.push(who)
      members.set(chat, list)
    }
  }
  const chats = new Map<number, string>()
  if (hasTable(db, 'ChatInfo')) {
    const cols = tableColumns(db, 'ChatInfo')
    for (const row of db.prepare(`SELECT ChatID, ${pick(cols, ['Token', 'Name', 'PGTags', 'TimeStamp', 'Flags'])} FROM ChatInfo ORDER BY ChatID`).iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row.ChatID)
      const participants = id === null ? [] : (members.get(id) ?? [])
      const others = participants.filter((p) => p !== account)
      // a one-to-one chat has no name: it is known by the other party
      const conversation = nonEmpty(row.Name) ?? (others.length === 1 ? others[0] : id === null ? null : `chat ${id}`)
      if (id !== null && conversation !== null) chats.set(id, conversation)
      coverage.parsed('ChatInfo', id)
      yield chatConversation(input.source({table: 'ChatInfo', rowid: id ?? undefined}), {
        app: APP,
        account,
        conversation,
        title: nonEmpty(row.Name),
        participants,
        token: text(row.Token),
        lastActivityAt: safeTime(unixMillisToIso, row.TimeStamp),
      })
    }
  }

  const eventCols = tableColumns(db, 'Events')
  const messageCols = tableColumns(db, 'Messages')
  const messageSql = `SELECT e.EventID AS EventID, ${pick(eventCols, ['TimeStamp', 'Direction', 'Type', 'ChatID', 'ContactID', 'IsRead'], 'e')}, ${pick(messageCols, ['Body', 'Subject', 'Type', 'Status', 'PayloadPath', 'ThumbnailPath', 'Info', 'Flag', 'ClientFlag'], 'm').replace('AS "Type"', 'AS "MessageType"')} FROM Messages m JOIN Events e ON e.EventID = m.EventID ORDER BY e.EventID`
  for (const row of db.prepare(messageSql).iterate() as Iterable<Record<string, unknown>>) {
    const chatId = integer(row.ChatID)
    const direction = desktopDirection(row.Direction)
    const author = handleOf(row.ContactID)
    const participants = chatId === null ? [] : (members.get(chatId) ?? [])
    const sender = direction === 'outgoing' ? (account ?? author) : author
    const payload = nonEmpty(row.PayloadPath)
    coverage.parsed('Messages', row.EventID)
    coverage.parsed('Events', row.EventID)
    yield chatMessage(input.source({table: 'Messages', rowid: integer(row.EventID) ?? undefined}), {
      app: APP,
      account,
      conversation: chatId === null ? null : (chats.get(chatId) ?? null),
      sender,
      recipients: participants.filter((p) => p !== sender && p !== author),
      direction,
      sentAt: safeTime(unixMillisToIso, row.TimeStamp),
      body: text(row.Body) ?? text(row.Subject),
      subject: nonEmpty(row.Subject),
      // PayloadPath is a path on the PC itself (ViberDownloads): named, collected by the user-folder artifacts
      attachments: payload === null ? [] : [{name: payload.split(/[\\/]/).pop() ?? null, path: payload, bundlePath: null, sha256: null}],
      messageType: integer(row.MessageType),
      status: integer(row.Status),
      read: row.IsRead === null ? null : integer(row.IsRead) === 1,
      info: nonEmpty(row.Info),
    })
  }

  if (hasTable(db, 'Calls')) {
    const callCols = tableColumns(db, 'Calls')
    const callSql = `SELECT e.EventID AS EventID, ${pick(eventCols, ['TimeStamp', 'Direction', 'ChatID', 'ContactID'], 'e')}, ${pick(callCols, ['Duration', 'Type', 'Status'], 'c')} FROM Calls c JOIN Events e ON e.EventID = c.EventID ORDER BY e.EventID`
    for (const row of db.prepare(callSql).iterate() as Iterable<Record<string, unknown>>) {
      const chatId = integer(row.ChatID)
      const start = integer(row.TimeStamp)
      const duration = integer(row.Duration)
      const other = handleOf(row.ContactID)
      coverage.parsed('Calls', row.EventID)
      coverage.parsed('Events', row.EventID)
      yield chatCall(input.source({table: 'Calls', rowid: integer(row.EventID) ?? undefined}), {
        app: APP,
        account,
        conversation: chatId === null ? other : (chats.get(chatId) ?? other),
        participants: [...new Set([...(account ? [account] : []), ...(other ? [other] : [])])],
        direction: desktopDirection(row.Direction),
        startedAt: safeTime(unixMillisToIso, row.TimeStamp),
        duration,
        endedAt: start !== null && duration !== null ? safeTime(unixMillisToIso, start + duration * 1000) : null,
        callType: integer(row.Type),
        status: integer(row.Status),
      })
    }
  }
}

function* readViberAndroidData(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  for (const table of ['phonebookcontact', 'phonebookdata', 'calls']) coverage.table(table)
  const account = input.captures.account ?? null
  const numbers = new Map<number, string[]>()
  const dataRows = new Map<number, unknown[]>()
  if (coverage.has('phonebookdata')) {
    for (const row of db.prepare('SELECT _id, contact_id, data2 FROM phonebookdata ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row.contact_id)
      const number = nonEmpty(row.data2)
      if (id === null || number === null) {
        coverage.exclude('phonebookdata', 'phone book data row without a contact or number', 1)
        continue
      }
      const list = numbers.get(id) ?? []
      if (!list.includes(number)) list.push(number)
      numbers.set(id, list)
      const rows = dataRows.get(id) ?? []
      rows.push(row._id)
      dataRows.set(id, rows)
    }
  }
  const cols = tableColumns(db, 'phonebookcontact')
  for (const row of db.prepare(`SELECT _id, ${pick(cols, ['display_name', 'viber', 'starred', 'joined_date', 'deleted'])} FROM phonebookcontact ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const list = id === null ? [] : (numbers.get(id) ?? [])
    coverage.parsed('phonebookcontact', id)
    // the contact's numbers: the same number stored twice is still read (it is in `numbers` once)
    for (const data of id === null ? [] : (dataRows.get(id) ?? [])) coverage.parsed('phonebookdata', data)
    yield chatContact(input.source({table: 'phonebookcontact', rowid: id ?? undefined}), {
      app: APP,
      account,
      handle: list[0] ?? null,
      name: nonEmpty(row.display_name),
      numbers: list,
      viberUser: integer(row.viber) === 1,
      deleted: integer(row.deleted) === 1,
    })
  }
  const callCols = tableColumns(db, 'calls')
  for (const row of db.prepare(`SELECT _id, ${pick(callCols, ['number', 'canonized_number', 'date', 'duration', 'type', 'viber_call_type', 'viber_call', 'end_reason'])} FROM calls ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const type = integer(row.type)
    const start = integer(row.date)
    const duration = integer(row.duration)
    const number = nonEmpty(row.canonized_number) ?? nonEmpty(row.number)
    const viberType = integer(row.viber_call_type)
    coverage.parsed('calls', row._id)
    yield chatCall(input.source({table: 'calls', rowid: integer(row._id) ?? undefined}), {
      app: APP,
      account,
      conversation: number,
      participants: [...(account ? [account] : []), ...(number ? [number] : [])],
      direction: type === 2 ? 'outgoing' : type === 1 || type === 3 ? 'incoming' : null,
      missed: type === 3,
      startedAt: safeTime(unixMillisToIso, row.date),
      duration,
      endedAt: start !== null && duration !== null ? safeTime(unixMillisToIso, start + duration * 1000) : null,
      callType: type,
      viberCallType: viberType,
      video: viberType === 4 ? true : viberType === 1 ? false : null,
    })
  }
}

export const viberDesktopParser: Parser = {
  id: 'viber-desktop',
  description: 'Viber Desktop viber.db: messages, conversations and members, contacts, calls',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      if (!isViberDesktopDb(db)) throw new ParseError('not a Viber Desktop viber.db: no Events, Messages and Contact tables', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readViberDesktop(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'viber-desktop', 'Viber Desktop viber.db')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}

export const viberAndroidParser: Parser = {
  id: 'viber-android',
  description: 'Viber for Android viber_data: calls and phonebook contacts',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      if (!isViberAndroidData(db)) throw new ParseError('not a Viber for Android viber_data: no calls(viber_call_type) and phonebookcontact tables', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readViberAndroidData(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'viber-android', 'Viber for Android viber_data')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
