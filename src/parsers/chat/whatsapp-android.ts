/**
 * WhatsApp for Android, from a phone dump kept on the PC:
 *  - msgstore.db: messages, chats, calls. Two schema generations coexist in 2021-era files:
 *      legacy  messages(key_remote_jid, key_from_me, key_id, data, timestamp, media_*, remote_resource)
 *              + chat_list, group_participants, messages_quotes, message_thumbnails, receipts
 *      current message(chat_row_id, from_me, key_id, sender_jid_row_id, text_data, timestamp, message_type)
 *              + jid(raw_string), chat(jid_row_id, subject), group_participant_user, message_quoted,
 *              receipt_user, receipt_device, receipt_orphaned, call_log, call_log_participant_v2
 *    Side tables keyed by message_row_id (message_media, message_location, message_thumbnail,
 *    missed_call_logs, ...) belong to both: WhatsApp gives a message the same _id in `messages`
 *    and `message` (the 2021 schema's trigger messages_bd_for_message_trigger deletes
 *    `message` WHERE _id = old._id, and every side table WHERE message_row_id = old._id).
 *    A phone in mid-migration holds messages in one table, the other or both: both are read
 *    whole. A row of each is the same message only when chat JID, from_me and key_id agree;
 *    such a pair becomes one record naming both rows (source + alsoIn), everything else one
 *    record per row. Every row is counted in the coverage account (coverage.ts).
 *  - wa.db: wa_contacts (jid, display_name, number, status) and wa_vnames (verified business names).
 * Times are milliseconds since 1970 (UTC).
 */
import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {ParseError} from '../../errors.js'
import {unixMillisToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {CollectedFile, ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, attachment, collectOnce, type AppDatabaseContext} from './app-database.js'
import {chatCall, chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment} from './chat-record.js'
import {appendTo} from '../group.js'

const APP = 'WhatsApp'

type Row = Record<string, unknown>

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

/** Types whose message carries a media file (a media row or the legacy media_* columns). */
const MEDIA_TYPES = new Set([1, 2, 3, 9, 13, 20, 42, 43])

export type WhatsAppAndroidKind = 'msgstore' | 'wa'

export interface MsgstoreSchemas {
  current: boolean
  legacy: boolean
}

export function msgstoreSchemas(db: SqliteDatabase): MsgstoreSchemas {
  return {
    current: hasTable(db, 'message') && tableColumns(db, 'message').has('chat_row_id'),
    legacy: hasTable(db, 'messages') && tableColumns(db, 'messages').has('key_remote_jid'),
  }
}

/** What an examiner needs to know of the schema generations: which exist, which hold messages (both are read either way). */
function describeSchemas(db: SqliteDatabase, schemas: MsgstoreSchemas): string {
  const holds = (sql: string): boolean => db.prepare(sql).get() !== undefined
  const current = schemas.current && holds('SELECT 1 FROM message WHERE chat_row_id IS NOT -1 LIMIT 1')
  const legacy = schemas.legacy && holds("SELECT 1 FROM messages WHERE key_remote_jid IS NOT '-1' LIMIT 1")
  if (current && legacy) return 'legacy and current schemas both hold messages (mid-migration): both read'
  if (schemas.current && schemas.legacy) return `legacy and current schemas, messages only in the ${current ? 'current' : legacy ? 'legacy' : 'neither'}: both read`
  return schemas.current ? 'current schema' : 'legacy schema'
}

export function whatsAppAndroidKind(db: SqliteDatabase): WhatsAppAndroidKind | null {
  const schemas = msgstoreSchemas(db)
  if (schemas.current || schemas.legacy) return 'msgstore'
  if (hasTable(db, 'wa_contacts') && tableColumns(db, 'wa_contacts').has('jid')) return 'wa'
  return null
}

function typeName(type: number | null): string | null {
  return type === null ? null : (MESSAGE_TYPES[type] ?? null)
}

/** Every table of msgstore.db this reader turns into records, in the order the account lists them. */
const CURRENT_TABLES = ['message', 'chat', 'jid', 'group_participant_user', 'message_quoted', 'receipt_user', 'receipt_device', 'receipt_orphaned', 'call_log', 'call_log_participant_v2']
const LEGACY_TABLES = ['messages', 'chat_list', 'group_participants', 'messages_quotes', 'message_thumbnails', 'receipts']
const SHARED_TABLES = ['message_media', 'message_location', 'message_thumbnail', 'missed_call_logs']

const PLACEHOLDER = 'system placeholder row WhatsApp writes when it creates the database (no chat)'

/** A selectable column list: the wanted columns that exist, NULL for the others, plus the rowid. */
function columnsOf(db: SqliteDatabase, table: string, wanted: string[]): string {
  return `rowid AS __rowid, ${pick(tableColumns(db, table), wanted)}`
}

/**
 * The rows of one side table, grouped by the message (or call) they belong to. `take` hands
 * a message its rows and counts them parsed; rows nobody takes stay unexplained in the
 * account unless the reader states why (`leftover`).
 */
class RowsOf {
  private readonly byOwner = new Map<string, Row[]>()
  constructor(
    private readonly coverage: SqliteCoverage,
    readonly table: string,
    rows: Iterable<Row>,
    owner: (row: Row) => string | null,
  ) {
    for (const row of rows) {
      const key = owner(row)
      if (key !== null) appendTo(this.byOwner, key, row)
    }
  }

  static load(db: SqliteDatabase, coverage: SqliteCoverage, table: string, wanted: string[], owner: (row: Row) => string | null, order = 'rowid'): RowsOf {
    const rows = coverage.has(table) ? (db.prepare(`SELECT ${columnsOf(db, table, wanted)} FROM "${table}" ORDER BY ${order}`).all() as Row[]) : []
    return new RowsOf(coverage, table, rows, owner)
  }

  /** True when no row is left to take (most side tables of most databases): the per-message lookups are skipped. */
  get empty(): boolean {
    return this.byOwner.size === 0
  }

  /** The rows of `owner` that `accept` agrees belong to it (e.g. the chat matches), counted parsed. */
  take(owner: string, accept: (row: Row) => boolean = () => true): Row[] {
    const rows = this.byOwner.get(owner)
    if (!rows) return []
    const taken = rows.filter(accept)
    const left = rows.filter((r) => !taken.includes(r))
    if (left.length > 0) this.byOwner.set(owner, left)
    else this.byOwner.delete(owner)
    for (const row of taken) this.coverage.parsed(this.table, row.__rowid)
    return taken
  }

  /** Rows no record took, counted as excluded for `reason`. */
  leftover(reason: string): void {
    let n = 0
    for (const rows of this.byOwner.values()) n += rows.length
    this.coverage.exclude(this.table, reason, n)
  }
}

function keyOf(jid: string | null, fromMe: boolean | null, keyId: string | null): string | null {
  if (jid === null || keyId === null) return null
  return fromMe === null ? `${jid}\u0000${keyId}` : `${jid}\u0000${fromMe ? 1 : 0}\u0000${keyId}`
}

function sha256(value: unknown): {bytes: number; sha256: string} | null {
  if (!Buffer.isBuffer(value) || value.length === 0) return null
  return {bytes: value.length, sha256: createHash('sha256').update(value).digest('hex')}
}

function time(value: unknown): string | null {
  // WhatsApp writes 0 or -1 for "not yet": no time, not 1970
  const n = integer(value)
  if (n !== null && n <= 0) return null
  return safeTime(unixMillisToIso, value)
}

function recipientsOf(fromMe: boolean, group: boolean, conversation: string | null, sender: string | null, members: string[], account: string | null): string[] {
  if (group) return members.filter((m) => m !== sender && m !== account)
  if (fromMe) return conversation === null ? [] : [conversation]
  return account === null ? [] : [account]
}

const LEGACY_MESSAGE_COLUMNS = [
  '_id', 'key_remote_jid', 'key_from_me', 'key_id', 'status', 'data', 'timestamp', 'received_timestamp', 'receipt_server_timestamp', 'receipt_device_timestamp',
  'read_device_timestamp', 'played_device_timestamp', 'media_wa_type', 'media_mime_type', 'media_name', 'media_caption', 'media_size', 'media_url', 'media_hash',
  'media_duration', 'remote_resource', 'starred', 'latitude', 'longitude', 'quoted_row_id', 'forwarded', 'edit_version',
]
const CURRENT_MESSAGE_COLUMNS = ['_id', 'chat_row_id', 'from_me', 'key_id', 'sender_jid_row_id', 'status', 'timestamp', 'received_timestamp', 'receipt_server_timestamp', 'message_type', 'text_data', 'starred']

/** Reads msgstore.db whole: the current tables, the legacy tables, or both (mid-migration). */
async function* readMsgstore(db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage, schemas: MsgstoreSchemas): AsyncGenerator<ParsedRecord> {
  const account = context.account
  for (const table of [...CURRENT_TABLES, ...LEGACY_TABLES, ...SHARED_TABLES]) coverage.table(table)
  const current = schemas.current
  const legacy = schemas.legacy

  // ---- JIDs (current schema): an address book the other tables point into
  const jids = new Map<number, {jid: string; rowid: unknown}>()
  if (coverage.has('jid')) {
    for (const row of db.prepare(`SELECT ${columnsOf(db, 'jid', ['_id', 'user', 'server', 'raw_string'])} FROM jid`).iterate() as Iterable<Row>) {
      const id = integer(row._id)
      const raw = nonEmpty(row.raw_string) ?? (nonEmpty(row.user) !== null ? `${text(row.user)}@${text(row.server)}` : null)
      if (id !== null && raw !== null) jids.set(id, {jid: raw, rowid: row.__rowid})
    }
  }
  const jidOf = (value: unknown): string | null => {
    const found = jids.get(integer(value) ?? -1)
    if (!found) return null
    coverage.parsed('jid', found.rowid)
    return found.jid
  }

  // ---- group members, from both generations
  const members = new Map<string, Set<string>>()
  const addMember = (group: string, user: string): void => {
    const set = members.get(group) ?? new Set<string>()
    set.add(user)
    members.set(group, set)
  }
  if (coverage.has('group_participant_user') && coverage.has('jid')) {
    for (const row of db.prepare(`SELECT ${columnsOf(db, 'group_participant_user', ['group_jid_row_id', 'user_jid_row_id'])} FROM group_participant_user ORDER BY _id`).iterate() as Iterable<Row>) {
      const group = jidOf(row.group_jid_row_id)
      const user = jidOf(row.user_jid_row_id)
      if (group === null || user === null) continue
      addMember(group, user)
      coverage.parsed('group_participant_user', row.__rowid)
    }
    coverage.excludeWhere('group_participant_user', 'participant rows whose group or member JID is not in jid', 'group_jid_row_id NOT IN (SELECT _id FROM jid) OR user_jid_row_id NOT IN (SELECT _id FROM jid)')
  }
  if (coverage.has('group_participants')) {
    for (const row of db.prepare(`SELECT ${columnsOf(db, 'group_participants', ['gjid', 'jid'])} FROM group_participants ORDER BY _id`).iterate() as Iterable<Row>) {
      const group = nonEmpty(row.gjid)
      const jid = nonEmpty(row.jid)
      if (group === null || jid === null) continue
      addMember(group, jid)
      coverage.parsed('group_participants', row.__rowid)
    }
    coverage.excludeWhere('group_participants', "the phone's own membership rows (empty jid)", "gjid IS NOT NULL AND gjid <> '' AND (jid IS NULL OR jid = '')")
  }
  const groupMembers = new Map([...members].map(([g, set]) => [g, [...set]]))

  // ---- conversations: `chat` and `chat_list` rows of the same JID are the same conversation (both columns are UNIQUE)
  const chats = new Map<number, string | null>()
  const chatOf = (value: unknown): string | null => chats.get(integer(value) ?? -1) ?? null
  const chatList = new Map<string, Row>()
  const chatListRows: Row[] = coverage.has('chat_list') ? (db.prepare(`SELECT ${columnsOf(db, 'chat_list', ['_id', 'key_remote_jid', 'subject', 'creation', 'sort_timestamp', 'archived'])} FROM chat_list ORDER BY _id`).all() as Row[]) : []
  for (const row of chatListRows) {
    const jid = nonEmpty(row.key_remote_jid)
    if (jid !== null && !chatList.has(jid)) chatList.set(jid, row)
  }
  const conversation = (source: {table: string; rowid?: number}, jid: string | null, row: Row, legacyRow: Row | undefined, schema: 'current' | 'legacy'): ParsedRecord =>
    chatConversation(context.source(source), {
      app: APP,
      account,
      conversation: jid,
      title: nonEmpty(row.subject) ?? nonEmpty(legacyRow?.subject),
      participants: participantsOf(jid, groupMembers),
      group: jid === null ? null : isGroupJid(jid),
      createdAt: time(row.created_timestamp ?? row.creation) ?? time(legacyRow?.creation),
      lastActivityAt: time(row.sort_timestamp) ?? time(legacyRow?.sort_timestamp),
      archived: integer(row.archived) === 1 || integer(legacyRow?.archived) === 1,
      schema,
      ...(legacyRow ? {alsoIn: {table: 'chat_list', rowid: integer(legacyRow._id)}} : {}),
    })
  const mergedChatList = new Set<Row>()
  if (coverage.has('chat')) {
    for (const row of db.prepare(`SELECT ${columnsOf(db, 'chat', ['_id', 'jid_row_id', 'subject', 'created_timestamp', 'sort_timestamp', 'archived', 'hidden'])} FROM chat ORDER BY _id`).iterate() as Iterable<Row>) {
      const id = integer(row._id)
      const jid = jidOf(row.jid_row_id)
      if (id !== null) chats.set(id, jid)
      const twin = jid === null ? undefined : chatList.get(jid)
      if (twin) {
        mergedChatList.add(twin)
        coverage.parsed('chat_list', twin.__rowid)
      }
      coverage.parsed('chat', row.__rowid)
      yield conversation({table: 'chat', rowid: id ?? undefined}, jid, row, twin, 'current')
    }
  }
  for (const row of chatListRows) {
    if (mergedChatList.has(row)) continue
    coverage.parsed('chat_list', row.__rowid)
    yield conversation({table: 'chat_list', rowid: integer(row._id) ?? undefined}, nonEmpty(row.key_remote_jid), row, undefined, 'legacy')
  }

  // ---- side tables keyed by message _id (shared by both generations), or by message key (legacy)
  const byId = (row: Row): string | null => (integer(row.message_row_id) === null ? null : String(integer(row.message_row_id)))
  const media = RowsOf.load(db, coverage, 'message_media', ['message_row_id', 'chat_row_id', 'file_path', 'file_size', 'mime_type', 'media_name', 'file_hash', 'media_duration', 'width', 'height'], byId)
  const locations = RowsOf.load(db, coverage, 'message_location', ['message_row_id', 'chat_row_id', 'latitude', 'longitude', 'place_name', 'place_address', 'url'], byId)
  const thumbnails = RowsOf.load(db, coverage, 'message_thumbnail', ['message_row_id', 'thumbnail'], byId)
  const missedCalls = RowsOf.load(db, coverage, 'missed_call_logs', ['_id', 'message_row_id', 'timestamp', 'video_call', 'group_jid_row_id'], byId)
  const quotedCurrent = RowsOf.load(db, coverage, 'message_quoted', ['message_row_id', 'chat_row_id', 'from_me', 'sender_jid_row_id', 'key_id', 'timestamp', 'message_type', 'text_data'], byId)
  const receiptUsers = RowsOf.load(db, coverage, 'receipt_user', ['_id', 'message_row_id', 'receipt_user_jid_row_id', 'receipt_timestamp', 'read_timestamp', 'played_timestamp'], byId, '_id')
  const receiptDevices = RowsOf.load(db, coverage, 'receipt_device', ['_id', 'message_row_id', 'receipt_device_jid_row_id', 'receipt_device_timestamp'], byId, '_id')
  const receiptOrphans = RowsOf.load(db, coverage, 'receipt_orphaned', ['_id', 'chat_row_id', 'from_me', 'key_id', 'receipt_device_jid_row_id', 'receipt_recipient_jid_row_id', 'status', 'timestamp'], (r) => keyOf(chatOf(r.chat_row_id), integer(r.from_me) === 1, nonEmpty(r.key_id)), '_id')
  const quotedLegacy = RowsOf.load(db, coverage, 'messages_quotes', ['_id', 'key_remote_jid', 'key_from_me', 'key_id', 'data', 'media_caption', 'timestamp', 'remote_resource', 'media_wa_type'], (r) => (integer(r._id) === null ? null : String(integer(r._id))))
  const thumbnailsLegacy = RowsOf.load(db, coverage, 'message_thumbnails', ['key_remote_jid', 'key_from_me', 'key_id', 'thumbnail', 'timestamp'], (r) => keyOf(nonEmpty(r.key_remote_jid), integer(r.key_from_me) === 1, nonEmpty(r.key_id)))
  // legacy receipts name the message by chat and key_id only (no from_me), as its delete trigger does
  const receiptsLegacy = RowsOf.load(db, coverage, 'receipts', ['_id', 'key_remote_jid', 'key_id', 'remote_resource', 'receipt_device_timestamp', 'read_device_timestamp', 'played_device_timestamp'], (r) => keyOf(nonEmpty(r.key_remote_jid), null, nonEmpty(r.key_id)), '_id')

  // ---- which legacy row is the same message as a current row
  // which _ids the current table holds matters only when legacy rows are there to be matched
  const legacyRows = legacy && db.prepare("SELECT 1 FROM messages WHERE key_remote_jid IS NOT '-1' LIMIT 1").get() !== undefined
  const currentIds = new Set<number>()
  if (current && legacyRows) for (const id of db.prepare("SELECT _id FROM message").pluck().iterate() as Iterable<unknown>) currentIds.add(integer(id) ?? -1)
  const legacyByKey = new Map<string, number>()
  if (legacyRows && current) {
    for (const row of db.prepare("SELECT _id, key_remote_jid, key_from_me, key_id FROM messages WHERE key_remote_jid <> '-1'").iterate() as Iterable<Row>) {
      const key = keyOf(nonEmpty(row.key_remote_jid), integer(row.key_from_me) === 1, nonEmpty(row.key_id))
      if (key !== null && !legacyByKey.has(key)) legacyByKey.set(key, integer(row._id) ?? -1)
    }
  }
  const legacyRowById = legacy ? db.prepare(`SELECT ${columnsOf(db, 'messages', LEGACY_MESSAGE_COLUMNS)} FROM messages WHERE _id = ?`) : undefined
  const merged = new Set<number>()

  /**
   * The record of one message (a current row, a legacy row, or both when they are the same
   * message). Synchronous, so that a text message costs no promise; a media file to collect
   * is handed back as `media` for the caller to resolve.
   */
  const message = (c: Row | undefined, l: Row | undefined): {record: ParsedRecord; media?: {stored: string | null; name: string | null; extra: {mimeType: string | null; size: number | null}}} => {
    const fromMe = c ? integer(c.from_me) === 1 : integer(l?.key_from_me) === 1
    const conv = c ? chatOf(c.chat_row_id) : nonEmpty(l?.key_remote_jid)
    const group = conv !== null && isGroupJid(conv)
    const keyId = nonEmpty(c?.key_id) ?? nonEmpty(l?.key_id)
    const sender = fromMe ? account : ((group ? ((c ? jidOf(c.sender_jid_row_id) : null) ?? nonEmpty(l?.remote_resource)) : null) ?? conv)
    // the side rows of this message: by its _id (the current row's; the legacy row's when no current row has that _id)
    const ids = [c ? integer(c._id) : null, l && !currentIds.has(integer(l._id) ?? -1) ? integer(l._id) : null].filter((id, i, all): id is number => id !== null && all.indexOf(id) === i).map(String)
    const sameChat = (row: Row): boolean => integer(row.chat_row_id) === null || !chats.has(integer(row.chat_row_id) ?? -1) || chatOf(row.chat_row_id) === conv
    const side = (rows: RowsOf, accept?: (row: Row) => boolean): Row[] => (rows.empty ? [] : ids.flatMap((id) => rows.take(id, accept)))
    const key = keyOf(conv, fromMe, keyId)
    const byKey = (rows: RowsOf, k: string | null): Row[] => (rows.empty || k === null ? [] : rows.take(k))

    const mediaRow = side(media, sameChat)[0]
    const attachments: ChatAttachment[] = []
    const type = c ? integer(c.message_type) : integer(l?.media_wa_type)
    const pending = mediaRow
      ? {
          stored: nonEmpty(mediaRow.file_path),
          name: nonEmpty(mediaRow.media_name) ?? nonEmpty(l?.media_name),
          extra: {mimeType: nonEmpty(mediaRow.mime_type) ?? nonEmpty(l?.media_mime_type), size: integer(mediaRow.file_size) ?? integer(l?.media_size)},
        }
      : undefined
    if (pending) {
      // resolved (found and collected) by the caller; counted as an attachment here
      attachments.push({name: pending.name, path: pending.stored, ...pending.extra, bundlePath: null, sha256: null})
    } else if (l && (nonEmpty(l.media_name) !== null || (type !== null && MEDIA_TYPES.has(type) && nonEmpty(l.media_mime_type) !== null))) {
      // the legacy table keeps the local file path only inside a serialized Java object (thumb_image): the name is reported
      attachments.push({name: nonEmpty(l.media_name), path: null, mimeType: nonEmpty(l.media_mime_type), size: integer(l.media_size), bundlePath: null, sha256: null})
    }
    if (type !== null && MEDIA_TYPES.has(type) && attachments.length === 0) {
      coverage.unresolved(c ? 'message' : 'messages', 'media messages whose media row was not found (no message_media row, no legacy media_* columns)')
    }

    const receipts = [
      ...side(receiptUsers).map((r) => ({recipient: jidOf(r.receipt_user_jid_row_id), deliveredAt: time(r.receipt_timestamp), readAt: time(r.read_timestamp), playedAt: time(r.played_timestamp), table: 'receipt_user', rowid: integer(r._id)})),
      ...side(receiptDevices).map((r) => ({device: jidOf(r.receipt_device_jid_row_id), deliveredAt: time(r.receipt_device_timestamp), table: 'receipt_device', rowid: integer(r._id)})),
      ...byKey(receiptOrphans, key).map((r) => ({device: jidOf(r.receipt_device_jid_row_id), recipient: jidOf(r.receipt_recipient_jid_row_id), status: integer(r.status), at: time(r.timestamp), table: 'receipt_orphaned', rowid: integer(r._id)})),
      ...byKey(receiptsLegacy, keyOf(conv, null, keyId)).map((r) => ({
        recipient: nonEmpty(r.remote_resource) ?? nonEmpty(r.key_remote_jid),
        deliveredAt: time(r.receipt_device_timestamp),
        readAt: time(r.read_device_timestamp),
        playedAt: time(r.played_device_timestamp),
        table: 'receipts',
        rowid: integer(r._id),
      })),
    ]

    const qc = side(quotedCurrent, sameChat)[0]
    const ql = l && integer(l.quoted_row_id) !== null && integer(l.quoted_row_id) !== 0 ? quotedLegacy.take(String(integer(l.quoted_row_id)))[0] : undefined
    const quoted = qc
      ? {keyId: nonEmpty(qc.key_id), fromMe: integer(qc.from_me) === 1, sender: integer(qc.from_me) === 1 ? account : (jidOf(qc.sender_jid_row_id) ?? conv), sentAt: time(qc.timestamp), body: text(qc.text_data), messageType: integer(qc.message_type), table: 'message_quoted', rowid: integer(qc.message_row_id)}
      : ql
        ? {keyId: nonEmpty(ql.key_id), fromMe: integer(ql.key_from_me) === 1, sender: integer(ql.key_from_me) === 1 ? account : (nonEmpty(ql.remote_resource) ?? nonEmpty(ql.key_remote_jid)), sentAt: time(ql.timestamp), body: text(ql.data) ?? text(ql.media_caption), messageType: integer(ql.media_wa_type), table: 'messages_quotes', rowid: integer(ql._id)}
        : null

    const loc = side(locations, sameChat)[0]
    const legacyLat = l ? Number(l.latitude ?? 0) : 0
    const legacyLon = l ? Number(l.longitude ?? 0) : 0
    const location = loc
      ? {latitude: loc.latitude ?? null, longitude: loc.longitude ?? null, placeName: nonEmpty(loc.place_name), placeAddress: nonEmpty(loc.place_address), url: nonEmpty(loc.url), table: 'message_location', rowid: integer(loc.message_row_id)}
      : legacyLat !== 0 || legacyLon !== 0
        ? {latitude: legacyLat, longitude: legacyLon, table: 'messages'}
        : null

    const thumbCurrent = side(thumbnails)[0]
    const thumbLegacy = byKey(thumbnailsLegacy, key)[0]
    const thumbnail = thumbCurrent ? {...sha256(thumbCurrent.thumbnail), table: 'message_thumbnail', rowid: integer(thumbCurrent.message_row_id)} : thumbLegacy ? {...sha256(thumbLegacy.thumbnail), table: 'message_thumbnails', rowid: integer(thumbLegacy.__rowid)} : null
    const missed = side(missedCalls)[0]

    const body = (c ? text(c.text_data) : null) ?? (l ? (text(l.data) ?? text(l.media_caption)) : null)
    const sentAt = time(c?.timestamp) ?? time(l?.timestamp)
    const legacyBody = l ? (text(l.data) ?? text(l.media_caption)) : null
    const differs: Record<string, unknown> = {}
    if (c && l && legacyBody !== null && legacyBody !== text(c.text_data)) differs.body = legacyBody
    if (c && l && time(l.timestamp) !== time(c.timestamp)) differs.sentAt = time(l.timestamp)
    const id = integer(c ? c._id : l?._id)
    const record = chatMessage(context.source({table: c ? 'message' : 'messages', rowid: id ?? undefined}), {
      app: APP,
      account,
      conversation: conv,
      sender,
      recipients: recipientsOf(fromMe, group, conv, sender, conv === null ? [] : (groupMembers.get(conv) ?? []), account),
      direction: fromMe ? 'outgoing' : 'incoming',
      sentAt,
      receivedAt: time(c?.received_timestamp) ?? time(l?.received_timestamp),
      body,
      caption: nonEmpty(l?.media_caption),
      attachments,
      keyId,
      status: integer(c?.status) ?? integer(l?.status),
      messageType: type,
      messageTypeName: typeName(type),
      starred: integer(c?.starred) === 1 || integer(l?.starred) === 1,
      forwarded: l ? integer(l.forwarded) === 1 : null,
      serverReceiptAt: time(c?.receipt_server_timestamp) ?? time(l?.receipt_server_timestamp),
      // one-to-one delivery and read times the legacy row keeps itself
      ...(l ? {deliveredAt: time(l.receipt_device_timestamp), readAt: time(l.read_device_timestamp), playedAt: time(l.played_device_timestamp)} : {}),
      receipts,
      quoted,
      location,
      thumbnail,
      ...(missed ? {missedCall: {at: time(missed.timestamp), video: integer(missed.video_call) === 1, table: 'missed_call_logs', rowid: integer(missed._id)}} : {}),
      schema: c ? 'current' : 'legacy',
      ...(c && l ? {alsoIn: {table: 'messages', rowid: integer(l._id), ...(Object.keys(differs).length > 0 ? {differs} : {})}} : {}),
    })
    return {record, ...(pending ? {media: pending} : {})}
  }
  const withMedia = async ({record, media: m}: ReturnType<typeof message>): Promise<ParsedRecord> => {
    if (m) record.attachments = [await attachment(context, m.stored, m.name, m.extra)]
    return record
  }

  if (current) {
    coverage.excludeWhere('message', PLACEHOLDER, 'chat_row_id = -1')
    const sql = `SELECT ${columnsOf(db, 'message', CURRENT_MESSAGE_COLUMNS)} FROM message WHERE chat_row_id IS NOT -1 ORDER BY _id`
    for (const c of db.prepare(sql).iterate() as Iterable<Row>) {
      const key = keyOf(chatOf(c.chat_row_id), integer(c.from_me) === 1, nonEmpty(c.key_id))
      const twinId = key === null ? undefined : legacyByKey.get(key)
      const l = twinId !== undefined && !merged.has(twinId) ? (legacyRowById?.get(twinId) as Row | undefined) : undefined
      if (l) {
        merged.add(twinId as number)
        coverage.parsed('messages', l.__rowid)
      }
      coverage.parsed('message', c.__rowid)
      const built = message(c, l)
      yield built.media ? await withMedia(built) : built.record
    }
  }
  if (legacy) {
    coverage.excludeWhere('messages', PLACEHOLDER, "key_remote_jid = '-1'")
    const sql = `SELECT ${columnsOf(db, 'messages', LEGACY_MESSAGE_COLUMNS)} FROM messages WHERE key_remote_jid IS NOT '-1' ORDER BY _id`
    for (const l of db.prepare(sql).iterate() as Iterable<Row>) {
      if (merged.has(integer(l._id) ?? -1)) continue
      coverage.parsed('messages', l.__rowid)
      const built = message(undefined, l)
      yield built.media ? await withMedia(built) : built.record
    }
  }

  // ---- calls (current schema)
  if (coverage.has('call_log')) {
    const participants = RowsOf.load(db, coverage, 'call_log_participant_v2', ['_id', 'call_log_row_id', 'jid_row_id', 'call_result'], (r) => (integer(r.call_log_row_id) === null ? null : String(integer(r.call_log_row_id))), '_id')
    for (const row of db.prepare(`SELECT ${columnsOf(db, 'call_log', ['_id', 'jid_row_id', 'from_me', 'call_id', 'timestamp', 'video_call', 'duration', 'call_result', 'bytes_transferred', 'group_jid_row_id'])} FROM call_log ORDER BY _id`).iterate() as Iterable<Row>) {
      const id = integer(row._id)
      const partner = jidOf(row.jid_row_id)
      const groupJid = jidOf(row.group_jid_row_id)
      const others = [...(partner ? [partner] : []), ...(id === null ? [] : participants.take(String(id)).map((p) => jidOf(p.jid_row_id)).filter((j): j is string => j !== null))]
      const fromMe = integer(row.from_me) === 1
      const start = integer(row.timestamp)
      const duration = integer(row.duration)
      coverage.parsed('call_log', row.__rowid)
      yield chatCall(context.source({table: 'call_log', rowid: id ?? undefined}), {
        app: APP,
        account,
        conversation: groupJid ?? partner,
        participants: [...new Set([...(account ? [account] : []), ...others])],
        direction: fromMe ? 'outgoing' : 'incoming',
        startedAt: time(row.timestamp),
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

  // ---- what no record took
  // thumbnails outlive their message: no 2021 trigger deletes message_thumbnails rows with the message
  thumbnailsLegacy.leftover('thumbnails of messages no longer in messages or message (the message may have been deleted); kept in the copied database')
  // receipt_orphaned holds, by design, receipts that arrived for a message the phone does not have
  receiptOrphans.leftover('receipts for a message this database does not hold (WhatsApp keeps them in receipt_orphaned by design)')
  if (coverage.has('jid')) coverage.excludeRest('jid', 'JIDs no record read refers to (devices, former participants, addresses used only by tables not read)')
}

function* readWaContacts(db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage): Generator<ParsedRecord> {
  coverage.table('wa_contacts').table('wa_vnames')
  const names = RowsOf.load(db, coverage, 'wa_vnames', ['jid', 'verified_name', 'verified_level', 'industry', 'city', 'country'], (r) => nonEmpty(r.jid))
  const cols = tableColumns(db, 'wa_contacts')
  const sql = `SELECT rowid AS __rowid, _id, ${pick(cols, ['jid', 'is_whatsapp_user', 'status', 'status_timestamp', 'number', 'display_name', 'given_name', 'family_name', 'wa_name', 'nickname', 'company'])} FROM wa_contacts ORDER BY _id`
  for (const row of db.prepare(sql).iterate() as Iterable<Row>) {
    const jid = nonEmpty(row.jid)
    const business = jid === null ? undefined : names.take(jid)[0]
    coverage.parsed('wa_contacts', row.__rowid)
    yield chatContact(context.source({table: 'wa_contacts', rowid: integer(row._id) ?? undefined}), {
      app: APP,
      account: context.account,
      handle: jid,
      name: nonEmpty(row.display_name) ?? nonEmpty(row.wa_name),
      number: nonEmpty(row.number),
      profileName: nonEmpty(row.wa_name),
      status: nonEmpty(row.status),
      statusAt: safeTime(unixMillisToIso, row.status_timestamp),
      whatsAppUser: integer(row.is_whatsapp_user) === 1,
      ...(business ? {verifiedBusinessName: nonEmpty(business.verified_name), verifiedBusiness: {industry: nonEmpty(business.industry), city: nonEmpty(business.city), country: nonEmpty(business.country), table: 'wa_vnames'}} : {}),
    })
  }
  names.leftover('verified business names of JIDs that have no wa_contacts row')
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
  description: 'WhatsApp for Android msgstore.db (legacy and current message tables read whole, chats, calls, media, receipts, quotes) and wa.db (contacts)',
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
      const coverage = new SqliteCoverage(db)
      let readAs: string
      if (kind === 'wa') {
        readAs = 'WhatsApp Android wa.db (contacts)'
        yield* readWaContacts(db, context, coverage)
      } else {
        const schemas = msgstoreSchemas(db)
        readAs = `WhatsApp Android msgstore.db: ${describeSchemas(db, schemas)}`
        yield* readMsgstore(db, context, coverage, schemas)
      }
      const {volume} = input.source()
      input.reportCoverage(coverage.account({parser: 'whatsapp-android', file: input.bundlePath, sourcePath: input.sourcePath, ...(volume ? {volume} : {}), readAs}))
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
