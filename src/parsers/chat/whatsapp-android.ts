/**
 * WhatsApp for Android, from a phone dump kept on the PC:
 *  - msgstore.db: messages, chats, calls. Two schema generations coexist in 2021-era files:
 *      legacy  messages(key_remote_jid, key_from_me, data, timestamp, media_*, remote_resource) + chat_list
 *      current message(chat_row_id, from_me, sender_jid_row_id, text_data, timestamp, message_type)
 *              + jid(raw_string) + chat(jid_row_id, subject) + message_media(file_path) + call_log
 *    During the migration WhatsApp kept copies in both; when `message` has rows it is the
 *    complete one and `messages` is not read again (no message reported twice).
 *  - wa.db: wa_contacts (jid, display_name, number, status).
 * Times are milliseconds since 1970 (UTC).
 */
import {posix} from 'node:path'
import {ParseError} from '../../errors.js'
import {unixMillisToIso} from '../../time.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {CollectedFile, ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, attachment, collectOnce, type AppDatabaseContext} from './app-database.js'
import {chatCall, chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment} from './chat-record.js'
import {appendTo} from '../group.js'

const APP = 'WhatsApp'

/** A WhatsApp group's JID ends in @g.us; a person's in @s.whatsapp.net. */
function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us')
}

/** The members of a conversation: a group's participants, or the one partner of a one-to-one chat. */
function participantsOf(jid: string | null, groupMembers: Map<string, string[]>): string[] {
  if (jid === null) return []
  return groupMembers.get(jid) ?? (isGroupJid(jid) ? [] : [jid])
}

/** messages.media_wa_type / message.message_type values. */
const MESSAGE_TYPES: Record<number, string> = {
  0: 'text', 1: 'image', 2: 'audio', 3: 'video', 4: 'contact', 5: 'location', 7: 'system', 8: 'call', 9: 'document',
  10: 'missed call', 13: 'gif', 15: 'deleted', 16: 'live location', 20: 'sticker', 42: 'view once image', 43: 'view once video',
}

export type WhatsAppAndroidKind = 'msgstore-current' | 'msgstore-legacy' | 'wa'

export function whatsAppAndroidKind(db: SqliteDatabase): WhatsAppAndroidKind | null {
  const current = hasTable(db, 'message') && hasTable(db, 'jid') && hasTable(db, 'chat') && tableColumns(db, 'message').has('chat_row_id')
  const legacy = hasTable(db, 'messages') && tableColumns(db, 'messages').has('key_remote_jid')
  if (current) {
    const rows = db.prepare('SELECT 1 FROM message LIMIT 1').get()
    if (rows !== undefined || !legacy) return 'msgstore-current'
  }
  if (legacy) return 'msgstore-legacy'
  if (hasTable(db, 'wa_contacts') && tableColumns(db, 'wa_contacts').has('jid')) return 'wa'
  return null
}

function typeName(type: number | null): string | null {
  return type === null ? null : (MESSAGE_TYPES[type] ?? null)
}

async function* readCurrent(db: SqliteDatabase, context: AppDatabaseContext): AsyncGenerator<ParsedRecord> {
  const account = context.account
  const jids = new Map<number, string>()
  const jidCols = tableColumns(db, 'jid')
  for (const row of db.prepare(`SELECT _id, ${pick(jidCols, ['user', 'server', 'raw_string'])} FROM jid`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const raw = nonEmpty(row.raw_string) ?? (nonEmpty(row.user) !== null ? `${text(row.user)}@${text(row.server)}` : null)
    if (id !== null && raw !== null) jids.set(id, raw)
  }
  const jidOf = (value: unknown): string | null => jids.get(integer(value) ?? -1) ?? null

  const groupMembers = new Map<string, string[]>()
  if (hasTable(db, 'group_participant_user')) {
    for (const row of db.prepare('SELECT group_jid_row_id, user_jid_row_id FROM group_participant_user ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
      const group = jidOf(row.group_jid_row_id)
      const user = jidOf(row.user_jid_row_id)
      if (group === null || user === null) continue
      appendTo(groupMembers, group, user)
    }
  }

  const chats = new Map<number, string | null>()
  const chatCols = tableColumns(db, 'chat')
  for (const row of db.prepare(`SELECT _id, ${pick(chatCols, ['jid_row_id', 'subject', 'created_timestamp', 'sort_timestamp', 'archived', 'hidden'])} FROM chat ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const jid = jidOf(row.jid_row_id)
    if (id !== null) chats.set(id, jid)
    yield chatConversation(context.source({table: 'chat', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation: jid,
      title: nonEmpty(row.subject),
      participants: participantsOf(jid, groupMembers),
      group: jid === null ? null : isGroupJid(jid),
      createdAt: safeTime(unixMillisToIso, row.created_timestamp),
      lastActivityAt: safeTime(unixMillisToIso, row.sort_timestamp),
      archived: integer(row.archived) === 1,
    })
  }

  const media = new Map<number, Record<string, unknown>>()
  if (hasTable(db, 'message_media')) {
    const cols = tableColumns(db, 'message_media')
    for (const row of db.prepare(`SELECT message_row_id, ${pick(cols, ['file_path', 'file_size', 'mime_type', 'media_name', 'file_hash'])} FROM message_media`).iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row.message_row_id)
      if (id !== null) media.set(id, row)
    }
  }

  const cols = tableColumns(db, 'message')
  const sql = `SELECT _id, ${pick(cols, ['chat_row_id', 'from_me', 'key_id', 'sender_jid_row_id', 'status', 'timestamp', 'received_timestamp', 'receipt_server_timestamp', 'message_type', 'text_data', 'starred'])} FROM message ORDER BY _id`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const fromMe = integer(row.from_me) === 1
    const conversation = chats.get(integer(row.chat_row_id) ?? -1) ?? null
    const group = conversation !== null && isGroupJid(conversation)
    const sender = fromMe ? account : ((group ? jidOf(row.sender_jid_row_id) : null) ?? conversation)
    const members = conversation === null ? [] : (groupMembers.get(conversation) ?? [])
    const m = id === null ? undefined : media.get(id)
    const attachments: ChatAttachment[] = []
    if (m) attachments.push(await attachment(context, nonEmpty(m.file_path), nonEmpty(m.media_name), {mimeType: nonEmpty(m.mime_type), size: integer(m.file_size)}))
    const type = integer(row.message_type)
    yield chatMessage(context.source({table: 'message', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation,
      sender,
      recipients: recipientsOf(fromMe, group, conversation, sender, members, account),
      direction: fromMe ? 'outgoing' : 'incoming',
      sentAt: safeTime(unixMillisToIso, row.timestamp),
      receivedAt: safeTime(unixMillisToIso, row.received_timestamp),
      body: text(row.text_data),
      attachments,
      keyId: nonEmpty(row.key_id),
      status: integer(row.status),
      messageType: type,
      messageTypeName: typeName(type),
      starred: integer(row.starred) === 1,
    })
  }

  if (hasTable(db, 'call_log')) {
    const participants = new Map<number, string[]>()
    if (hasTable(db, 'call_log_participant_v2')) {
      for (const row of db.prepare('SELECT call_log_row_id, jid_row_id FROM call_log_participant_v2 ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
        const call = integer(row.call_log_row_id)
        const who = jidOf(row.jid_row_id)
        if (call === null || who === null) continue
        appendTo(participants, call, who)
      }
    }
    const callCols = tableColumns(db, 'call_log')
    for (const row of db.prepare(`SELECT _id, ${pick(callCols, ['jid_row_id', 'from_me', 'call_id', 'timestamp', 'video_call', 'duration', 'call_result', 'bytes_transferred', 'group_jid_row_id'])} FROM call_log ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
      const id = integer(row._id)
      const partner = jidOf(row.jid_row_id)
      const groupJid = jidOf(row.group_jid_row_id)
      const others = [...(partner ? [partner] : []), ...(id === null ? [] : (participants.get(id) ?? []))]
      const fromMe = integer(row.from_me) === 1
      const start = integer(row.timestamp)
      const duration = integer(row.duration)
      yield chatCall(context.source({table: 'call_log', rowid: id ?? undefined}), {
        app: APP,
        account,
        conversation: groupJid ?? partner,
        participants: [...new Set([...(account ? [account] : []), ...others])],
        direction: fromMe ? 'outgoing' : 'incoming',
        startedAt: safeTime(unixMillisToIso, row.timestamp),
        duration,
        endedAt: start !== null && duration !== null ? safeTime(unixMillisToIso, start + duration * 1000) : null,
        video: integer(row.video_call) === 1,
        callId: nonEmpty(row.call_id),
        // call_result: 2 rejected, 3 unavailable, 4 missed (WhatsApp's CallLog result codes), 5 connected
        result: integer(row.call_result),
        bytesTransferred: integer(row.bytes_transferred),
      })
    }
  }
}

function recipientsOf(fromMe: boolean, group: boolean, conversation: string | null, sender: string | null, members: string[], account: string | null): string[] {
  if (group) return members.filter((m) => m !== sender && m !== account)
  if (fromMe) return conversation === null ? [] : [conversation]
  return account === null ? [] : [account]
}

async function* readLegacy(db: SqliteDatabase, context: AppDatabaseContext): AsyncGenerator<ParsedRecord> {
  const account = context.account
  const groupMembers = new Map<string, string[]>()
  if (hasTable(db, 'group_participants')) {
    for (const row of db.prepare('SELECT gjid, jid FROM group_participants ORDER BY _id').iterate() as Iterable<Record<string, unknown>>) {
      const group = nonEmpty(row.gjid)
      const jid = nonEmpty(row.jid)
      // the phone's own row in group_participants has an empty jid
      if (group === null || jid === null) continue
      appendTo(groupMembers, group, jid)
    }
  }
  if (hasTable(db, 'chat_list')) {
    const cols = tableColumns(db, 'chat_list')
    for (const row of db.prepare(`SELECT _id, ${pick(cols, ['key_remote_jid', 'subject', 'creation', 'sort_timestamp', 'archived'])} FROM chat_list ORDER BY _id`).iterate() as Iterable<Record<string, unknown>>) {
      const jid = nonEmpty(row.key_remote_jid)
      yield chatConversation(context.source({table: 'chat_list', rowid: integer(row._id) ?? undefined}), {
        app: APP,
        account,
        conversation: jid,
        title: nonEmpty(row.subject),
        participants: participantsOf(jid, groupMembers),
        group: jid === null ? null : isGroupJid(jid),
        createdAt: safeTime(unixMillisToIso, row.creation),
        lastActivityAt: safeTime(unixMillisToIso, row.sort_timestamp),
        archived: integer(row.archived) === 1,
      })
    }
  }
  const cols = tableColumns(db, 'messages')
  const sql = `SELECT _id, ${pick(cols, ['key_remote_jid', 'key_from_me', 'key_id', 'status', 'data', 'timestamp', 'received_timestamp', 'media_wa_type', 'media_mime_type', 'media_name', 'media_caption', 'media_size', 'media_url', 'remote_resource', 'starred', 'latitude', 'longitude'])} FROM messages ORDER BY _id`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    const id = integer(row._id)
    const fromMe = integer(row.key_from_me) === 1
    const conversation = nonEmpty(row.key_remote_jid)
    const group = conversation !== null && isGroupJid(conversation)
    const sender = fromMe ? account : ((group ? nonEmpty(row.remote_resource) : null) ?? conversation)
    const type = integer(row.media_wa_type)
    const attachments: ChatAttachment[] = []
    // the legacy table keeps the local file path only inside a serialized Java object (thumb_image): the name is reported
    if (nonEmpty(row.media_name) !== null || (type !== null && [1, 2, 3, 9, 13, 20].includes(type) && nonEmpty(row.media_mime_type) !== null)) {
      attachments.push({name: nonEmpty(row.media_name), path: null, mimeType: nonEmpty(row.media_mime_type), size: integer(row.media_size), bundlePath: null, sha256: null})
    }
    yield chatMessage(context.source({table: 'messages', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation,
      sender,
      recipients: recipientsOf(fromMe, group, conversation, sender, conversation === null ? [] : (groupMembers.get(conversation) ?? []), account),
      direction: fromMe ? 'outgoing' : 'incoming',
      sentAt: safeTime(unixMillisToIso, row.timestamp),
      receivedAt: safeTime(unixMillisToIso, row.received_timestamp),
      body: text(row.data) ?? text(row.media_caption),
      caption: nonEmpty(row.media_caption),
      attachments,
      keyId: nonEmpty(row.key_id),
      status: integer(row.status),
      messageType: type,
      messageTypeName: typeName(type),
      starred: integer(row.starred) === 1,
    })
  }
}

function* readWaContacts(db: SqliteDatabase, context: AppDatabaseContext): Generator<ParsedRecord> {
  const cols = tableColumns(db, 'wa_contacts')
  const sql = `SELECT _id, ${pick(cols, ['jid', 'is_whatsapp_user', 'status', 'status_timestamp', 'number', 'display_name', 'given_name', 'family_name', 'wa_name', 'nickname', 'company'])} FROM wa_contacts ORDER BY _id`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    yield chatContact(context.source({table: 'wa_contacts', rowid: integer(row._id) ?? undefined}), {
      app: APP,
      account: context.account,
      handle: nonEmpty(row.jid),
      name: nonEmpty(row.display_name) ?? nonEmpty(row.wa_name),
      number: nonEmpty(row.number),
      profileName: nonEmpty(row.wa_name),
      status: nonEmpty(row.status),
      statusAt: safeTime(unixMillisToIso, row.status_timestamp),
      whatsAppUser: integer(row.is_whatsapp_user) === 1,
    })
  }
}

/**
 * Media paths ('Media/WhatsApp Images/IMG-...jpg', or absolute '/storage/emulated/0/WhatsApp/Media/...')
 * are relative to the WhatsApp folder of shared storage; in a dump on the PC that folder sits
 * near com.whatsapp/databases/. The usual places are tried in order.
 */
export function mediaCandidates(databaseSourcePath: string, stored: string): string[] {
  const relative = stored.replace(/^.*?\/WhatsApp\//, '').replace(/^\/+/, '')
  const databases = posix.dirname(databaseSourcePath)
  const appFolder = posix.dirname(databases)
  const dumpRoot = posix.dirname(appFolder)
  return [
    `${dumpRoot}/WhatsApp/${relative}`,
    `${dumpRoot}/Android/media/com.whatsapp/WhatsApp/${relative}`,
    `${appFolder}/${relative}`,
    `${databases}/${relative}`,
  ]
}

export const whatsAppAndroidParser: Parser = {
  id: 'whatsapp-android',
  description: 'WhatsApp for Android msgstore.db (legacy and current message tables, chats, calls, media) and wa.db (contacts)',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      const kind = whatsAppAndroidKind(db)
      if (kind === null) throw new ParseError('not a WhatsApp Android msgstore.db or wa.db: no message/jid/chat, messages(key_remote_jid) or wa_contacts tables', input.sourcePath)
      const collect = collectOnce((path) => input.collectRelated(path))
      const context: AppDatabaseContext = {
        account: input.captures.account ?? input.captures.phone ?? null,
        source: (extra) => input.source(extra),
        collectAttachment: async (stored): Promise<CollectedFile | undefined> => {
          for (const candidate of mediaCandidates(input.sourcePath, stored)) {
            const found = await collect(candidate)
            if (found) return found
          }
          return undefined
        },
      }
      if (kind === 'wa') yield* readWaContacts(db, context)
      else if (kind === 'msgstore-current') yield* readCurrent(db, context)
      else yield* readLegacy(db, context)
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
