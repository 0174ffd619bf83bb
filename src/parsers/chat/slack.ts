/**
 * Slack Desktop (Electron; Windows `%AppData%\Slack`, and the Microsoft Store build under
 * `Packages\91750D7E.Slack_*\LocalCache\Roaming\Slack`): three parsers, one per store -
 * slack-indexeddb (`IndexedDB/https_app.slack.com_0.indexeddb.leveldb` and the `.blob` folder
 * beside it: the messages), slack-local-storage (`Local Storage/leveldb`: workspaces, drafts) and
 * slack-root-state (`storage/root-state.json`: downloads), each described where it is defined.
 * Sources relied on (none is Slack's own documentation; Slack publishes none of this):
 * - vincentkoc/slacrawl (internal/slackdesktop): the folders, `storage/root-state.json` (its
 *   downloads), Local Storage keys `localConfig_v2` and `persist-v1::<team>::drafts`, the
 *   `objectStore-<team>-<user>` databases;
 * - the public Slack-desktop readers that decode the state offline (the "slack-cli" of
 *   gitea.va.reichard.io/evan/slack-cli with its docs/indexeddb-format.md, and a Node reader whose
 *   slack-client-record module names every field read here), and a note dumping it from the web
 *   client with `indexedDB.open("reduxPersistence")` ... `objectStore("reduxPersistenceStore")
 *   .get("persist:slack-client-" + ...)`;
 * - Chromium's IndexedDB backing store for the blob files (`<origin>.indexeddb.blob/<database
 *   id, hex>/<second byte of the blob number, 2 hex digits>/<blob number, hex>`).
 * What they agree on: database `reduxPersistence`, store `reduxPersistenceStore`, one record per
 * signed-in workspace keyed `persist:slack-client-<team id>-<user id>` whose value is the
 * client's redux state, rewritten in place every few minutes (so LevelDB keeps older states) and,
 * being megabytes, kept by Chromium in a blob file (snappy-compressed). Its slices read here:
 * bootData / selfTeamIds (the account and workspace), teams, members and bots (contacts), channels
 * (conversations: is_im / is_mpim / is_private, members, topic, purpose, created in seconds),
 * messages by channel id and ts (ts "seconds.microseconds" as text; user or bot_id, text in
 * mrkdwn, thread_ts, reply_count, edited {user, ts}, files as file ids, attachments, _rxn_key,
 * isNonExistent for a message the app keeps only as a deleted placeholder; a reply is one whose
 * thread_ts is not its own ts), files by id (chat.transfer records and the messages' attachments), reactions by
 * `message-<ts>-<channel>`. Every other slice, and every record of every other store, is listed in
 * the coverage account as not read; values LevelDB still holds of deleted and overwritten records
 * are read as well and say so.
 */
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {ParseError, errorMessage} from '../../errors.js'
import {idbBlobFileName, readIndexedDb, readLocalStorage} from '../../indexeddb/index.js'
import type {IndexedDbContents, JsonValue} from '../../indexeddb/index.js'
import {unixMicrosToIso, unixMillisToIso, unixSecondsToIso} from '../../time.js'
import {StoreCoverage} from '../coverage.js'
import {acceptsLevelDbCurrent, collectLevelDbFolder} from '../leveldb-input.js'
import type {CollectedLevelDb} from '../leveldb-input.js'
import type {ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'
import {chatContact, chatConversation, chatMessage, chatTransfer} from './chat-record.js'
import type {ChatAttachment} from './chat-record.js'

const APP = 'Slack'
const PARSER = 'slack-indexeddb'
const REDUX_DB = 'reduxPersistence'
const REDUX_STORE = 'reduxPersistenceStore'
const CLIENT_KEY = /^persist:slack-client-([A-Z0-9]+)-([A-Z0-9]+)$/
type Obj = {[k: string]: JsonValue}

const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !('$type' in v && typeof v.$type === 'string')
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null)
const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [])

/** A Slack ts ("1712345678.123456", seconds and microseconds as text) as UTC ISO to the microsecond; null for "0" or anything else. */
export function slackTime(ts: JsonValue | undefined): string | null {
  const m = typeof ts === 'string' ? /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(ts) : null
  if (!m) return null
  return unixMicrosToIso(BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0')))
}

/** Slack's whole-second times (created, last_set, date_created); 0 means not set. */
const seconds = (v: JsonValue | undefined): string | null => {
  const n = num(v)
  return n !== null && n > 0 ? unixSecondsToIso(Math.trunc(n)) : null
}

/** The account and workspace a state record belongs to: its key names both. */
export function slackClientKey(key: unknown): {team: string; user: string} | null {
  const m = typeof key === 'string' ? CLIENT_KEY.exec(key) : null
  return m ? {team: m[1], user: m[2]} : null
}

/** The IndexedDB folder's copies gathered with the blob files its records name, laid out as Chromium keeps them. */
interface SlackCopies {
  collected: CollectedLevelDb
  idb: IndexedDbContents
  /** `<database id>/<blob number>` -> the bundle path of the blob file's copy. */
  blobs: Map<string, string>
  /** The blob folder on the volume, beside the LevelDB folder. */
  sourceBlobFolder: string
  dispose(): void
}

const LOCAL = 'slack.indexeddb'
/** Chromium's path of a blob file in the blob folder (idbBlobFileName). */
const blobSourcePath = (folder: string, db: number, blob: number) => `${folder}/${idbBlobFileName(db, blob)}`

async function collectSlack(input: ParserInput): Promise<SlackCopies> {
  const collected = await collectLevelDbFolder(input)
  const root = mkdtempSync(join(dirname(input.copyPath), 'trawl-slack-'))
  const dispose = () => (collected.dispose(), rmSync(root, {recursive: true, force: true}))
  try {
    const leveldb = join(root, `${LOCAL}.leveldb`)
    renameSync(collected.folder, leveldb)
    const out: SlackCopies = {collected, idb: readIndexedDb(leveldb), blobs: new Map(), sourceBlobFolder: collected.sourceFolder.replace(/\.leveldb$/, '') + '.blob', dispose}
    // A value Chromium wrapped into a blob names it in the record's blob list; the file is beside
    // the LevelDB folder. A parser sees files, not listings, so each is asked for by its path.
    const wanted = new Map<string, {db: number; blob: number}>()
    for (const r of [...out.idb.databases.flatMap((d) => d.objectStores.flatMap((s) => s.records)), ...out.idb.formerRecords]) {
      for (const b of r.blobs) if (b.path === null) wanted.set(`${r.databaseId}/${b.blobNumber}`, {db: r.databaseId, blob: b.blobNumber})
    }
    for (const [id, {db, blob}] of wanted) {
      const file = await input.collectRelated(blobSourcePath(out.sourceBlobFolder, db, blob))
      if (!file) continue
      const local = join(root, `${LOCAL}.blob`, idbBlobFileName(db, blob))
      mkdirSync(dirname(local), {recursive: true})
      copyFileSync(file.copyPath, local)
      out.blobs.set(id, file.bundlePath)
    }
    if (out.blobs.size > 0) out.idb = readIndexedDb(leveldb)
    return out
  } catch (e) {
    dispose()
    throw e
  }
}

export async function* parseSlackIndexedDb(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const copies = await collectSlack(input)
  try {
    for (const problem of copies.collected.problems) yield {type: 'error', source: input.source(), parser: PARSER, error: problem}
    const names = new Set(copies.idb.databases.map((d) => d.name))
    if (!names.has(REDUX_DB) && ![...names].some((n) => n !== null && /^objectStore-T[A-Z0-9]+-[A-Z0-9]+$/.test(n))) {
      throw new ParseError(`not a Slack IndexedDB: no ${REDUX_DB} database (databases: ${[...names].map((n) => n ?? '?').join(', ') || 'none'})`, input.sourcePath)
    }
    yield* readSlack(input, copies)
  } finally {
    copies.dispose()
  }
}

function sourceOf(input: ParserInput, collected: CollectedLevelDb, file: string, extra: Partial<RecordSource>): RecordSource {
  return {...input.source(extra), file: collected.bundlePaths.get(file) ?? input.bundlePath, sourcePath: `${collected.sourceFolder}/${file}`}
}

function* readSlack(input: ParserInput, copies: SlackCopies): Generator<ParsedRecord> {
  const {collected, idb} = copies
  const coverage = new StoreCoverage()
  for (const p of idb.problems) {
    yield {type: 'error', source: sourceOf(input, collected, p.file, {offset: p.offset}), parser: PARSER, error: `LevelDB: ${p.message}`}
  }
  const tableOf = new Map<string, {table: string; redux: boolean}>()
  for (const db of idb.databases) {
    for (const store of db.objectStores) {
      const table = `${db.name ?? `database ${db.id}`}/${store.name ?? `store ${store.id}`}`
      const redux = db.name === REDUX_DB && store.name === REDUX_STORE
      tableOf.set(`${db.id}/${store.id}`, {table, redux})
      coverage.add(table, redux)
    }
  }
  const all = [...idb.databases.flatMap((db) => db.objectStores.flatMap((s) => s.records)), ...idb.formerRecords]
  for (const record of all) {
    const owner = tableOf.get(`${record.databaseId}/${record.objectStoreId}`) ?? {table: `database ${record.databaseId}/store ${record.objectStoreId}`, redux: false}
    coverage.add(owner.table, false)
    if (!owner.redux) {
      coverage.row(owner.table, 'not read')
      continue
    }
    const source = sourceOf(input, collected, record.at.file, {table: owner.table, key: JSON.stringify(record.key), offset: record.at.offset})
    // A value Chromium kept in a blob file (wrappedBlob stays when the file's bytes were
    // snappy-compressed too): that file holds the bytes the records are read from.
    const blob = record.wrappedBlob ? record.blobs[record.wrappedBlob.blobIndex] : undefined
    const blobFile = blob ? copies.blobs.get(`${record.databaseId}/${blob.blobNumber}`) : undefined
    const extra = {
      leveldbSequence: record.at.sequence,
      state: record.state,
      ...(record.state === 'live' ? {} : {deleted: record.state === 'deleted'}),
      ...(blob ? {valueSourcePath: blobSourcePath(copies.sourceBlobFolder, record.databaseId, blob.blobNumber), valueFile: blobFile ?? null} : {}),
    }
    // Chromium deletes the blob file of a value once the record is rewritten: an older state
    // whose file is gone is what the app leaves, not damage, so it is counted, not an error.
    if (record.wrappedBlob && !blobFile && record.state !== 'live') {
      coverage.row(owner.table, blob ? 'older state kept in a blob file no longer on the volume (Chromium deletes it once the state is rewritten)' : 'older state kept in a blob file LevelDB no longer names (its blob entry is gone)')
      continue
    }
    if (record.error || record.value === undefined) {
      yield {type: 'error', source, parser: PARSER, error: `value of ${record.state} record not decoded: ${record.error ?? 'no value'}`, ...extra}
      coverage.row(owner.table, 'value could not be decoded (error record)')
      continue
    }
    const client = slackClientKey(record.key)
    if (!client || !isObj(record.value)) {
      coverage.row(owner.table, 'record is not a workspace state (key not persist:slack-client-<team>-<user>, or no object)')
      continue
    }
    yield* stateRecords(record.value, client, source, extra, coverage, owner.table)
    coverage.row(owner.table, 'parsed')
  }
  input.reportCoverage({parser: PARSER, store: 'indexeddb', file: input.bundlePath, sourcePath: collected.sourceFolder, volume: input.volume, readAs: 'Slack Desktop IndexedDB (reduxPersistence: the redux state of each workspace)', tables: coverage.list()})
}

/** The slices read, and for each the coverage unit (entries of the slice, or the slice as one). */
const READ_SLICES = ['bootData', 'selfTeamIds', 'teams', 'members', 'bots', 'channels', 'messages', 'files', 'reactions'] as const

function* stateRecords(state: Obj, client: {team: string; user: string}, base: RecordSource, extra: Record<string, unknown>, coverage: StoreCoverage, table: string): Generator<ParsedRecord> {
  const slice = (name: string) => `${table}/state.${name}`
  for (const name of Object.keys(state)) coverage.add(slice(name), (READ_SLICES as readonly string[]).includes(name))
  for (const [name, v] of Object.entries(state)) {
    if (!(READ_SLICES as readonly string[]).includes(name)) coverage.row(slice(name), 'not read', isObj(v) ? Object.keys(v).length : 1)
  }
  const obj = (name: string): Obj => (isObj(state[name]) ? state[name] : {})
  const boot = obj('bootData')
  const self = obj('selfTeamIds')
  const account = client.user
  const workspace = str(self.teamId) ?? str(boot.team_id) ?? client.team
  const team = isObj(obj('teams')[workspace]) ? (obj('teams')[workspace] as Obj) : {}
  const ws = {workspace, workspaceName: str(team.name), workspaceDomain: str(team.domain)}
  for (const name of ['bootData', 'selfTeamIds'] as const) if (name in state) coverage.row(slice(name), isObj(state[name]) ? 'parsed' : 'slice is not an object')
  for (const name of READ_SLICES) if (name in state && name !== 'bootData' && name !== 'selfTeamIds' && !isObj(state[name])) coverage.row(slice(name), 'slice is not an object')
  const at = (path: string[]): RecordSource => ({...base, value: JSON.stringify(path)})
  const common = (path: string[]) => ({statePath: path, ...ws, ...extra})

  // Workspaces: the one the record is of gives every record its name; others the state lists are listed.
  for (const [id, t] of Object.entries(obj('teams'))) coverage.row(slice('teams'), isObj(t) ? (id === workspace ? 'parsed' : 'a workspace other than the record\'s (named only)') : 'entry is not an object')

  const members = obj('members')
  const bots = obj('bots')
  const nameOf = (id: string | null): string | null => {
    if (!id) return null
    const m = members[id]
    if (isObj(m)) {
      const p = isObj(m.profile) ? m.profile : {}
      return str(p.real_name) ?? str(m.real_name) ?? str(p.display_name) ?? str(m.name)
    }
    const b = bots[id]
    return isObj(b) ? str(b.name) : null
  }
  for (const [id, m] of Object.entries(members)) {
    if (!isObj(m)) {
      coverage.row(slice('members'), 'entry is not an object')
      continue
    }
    const p = isObj(m.profile) ? m.profile : {}
    yield chatContact(at(['members', id]), {
      app: APP, account, handle: str(m.id) ?? id, name: nameOf(id), userName: str(m.name), displayName: str(p.display_name), email: str(p.email), phone: str(p.phone), title: str(p.title),
      teamId: str(m.team_id), timeZone: str(m.tz), isBot: m.is_bot === true, deletedAccount: m.deleted === true, isSelf: id === account, updatedAt: seconds(m.updated), ...common(['members', id]),
    })
    coverage.row(slice('members'), 'parsed')
  }
  for (const [id, b] of Object.entries(bots)) {
    if (!isObj(b)) {
      coverage.row(slice('bots'), 'entry is not an object')
      continue
    }
    yield chatContact(at(['bots', id]), {app: APP, account, handle: str(b.id) ?? id, name: str(b.name), appId: str(b.app_id), isBot: true, deletedAccount: b.deleted === true, updatedAt: seconds(b.updated), ...common(['bots', id])})
    coverage.row(slice('bots'), 'parsed')
  }

  const channels = obj('channels')
  const kindOf = (c: Obj) => (c.is_im === true ? 'im' : c.is_mpim === true ? 'mpim' : c.is_private === true || c.is_group === true ? 'private' : 'public')
  for (const [id, c] of Object.entries(channels)) {
    if (!isObj(c)) {
      coverage.row(slice('channels'), 'entry is not an object')
      continue
    }
    const kind = kindOf(c)
    const other = str(c.user)
    const topic = isObj(c.topic) ? c.topic : {}
    const purpose = isObj(c.purpose) ? c.purpose : {}
    yield chatConversation(at(['channels', id]), {
      app: APP, account, conversation: str(c.id) ?? id, title: kind === 'im' ? nameOf(other) ?? other : str(c.name),
      participants: kind === 'im' ? [account, ...(other ? [other] : [])] : strings(c.members), kind, name: str(c.name), imUser: other,
      createdAt: seconds(c.created), creator: str(c.creator), topic: str(topic.value), topicSetAt: seconds(topic.last_set), purpose: str(purpose.value),
      archived: c.is_archived === true, ...common(['channels', id]),
    })
    coverage.row(slice('channels'), 'parsed')
  }

  const files = obj('files')
  const fileOf = (ref: JsonValue): ChatAttachment => {
    const f = typeof ref === 'string' ? files[ref] : ref
    const o: Obj = isObj(f) ? f : {}
    return {name: str(o.name) ?? str(o.title) ?? (typeof ref === 'string' ? ref : null), path: str(o.url_private) ?? str(o.permalink), mimeType: str(o.mimetype), size: num(o.size), bundlePath: null, sha256: null}
  }
  for (const [id, f] of Object.entries(files)) {
    if (!isObj(f)) {
      coverage.row(slice('files'), 'entry is not an object')
      continue
    }
    const by = str(f.user)
    yield chatTransfer(at(['files', id]), {
      app: APP, account, conversation: null, partner: by, direction: by === null ? null : by === account ? 'outgoing' : 'incoming',
      fileName: str(f.name) ?? str(f.title), filePath: str(f.url_private), fileSize: num(f.size), status: str(f.mode), startedAt: seconds(f.created),
      fileId: str(f.id) ?? id, title: str(f.title), mimeType: str(f.mimetype), permalink: str(f.permalink), ...common(['files', id]),
    })
    coverage.row(slice('files'), 'parsed')
  }

  const reactions = obj('reactions')
  const reactionsUsed = new Set<string>()
  const reactionsOf = (key: string) => {
    const list = reactions[key]
    if (!Array.isArray(list)) return []
    reactionsUsed.add(key)
    return list.filter(isObj).map((r) => ({name: str(r.name), count: num(r.count), users: strings(r.users)}))
  }
  for (const [channel, byTs] of Object.entries(obj('messages'))) {
    if (!isObj(byTs)) {
      coverage.row(slice('messages'), 'the messages of a channel are not an object')
      continue
    }
    const c = isObj(channels[channel]) ? (channels[channel] as Obj) : null
    const im = c && c.is_im === true ? str(c.user) : null
    for (const [tsKey, m] of Object.entries(byTs)) {
      if (!isObj(m)) {
        coverage.row(slice('messages'), 'entry is not an object')
        continue
      }
      const ts = str(m.ts) ?? tsKey
      const path = ['messages', channel, tsKey]
      const sender = str(m.user) ?? str(m.bot_id)
      const edited = isObj(m.edited) ? m.edited : null
      const threadTs = str(m.thread_ts)
      const gone = m.isNonExistent === true
      yield chatMessage(at(path), {
        app: APP, account, conversation: channel, sender,
        senderName: nameOf(str(m.user)) ?? str(m.username) ?? nameOf(str(m.bot_id)),
        recipients: im && sender ? [sender === account ? im : account] : [],
        direction: sender === null ? null : sender === account ? 'outgoing' : 'incoming',
        sentAt: slackTime(ts), body: str(m.text), attachments: (Array.isArray(m.files) ? m.files : []).map(fileOf),
        messageId: ts, ts, conversationName: c ? (im ? nameOf(im) ?? im : str(c.name)) : null, conversationKind: c ? kindOf(c) : null,
        messageType: str(m.type), subtype: str(m.subtype), clientMessageId: str(m.client_msg_id), botId: str(m.bot_id),
        threadTs, threadReply: threadTs !== null && threadTs !== ts, replyCount: num(m.reply_count), replyUsers: strings(m.reply_users), latestReply: str(m.latest_reply),
        editedAt: edited ? slackTime(edited.ts) : null, editedBy: edited ? str(edited.user) : null,
        reactions: reactionsOf(str(m._rxn_key) ?? `message-${ts}-${channel}`),
        links: (Array.isArray(m.attachments) ? m.attachments : []).filter(isObj).map((a) => ({title: str(a.title) ?? str(a.fallback), url: str(a.title_link) ?? str(a.from_url) ?? str(a.original_url), text: str(a.text)})),
        ...(gone ? {deletedInSlack: true} : {}),
        ...common(path),
      })
      coverage.row(slice('messages'), 'parsed')
    }
  }
  for (const key of Object.keys(reactions)) coverage.row(slice('reactions'), reactionsUsed.has(key) ? 'parsed' : 'reactions of a message the state does not hold')
}

/**
 * `storage/root-state.json`, the state of Slack's main process (JSON): its `downloads` slice, by
 * workspace id and download id, holds every file the app downloaded - url, userId, teamId,
 * downloadState, downloadPath (where it was saved on this machine), startTime / endTime in
 * milliseconds, progress, appVersion (the fields slacrawl's DownloadRecord and the Node reader's
 * slack-downloads module read). appTeams, workspaces, teams and settings are in the file too; no
 * source describes their entries, so they are listed in the coverage account, not read.
 */
export async function* parseSlackRootState(input: ParserInput): AsyncGenerator<ParsedRecord> {
  let state: JsonValue
  try {
    state = JSON.parse(readFileSync(input.copyPath, 'utf8').replace(/^\uFEFF/, '')) as JsonValue
  } catch (e) {
    throw new ParseError(`not a Slack root-state.json: ${errorMessage(e)}`, input.sourcePath)
  }
  if (!isObj(state) || !ROOT_STATE_KEYS.some((k) => k in state)) throw new ParseError(`not a Slack root-state.json: no ${ROOT_STATE_KEYS.join(', ')}`, input.sourcePath)
  const coverage = new StoreCoverage()
  for (const [name, v] of Object.entries(state)) {
    coverage.add(name, name === 'downloads')
    if (name !== 'downloads') coverage.row(name, 'not read', isObj(v) ? Object.keys(v).length : 1)
  }
  const downloads = isObj(state.downloads) ? state.downloads : {}
  for (const [team, byId] of Object.entries(downloads)) {
    if (!isObj(byId)) {
      coverage.row('downloads', 'the downloads of a workspace are not an object')
      continue
    }
    for (const [id, d] of Object.entries(byId)) {
      if (!isObj(d)) {
        coverage.row('downloads', 'entry is not an object')
        continue
      }
      const path = str(d.downloadPath)
      const ms = (v: JsonValue | undefined) => (num(v) !== null && num(v)! > 0 ? unixMillisToIso(Math.trunc(num(v)!)) : null)
      yield chatTransfer(input.source({key: JSON.stringify(['downloads', team, id])}), {
        app: APP, account: str(d.userId), conversation: null, partner: null, direction: 'incoming',
        fileName: path === null ? null : path.split(/[\\/]/).pop() ?? null, filePath: path, fileSize: null, status: str(d.downloadState), startedAt: ms(d.startTime),
        endedAt: ms(d.endTime), url: str(d.url), fileId: str(d.id) ?? id, workspace: str(d.teamId) ?? team, progress: num(d.progress), appVersion: str(d.appVersion),
        download: true,
      })
      coverage.row('downloads', 'parsed')
    }
  }
  input.reportCoverage({parser: 'slack-root-state', store: 'json', file: input.bundlePath, sourcePath: input.sourcePath, volume: input.volume, readAs: 'Slack Desktop storage/root-state.json (downloads)', tables: coverage.list()})
}

const ROOT_STATE_KEYS = ['appTeams', 'downloads', 'workspaces', 'teams', 'settings']

const ORIGIN = 'https://app.slack.com'
const DRAFTS_KEY = /^persist-v1::([A-Z0-9]+)::drafts$/

/** Draft times: seconds since 1970 (with a fraction), or milliseconds when the number is that large. */
const draftTime = (v: JsonValue | undefined): string | null => {
  const n = num(v)
  if (n === null || n <= 0) return null
  return n > 1e11 ? unixMillisToIso(Math.trunc(n)) : unixMicrosToIso(Math.round(n * 1e6))
}

const jsonOf = (value: string | null): JsonValue | undefined => {
  if (value === null) return undefined
  try {
    return JSON.parse(value) as JsonValue
  } catch {
    return undefined
  }
}

/**
 * Slack Desktop's Local Storage (`Local Storage/leveldb`, origin https://app.slack.com), as
 * slacrawl reads it: `localConfig_v2` {teams: {<team id>: {id, name, url, domain, user_id,
 * user_locale, token}}}, the signed-in workspaces (one chat.account each; the token is not
 * copied into the record, only whether there is one: it stays in the collected files), and
 * `persist-v1::<team>::drafts` {unifiedDrafts: {<id>: {client_draft_id, date_created,
 * last_updated, destinations [{channel_id, thread_ts}], ops [{insert}], file_ids}}}, the unsent
 * drafts (chat.message records marked draft, sentAt null). Other keys are counted as not read.
 */
export async function* parseSlackLocalStorage(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const gathered = await collectLevelDbFolder(input)
  try {
    for (const problem of gathered.problems) yield {type: 'error', source: input.source(), parser: 'slack-local-storage', error: problem}
    const ls = readLocalStorage(gathered.folder)
    if (!ls.origins.includes(ORIGIN) && !ls.items.some((i) => i.origin === ORIGIN)) {
      throw new ParseError(`not a Slack Local Storage: no items of ${ORIGIN} (origins: ${ls.origins.join(', ') || 'none'})`, input.sourcePath)
    }
    for (const p of ls.problems) yield {type: 'error', source: sourceOf(input, gathered, p.file, {offset: p.offset}), parser: 'slack-local-storage', error: `LevelDB: ${p.message}`}
    const coverage = new StoreCoverage()
    const config = jsonOf(ls.items.find((i) => i.origin === ORIGIN && i.key === 'localConfig_v2')?.value ?? null)
    const teams = isObj(config) && isObj(config.teams) ? config.teams : {}
    const userOf = (team: string) => (isObj(teams[team]) ? str((teams[team] as Obj).user_id) : null)
    for (const item of [...ls.items, ...ls.formerItems]) {
      const table = `Local Storage ${item.origin}${item.state === 'live' ? '' : ' (older values)'}`
      coverage.add(table, item.origin === ORIGIN)
      if (item.origin !== ORIGIN) {
        coverage.row(table, 'not read')
        continue
      }
      const source = sourceOf(input, gathered, item.at.file, {key: `${item.origin}\u0000${item.key}`, offset: item.at.offset})
      const extra = {leveldbSequence: item.at.sequence, state: item.state, ...(item.state === 'live' ? {} : {deleted: item.state === 'deleted'})}
      const value = jsonOf(item.value)
      const made: ParsedRecord[] = []
      if (item.key === 'localConfig_v2' && isObj(value) && isObj(value.teams)) {
        for (const [id, t] of Object.entries(value.teams)) {
          if (!isObj(t)) continue
          made.push({
            type: 'chat.account', source: {...source, value: JSON.stringify(['teams', id])}, app: APP, account: str(t.user_id), workspace: str(t.id) ?? id,
            name: str(t.name), domain: str(t.domain), url: str(t.url), userLocale: str(t.user_locale), hasToken: str(t.token) !== null, lastActive: isObj(value) && value.lastActiveTeamId === id, ...extra,
          })
        }
      }
      const team = DRAFTS_KEY.exec(item.key)?.[1]
      if (team && isObj(value) && isObj(value.unifiedDrafts)) {
        for (const [id, d] of Object.entries(value.unifiedDrafts)) {
          if (!isObj(d)) continue
          const to = (Array.isArray(d.destinations) ? d.destinations : []).filter(isObj)
          const ops = Array.isArray(d.ops) ? d.ops : []
          const account = userOf(team)
          made.push(chatMessage({...source, value: JSON.stringify(['unifiedDrafts', id])}, {
            app: APP, account, conversation: str(to[0]?.channel_id), sender: account, recipients: [], direction: 'outgoing', sentAt: null,
            body: ops.map((o) => (isObj(o) && typeof o.insert === 'string' ? o.insert : '')).join(''), attachments: strings(d.file_ids).map((f) => ({name: f, path: null, bundlePath: null, sha256: null})),
            draft: true, draftId: str(d.client_draft_id) ?? id, workspace: team, threadTs: str(to[0]?.thread_ts), destinations: to.map((x) => str(x.channel_id)).filter((x): x is string => x !== null),
            composedAt: draftTime(d.date_created), updatedAt: draftTime(d.last_updated), ...extra,
          }))
        }
      }
      yield* made
      coverage.row(table, made.length > 0 ? 'parsed' : item.key === 'localConfig_v2' || team ? 'no workspace or draft in the value' : 'app setting or cache, not read')
    }
    input.reportCoverage({parser: 'slack-local-storage', store: 'indexeddb', file: input.bundlePath, sourcePath: gathered.sourceFolder, volume: input.volume, readAs: 'Slack Desktop Local Storage (localConfig_v2 workspaces, drafts)', tables: coverage.list()})
  } finally {
    gathered.dispose()
  }
}

export const slackLocalStorageParser: Parser = {
  id: 'slack-local-storage',
  description: 'Slack Desktop Local Storage (Chromium LevelDB): the signed-in workspaces with their user, and unsent drafts',
  accepts: acceptsLevelDbCurrent,
  parse: parseSlackLocalStorage,
}

export const slackRootStateParser: Parser = {
  id: 'slack-root-state',
  description: 'Slack Desktop storage/root-state.json: the files the app downloaded, with url, path saved to and times',
  accepts: (head) => /^\uFEFF?\s*\{/.test(head.subarray(0, 64).toString('utf8')),
  parse: parseSlackRootState,
}

export const slackIndexedDbParser: Parser = {
  id: PARSER,
  description: 'Slack Desktop IndexedDB: the redux state of each signed-in workspace (messages, channels, members, files, reactions)',
  accepts: acceptsLevelDbCurrent,
  parse: parseSlackIndexedDb,
}
