/**
 * Apple Messages database: sms.db on iOS (HomeDomain Library/SMS/sms.db) and chat.db on
 * macOS. One schema for iMessage, SMS and MMS:
 *   message (ROWID, text, handle_id, is_from_me, date, service, ...)
 *   handle (the other party: phone number or Apple ID)
 *   chat + chat_message_join + chat_handle_join (conversations and their members)
 *   attachment + message_attachment_join (files under ~/Library/SMS/Attachments)
 * Dates are Cocoa time (since 2001-01-01 UTC): seconds before iOS 11, nanoseconds since.
 *
 * Besides messages, handles and chats: an attachment row no message refers to (its
 * message deleted, or never sent) is a chat.attachment record with its file; a
 * deleted_messages row (macOS: the GUID of a message deleted on this Mac, kept for
 * iCloud sync) is a chat.deleted_message record. A message in more than one chat names
 * the others in alsoInChats.
 *
 * Coverage (coverage.ts): the seven tables above and deleted_messages row by row;
 * chat_message_join rows of deleted messages and join rows pointing at rows that are
 * gone are excluded as such; kvtable, _SqliteDatabaseProperties and others are listed.
 */
import {posix} from 'node:path'
import {ParseError} from '../../errors.js'
import {appleToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, attachment, collectOnce, reportDatabaseCoverage, type AppDatabaseContext} from './app-database.js'
import {chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment} from './chat-record.js'

const APP = 'Messages'

export function isMessagesDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'message') && hasTable(db, 'handle') && hasTable(db, 'chat_message_join') && tableColumns(db, 'message').has('is_from_me')
}

export function requireMessagesDb(db: SqliteDatabase, file: string): void {
  if (!isMessagesDb(db)) throw new ParseError('not an Apple Messages database (sms.db/chat.db): no message, handle and chat_message_join tables', file)
}

/**
 * Text of a message whose `text` column is empty: newer iOS/macOS keep it only in
 * attributedBody, an NSAttributedString in Apple's typedstream archive. The string
 * follows the class name NSString, then '+' and a length (one byte, or 0x81 + uint16 LE,
 * 0x82 + uint32 LE).
 */
export function textFromAttributedBody(blob: Buffer): string | null {
  const at = blob.indexOf('NSString')
  if (at < 0) return null
  const plus = blob.indexOf(0x2b, at + 8)
  if (plus < 0 || plus > at + 16 || plus + 1 >= blob.length) return null
  let length = blob[plus + 1]
  let start = plus + 2
  if (length === 0x81) {
    if (plus + 4 > blob.length) return null
    length = blob.readUInt16LE(plus + 2)
    start = plus + 4
  } else if (length === 0x82) {
    if (plus + 6 > blob.length) return null
    length = blob.readUInt32LE(plus + 2)
    start = plus + 6
  }
  if (start + length > blob.length) return null
  return blob.subarray(start, start + length).toString('utf8')
}

const MESSAGES_TABLES = ['handle', 'chat', 'chat_handle_join', 'message', 'chat_message_join', 'attachment', 'message_attachment_join', 'deleted_messages']

/** Reads one Messages database. `context` decides how attachments are found; `coverage` keeps its account. */
export async function* readMessagesDb(db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage): AsyncGenerator<ParsedRecord> {
  for (const table of MESSAGES_TABLES) coverage.table(table)
  const account = context.account

  const handles = new Map<number, string>()
  const handleCols = tableColumns(db, 'handle')
  for (const row of db.prepare(`SELECT ROWID AS rowid, ${pick(handleCols, ['id', 'service', 'country', 'uncanonicalized_id'])} FROM handle ORDER BY ROWID`).iterate() as Iterable<Record<string, unknown>>) {
    const rowid = integer(row.rowid)
    const id = nonEmpty(row.id)
    if (rowid !== null && id !== null) handles.set(rowid, id)
    coverage.parsed('handle', rowid)
    yield chatContact(context.source({table: 'handle', rowid: rowid ?? undefined}), {
      app: APP,
      account,
      handle: id,
      name: null,
      service: nonEmpty(row.service),
      country: nonEmpty(row.country),
    })
  }

  const members = new Map<number, string[]>()
  if (coverage.has('chat_handle_join')) {
    for (const row of db.prepare('SELECT chat_id, handle_id FROM chat_handle_join').iterate() as Iterable<Record<string, unknown>>) {
      const chat = integer(row.chat_id)
      const handle = handles.get(integer(row.handle_id) ?? -1)
      if (chat === null || handle === undefined) {
        coverage.exclude('chat_handle_join', 'chat member rows whose handle row is gone or has no address', 1)
        continue
      }
      coverage.parsed('chat_handle_join', `${chat}/${integer(row.handle_id)}`)
      const list = members.get(chat) ?? []
      list.push(handle)
      members.set(chat, list)
    }
  }

  const chats = new Map<number, string>()
  if (hasTable(db, 'chat')) {
    const cols = tableColumns(db, 'chat')
    for (const row of db.prepare(`SELECT ROWID AS rowid, ${pick(cols, ['guid', 'chat_identifier', 'service_name', 'display_name', 'room_name', 'account_login', 'is_archived', 'style'])} FROM chat ORDER BY ROWID`).iterate() as Iterable<Record<string, unknown>>) {
      const rowid = integer(row.rowid)
      const identifier = nonEmpty(row.chat_identifier) ?? nonEmpty(row.guid)
      if (rowid !== null && identifier !== null) chats.set(rowid, identifier)
      coverage.parsed('chat', rowid)
      yield chatConversation(context.source({table: 'chat', rowid: rowid ?? undefined}), {
        app: APP,
        account,
        conversation: identifier,
        title: nonEmpty(row.display_name),
        participants: rowid === null ? [] : (members.get(rowid) ?? []),
        guid: nonEmpty(row.guid),
        service: nonEmpty(row.service_name),
        // style 43 = group chat, 45 = one-to-one
        group: integer(row.style) === 43 ? true : integer(row.style) === 45 ? false : null,
        archived: integer(row.is_archived) === 1,
      })
    }
  }

  const attachmentsOf = new Map<number, Array<Record<string, unknown>>>()
  if (coverage.has('attachment') && coverage.has('message_attachment_join')) {
    const cols = tableColumns(db, 'attachment')
    const sql = `SELECT j.rowid AS join_row, j.message_id AS message_id, a.ROWID AS rowid, ${pick(cols, ['filename', 'mime_type', 'transfer_name', 'total_bytes', 'uti'], 'a')} FROM message_attachment_join j JOIN attachment a ON a.ROWID = j.attachment_id ORDER BY j.message_id, a.ROWID`
    for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
      const m = integer(row.message_id)
      if (m === null) continue
      const list = attachmentsOf.get(m) ?? []
      list.push(row)
      attachmentsOf.set(m, list)
    }
  }

  const cols = tableColumns(db, 'message')
  const statement = db.prepare(
    // the chat of each message by a join SQLite can index itself (real sms.db index it by message_id, not every copy does);
    // a message in several chats (rare: a chat merged or re-created) names all of them
    `SELECT m.ROWID AS rowid, j.chat_id AS chat_id, j.chat_ids AS chat_ids, ${pick(cols, ['guid', 'text', 'attributedBody', 'subject', 'handle_id', 'service', 'account', 'destination_caller_id', 'date', 'date_read', 'date_delivered', 'is_from_me', 'is_read', 'is_sent', 'is_delivered', 'item_type', 'associated_message_type', 'associated_message_guid', 'error', 'cache_roomnames'], 'm')} FROM message m LEFT JOIN (SELECT message_id, min(chat_id) AS chat_id, group_concat(chat_id) AS chat_ids FROM chat_message_join GROUP BY message_id) j ON j.message_id = m.ROWID ORDER BY m.ROWID`,
  )
  // dates are nanoseconds since 2001 on iOS 11+: beyond 2^53, so read integers exactly
  statement.safeIntegers(true)
  for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
    const rowid = integer(row.rowid)
    const fromMe = integer(row.is_from_me) === 1
    const handle = handles.get(integer(row.handle_id) ?? -1) ?? null
    const chatId = integer(row.chat_id) ?? undefined
    const chatMembers = chatId === undefined ? [] : (members.get(chatId) ?? [])
    // the account that sent or received: 'P:+1555..' / 'E:a@b' in `account`, bare in destination_caller_id
    const own = nonEmpty(row.destination_caller_id) ?? stripAccountPrefix(nonEmpty(row.account)) ?? account
    let body = text(row.text)
    let bodySource = 'text'
    if ((body === null || body === '') && Buffer.isBuffer(row.attributedBody)) {
      const fromArchive = textFromAttributedBody(row.attributedBody)
      if (fromArchive !== null) {
        body = fromArchive
        bodySource = 'attributedBody'
      }
    }
    coverage.parsed('message', rowid)
    const chatIds = (text(row.chat_ids) ?? '').split(',').filter((c) => c !== '').map(Number)
    for (const chat of chatIds) coverage.parsed('chat_message_join', `${chat}/${rowid}`)
    const attachments: ChatAttachment[] = []
    for (const a of rowid === null ? [] : (attachmentsOf.get(rowid) ?? [])) {
      coverage.parsed('attachment', integer(a.rowid))
      coverage.parsed('message_attachment_join', integer(a.join_row))
      attachments.push(await attachment(context, nonEmpty(a.filename), nonEmpty(a.transfer_name), {mimeType: nonEmpty(a.mime_type), size: integer(a.total_bytes)}))
    }
    const others = chatMembers.length > 0 ? chatMembers : handle ? [handle] : []
    yield chatMessage(context.source({table: 'message', rowid: rowid ?? undefined}), {
      app: APP,
      account,
      conversation: chatId === undefined ? handle : (chats.get(chatId) ?? handle),
      sender: fromMe ? own : handle,
      recipients: fromMe ? others : [...(own ? [own] : []), ...others.filter((o) => o !== handle)],
      direction: fromMe ? 'outgoing' : 'incoming',
      sentAt: safeTime(appleToIso, row.date),
      body,
      bodySource,
      subject: nonEmpty(row.subject),
      attachments,
      service: nonEmpty(row.service),
      guid: nonEmpty(row.guid),
      readAt: safeTime(appleToIso, row.date_read),
      deliveredAt: safeTime(appleToIso, row.date_delivered),
      read: integer(row.is_read) === 1,
      itemType: integer(row.item_type),
      // tapbacks (reactions) point at the message they react to
      reactionTo: integer(row.associated_message_type) ? nonEmpty(row.associated_message_guid) : null,
      error: integer(row.error),
      ...(chatIds.length > 1 ? {alsoInChats: chatIds.filter((c) => c !== chatId).map((c) => chats.get(c) ?? `chat ${c}`)} : {}),
    })
  }
  // a deleted message leaves its chat_message_join row behind on some versions
  if (coverage.has('chat_message_join')) {
    coverage.excludeWhere('chat_message_join', 'rows of messages no longer in message (deleted)', 'message_id NOT IN (SELECT ROWID FROM message)')
  }
  if (coverage.has('message_attachment_join')) {
    coverage.excludeWhere(
      'message_attachment_join',
      'rows whose message or attachment row is gone',
      'message_id NOT IN (SELECT ROWID FROM message) OR attachment_id NOT IN (SELECT ROWID FROM attachment)',
    )
  }
  yield* orphanAttachments(db, context, coverage)
  if (coverage.has('deleted_messages')) {
    const d = tableColumns(db, 'deleted_messages')
    for (const row of db.prepare(`SELECT ROWID AS rowid, ${optionalColumn(d, 'guid')} AS guid FROM deleted_messages ORDER BY ROWID`).iterate() as Iterable<Record<string, unknown>>) {
      const rowid = integer(row.rowid)
      coverage.parsed('deleted_messages', rowid)
      yield {
        type: 'chat.deleted_message',
        source: context.source({table: 'deleted_messages', rowid: rowid ?? undefined}),
        app: APP,
        account,
        guid: nonEmpty(row.guid),
        note: 'the GUID of a message deleted on this device (kept for Messages in iCloud); the message itself is gone',
      }
    }
  }
}

function optionalColumn(columns: Set<string>, name: string): string {
  return columns.has(name.toLowerCase()) ? `"${name}"` : 'NULL'
}

/** Attachment rows no message refers to: the file of a message since deleted, or of a draft. */
async function* orphanAttachments(db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage): AsyncGenerator<ParsedRecord> {
  if (!coverage.has('attachment')) return
  const cols = tableColumns(db, 'attachment')
  const joined = coverage.has('message_attachment_join')
    ? 'WHERE NOT EXISTS (SELECT 1 FROM message_attachment_join j JOIN message m ON m.ROWID = j.message_id WHERE j.attachment_id = a.ROWID)'
    : ''
  const sql = `SELECT a.ROWID AS rowid, ${pick(cols, ['guid', 'created_date', 'filename', 'mime_type', 'transfer_name', 'total_bytes', 'is_outgoing'], 'a')} FROM attachment a ${joined} ORDER BY a.ROWID`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
    const rowid = integer(row.rowid)
    coverage.parsed('attachment', rowid)
    const outgoing = row.is_outgoing === null ? null : integer(row.is_outgoing) === 1
    yield {
      type: 'chat.attachment',
      source: context.source({table: 'attachment', rowid: rowid ?? undefined}),
      app: APP,
      account: context.account,
      attachment: await attachment(context, nonEmpty(row.filename), nonEmpty(row.transfer_name), {mimeType: nonEmpty(row.mime_type), size: integer(row.total_bytes)}),
      guid: nonEmpty(row.guid),
      createdAt: safeTime(appleToIso, row.created_date),
      direction: outgoing === null ? null : outgoing ? 'outgoing' : 'incoming',
      note: 'attachment no message refers to (its message deleted, or never sent)',
    }
  }
}

function stripAccountPrefix(account: string | null): string | null {
  if (account === null) return null
  return account.replace(/^[PpEe]:/, '')
}

/**
 * '~/Library/SMS/Attachments/..' (iOS) or '~/Library/Messages/Attachments/..' (macOS) relative
 * to the home folder that holds Library/SMS/sms.db or Library/Messages/chat.db.
 */
export function homeRelativeAttachmentPath(stored: string): string | null {
  if (stored.startsWith('~/')) return stored.slice(2)
  const m = /^\/(?:private\/)?var\/mobile\/(.+)$/.exec(stored)
  if (m) return m[1]
  const mac = /^\/Users\/[^/]+\/(.+)$/.exec(stored)
  if (mac) return mac[1]
  return null
}

/** sms.db or chat.db found as a file on the volume (a file-system extraction, a Mac home). */
export const messagesDbParser: Parser = {
  id: 'apple-messages',
  description: 'Apple Messages sms.db (iOS) / chat.db (macOS): iMessage and SMS messages, handles, chats, attachments',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      requireMessagesDb(db, input.sourcePath)
      // the database sits at <home>/Library/SMS/sms.db or <home>/Library/Messages/chat.db
      const dir = posix.dirname(input.sourcePath)
      const home = /\/Library\/(SMS|Messages)$/i.test(dir) ? posix.dirname(posix.dirname(dir)) : null
      const collect = collectOnce((path) => input.collectRelated(path))
      const coverage = new SqliteCoverage(db)
      yield* readMessagesDb(db, {
        account: input.captures.account ?? input.captures.phone ?? null,
        source: (extra) => input.source(extra),
        collectAttachment: async (stored) => {
          const relative = homeRelativeAttachmentPath(stored)
          if (home === null || relative === null) return undefined
          return collect(`${home}/${relative}`)
        },
      }, coverage)
      reportDatabaseCoverage(input, coverage, 'apple-messages', 'Apple Messages sms.db / chat.db')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
