/**
 * Microsoft Teams (classic, and the WebView2 store of new Teams) from its Chromium IndexedDB
 * folder `https_teams.microsoft.com_0.indexeddb.leveldb`. The databases are named
 * `Teams:<manager>:react-web-client:<tenant>:<user oid>`; the object stores read here, by name
 * whatever database holds them (Alexander Bilz, "Forensic Analysis of the Microsoft Teams
 * Desktop Client", 2021, and the stores his forensicsim parser reads):
 * - replychains: one record per reply chain, `messageMap` (older builds: `messages`) holding
 *   the messages by id, each with conversationId, creator (MRI), imDisplayName, content (HTML),
 *   messageType, originalArrivalTime / clientArrivalTime (ms or ISO), composeTime, properties
 *   (files as a JSON string);
 * - conversations: id, type, threadProperties (topic, createdat), members [{id, role}];
 * - profiles / people: mri, displayName, email, userPrincipalName; buddylist: buddies [...].
 * Values LevelDB still holds of deleted and overwritten records are read as well and say so.
 * Every record of every store is accounted for (coverage store 'indexeddb').
 */
import {readIndexedDb} from '../../indexeddb/index.js'
import type {IdbDatabase, IdbRecord, IndexedDbContents, JsonValue} from '../../indexeddb/index.js'
import {unixMillisToIso} from '../../time.js'
import {StoreCoverage} from '../coverage.js'
import {acceptsLevelDbCurrent, collectLevelDbFolder} from '../leveldb-input.js'
import type {CollectedLevelDb} from '../leveldb-input.js'
import type {ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'
import {chatContact, chatConversation, chatMessage} from './chat-record.js'
import type {ChatAttachment} from './chat-record.js'

const APP = 'Microsoft Teams'
type Obj = {[k: string]: JsonValue}

const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !('$type' in v && typeof v.$type === 'string')
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null)

/** Teams times: milliseconds since 1970 as a number or digit string, or an ISO string (kept at its precision). */
export function teamsTime(v: JsonValue | undefined): string | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? unixMillisToIso(Math.trunc(v)) : null
  if (typeof v !== 'string' || v === '') return null
  if (/^\d{10,}$/.test(v)) return unixMillisToIso(BigInt(v))
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)) return v
  const ms = Date.parse(v)
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}

/** The text of an HTML message body: tags dropped, the common entities resolved; the HTML is kept beside it. */
export function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&')
    .trim()
}

/** The user whose store it is: the last part of the database name (`...:<tenant>:<user oid>`), as an MRI. */
export function teamsAccount(databaseName: string | null): string | null {
  const oid = /:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(databaseName ?? '')?.[1]
  return oid ? `8:orgid:${oid}` : null
}

function attachmentsOf(properties: JsonValue | undefined): ChatAttachment[] {
  if (!isObj(properties)) return []
  let files: JsonValue | undefined = properties.files
  if (typeof files === 'string') {
    const raw = files
    try {
      files = JSON.parse(raw) as JsonValue
    } catch {
      return [{name: null, path: raw, bundlePath: null, sha256: null}]
    }
  }
  if (!Array.isArray(files)) return []
  return files.filter(isObj).map((f) => ({name: str(f.fileName) ?? str(f.title), path: str(f.objectUrl) ?? str(isObj(f.fileInfo) ? f.fileInfo.fileUrl : undefined), mimeType: str(f.fileType), bundlePath: null, sha256: null}))
}

const STORES = ['replychains', 'conversations', 'profiles', 'people', 'buddylist'] as const
type Store = (typeof STORES)[number]

export async function* parseTeamsIndexedDb(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const collected = await collectLevelDbFolder(input)
  try {
    for (const problem of collected.problems) yield {type: 'error', source: input.source(), parser: 'teams-indexeddb', error: problem}
    yield* readTeams(input, collected, readIndexedDb(collected.folder))
  } finally {
    collected.dispose()
  }
}

function* readTeams(input: ParserInput, collected: CollectedLevelDb, idb: IndexedDbContents): Generator<ParsedRecord> {
  const coverage = new StoreCoverage()
  for (const p of idb.problems) {
    yield {type: 'error', source: sourceOf(input, collected, p.file, {offset: p.offset}), parser: 'teams-indexeddb', error: `LevelDB: ${p.message}`}
  }
  const storeOf = new Map<string, {db: IdbDatabase; name: string | null}>()
  for (const db of idb.databases) {
    for (const store of db.objectStores) {
      const table = `${db.name ?? `database ${db.id}`}/${store.name ?? `store ${store.id}`}`
      storeOf.set(`${db.id}/${store.id}`, {db, name: store.name})
      coverage.add(table, STORES.includes(store.name as Store))
    }
  }
  const all = [...idb.databases.flatMap((db) => db.objectStores.flatMap((s) => s.records)), ...idb.formerRecords]
  for (const record of all) {
    const owner = storeOf.get(`${record.databaseId}/${record.objectStoreId}`)
    const table = owner ? `${owner.db.name ?? `database ${owner.db.id}`}/${owner.name ?? `store ${record.objectStoreId}`}` : `database ${record.databaseId}/store ${record.objectStoreId}`
    coverage.add(table, false)
    if (!coverage.tables.get(table)!.known) {
      coverage.row(table, 'not read')
      continue
    }
    const source = sourceOf(input, collected, record.at.file, {table, key: JSON.stringify(record.key), offset: record.at.offset})
    const extra = {leveldbSequence: record.at.sequence, state: record.state, ...(record.state === 'live' ? {} : {deleted: record.state === 'deleted'})}
    if (record.error || record.value === undefined) {
      yield {type: 'error', source, parser: 'teams-indexeddb', error: `value of ${record.state} record not decoded: ${record.error ?? 'no value'}`, ...extra}
      coverage.row(table, 'value could not be decoded (error record)')
      continue
    }
    const account = teamsAccount(owner?.db.name ?? null)
    const made = [...recordsOf(owner?.name as Store, record, source, account, extra)]
    yield* made
    coverage.row(table, made.length > 0 ? 'parsed' : 'record without the fields of its store (no message, id or MRI)')
  }
  input.reportCoverage({parser: 'teams-indexeddb', store: 'indexeddb', file: input.bundlePath, sourcePath: collected.sourceFolder, volume: input.volume, readAs: 'Microsoft Teams IndexedDB (replychains, conversations, profiles/people, buddylist)', tables: coverage.list()})
}

function sourceOf(input: ParserInput, collected: CollectedLevelDb, file: string, extra: Partial<RecordSource>): RecordSource {
  return {...input.source(extra), file: collected.bundlePaths.get(file) ?? input.bundlePath, sourcePath: `${collected.sourceFolder}/${file}`}
}

function* recordsOf(store: Store, record: IdbRecord, source: RecordSource, account: string | null, extra: Record<string, unknown>): Generator<ParsedRecord> {
  const v = record.value
  if (!isObj(v)) return
  if (store === 'replychains') {
    const map = isObj(v.messageMap) ? v.messageMap : isObj(v.messages) ? v.messages : null
    for (const [id, m] of Object.entries(map ?? {})) {
      if (!isObj(m)) continue
      const html = str(m.content)
      const sender = str(m.creator) ?? str(m.from)
      const mine = typeof m.isSentByCurrentUser === 'boolean' ? m.isSentByCurrentUser : account && sender ? sender === account : null
      yield chatMessage(source, {
        app: APP,
        account,
        conversation: str(m.conversationId) ?? str(v.conversationId),
        sender,
        senderName: str(m.imDisplayName),
        recipients: [],
        direction: mine === null ? null : mine ? 'outgoing' : 'incoming',
        sentAt: teamsTime(m.originalArrivalTime) ?? teamsTime(m.composeTime) ?? teamsTime(m.clientArrivalTime),
        body: html === null ? null : htmlText(html),
        bodyHtml: html,
        attachments: attachmentsOf(m.properties),
        messageId: str(m.id) ?? id,
        clientMessageId: str(m.clientmessageid) ?? str(m.clientMessageId),
        messageType: str(m.messageType) ?? str(m.messagetype),
        composedAt: teamsTime(m.composeTime) ?? teamsTime(m.composetime),
        arrivedAt: teamsTime(m.clientArrivalTime),
        replyChain: str(v.replyChainId),
        ...extra,
      })
    }
  } else if (store === 'conversations') {
    const id = str(v.id)
    if (!id) return
    const props = isObj(v.threadProperties) ? v.threadProperties : {}
    const members = Array.isArray(v.members) ? v.members : []
    yield chatConversation(source, {app: APP, account, conversation: id, title: str(props.topic) ?? str(v.displayName), participants: members.map((x) => (isObj(x) ? str(x.id) ?? str(x.mri) : str(x))).filter((x): x is string => x !== null), kind: str(v.type) ?? str(props.threadType), createdAt: teamsTime(props.createdat), ...extra})
  } else if (store === 'profiles' || store === 'people') {
    const mri = str(v.mri)
    if (!mri) return
    yield chatContact(source, {app: APP, account, handle: mri, name: str(v.displayName), email: str(v.email), userPrincipalName: str(v.userPrincipalName), ...extra})
  } else if (store === 'buddylist') {
    for (const b of Array.isArray(v.buddies) ? v.buddies : []) {
      if (isObj(b) && str(b.mri)) yield chatContact(source, {app: APP, account, handle: str(b.mri), name: str(b.displayName), buddyList: str(v.name), ...extra})
    }
  }
}

export const teamsIndexedDbParser: Parser = {
  id: 'teams-indexeddb',
  description: 'Microsoft Teams IndexedDB (classic and new Teams): messages of the reply chains, conversations, people',
  accepts: acceptsLevelDbCurrent,
  parse: parseTeamsIndexedDb,
}
