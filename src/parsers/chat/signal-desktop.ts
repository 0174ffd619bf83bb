/**
 * Signal Desktop (%APPDATA%\Signal\sql\db.sqlite, with config.json and attachments.noindex\
 * in %APPDATA%\Signal).
 *
 * db.sqlite is SQLCipher 4 with its default settings, keyed with the raw 32-byte key that
 * config.json's "key" holds as 64 hex digits. Since Signal Desktop 7.x the key may be kept
 * as "encryptedKey" instead: Electron safeStorage, which on Windows is AES-256-GCM under a
 * key that `Local State` os_crypt.encrypted_key holds DPAPI-protected (the user's DPAPI
 * master key, and so the user's logon password, unlocks it). On a live run with
 * --unprotect-keys the engine's DPAPI (input.unprotectDpapi) unwraps it and safe-storage.ts
 * opens encryptedKey; otherwise, or when Windows refuses, the database is reported as such
 * and collected byte-exact, not read.
 *
 * The working copy (with its -wal) is decrypted page by page (src/sqlite/sqlcipher.ts) into
 * a plain copy beside it in the run's working folder, which is opened read-only; records
 * name the encrypted file as collected and the table and row of its decrypted content.
 *
 * Schema (signalapp/Signal-Desktop ts/sql/migrations; columns are detected, not assumed):
 * conversations (id, type 'private'/'group', name, profileFullName, e164, serviceId, json
 * with membersV2), messages (id, conversationId, type, body, sent_at in ms since 1970,
 * received_at_ms; received_at is an ordering counter in current versions, a time only in
 * old ones; source, sourceServiceId, json with attachments and quote) and, from schema
 * version 1360, message_attachments (one row per attachment, path relative to
 * attachments.noindex). An attachment with a localKey (attachment version 2) is stored
 * encrypted (AES-256-CBC with HMAC-SHA256 under that key, signal-attachment.ts): the
 * collected file is the ciphertext, byte-exact, and its plaintext is added under derived/
 * (HMAC and plaintextHash checked; a derived picture gets its EXIF and PDQ records), or
 * the attachment says why it could not be decrypted.
 * items holds the account's own number (number_id) and ACI (uuid_id).
 *
 * Coverage: conversations, messages, message_attachments and items, row by row. Messages of
 * types other than incoming/outgoing (group changes, key changes, timers, calls, stories)
 * become chat.event records. Other tables (sessions, identityKeys, reactions, ...) are listed.
 */
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync} from 'node:fs'
import {dirname, join, posix} from 'node:path'
import {ParseError, errorMessage} from '../../errors.js'
import {unixMillisToIso} from '../../time.js'
import {SqlcipherKeyError, decryptSqlcipherDatabase, parseRawKey, type SqlcipherDecryption} from '../../sqlite/sqlcipher.js'
import {SqliteCoverage} from '../coverage.js'
import {hasTable, openWorkingCopy, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {CollectedFile, ParsedRecord, Parser, ParserInput} from '../types.js'
import {asParseError, collectOnce, reportDatabaseCoverage} from './app-database.js'
import {decryptSafeStorage, localStateKeyBlob} from './safe-storage.js'
import {decryptSignalAttachment, type PlaintextHashCheck} from './signal-attachment.js'
import {chatContact, chatConversation, chatMessage, integer, nonEmpty, pick, safeTime, text, type ChatAttachment, type Direction} from './chat-record.js'

const APP = 'Signal'
/** received_at before this is a counter, not milliseconds since 1970 (2001-09-09). */
const MILLIS_FLOOR = 1_000_000_000_000

interface SignalConfig {
  key: string | null
  encryptedKey: string | null
}

function readConfig(file: CollectedFile): SignalConfig {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file.copyPath, 'utf8'))
  } catch (error) {
    throw new ParseError(`config.json is not JSON: ${(error as Error).message}`, file.sourcePath)
  }
  const object = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  return {key: typeof object.key === 'string' ? object.key : null, encryptedKey: typeof object.encryptedKey === 'string' ? object.encryptedKey : null}
}

function jsonObject(value: unknown): Record<string, unknown> {
  const s = text(value)
  if (s === null) return {}
  try {
    const parsed: unknown = JSON.parse(s)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** What an examiner needs to know about a key kept by Electron safeStorage (DPAPI on Windows). */
function protectedKeyRecord(input: ParserInput, config: CollectedFile, localState: CollectedFile | undefined, encryptedKey: string, signalDir: string, unwrapAttempt?: string): ParsedRecord {
  const prefix = /^[0-9a-f]{6}/i.test(encryptedKey) ? Buffer.from(encryptedKey.slice(0, 6), 'hex').toString('latin1') : null
  let osCrypt: string | null = null
  if (localState) {
    try {
      const state = JSON.parse(readFileSync(localState.copyPath, 'utf8')) as {os_crypt?: {encrypted_key?: unknown}}
      const key = state.os_crypt?.encrypted_key
      if (typeof key === 'string') osCrypt = Buffer.from(key, 'base64').subarray(0, 5).toString('latin1')
    } catch {
      osCrypt = null
    }
  }
  const user = input.captures.user ?? null
  const keyProtection = `Electron safeStorage: config.json "encryptedKey" (AES-256-GCM, version prefix ${prefix ?? 'unknown'}) under the key in Local State os_crypt.encrypted_key, which is DPAPI-protected`
  return {
    type: 'chat.encrypted-store',
    source: input.source(),
    app: APP,
    account: null,
    user,
    encrypted: true,
    cipher: 'SQLCipher 4 (AES-256-CBC, HMAC-SHA512 per page)',
    role: 'message database',
    format: 'SQLCipher database',
    keyProtection,
    encryption: `SQLCipher 4 under a key kept by ${keyProtection}`,
    localStateKey: localState ? (osCrypt === 'DPAPI' ? 'DPAPI blob' : osCrypt === null ? 'absent or unreadable' : `unexpected prefix ${JSON.stringify(osCrypt)}`) : 'Local State not found',
    unlockWith: [
      `${signalDir}/config.json (encryptedKey)`,
      `${signalDir}/Local State (os_crypt.encrypted_key)`,
      `Users/${user ?? '<user>'}/AppData/Roaming/Microsoft/Protect/<user SID>/ (the user's DPAPI master keys)`,
      "the user's Windows logon password (or the domain's DPAPI backup key), or a live session of that user",
    ],
    collected: [input.bundlePath, config.bundlePath, ...(localState ? [localState.bundlePath] : [])],
    note: 'the database key is DPAPI-protected: it cannot be had from these files alone, so the database was collected byte-exact and not read',
    ...(unwrapAttempt ? {unwrapAttempt} : {}),
  }
}

interface DatabaseKey {
  key: string
  keySource: string
  /** Keys recovered on the live machine, kept so the decryption can be repeated from the bundle alone. */
  recoveredKeys?: {osCryptKey: string; databaseKey: string}
}

/**
 * The database key of a config.json holding only "encryptedKey": on a live run with
 * --unprotect-keys, Local State's os_crypt key is unprotected by DPAPI (as the signed-in
 * user) and opens encryptedKey (AES-256-GCM). Otherwise, or when a step fails, the record
 * that says what would unlock it, with the step that failed.
 */
async function safeStorageKey(input: ParserInput, config: CollectedFile, localState: CollectedFile | undefined, encryptedKey: string, signalDir: string): Promise<DatabaseKey | {record: ParsedRecord}> {
  const refused = (why?: string) => ({record: protectedKeyRecord(input, config, localState, encryptedKey, signalDir, why)})
  if (!input.unprotectDpapi) return refused()
  if (!localState) return refused('not attempted: Local State, which holds the DPAPI-protected key, is not there')
  const blob = localStateKeyBlob(readFileSync(localState.copyPath, 'utf8'))
  if ('problem' in blob) return refused(`not attempted: ${blob.problem}`)
  const unprotected = await input.unprotectDpapi(blob.blob, `Signal Desktop ${signalDir}/Local State os_crypt.encrypted_key`)
  if ('error' in unprotected) return refused(unprotected.error)
  if (!/^[0-9a-f]+$/i.test(encryptedKey) || encryptedKey.length % 2 !== 0) return refused('config.json "encryptedKey" is not hex')
  const opened = decryptSafeStorage(Buffer.from(encryptedKey, 'hex'), unprotected.plaintext)
  if ('problem' in opened) return refused(`the os_crypt key was unprotected by DPAPI (Windows user ${unprotected.user}), but encryptedKey did not open: ${opened.problem}`)
  const key = opened.plaintext.toString('latin1')
  if (!/^[0-9a-f]{64}$/i.test(key)) return refused(`encryptedKey opened, but holds no 64-hex-digit SQLCipher key (${opened.plaintext.length} bytes)`)
  return {
    key,
    keySource: `config.json "encryptedKey" (Electron safeStorage, AES-256-GCM) under the Local State os_crypt key, unprotected by DPAPI on the live machine as Windows user ${unprotected.user}`,
    recoveredKeys: {osCryptKey: unprotected.plaintext.toString('hex'), databaseKey: key},
  }
}

function decryptionRecord(input: ParserInput, decryption: SqlcipherDecryption, key: DatabaseKey): ParsedRecord[] {
  const records: ParsedRecord[] = [
    {
      type: 'chat.decryption',
      source: input.source(),
      app: APP,
      cipher: decryption.settings,
      keySource: key.keySource,
      ...(key.recoveredKeys ? {recoveredKeys: key.recoveredKeys} : {}),
      pageSize: decryption.pageSize,
      pages: decryption.pages,
      pagesDecrypted: decryption.pagesDecrypted,
      damagedPages: decryption.damaged.length,
      walFramesApplied: decryption.walFramesApplied,
      walFramesIgnored: decryption.walFramesIgnored,
      ...(decryption.walError ? {walError: decryption.walError} : {}),
    },
  ]
  for (const page of decryption.damaged) {
    const where = page.file === 'wal' ? `WAL frame ${page.frame} (page ${page.page})` : `page ${page.page}`
    records.push({type: 'error', source: input.source({offset: page.offset, ...(page.file === 'wal' ? {file: `${input.bundlePath}-wal`} : {})}), parser: 'signal-desktop', error: `${where} not decrypted: ${page.reason}; it reads as empty in the plain copy, every other page was read`})
  }
  return records
}

/**
 * A table SQLite cannot read to the end (a page that failed its HMAC reads as zeros): the
 * records before the damage are kept, the other tables are still read, and coverage shows
 * the rows that produced nothing.
 */
function tableError(input: ParserInput, table: string, error: unknown): ParsedRecord {
  return {type: 'error', source: input.source({table}), parser: 'signal-desktop', error: `table ${table} could not be read to the end: ${errorMessage(error)}`}
}

/** Signal's attachments say whether the file on disk is ciphertext, what it decrypted to, and which are gone. */
type SignalAttachment = ChatAttachment & {encrypted: boolean; note?: string; attachmentType?: string | null; missing?: boolean} & Partial<Decrypted>

/** What became of an encrypted attachment file: its plaintext in the bundle (derived/), or why not. */
interface Decrypted {
  note?: string
  decrypted?: {bundlePath: string; sha256: string; size: number; plaintextHash: PlaintextHashCheck}
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg', 'image/png': '.png', 'image/gif': '.gif', 'image/webp': '.webp', 'image/heic': '.heic', 'video/mp4': '.mp4', 'video/quicktime': '.mov',
  'audio/aac': '.aac', 'audio/mpeg': '.mp3', 'audio/ogg': '.ogg', 'application/pdf': '.pdf', 'text/plain': '.txt', 'text/x-signal-plain': '.txt',
}

/** The extension the decrypted file is given in the bundle: the file name's where it has a plain one, else the content type's. */
function extensionOf(a: Record<string, unknown>): string {
  const fromName = /\.([A-Za-z0-9]{1,8})$/.exec(nonEmpty(a.fileName) ?? '')?.[1]
  return fromName ? `.${fromName.toLowerCase()}` : (EXTENSIONS[(nonEmpty(a.contentType) ?? '').toLowerCase()] ?? '.bin')
}

/**
 * Decrypts a collected attachment file with its row's localKey and adds the plaintext to
 * the bundle beside it (derived/), named after the ciphertext's entry; the ciphertext stays
 * the byte-exact copy. Where that cannot be done the attachment says why.
 */
async function decryptInto(input: ParserInput, file: CollectedFile, a: Record<string, unknown>, localKey: string, where: string): Promise<Decrypted> {
  const result = decryptSignalAttachment(readFileSync(file.copyPath), localKey, integer(a.size), nonEmpty(a.plaintextHash))
  if ('notDecrypted' in result) return {note: `stored encrypted under the attachment localKey (AES-256-CBC, HMAC-SHA256); not decrypted: ${result.notDecrypted}`}
  const hashNote = result.plaintextHash === 'differs' ? "; the decrypted bytes do not hash to the row's plaintextHash" : ''
  if (!input.addDerived) return {note: `stored encrypted under the attachment localKey; it decrypts (HMAC checked, plaintextHash ${result.plaintextHash}), but this run writes no bundle to hold the plaintext${hashNote}`}
  const derived = await input.addDerived({
    from: file.bundlePath,
    suffix: `.decrypted${extensionOf(a)}`,
    method: `Signal Desktop attachment v2: AES-256-CBC with the first 32 bytes, HMAC-SHA256 (checked) with the last 32 bytes of the localKey of ${where} of ${input.sourcePath}, cut to its size ${String(a.size)}; plaintextHash ${result.plaintextHash}`,
    data: result.plaintext,
  })
  return {
    decrypted: {bundlePath: derived.bundlePath, sha256: derived.sha256, size: derived.size, plaintextHash: result.plaintextHash},
    ...(result.plaintextHash === 'differs' ? {note: `decrypted (HMAC checked)${hashNote}`} : {}),
  }
}

interface Conversation {
  name: string
  type: string | null
  handle: string | null
  members: string[]
}

async function* readSignal(db: SqliteDatabase, input: ParserInput, coverage: SqliteCoverage, signalDir: string): AsyncGenerator<ParsedRecord> {
  for (const table of ['items', 'conversations', 'messages', 'message_attachments']) coverage.table(table)
  let account: string | null = null
  let accountAci: string | null = null
  if (coverage.has('items')) {
    try {
      for (const row of db.prepare("SELECT id, json FROM items WHERE id IN ('number_id', 'uuid_id')").iterate() as Iterable<Record<string, unknown>>) {
        // "+15551230000.1": the number (or ACI) and the device id
        const value = text(jsonObject(row.json).value)?.replace(/\.\d+$/, '') ?? null
        if (row.id === 'number_id') account = value
        else accountAci = value
        coverage.parsed('items', row.id)
      }
      coverage.excludeWhere('items', "the app's settings and keys (only number_id and uuid_id name the account)", "id NOT IN ('number_id', 'uuid_id')")
    } catch (error) {
      yield tableError(input, 'items', error)
    }
  }
  account ??= accountAci ?? input.captures.user ?? null

  const byServiceId = new Map<string, string>()
  const conversations = new Map<string, Conversation>()
  const convCols = tableColumns(db, 'conversations')
  let convRows: Record<string, unknown>[] = []
  try {
    convRows = db.prepare(`SELECT rowid AS _rowid, id, ${pick(convCols, ['json', 'type', 'name', 'profileName', 'profileFullName', 'e164', 'serviceId', 'groupId', 'active_at'])} FROM conversations ORDER BY rowid`).all() as Record<string, unknown>[]
  } catch (error) {
    yield tableError(input, 'conversations', error)
  }
  for (const row of convRows) {
    const serviceId = nonEmpty(row.serviceId)
    const e164 = nonEmpty(row.e164)
    if (serviceId && e164) byServiceId.set(serviceId, e164)
  }
  const handleOf = (serviceId: string | null): string | null => (serviceId === null ? null : (byServiceId.get(serviceId) ?? serviceId))
  if (accountAci && account) byServiceId.set(accountAci, account)
  for (const row of convRows) {
    const id = text(row.id) ?? ''
    const json = jsonObject(row.json)
    const type = nonEmpty(row.type)
    const handle = nonEmpty(row.e164) ?? nonEmpty(row.serviceId)
    const displayName = nonEmpty(row.name) ?? nonEmpty(row.profileFullName) ?? nonEmpty(row.profileName)
    const membersV2 = Array.isArray(json.membersV2) ? (json.membersV2 as Array<Record<string, unknown>>).map((m) => handleOf(text(m?.aci) ?? text(m?.uuid))).filter((m): m is string => m !== null) : []
    const members = type === 'group' ? [...membersV2, ...strings(json.members)] : [...(account ? [account] : []), ...(handle && handle !== account ? [handle] : [])]
    const name = type === 'group' ? (displayName ?? `group ${id}`) : (handle ?? displayName ?? id)
    conversations.set(id, {name, type, handle, members})
    coverage.parsed('conversations', row._rowid)
    const source = input.source({table: 'conversations', rowid: integer(row._rowid) ?? undefined})
    yield chatConversation(source, {
      app: APP,
      account,
      conversation: name,
      title: displayName,
      participants: members,
      conversationId: id,
      conversationType: type,
      serviceId: nonEmpty(row.serviceId),
      groupId: nonEmpty(row.groupId),
      lastActivityAt: safeTime(unixMillisToIso, row.active_at),
    })
    if (type === 'private') yield chatContact(source, {app: APP, account, handle, name: displayName, e164: nonEmpty(row.e164), serviceId: nonEmpty(row.serviceId), profileName: nonEmpty(row.profileName)})
  }

  const collect = collectOnce((path) => input.collectRelated(path))
  const attachmentRows = new Map<string, Record<string, unknown>[]>()
  if (coverage.has('message_attachments')) {
    try {
      const cols = tableColumns(db, 'message_attachments')
      const sql = `SELECT rowid AS _rowid, messageId, ${pick(cols, ['editHistoryIndex', 'attachmentType', 'orderInMessage', 'contentType', 'size', 'path', 'fileName', 'localKey', 'version', 'plaintextHash', 'caption', 'width', 'height'])} FROM message_attachments ORDER BY messageId, editHistoryIndex, attachmentType, orderInMessage`
      for (const row of db.prepare(sql).iterate() as Iterable<Record<string, unknown>>) {
        const id = text(row.messageId) ?? ''
        const list = attachmentRows.get(id) ?? []
        list.push(row)
        attachmentRows.set(id, list)
      }
    } catch (error) {
      yield tableError(input, 'message_attachments', error)
    }
  }
  // an attachment file named by two rows is decrypted (and added to the bundle) once
  const decrypted = new Map<string, Promise<Decrypted>>()
  const decryptOnce = (file: CollectedFile, a: Record<string, unknown>, localKey: string, where: string): Promise<Decrypted> => {
    const key = `${file.bundlePath}\0${localKey}`
    let result = decrypted.get(key)
    if (!result) {
      result = decryptInto(input, file, a, localKey, where)
      decrypted.set(key, result)
    }
    return result
  }
  const attachmentOf = async (a: Record<string, unknown>, where: string): Promise<SignalAttachment> => {
    const stored = nonEmpty(a.path)?.replaceAll('\\', '/') ?? null
    const file = stored ? await collect(`${signalDir}/attachments.noindex/${stored}`) : undefined
    const localKey = nonEmpty(a.localKey)
    const encrypted = localKey !== null
    const decryption = encrypted && file ? await decryptOnce(file, a, localKey, where) : undefined
    return {
      name: nonEmpty(a.fileName) ?? (stored ? (stored.split('/').pop() ?? null) : null),
      path: stored,
      mimeType: nonEmpty(a.contentType),
      size: integer(a.size),
      bundlePath: file?.bundlePath ?? null,
      sha256: file?.sha256 ?? null,
      encrypted,
      ...(decryption ?? (encrypted && stored && !file ? {note: 'stored encrypted under the attachment localKey; the file is not on the volume'} : {})),
      ...(a.attachmentType !== undefined && a.attachmentType !== null ? {attachmentType: text(a.attachmentType)} : {}),
      ...(stored && !file ? {missing: true} : {}),
    }
  }

  const msgCols = tableColumns(db, 'messages')
  const msgSql = `SELECT rowid AS _rowid, id, ${pick(msgCols, ['json', 'conversationId', 'type', 'body', 'sent_at', 'received_at', 'received_at_ms', 'serverTimestamp', 'source', 'sourceServiceId', 'sourceDevice', 'readStatus', 'expireTimer', 'isErased', 'isViewOnce'])} FROM messages ORDER BY rowid`
  try {
    for (const row of db.prepare(msgSql).iterate() as Iterable<Record<string, unknown>>) {
      const id = text(row.id) ?? ''
      const json = jsonObject(row.json)
      const type = nonEmpty(row.type) ?? text(json.type)
      const conv = conversations.get(text(row.conversationId) ?? '')
      const receivedMs = integer(row.received_at_ms) ?? (integer(row.received_at) !== null && (integer(row.received_at) ?? 0) >= MILLIS_FLOOR ? integer(row.received_at) : null)
      const source = input.source({table: 'messages', rowid: integer(row._rowid) ?? undefined})
      coverage.parsed('messages', row._rowid)
      if (type !== 'incoming' && type !== 'outgoing') {
        yield {
          type: 'chat.event',
          source,
          app: APP,
          account,
          conversation: conv?.name ?? null,
          messageId: id,
          eventType: type,
          author: handleOf(nonEmpty(row.sourceServiceId)),
          at: safeTime(unixMillisToIso, row.sent_at),
          body: nonEmpty(row.body),
          details: Object.fromEntries(Object.entries(json).filter(([k]) => !['id', 'type', 'body', 'sent_at', 'conversationId', 'received_at', 'received_at_ms'].includes(k))),
        }
        for (const a of attachmentRows.get(id) ?? []) coverage.parsed('message_attachments', a._rowid)
        continue
      }
      const direction: Direction = type
      const sender = direction === 'outgoing' ? account : (nonEmpty(row.source) ?? handleOf(nonEmpty(row.sourceServiceId)) ?? conv?.handle ?? null)
      const rows = attachmentRows.get(id)
      const attachments: ChatAttachment[] = []
      if (rows) {
        for (const a of rows) {
          attachments.push(await attachmentOf(a, `message_attachments rowid ${String(a._rowid)}`))
          coverage.parsed('message_attachments', a._rowid)
        }
      } else if (Array.isArray(json.attachments)) {
        // before schema 1360 (or not yet moved) the attachments live in the message's json
        for (const [i, a] of (json.attachments as Record<string, unknown>[]).entries()) {
          if (typeof a === 'object' && a !== null) attachments.push(await attachmentOf(a, `messages rowid ${String(row._rowid)} json attachments[${i}]`))
        }
      }
      const quote = typeof json.quote === 'object' && json.quote !== null ? (json.quote as Record<string, unknown>) : null
      yield chatMessage(source, {
        app: APP,
        account,
        conversation: conv?.name ?? null,
        sender,
        recipients: (conv?.members ?? []).filter((m) => m !== sender),
        direction,
        sentAt: safeTime(unixMillisToIso, row.sent_at),
        body: text(row.body) ?? text(json.body),
        attachments,
        messageId: id,
        conversationId: text(row.conversationId),
        receivedAt: safeTime(unixMillisToIso, receivedMs),
        serverReceivedAt: safeTime(unixMillisToIso, row.serverTimestamp),
        senderServiceId: nonEmpty(row.sourceServiceId),
        senderDevice: integer(row.sourceDevice),
        quote: quote ? {sentAt: safeTime(unixMillisToIso, quote.id), author: handleOf(text(quote.authorAci) ?? text(quote.author)), text: text(quote.text)} : null,
        erased: row.isErased === null ? null : integer(row.isErased) === 1,
        viewOnce: row.isViewOnce === null ? null : integer(row.isViewOnce) === 1,
        expireTimer: integer(row.expireTimer),
      })
    }
  } catch (error) {
    yield tableError(input, 'messages', error)
  }
  // an attachment row whose message is gone (the reference is ON DELETE CASCADE, so only in a damaged file)
  for (const [messageId, rows] of attachmentRows) {
    let present = true
    try {
      present = db.prepare('SELECT 1 FROM messages WHERE id = ?').get(messageId) !== undefined
    } catch {
      // a damaged messages table was reported above
    }
    if (!present) coverage.exclude('message_attachments', 'attachment rows of a message not in the messages table', rows.length)
  }
}

/** Signal's database never starts with the SQLite header: its first 16 bytes are the SQLCipher salt. */
function isPlainSqlite(path: string): boolean {
  const head = Buffer.alloc(16)
  const fd = openSync(path, 'r')
  try {
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\0'
  } finally {
    closeSync(fd)
  }
}

export function isSignalDesktopDb(db: SqliteDatabase): boolean {
  return hasTable(db, 'conversations') && hasTable(db, 'messages') && tableColumns(db, 'messages').has('conversationid')
}

export const signalDesktopParser: Parser = {
  id: 'signal-desktop',
  description: 'Signal Desktop db.sqlite (SQLCipher): decrypted with the key of config.json (or, on a live run with --unprotect-keys, its safeStorage key unwrapped by DPAPI); conversations, contacts, messages with quotes and attachments (decrypted); a DPAPI-protected key otherwise reported',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    if (isPlainSqlite(input.copyPath)) throw new ParseError("not a Signal Desktop database: a plain SQLite file (Signal's db.sqlite is SQLCipher-encrypted)", input.sourcePath)
    const signalDir = posix.dirname(posix.dirname(input.sourcePath))
    const config = await input.collectRelated(`${signalDir}/config.json`)
    if (!config) throw new ParseError(`Signal's config.json (which holds the database key) is not in ${signalDir || '/'}: the database was collected, not read`, input.sourcePath)
    const {key: plainKey, encryptedKey} = readConfig(config)
    let key: DatabaseKey
    if (plainKey !== null) key = {key: plainKey, keySource: 'config.json "key" (raw key)'}
    else {
      const localState = await input.collectRelated(`${signalDir}/Local State`)
      if (encryptedKey === null) throw new ParseError('config.json holds neither "key" nor "encryptedKey": the database was collected, not read', config.sourcePath)
      const unwrapped = await safeStorageKey(input, config, localState, encryptedKey, signalDir)
      if ('record' in unwrapped) {
        yield unwrapped.record
        return
      }
      key = unwrapped
    }
    const rawKey = parseRawKey(key.key)
    const dir = mkdtempSync(join(dirname(input.copyPath), 'trawl-signal-'))
    try {
      const plain = join(dir, 'db.sqlite')
      const wal = input.companions.includes('-wal') && existsSync(`${input.copyPath}-wal`) ? `${input.copyPath}-wal` : undefined
      let decryption: SqlcipherDecryption
      try {
        decryption = decryptSqlcipherDatabase({path: input.copyPath, walPath: wal, rawKey, outPath: plain})
      } catch (error) {
        if (error instanceof SqlcipherKeyError) throw new ParseError(`the key ${key.recoveredKeys ? 'unwrapped from config.json "encryptedKey"' : 'in config.json'} does not open this database (${error.message.replace(`${input.copyPath}: `, '')})`, input.sourcePath)
        throw error
      }
      yield* decryptionRecord(input, decryption, key)
      const db = openWorkingCopy(plain)
      try {
        if (!isSignalDesktopDb(db)) throw new ParseError('decrypted, but not a Signal Desktop database: no conversations and messages(conversationId) tables', input.sourcePath)
        const coverage = new SqliteCoverage(db)
        yield* readSignal(db, input, coverage, signalDir)
        reportDatabaseCoverage(input, coverage, 'signal-desktop', `Signal Desktop db.sqlite (${decryption.settings}, decrypted)`)
      } catch (error) {
        throw asParseError(error, input.sourcePath)
      } finally {
        db.close()
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  },
}
