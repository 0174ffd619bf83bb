/**
 * WhatsApp for iOS ChatStorage.sqlite (Core Data store in the app group
 * group.net.whatsapp.WhatsApp.shared):
 *   ZWAMESSAGE (ZTEXT, ZFROMJID, ZTOJID, ZISFROMME, ZMESSAGEDATE, ZCHATSESSION, ZGROUPMEMBER, ZMEDIAITEM)
 *   ZWACHATSESSION (ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE: 0 one-to-one, 1 group)
 *   ZWAGROUPMEMBER (ZMEMBERJID, ZCONTACTNAME, ZCHATSESSION)
 *   ZWAMEDIAITEM (ZMESSAGE, ZMEDIALOCALPATH 'Media/<jid>/x/y/<uuid>.jpg' under Message/, ZFILESIZE)
 *   ZWAPROFILEPUSHNAME (ZJID, ZPUSHNAME: the names contacts gave themselves)
 *   ZWAGROUPINFO (ZCHATSESSION, ZCREATIONDATE, ZCREATORJID, ZOWNERJID, ZSUBJECTTIMESTAMP,
 *   ZSUBJECTOWNERJID): who created the group and when, in its conversation's groupInfo
 * Dates are Cocoa seconds since 2001-01-01 (REAL, fractional).
 *
 * Coverage (coverage.ts): the six tables above row by row; ZWAMESSAGEINFO (receipt
 * blobs), ZWAPROFILEPICTUREITEM and the Core Data tables are listed as not read.
 */
import {ParseError} from '../../errors.js'
import {appleToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, attachment, collectOnce, reportDatabaseCoverage, type AppDatabaseContext} from './app-database.js'
import {chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment} from './chat-record.js'
import {appendTo} from '../group.js'

const APP = 'WhatsApp'

/** ZWAMESSAGE.ZMESSAGETYPE values. */
const MESSAGE_TYPES: Record<number, string> = {
  0: 'text', 1: 'image', 2: 'video', 3: 'voice', 4: 'contact', 5: 'location', 6: 'group event', 7: 'link', 8: 'document',
  10: 'system', 11: 'gif', 14: 'deleted', 15: 'sticker', 38: 'view once image', 39: 'view once video', 59: 'call',
}

export function isWhatsAppChatStorage(db: SqliteDatabase): boolean {
  return hasTable(db, 'ZWAMESSAGE') && hasTable(db, 'ZWACHATSESSION')
}

export function requireWhatsAppChatStorage(db: SqliteDatabase, file: string): void {
  if (!isWhatsAppChatStorage(db)) throw new ParseError('not a WhatsApp iOS ChatStorage.sqlite: no ZWAMESSAGE and ZWACHATSESSION tables', file)
}

const CHAT_STORAGE_TABLES = ['ZWACHATSESSION', 'ZWAGROUPMEMBER', 'ZWAGROUPINFO', 'ZWAPROFILEPUSHNAME', 'ZWAMESSAGE', 'ZWAMEDIAITEM']

/** ZWAGROUPINFO by chat session: who made the group, when, and who set its subject. */
function groupInfos(db: SqliteDatabase, coverage: SqliteCoverage): Map<number, Record<string, unknown>> {
  const bySession = new Map<number, Record<string, unknown>>()
  if (!coverage.has('ZWAGROUPINFO')) return bySession
  const cols = tableColumns(db, 'ZWAGROUPINFO')
  const sql = `SELECT Z_PK, ${pick(cols, ['ZCHATSESSION', 'ZCREATIONDATE', 'ZCREATORJID', 'ZOWNERJID', 'ZSUBJECTTIMESTAMP', 'ZSUBJECTOWNERJID', 'ZSOURCEJID', 'ZSTATE'])} FROM ZWAGROUPINFO ORDER BY Z_PK`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    const session = integer(row.ZCHATSESSION)
    if (session !== null && !bySession.has(session)) bySession.set(session, row)
  }
  return bySession
}

export async function* readWhatsAppChatStorage(db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage): AsyncGenerator<ParsedRecord> {
  for (const table of CHAT_STORAGE_TABLES) coverage.table(table)
  // the phone's own JID: what incoming one-to-one messages were addressed to
  const ownRow = db.prepare("SELECT ZTOJID AS jid FROM ZWAMESSAGE WHERE ZISFROMME = 0 AND ZTOJID LIKE '%@s.whatsapp.net' LIMIT 1").get() as {jid?: unknown} | undefined
  const ownJid = nonEmpty(ownRow?.jid)
  const account = context.account ?? ownJid

  const membersBySession = new Map<number, string[]>()
  const memberJid = new Map<number, string>()
  if (hasTable(db, 'ZWAGROUPMEMBER')) {
    const cols = tableColumns(db, 'ZWAGROUPMEMBER')
    for (const row of db.prepare(`SELECT Z_PK, ${pick(cols, ['ZCHATSESSION', 'ZMEMBERJID', 'ZCONTACTNAME'])} FROM ZWAGROUPMEMBER ORDER BY Z_PK`).iterate() as Iterable<Record<string, unknown>>) {
      const pk = integer(row.Z_PK)
      const jid = nonEmpty(row.ZMEMBERJID)
      if (pk === null || jid === null) {
        coverage.exclude('ZWAGROUPMEMBER', 'group member rows without a member JID', 1)
        continue
      }
      // a member names the author of its group messages and is a participant of its group
      coverage.parsed('ZWAGROUPMEMBER', pk)
      memberJid.set(pk, jid)
      const session = integer(row.ZCHATSESSION)
      if (session === null) continue
      appendTo(membersBySession, session, jid)
    }
  }

  const groups = groupInfos(db, coverage)
  const sessions = new Map<number, {jid: string | null; group: boolean}>()
  const sessionCols = tableColumns(db, 'ZWACHATSESSION')
  for (const row of db.prepare(`SELECT Z_PK, ${pick(sessionCols, ['ZCONTACTJID', 'ZPARTNERNAME', 'ZSESSIONTYPE', 'ZLASTMESSAGEDATE', 'ZARCHIVED', 'ZREMOVED'])} FROM ZWACHATSESSION ORDER BY Z_PK`).iterate() as Iterable<Record<string, unknown>>) {
    const pk = integer(row.Z_PK)
    const jid = nonEmpty(row.ZCONTACTJID)
    const group = integer(row.ZSESSIONTYPE) === 1 || (jid?.endsWith('@g.us') ?? false)
    if (pk !== null) sessions.set(pk, {jid, group})
    const participants = pk === null ? [] : (membersBySession.get(pk) ?? [])
    const info = pk === null ? undefined : groups.get(pk)
    coverage.parsed('ZWACHATSESSION', pk)
    if (info) coverage.parsed('ZWAGROUPINFO', info.Z_PK)
    yield chatConversation(context.source({table: 'ZWACHATSESSION', rowid: pk ?? undefined}), {
      app: APP,
      account,
      conversation: jid,
      title: nonEmpty(row.ZPARTNERNAME),
      participants: participants.length > 0 || group ? participants : [...(jid ? [jid] : [])],
      group,
      lastMessageAt: safeTime(appleToIso, row.ZLASTMESSAGEDATE),
      archived: integer(row.ZARCHIVED) === 1,
      removed: integer(row.ZREMOVED) === 1,
      ...(info
        ? {
            groupInfo: {
              createdAt: safeTime(appleToIso, info.ZCREATIONDATE),
              creator: nonEmpty(info.ZCREATORJID),
              owner: nonEmpty(info.ZOWNERJID),
              subjectSetAt: safeTime(appleToIso, info.ZSUBJECTTIMESTAMP),
              subjectSetBy: nonEmpty(info.ZSUBJECTOWNERJID),
              table: 'ZWAGROUPINFO',
              rowid: integer(info.Z_PK),
            },
          }
        : {}),
    })
  }

  if (hasTable(db, 'ZWAPROFILEPUSHNAME')) {
    for (const row of db.prepare('SELECT Z_PK, ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME ORDER BY Z_PK').iterate() as Iterable<Record<string, unknown>>) {
      coverage.parsed('ZWAPROFILEPUSHNAME', row.Z_PK)
      yield chatContact(context.source({table: 'ZWAPROFILEPUSHNAME', rowid: integer(row.Z_PK) ?? undefined}), {
        app: APP,
        account,
        handle: nonEmpty(row.ZJID),
        name: nonEmpty(row.ZPUSHNAME),
      })
    }
  }

  const mediaByMessage = new Map<number, Record<string, unknown>>()
  if (coverage.has('ZWAMEDIAITEM')) {
    const cols = tableColumns(db, 'ZWAMEDIAITEM')
    for (const row of db.prepare(`SELECT Z_PK, ${pick(cols, ['ZMESSAGE', 'ZMEDIALOCALPATH', 'ZFILESIZE', 'ZTITLE', 'ZVCARDNAME', 'ZLATITUDE', 'ZLONGITUDE', 'ZMEDIAURL'])} FROM ZWAMEDIAITEM ORDER BY Z_PK`).iterate() as Iterable<Record<string, unknown>>) {
      const message = integer(row.ZMESSAGE)
      if (message !== null) mediaByMessage.set(message, row)
    }
  }

  const cols = tableColumns(db, 'ZWAMESSAGE')
  const sql = `SELECT Z_PK, ${pick(cols, ['ZISFROMME', 'ZMESSAGETYPE', 'ZCHATSESSION', 'ZGROUPMEMBER', 'ZMESSAGEDATE', 'ZSENTDATE', 'ZFROMJID', 'ZTOJID', 'ZTEXT', 'ZMESSAGESTATUS', 'ZSTANZAID', 'ZSTARRED'])} FROM ZWAMESSAGE ORDER BY Z_PK`
  for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
    const pk = integer(row.Z_PK)
    const fromMe = integer(row.ZISFROMME) === 1
    const session = sessions.get(integer(row.ZCHATSESSION) ?? -1)
    const conversation = session?.jid ?? (fromMe ? nonEmpty(row.ZTOJID) : nonEmpty(row.ZFROMJID))
    // in a group, ZFROMJID is the group; the author is the group member row
    const member = memberJid.get(integer(row.ZGROUPMEMBER) ?? -1) ?? null
    const sender = fromMe ? (ownJid ?? account) : (member ?? nonEmpty(row.ZFROMJID))
    const members = session?.group ? (membersBySession.get(integer(row.ZCHATSESSION) ?? -1) ?? []) : []
    const recipients = fromMe
      ? session?.group
        ? members.filter((m) => m !== ownJid)
        : [nonEmpty(row.ZTOJID) ?? conversation].filter((r): r is string => r !== null)
      : session?.group
        ? members.filter((m) => m !== sender)
        : [nonEmpty(row.ZTOJID) ?? account].filter((r): r is string => r !== null)
    const media = pk === null ? undefined : mediaByMessage.get(pk)
    coverage.parsed('ZWAMESSAGE', pk)
    if (media) coverage.parsed('ZWAMEDIAITEM', media.Z_PK)
    const attachments: ChatAttachment[] = []
    const localPath = nonEmpty(media?.ZMEDIALOCALPATH)
    if (media && localPath) {
      attachments.push(await attachment(context, localPath, nonEmpty(media.ZTITLE) ?? localPath.split('/').pop() ?? null, {size: integer(media.ZFILESIZE)}))
    }
    const type = integer(row.ZMESSAGETYPE)
    yield chatMessage(context.source({table: 'ZWAMESSAGE', rowid: pk ?? undefined}), {
      app: APP,
      account,
      conversation,
      sender,
      recipients,
      direction: fromMe ? 'outgoing' : 'incoming',
      sentAt: safeTime(appleToIso, row.ZMESSAGEDATE),
      body: text(row.ZTEXT),
      attachments,
      messageType: type,
      messageTypeName: type === null ? null : (MESSAGE_TYPES[type] ?? null),
      status: integer(row.ZMESSAGESTATUS),
      stanzaId: nonEmpty(row.ZSTANZAID),
      starred: integer(row.ZSTARRED) === 1,
      ...(media && (media.ZLATITUDE || media.ZLONGITUDE) ? {location: {latitude: media.ZLATITUDE, longitude: media.ZLONGITUDE}} : {}),
    })
  }
}

/** ChatStorage.sqlite found as a file on the volume (a file-system extraction). */
export const whatsAppChatStorageParser: Parser = {
  id: 'whatsapp-ios',
  description: 'WhatsApp for iOS ChatStorage.sqlite: messages, chat sessions, group members, media items',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const db = openWorkingCopy(input.copyPath)
    try {
      requireWhatsAppChatStorage(db, input.sourcePath)
      // media paths are relative to the app group folder, under Message/
      const dir = input.sourcePath.includes('/') ? input.sourcePath.slice(0, input.sourcePath.lastIndexOf('/')) : ''
      const collect = collectOnce((path) => input.collectRelated(path))
      const coverage = new SqliteCoverage(db)
      yield* readWhatsAppChatStorage(
        db,
        {
          account: input.captures.account ?? input.captures.phone ?? null,
          source: (extra) => input.source(extra),
          collectAttachment: async (stored) => (await collect(`${dir}/Message/${stored}`)) ?? (await collect(`${dir}/${stored}`)),
        },
        coverage,
      )
      reportDatabaseCoverage(input, coverage, 'whatsapp-ios', 'WhatsApp for iOS ChatStorage.sqlite')
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      db.close()
    }
  },
}
