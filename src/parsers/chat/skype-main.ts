/**
 * Skype classic (up to 7.x) main.db: one SQLite database per account under
 * %APPDATA%\Skype\<account>\. Times are seconds since 1970 (UTC).
 * Tables read: Accounts, Messages, Conversations, Participants, Contacts, Calls,
 * CallMembers, Transfers, SMSes, and the older chat tables Chats and ChatMembers.
 * Columns are detected per table: they changed between Skype 3 and 7.
 *
 * Both chat schemas: Skype 4 replaced Chats/ChatMembers (one row per chat name) by
 * Conversations/Participants but kept writing both. A Chats row whose conv_dbid names a
 * Conversations row is the same conversation: it is listed in that record's legacyChats.
 * One without (a conference whose Conversations row is gone) becomes its own
 * chat.conversation record from Chats, with its ChatMembers as participants.
 *
 * Coverage (coverage.ts): every row of the tables above is accounted for; other tables
 * (ContactGroups, Videos, Voicemails, DbMeta, ...) are listed as not read.
 */
import {ParseError} from '../../errors.js'
import {unixMillisToIso, unixSecondsToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, requireTables, tableColumns, type SqliteDatabase} from '../sqlite.js'
import {asParseError, reportDatabaseCoverage} from './app-database.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {chatCall, chatContact, chatConversation, chatMessage, chatTransfer, integer, nonEmpty, pick, safeTime, text, type Direction} from './chat-record.js'
import {decodeSkypeBody} from './skype-markup.js'
import {appendTo} from '../group.js'

const APP = 'Skype'

/** Messages.type values (Skype classic), as documented by the forensic community (e.g. plaso's skype plugin, Skype4Py). */
const MESSAGE_TYPES: Record<number, string> = {
  2: 'topic set', 4: 'conference created', 10: 'members added', 12: 'member removed', 13: 'member left',
  30: 'call started', 39: 'call ended', 50: 'contact request', 51: 'contact request accepted', 53: 'blocked',
  60: 'emote', 61: 'text', 63: 'contacts sent', 64: 'SMS', 68: 'file transfer', 70: 'video message',
  110: 'birthday', 201: 'picture sharing',
}

/** Transfers.status values. */
const TRANSFER_STATUS: Record<number, string> = {
  0: 'new', 1: 'connecting', 2: 'waiting for accept', 3: 'transferring', 4: 'transferring over relay', 5: 'paused',
  6: 'remotely paused', 7: 'cancelled', 8: 'completed', 9: 'failed', 10: 'offer from other instance', 11: 'offer to other instance',
}

/** Transfers.type: 1 incoming, 2 outgoing. */
function transferDirection(type: unknown): Direction | null {
  const t = integer(type)
  return t === 1 ? 'incoming' : t === 2 ? 'outgoing' : null
}

export function isSkypeMainDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'Messages') && hasTable(db, 'Conversations') && hasTable(db, 'Accounts') && tableColumns(db, 'Messages').has('body_xml')
}

export const skypeMainParser: Parser = {
  id: 'skype-main',
  description: 'Skype classic main.db: messages (markup decoded), conversations, contacts, calls, file transfers',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      requireTables(db, ['Messages', 'Conversations', 'Accounts'], 'Skype classic main.db', input.sourcePath)
      if (!tableColumns(db, 'Messages').has('body_xml')) throw new ParseError('not a Skype classic main.db: Messages has no body_xml', input.sourcePath)
      const coverage = new SqliteCoverage(db)
      yield* readSkypeMain(db, input, coverage)
      reportDatabaseCoverage(input, coverage, 'skype-main', 'Skype classic main.db')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}

const SKYPE_TABLES = ['Accounts', 'Conversations', 'Participants', 'Chats', 'ChatMembers', 'Messages', 'SMSes', 'Contacts', 'Calls', 'CallMembers', 'Transfers']

function* readSkypeMain(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage): Generator<ParsedRecord> {
  for (const table of SKYPE_TABLES) coverage.table(table)
  const accountCols = tableColumns(db, 'Accounts')
  const accounts = db.prepare(`SELECT id, ${pick(accountCols, ['skypename', 'fullname', 'emails', 'phone_mobile', 'country', 'city', 'profile_timestamp', 'liveid_membername'])} FROM Accounts ORDER BY id`).all() as Array<Record<string, unknown>>
  const account = nonEmpty(accounts[0]?.skypename) ?? input.captures.account ?? null
  for (const row of accounts) {
    coverage.parsed('Accounts', row.id)
    // the profile of the user this main.db belongs to
    yield {
      type: 'chat.account',
      source: input.source({table: 'Accounts', rowid: integer(row.id) ?? undefined}),
      app: APP,
      account: nonEmpty(row.skypename),
      name: nonEmpty(row.fullname),
      emails: nonEmpty(row.emails),
      phone: nonEmpty(row.phone_mobile),
      country: nonEmpty(row.country),
      city: nonEmpty(row.city),
      microsoftAccount: nonEmpty(row.liveid_membername),
      profileUpdatedAt: safeTime(unixSecondsToIso, row.profile_timestamp),
    }
  }

  // participants per conversation (Participants.convo_id -> Conversations.id)
  const participants = new Map<number, string[]>()
  if (hasTable(db, 'Participants')) {
    for (const row of db.prepare('SELECT id, convo_id, identity FROM Participants ORDER BY id').iterate() as Iterable<{id: unknown; convo_id: unknown; identity: unknown}>) {
      const id = integer(row.convo_id)
      const who = nonEmpty(row.identity)
      if (id === null || who === null) {
        coverage.exclude('Participants', 'participant row without a conversation or identity', 1)
        continue
      }
      // part of the conversation's and its messages' records
      coverage.parsed('Participants', row.id)
      appendTo(participants, id, who)
    }
  }
  const legacy = legacyChats(db, coverage)
  const conversationIdentity = new Map<number, string>()
  const convCols = tableColumns(db, 'Conversations')
  for (const row of db.prepare(`SELECT id, ${pick(convCols, ['identity', 'type', 'displayname', 'given_displayname', 'creation_timestamp', 'last_activity_timestamp', 'meta_topic'])} FROM Conversations ORDER BY id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row.id)
    const identity = nonEmpty(row.identity)
    if (id !== null && identity !== null) conversationIdentity.set(id, identity)
    coverage.parsed('Conversations', id)
    const chats = id === null ? [] : (legacy.byConversation.get(id) ?? [])
    legacy.byConversation.delete(id ?? -1)
    for (const chat of chats) legacy.markRead(chat)
    yield chatConversation(input.source({table: 'Conversations', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation: identity,
      title: nonEmpty(row.given_displayname) ?? nonEmpty(row.displayname) ?? nonEmpty(row.meta_topic),
      participants: id === null ? [] : (participants.get(id) ?? []),
      kind: integer(row.type) === 1 ? 'dialog' : integer(row.type) === 2 ? 'conference' : integer(row.type),
      createdAt: safeTime(unixSecondsToIso, row.creation_timestamp),
      lastActivityAt: safeTime(unixSecondsToIso, row.last_activity_timestamp),
      // the same conversation in the older Chats table (one row per chat name it had)
      legacyChats: chats.map((chat) => ({name: chat.name, title: chat.title, createdAt: chat.createdAt, table: 'Chats', rowid: chat.rowid})),
    })
  }
  // Chats rows without their Conversations row: conversations only the old schema still holds
  for (const chat of [...legacy.byConversation.values()].flat()) {
    legacy.markRead(chat)
    yield chatConversation(input.source({table: 'Chats', rowid: chat.rowid ?? undefined}), {
      app: APP,
      account,
      conversation: chat.name,
      title: chat.title,
      participants: chat.members,
      kind: chat.kind,
      createdAt: chat.createdAt,
      conversationId: chat.conversationId,
      note: 'from the older Chats table: no Conversations row for this chat',
    })
  }

  // SMS details (SMSes.chatmsg_id -> Messages.id)
  const smsByMessage = new Map<number, Record<string, unknown>>()
  if (hasTable(db, 'SMSes')) {
    const cols = tableColumns(db, 'SMSes')
    if (cols.has('chatmsg_id')) {
      for (const row of db.prepare(`SELECT id, ${pick(cols, ['chatmsg_id', 'timestamp', 'target_numbers', 'body', 'status', 'price', 'price_precision', 'price_currency'])} FROM SMSes`).iterate() as Iterable<Record<string, unknown>>) {
        const mid = integer(row.chatmsg_id)
        if (mid !== null) smsByMessage.set(mid, row)
        else coverage.exclude('SMSes', 'SMS row linked to no chat message', 1)
      }
    }
  }

  const msgCols = tableColumns(db, 'Messages')
  const messageSql = `SELECT id, ${pick(msgCols, ['convo_id', 'chatname', 'author', 'from_dispname', 'dialog_partner', 'timestamp', 'timestamp__ms', 'type', 'chatmsg_type', 'chatmsg_status', 'sending_status', 'body_xml', 'edited_by', 'edited_timestamp', 'identities', 'remote_id'])} FROM Messages ORDER BY id`
  for (const row of db.prepare(messageSql).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row.id)
    const convoId = integer(row.convo_id)
    const author = nonEmpty(row.author)
    const raw = text(row.body_xml)
    const decoded = raw === null ? null : decodeSkypeBody(raw)
    const members = convoId === null ? [] : (participants.get(convoId) ?? [])
    let recipients = members.filter((m) => m !== author)
    if (recipients.length === 0) {
      const partner = nonEmpty(row.dialog_partner) ?? nonEmpty(row.identities)
      if (partner !== null && partner !== author) recipients = [partner]
    }
    const type = integer(row.type)
    const editedAt = safeTime(unixSecondsToIso, row.edited_timestamp)
    const sms = id === null ? undefined : smsByMessage.get(id)
    coverage.parsed('Messages', id)
    if (sms) coverage.parsed('SMSes', sms.id)
    yield chatMessage(input.source({table: 'Messages', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation: (convoId === null ? null : conversationIdentity.get(convoId)) ?? nonEmpty(row.chatname),
      chatname: nonEmpty(row.chatname),
      sender: author,
      senderName: nonEmpty(row.from_dispname),
      recipients,
      direction: author === null || account === null ? null : author === account ? 'outgoing' : 'incoming',
      // Skype 7 adds timestamp__ms (milliseconds) beside the seconds of older versions
      sentAt: safeTime(unixMillisToIso, row.timestamp__ms) ?? safeTime(unixSecondsToIso, row.timestamp),
      body: decoded?.text ?? null,
      bodyRaw: raw,
      attachments: (decoded?.files ?? []).map((name) => ({name, path: null, bundlePath: null, sha256: null})),
      messageType: type,
      messageTypeName: type === null ? null : (MESSAGE_TYPES[type] ?? null),
      chatmsgType: integer(row.chatmsg_type),
      chatmsgStatus: integer(row.chatmsg_status),
      editedBy: nonEmpty(row.edited_by),
      editedAt,
      // Skype blanks body_xml when a message is removed: an edit leaving no body is a deletion
      deleted: editedAt !== null && (raw === null || raw === ''),
      ...(sms
        ? {
            sms: {
              sentAt: safeTime(unixSecondsToIso, sms.timestamp),
              targets: nonEmpty(sms.target_numbers),
              body: text(sms.body),
              status: integer(sms.status),
              table: 'SMSes',
              rowid: integer(sms.id),
            },
          }
        : {}),
    })
  }

  if (hasTable(db, 'Contacts')) {
    const cols = tableColumns(db, 'Contacts')
    const sql = `SELECT id, ${pick(cols, ['skypename', 'pstnnumber', 'fullname', 'displayname', 'given_displayname', 'phone_mobile', 'phone_home', 'phone_office', 'emails', 'country', 'province', 'city', 'birthday', 'about', 'profile_timestamp', 'lastonline_timestamp', 'is_permanent', 'type', 'isblocked', 'isauthorized'])} FROM Contacts ORDER BY id`
    for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
      coverage.parsed('Contacts', row.id)
      yield chatContact(input.source({table: 'Contacts', rowid: integer(row.id) ?? undefined}), {
        app: APP,
        account,
        handle: nonEmpty(row.skypename) ?? nonEmpty(row.pstnnumber),
        name: nonEmpty(row.given_displayname) ?? nonEmpty(row.fullname) ?? nonEmpty(row.displayname),
        fullName: nonEmpty(row.fullname),
        phones: [row.phone_mobile, row.phone_home, row.phone_office].map(nonEmpty).filter((p): p is string => p !== null),
        emails: nonEmpty(row.emails),
        country: nonEmpty(row.country),
        city: nonEmpty(row.city),
        birthday: integer(row.birthday),
        about: nonEmpty(row.about),
        profileUpdatedAt: safeTime(unixSecondsToIso, row.profile_timestamp),
        lastOnlineAt: safeTime(unixSecondsToIso, row.lastonline_timestamp),
        blocked: row.isblocked === null ? null : integer(row.isblocked) === 1,
      })
    }
  }

  if (hasTable(db, 'Calls')) {
    const members = new Map<string, Array<Record<string, unknown>>>()
    if (hasTable(db, 'CallMembers')) {
      const cols = tableColumns(db, 'CallMembers')
      // newer main.db link members by call_db_id, older ones by call_name
      for (const row of db.prepare(`SELECT id, ${pick(cols, ['call_db_id', 'call_name', 'identity', 'dispname', 'call_duration', 'start_timestamp', 'status'])} FROM CallMembers ORDER BY id`).iterate() as Iterable<Record<string, unknown>>) {
        const key = integer(row.call_db_id) !== null ? `id:${integer(row.call_db_id)}` : `name:${text(row.call_name)}`
        appendTo(members, key, row)
      }
    }
    const cols = tableColumns(db, 'Calls')
    const sql = `SELECT id, ${pick(cols, ['name', 'begin_timestamp', 'start_timestamp', 'host_identity', 'duration', 'is_incoming', 'is_conference', 'topic', 'conv_dbid', 'partner_handle', 'type', 'status'])} FROM Calls ORDER BY id`
    for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row.id)
      const callMembers = members.get(`id:${id}`) ?? members.get(`name:${text(row.name)}`) ?? []
      coverage.parsed('Calls', id)
      for (const member of callMembers) coverage.parsed('CallMembers', member.id)
      const host = nonEmpty(row.host_identity)
      const memberIds = callMembers.map((m) => nonEmpty(m.identity)).filter((m): m is string => m !== null)
      const memberDurations = callMembers.map((m) => integer(m.call_duration)).filter((d): d is number => d !== null)
      const duration = integer(row.duration) ?? (memberDurations.length > 0 ? Math.max(...memberDurations) : null)
      const startedAt = safeTime(unixSecondsToIso, row.begin_timestamp) ?? safeTime(unixSecondsToIso, row.start_timestamp)
      const begin = integer(row.begin_timestamp) ?? integer(row.start_timestamp)
      const incoming = integer(row.is_incoming)
      const convId = integer(row.conv_dbid)
      yield chatCall(input.source({table: 'Calls', rowid: id ?? undefined}), {
        app: APP,
        account,
        conversation: (convId === null ? null : conversationIdentity.get(convId)) ?? nonEmpty(row.partner_handle),
        participants: [...new Set([...(account ? [account] : []), ...(host ? [host] : []), ...memberIds])],
        host,
        direction: incoming === 1 ? 'incoming' : incoming === 0 ? 'outgoing' : host !== null && account !== null ? (host === account ? 'outgoing' : 'incoming') : null,
        startedAt,
        duration,
        endedAt: begin !== null && duration !== null ? safeTime(unixSecondsToIso, begin + duration) : null,
        conference: row.is_conference === null ? null : integer(row.is_conference) === 1,
        members: callMembers.map((m) => ({
          identity: nonEmpty(m.identity),
          name: nonEmpty(m.dispname),
          duration: integer(m.call_duration),
          startedAt: safeTime(unixSecondsToIso, m.start_timestamp),
          status: integer(m.status),
          table: 'CallMembers',
          rowid: integer(m.id),
        })),
      })
    }
  }

  if (hasTable(db, 'Transfers')) {
    const cols = tableColumns(db, 'Transfers')
    const sql = `SELECT id, ${pick(cols, ['partner_handle', 'partner_dispname', 'type', 'status', 'failurereason', 'starttime', 'finishtime', 'filepath', 'filename', 'filesize', 'bytestransferred', 'convo_id'])} FROM Transfers ORDER BY id`
    for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
      const status = integer(row.status)
      const convoId = integer(row.convo_id)
      coverage.parsed('Transfers', row.id)
      yield chatTransfer(input.source({table: 'Transfers', rowid: integer(row.id) ?? undefined}), {
        app: APP,
        account,
        conversation: convoId === null ? null : (conversationIdentity.get(convoId) ?? null),
        partner: nonEmpty(row.partner_handle),
        partnerName: nonEmpty(row.partner_dispname),
        direction: transferDirection(row.type),
        fileName: nonEmpty(row.filename),
        filePath: nonEmpty(row.filepath),
        fileSize: integer(row.filesize),
        bytesTransferred: integer(row.bytestransferred),
        status: status === null ? null : (TRANSFER_STATUS[status] ?? status),
        statusCode: status,
        failureReason: integer(row.failurereason),
        startedAt: safeTime(unixSecondsToIso, row.starttime),
        finishedAt: safeTime(unixSecondsToIso, row.finishtime),
      })
    }
  }
}

interface LegacyChat {
  rowid: number | null
  name: string | null
  title: string | null
  kind: string | number | null
  createdAt: string | null
  conversationId: number | null
  members: string[]
  memberRows: unknown[]
}

/**
 * The older chat schema: Chats (one row per chat name, conv_dbid -> Conversations.id) and
 * ChatMembers (chatname, identity). Chats are grouped by the conversation they belong to;
 * those whose conv_dbid is absent are grouped under -1 - their rowid, so each stays apart.
 */
function legacyChats(db: SqliteDatabase, coverage: SqliteCoverage): {byConversation: Map<number, LegacyChat[]>; markRead(chat: LegacyChat): void} {
  const byConversation = new Map<number, LegacyChat[]>()
  const markRead = (chat: LegacyChat) => {
    coverage.parsed('Chats', chat.rowid)
    for (const member of chat.memberRows) coverage.parsed('ChatMembers', member)
  }
  if (!coverage.has('Chats')) return {byConversation, markRead}
  const members = new Map<string, Array<{row: unknown; identity: string}>>()
  if (coverage.has('ChatMembers')) {
    for (const row of db.prepare('SELECT id, chatname, identity FROM ChatMembers ORDER BY id').iterate() as Iterable<Record<string, unknown>>) {
      const name = nonEmpty(row.chatname)
      const identity = nonEmpty(row.identity)
      if (name === null || identity === null) {
        coverage.exclude('ChatMembers', 'chat member row without a chat name or identity', 1)
        continue
      }
      appendTo(members, name, {row: row.id, identity})
    }
  }
  const cols = tableColumns(db, 'Chats')
  const sql = `SELECT id, ${pick(cols, ['name', 'timestamp', 'type', 'topic', 'friendlyname', 'participants', 'conv_dbid'])} FROM Chats ORDER BY id`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    const rowid = integer(row.id)
    const name = nonEmpty(row.name)
    const chatMembers = name === null ? [] : (members.get(name) ?? [])
    const listed = (text(row.participants) ?? '').split(/\s+/).filter((p) => p !== '')
    const type = integer(row.type)
    const chat: LegacyChat = {
      rowid,
      name,
      title: nonEmpty(row.topic) ?? nonEmpty(row.friendlyname),
      // Chats.type: 1 and 2 are one-to-one dialogs (old and new style), 3 and 4 multi-party chats
      kind: type === 1 || type === 2 ? 'dialog' : type === 3 || type === 4 ? 'conference' : type,
      createdAt: safeTime(unixSecondsToIso, row.timestamp),
      conversationId: integer(row.conv_dbid),
      members: [...new Set([...chatMembers.map((m) => m.identity), ...listed])],
      memberRows: chatMembers.map((m) => m.row),
    }
    appendTo(byConversation, chat.conversationId ?? -1 - (rowid ?? 0), chat)
  }
  return {byConversation, markRead}
}
