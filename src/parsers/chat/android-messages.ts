/**
 * Android text messages from a phone dump kept on the PC.
 *
 * mmssms.db (com.android.providers.telephony): sms(address, date ms, date_sent ms, type
 * 1 inbox / 2 sent / 3 draft / 4 outbox / 5 failed / 6 queued, body, read, thread_id);
 * MMS in pdu(msg_box as sms.type, date in seconds) with part(text, ct, name, _data) and
 * addr(address, type 137 from / 151 to / 130 cc / 129 bcc).
 *
 * Google Messages bugle_db (com.google.android.apps.messaging): messages(conversation_id,
 * sender_id, sent_timestamp / received_timestamp ms, message_status), parts(text,
 * content_type, uri), participants(normalized_destination, full_name, sub_id: -2 for
 * everyone but the phone's own numbers), conversations, conversation_participants.
 *
 * Coverage (coverage.ts): mmssms.db sms, threads, canonical_addresses, pdu, part and addr;
 * bugle_db participants, conversation_participants, conversations, parts and messages, row
 * by row. The full-text index tables (words*) and the other tables are listed as not read.
 */
import {ParseError} from '../../errors.js'
import {unixMillisToIso, unixSecondsToIso} from '../../time.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import {SqliteCoverage} from '../coverage.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, reportDatabaseCoverage} from './app-database.js'
import {chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment, type Direction} from './chat-record.js'

const SMS_TYPES: Record<number, string> = {1: 'inbox', 2: 'sent', 3: 'draft', 4: 'outbox', 5: 'failed', 6: 'queued'}

function boxDirection(box: number | null): Direction | null {
  if (box === 1) return 'incoming'
  if (box !== null && box >= 2 && box <= 6) return 'outgoing'
  return null
}

export function isMmsSmsDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'sms') && hasTable(db, 'threads') && tableColumns(db, 'sms').has('address')
}

export function isBugleDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'messages') && hasTable(db, 'parts') && hasTable(db, 'participants') && hasTable(db, 'conversations') && tableColumns(db, 'messages').has('sender_id')
}

function* readMmsSms(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  for (const table of ['canonical_addresses', 'threads', 'sms', 'pdu', 'part', 'addr']) coverage.table(table)
  const app = 'SMS/MMS'
  const account = input.captures.account ?? input.captures.phone ?? null
  const addresses = new Map<number, string>()
  if (coverage.has('canonical_addresses')) {
    for (const row of db.prepare('SELECT _id, address FROM canonical_addresses').iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row._id)
      const address = nonEmpty(row.address)
      if (id !== null && address !== null) addresses.set(id, address)
    }
  }
  const threads = new Map<number, string[]>()
  const threadCols = tableColumns(db, 'threads')
  for (const row of db.prepare(`SELECT _id, ${pick(threadCols, ['recipient_ids', 'date', 'message_count', 'snippet'])} FROM threads ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const recipientIds = (text(row.recipient_ids) ?? '').split(/\s+/).filter((r) => r !== '').map(Number)
    const members = recipientIds.map((r) => addresses.get(r)).filter((r): r is string => r !== undefined)
    if (id !== null) threads.set(id, members)
    coverage.parsed('threads', id)
    for (const recipient of recipientIds) if (addresses.has(recipient)) coverage.parsed('canonical_addresses', recipient)
    yield chatConversation(input.source({table: 'threads', rowid: id ?? undefined}), {
      app,
      account,
      conversation: id === null ? null : `thread ${id}`,
      title: null,
      participants: members,
      lastActivityAt: safeTime(unixMillisToIso, row.date),
      messageCount: integer(row.message_count),
    })
  }

  const cols = tableColumns(db, 'sms')
  for (const row of db.prepare(`SELECT _id, ${pick(cols, ['thread_id', 'address', 'date', 'date_sent', 'type', 'body', 'read', 'seen', 'status', 'subject', 'service_center'])} FROM sms ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const box = integer(row.type)
    const direction = boxDirection(box)
    const address = nonEmpty(row.address)
    const thread = integer(row.thread_id)
    coverage.parsed('sms', row._id)
    yield chatMessage(input.source({table: 'sms', rowid: integer(row._id) ?? undefined}), {
      app,
      account,
      conversation: thread === null ? address : `thread ${thread}`,
      sender: direction === 'incoming' ? address : account,
      recipients: direction === 'incoming' ? (account ? [account] : []) : address ? [address] : [],
      direction,
      // `date` is when the phone stored it; date_sent (incoming) the sender's clock, 0 when unknown
      sentAt: safeTime(unixMillisToIso, row.date),
      dateSent: safeTime(unixMillisToIso, row.date_sent),
      body: text(row.body),
      subject: nonEmpty(row.subject),
      attachments: [],
      box: box === null ? null : (SMS_TYPES[box] ?? box),
      read: integer(row.read) === 1,
      status: integer(row.status),
      serviceCenter: nonEmpty(row.service_center),
    })
  }

  if (coverage.has('canonical_addresses')) coverage.excludeRest('canonical_addresses', 'addresses no remaining thread refers to (its thread deleted)')
  if (!coverage.has('pdu')) return
  const parts = new Map<number, Array<Record<string, unknown>>>()
  if (coverage.has('part')) {
    const partCols = tableColumns(db, 'part')
    for (const row of db.prepare(`SELECT _id, ${pick(partCols, ['mid', 'ct', 'text', 'name', 'cl', '_data'])} FROM part ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
      const mid = integer(row.mid)
      if (mid === null) continue
      const list = parts.get(mid) ?? []
      list.push(row)
      parts.set(mid, list)
    }
  }
  const addrOf = new Map<number, Array<{address: string; type: number | null; row: unknown}>>()
  if (coverage.has('addr')) {
    for (const row of db.prepare('SELECT _id, msg_id, address, type FROM addr ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row.msg_id)
      const address = nonEmpty(row.address)
      if (id === null || address === null || address === 'insert-address-token') {
        coverage.exclude('addr', "address placeholders (insert-address-token: the phone's own number) and empty addresses", 1)
        continue
      }
      const list = addrOf.get(id) ?? []
      list.push({address, type: integer(row.type), row: row._id})
      addrOf.set(id, list)
    }
  }
  const pduCols = tableColumns(db, 'pdu')
  for (const row of db.prepare(`SELECT _id, ${pick(pduCols, ['thread_id', 'date', 'date_sent', 'msg_box', 'read', 'sub', 'm_type'])} FROM pdu ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const box = integer(row.msg_box)
    const direction = boxDirection(box)
    const msgParts = id === null ? [] : (parts.get(id) ?? [])
    const addrs = id === null ? [] : (addrOf.get(id) ?? [])
    coverage.parsed('pdu', id)
    for (const part of msgParts) coverage.parsed('part', part._id)
    for (const address of addrs) coverage.parsed('addr', address.row)
    const from = addrs.find((a) => a.type === 137)?.address ?? null
    const to = addrs.filter((a) => a.type === 151 || a.type === 130 || a.type === 129).map((a) => a.address)
    const attachments: ChatAttachment[] = msgParts
      .filter((p) => text(p.ct) !== 'text/plain' && text(p.ct) !== 'application/smil')
      .map((p) => ({name: nonEmpty(p.name) ?? nonEmpty(p.cl), path: nonEmpty(p._data), mimeType: nonEmpty(p.ct), bundlePath: null, sha256: null}))
    const thread = integer(row.thread_id)
    yield chatMessage(input.source({table: 'pdu', rowid: id ?? undefined}), {
      app,
      account,
      conversation: thread === null ? null : `thread ${thread}`,
      sender: direction === 'outgoing' ? (from === 'insert-address-token' ? account : (from ?? account)) : from,
      recipients: to,
      direction,
      // MMS pdu.date is in seconds, unlike sms.date
      sentAt: safeTime(unixSecondsToIso, row.date),
      body: msgParts.filter((p) => text(p.ct) === 'text/plain').map((p) => text(p.text) ?? '').join('\n') || null,
      subject: nonEmpty(row.sub),
      attachments,
      box: box === null ? null : (SMS_TYPES[box] ?? box),
      read: integer(row.read) === 1,
      mms: true,
    })
  }
}

function* readBugle(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  for (const table of ['participants', 'conversation_participants', 'conversations', 'parts', 'messages']) coverage.table(table)
  const app = 'Google Messages'
  const account = input.captures.account ?? input.captures.phone ?? null
  const participants = new Map<number, {handle: string | null; self: boolean}>()
  const pCols = tableColumns(db, 'participants')
  for (const row of db.prepare(`SELECT _id, ${pick(pCols, ['sub_id', 'normalized_destination', 'display_destination', 'full_name', 'first_name', 'blocked', 'contact_id'])} FROM participants ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const handle = nonEmpty(row.normalized_destination) ?? nonEmpty(row.display_destination)
    // sub_id -2 is "anyone but this phone"; the phone's own SIM identities have -1 or a subscription id
    const self = integer(row.sub_id) !== -2
    if (id !== null) participants.set(id, {handle, self})
    coverage.parsed('participants', id)
    yield chatContact(input.source({table: 'participants', rowid: id ?? undefined}), {
      app,
      account,
      handle,
      name: nonEmpty(row.full_name),
      self,
      blocked: integer(row.blocked) === 1,
    })
  }
  const members = new Map<number, string[]>()
  if (coverage.has('conversation_participants')) {
    for (const row of db.prepare('SELECT _id, conversation_id, participant_id FROM conversation_participants ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
      const conversation = integer(row.conversation_id)
      const handle = participants.get(integer(row.participant_id) ?? -1)?.handle
      if (conversation === null || !handle) {
        coverage.exclude('conversation_participants', 'member rows whose participant is gone or has no address', 1)
        continue
      }
      coverage.parsed('conversation_participants', row._id)
      const list = members.get(conversation) ?? []
      list.push(handle)
      members.set(conversation, list)
    }
  }
  const conversations = new Map<number, string>()
  const cCols = tableColumns(db, 'conversations')
  for (const row of db.prepare(`SELECT _id, ${pick(cCols, ['name', 'sort_timestamp', 'archive_status'])} FROM conversations ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const name = nonEmpty(row.name)
    if (id !== null) conversations.set(id, name ?? `conversation ${id}`)
    coverage.parsed('conversations', id)
    yield chatConversation(input.source({table: 'conversations', rowid: id ?? undefined}), {
      app,
      account,
      conversation: name ?? (id === null ? null : `conversation ${id}`),
      title: name,
      participants: id === null ? [] : (members.get(id) ?? []),
      lastActivityAt: safeTime(unixMillisToIso, row.sort_timestamp),
    })
  }
  const parts = new Map<number, Array<Record<string, unknown>>>()
  const partCols = tableColumns(db, 'parts')
  for (const row of db.prepare(`SELECT _id, ${pick(partCols, ['message_id', 'text', 'content_type', 'uri', 'file_name'])} FROM parts ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row.message_id)
    if (id === null) {
      coverage.exclude('parts', 'parts of no message', 1)
      continue
    }
    const list = parts.get(id) ?? []
    list.push(row)
    parts.set(id, list)
  }
  const mCols = tableColumns(db, 'messages')
  for (const row of db.prepare(`SELECT _id, ${pick(mCols, ['conversation_id', 'sender_id', 'sent_timestamp', 'received_timestamp', 'message_status', 'message_protocol', 'read', 'mms_subject'])} FROM messages ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const conversationId = integer(row.conversation_id)
    const sender = participants.get(integer(row.sender_id) ?? -1)
    const status = integer(row.message_status)
    // a message is the phone's own when its sender is one of the phone's identities (status < 100 in Bugle's MessageData)
    const outgoing = sender ? sender.self : status !== null && status < 100
    const senderHandle = sender?.handle ?? (outgoing ? account : null)
    const convMembers = conversationId === null ? [] : (members.get(conversationId) ?? [])
    const msgParts = id === null ? [] : (parts.get(id) ?? [])
    const sent = integer(row.sent_timestamp)
    coverage.parsed('messages', id)
    for (const part of msgParts) coverage.parsed('parts', part._id)
    yield chatMessage(input.source({table: 'messages', rowid: id ?? undefined}), {
      app,
      account,
      conversation: conversationId === null ? null : (conversations.get(conversationId) ?? null),
      sender: senderHandle,
      recipients: outgoing ? convMembers.filter((m) => m !== senderHandle) : account ? [account] : [],
      direction: outgoing ? 'outgoing' : 'incoming',
      sentAt: safeTime(unixMillisToIso, sent !== null && sent > 0 ? sent : row.received_timestamp),
      receivedAt: safeTime(unixMillisToIso, row.received_timestamp),
      body: msgParts.filter((p) => text(p.content_type) === 'text/plain').map((p) => text(p.text) ?? '').join('\n') || null,
      subject: nonEmpty(row.mms_subject),
      attachments: msgParts
        .filter((p) => text(p.content_type) !== 'text/plain')
        .map((p) => ({name: nonEmpty(p.file_name), path: nonEmpty(p.uri), mimeType: nonEmpty(p.content_type), bundlePath: null, sha256: null})),
      status,
      protocol: integer(row.message_protocol),
      read: integer(row.read) === 1,
    })
  }
}

export const androidSmsParser: Parser = {
  id: 'android-sms',
  description: 'Android telephony provider mmssms.db: SMS and MMS messages and threads',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      if (!isMmsSmsDb(db)) throw new ParseError('not an Android mmssms.db: no sms(address) and threads tables', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readMmsSms(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'android-sms', 'Android mmssms.db')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}

export const googleMessagesParser: Parser = {
  id: 'google-messages',
  description: 'Google Messages (Android) bugle_db: SMS, MMS and RCS messages, conversations, participants',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      if (!isBugleDb(db)) throw new ParseError('not a Google Messages bugle_db: no messages(sender_id), parts, participants and conversations tables', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readBugle(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'google-messages', 'Google Messages bugle_db')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
