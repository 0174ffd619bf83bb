import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CoverageAccount, TableCoverage} from '../../src/parsers/coverage.js'
import {coverageWarnings} from '../../src/parsers/coverage.js'
import {ParseError} from '../../src/errors.js'
import {mediaCandidates, whatsAppAndroidParser} from '../../src/parsers/chat/whatsapp-android.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder, sha256Of} from './collect-double.js'
import {sqlCount} from './sql-count.js'
import {changedCopy} from '../helpers/scratch-database.js'

const DUMP = 'Users/ana/Documents/phone-dump/'
const FOLDER = join(REPO_ROOT, 'fixtures/chat/android')

const MIGRATION = join(REPO_ROOT, 'fixtures/chat/android-migration')
const MIGRATION_DB = join(MIGRATION, 'com.whatsapp/databases/msgstore.db')

function androidInput(relative: string, folder = FOLDER, file = join(folder, relative)) {
  const double = collectFromFolder(DUMP, folder)
  const input = parserInputFor(file, {sourcePath: `${DUMP}${relative}`, captures: {user: 'ana', account: '15551230000@s.whatsapp.net'}, collectRelated: double.collectRelated})
  return {input, double}
}

function table(account: CoverageAccount, name: string): TableCoverage {
  const found = account.tables.find((t) => t.table === name)
  if (!found) throw new Error(`no table ${name} in the account`)
  return found
}

/** A scratch copy of the mid-migration msgstore.db with `sql` applied (the fixture itself is never changed). */
function alteredCopy(sql: string): string {
  return changedCopy(MIGRATION_DB, (db) => db.exec(sql))
}

describe('WhatsApp Android msgstore.db, real 2021 schema (fixtures/chat/build.sh)', () => {
  it('current `message` tables: every row once (the legacy copies are not repeated), media collected and hashed', async () => {
    const file = join(FOLDER, 'com.whatsapp/databases/msgstore.db')
    const {input} = androidInput('com.whatsapp/databases/msgstore.db')
    const records = await parseAll(whatsAppAndroidParser, input)
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM message'))
    expect(messages.map((m) => m.source.table)).toEqual(['message', 'message', 'message', 'message'])
    expect(records.filter((r) => r.type === 'chat.call').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM call_log'))
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM chat'))
    expect(messages[0]).toMatchObject({
      app: 'WhatsApp',
      body: 'New table: can you start Monday?',
      sentAt: '2021-06-01T12:00:00.456Z',
      sender: '15557654321@s.whatsapp.net',
      recipients: ['15551230000@s.whatsapp.net'],
      direction: 'incoming',
      conversation: '15557654321@s.whatsapp.net',
    })
    expect(messages[1]).toMatchObject({direction: 'outgoing', sender: '15551230000@s.whatsapp.net', recipients: ['15557654321@s.whatsapp.net'], body: 'Yes'})
    expect(messages[2].attachments).toEqual([
      {
        name: 'IMG-20210601-WA0001.jpg',
        path: 'Media/WhatsApp Images/IMG-20210601-WA0001.jpg',
        mimeType: 'image/jpeg',
        size: 22,
        bundlePath: `files/p1/${DUMP}WhatsApp/Media/WhatsApp Images/IMG-20210601-WA0001.jpg`,
        sha256: sha256Of(join(FOLDER, 'WhatsApp/Media/WhatsApp Images/IMG-20210601-WA0001.jpg')),
      },
    ])
    // a group message: the author is the sender jid, the other members the recipients
    expect(messages[3]).toMatchObject({conversation: '120363000000000001@g.us', sender: '15550009999@s.whatsapp.net', recipients: ['15557654321@s.whatsapp.net']})
    // the legacy copies of N1 and N2 are the same messages: named in alsoIn, counted parsed, nothing unexplained
    expect(messages.filter((m) => m.alsoIn !== undefined).map((m) => m.keyId)).toEqual(['N1', 'N2'])
    expect(coverageWarnings(input.coverage[0])).toEqual([])
    expect((messages[3].attachments as Array<{bundlePath: unknown}>)[0].bundlePath).toBeNull()
    const calls = records.filter((r) => r.type === 'chat.call')
    expect(calls[0]).toMatchObject({direction: 'incoming', startedAt: '2021-06-01T12:05:00.000Z', duration: 125, endedAt: '2021-06-01T12:07:05.000Z', video: false})
    expect(calls[1]).toMatchObject({direction: 'outgoing', startedAt: '2021-06-01T12:06:40.789Z', video: true})
  })

  it('legacy `messages` table only: every row, group author from remote_resource, media name and caption', async () => {
    const file = join(FOLDER, 'legacy/com.whatsapp/databases/msgstore.db')
    const {input} = androidInput('legacy/com.whatsapp/databases/msgstore.db')
    const records = await parseAll(whatsAppAndroidParser, input)
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM messages'))
    expect(messages.length).toBe(4)
    expect(messages[0]).toMatchObject({body: 'Hello from the legacy table', sentAt: '2021-01-01T00:00:00.123Z', direction: 'incoming', source: {table: 'messages', rowid: 1}})
    expect(messages[2]).toMatchObject({conversation: '120363000000000001@g.us', sender: '15550009999@s.whatsapp.net'})
    expect(messages[3]).toMatchObject({body: 'the contract', caption: 'the contract', messageTypeName: 'image'})
    expect(messages[3].attachments).toEqual([{name: 'IMG-20210101-WA0001.jpg', path: null, mimeType: 'image/jpeg', size: 20, bundlePath: null, sha256: null}])
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM chat_list'))
    expect(input.coverage[0].readAs).toBe('WhatsApp Android msgstore.db: legacy and current schemas, messages only in the legacy: both read')
    expect(table(input.coverage[0], 'messages')).toMatchObject({rows: 4, parsed: 4, unexplained: 0})
    expect(coverageWarnings(input.coverage[0])).toEqual([])
  })

  it('wa.db: one contact per wa_contacts row', async () => {
    const file = join(FOLDER, 'com.whatsapp/databases/wa.db')
    const records = await parseAll(whatsAppAndroidParser, androidInput('com.whatsapp/databases/wa.db').input)
    expect(records.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM wa_contacts'))
    expect(records[0]).toMatchObject({type: 'chat.contact', handle: '15557654321@s.whatsapp.net', name: 'Recruiter', profileName: 'Mr. Jobs', number: '+1 555 765 4321', status: 'Hiring now', statusAt: '2020-12-31T23:56:40.000Z'})
    const {input} = androidInput('com.whatsapp/databases/wa.db')
    await parseAll(whatsAppAndroidParser, input)
    expect(input.coverage[0].readAs).toBe('WhatsApp Android wa.db (contacts)')
    expect(table(input.coverage[0], 'wa_contacts')).toMatchObject({rows: 3, parsed: 3, unexplained: 0})
    expect(table(input.coverage[0], 'wa_vnames')).toMatchObject({rows: 0, parsed: 0})
  })

  it('looks for media in the dump root WhatsApp folder first, also for absolute device paths', () => {
    expect(mediaCandidates('d/com.whatsapp/databases/msgstore.db', '/storage/emulated/0/WhatsApp/Media/WhatsApp Images/a.jpg')[0]).toBe('d/WhatsApp/Media/WhatsApp Images/a.jpg')
  })

  it('rejects a database of another app with a ParseError', async () => {
    await expect(parseAll(whatsAppAndroidParser, parserInputFor(join(REPO_ROOT, 'fixtures/chat/viber/viber.db')))).rejects.toThrow(ParseError)
  })
})

describe('WhatsApp Android msgstore.db in mid-migration (fixtures/chat/build-whatsapp-migration.sh, real 2021 schema)', () => {
  it('5 legacy + 2 current messages, one in both: 6 messages, each row once, the shared one naming both rows', async () => {
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION)
    const records = await parseAll(whatsAppAndroidParser, input)
    const messages = records.filter((r) => r.type === 'chat.message')
    // the oracle: rows by direct SQL, minus the two placeholder rows, minus the one message in both tables
    const legacyRows = sqlCount(MIGRATION_DB, "SELECT count(*) AS n FROM messages WHERE key_remote_jid <> '-1'")
    const currentRows = sqlCount(MIGRATION_DB, 'SELECT count(*) AS n FROM message WHERE chat_row_id <> -1')
    const inBoth = sqlCount(MIGRATION_DB, 'SELECT count(*) AS n FROM message m JOIN chat c ON c._id = m.chat_row_id JOIN jid j ON j._id = c.jid_row_id JOIN messages l ON l.key_id = m.key_id AND l.key_from_me = m.from_me AND l.key_remote_jid = j.raw_string')
    expect([legacyRows, currentRows, inBoth]).toEqual([5, 2, 1])
    expect(messages.length).toBe(legacyRows + currentRows - inBoth)
    expect(messages.map((m) => `${m.source.table}:${m.source.rowid}`)).toEqual(['message:6', 'message:7', 'messages:2', 'messages:3', 'messages:4', 'messages:5'])
    expect(new Set(messages.map((m) => m.keyId)).size).toBe(6)
    expect(messages.map((m) => m.schema)).toEqual(['current', 'current', 'legacy', 'legacy', 'legacy', 'legacy'])
    // the message in both tables: one record, naming the legacy row too, with nothing differing
    expect(messages[0]).toMatchObject({keyId: 'B6', body: 'Both tables: pick-up at 6', sentAt: '2021-06-01T12:00:00.250Z', alsoIn: {table: 'messages', rowid: 6}})
    expect(messages[0].alsoIn).not.toHaveProperty('differs')
    expect(messages.filter((m) => m.alsoIn !== undefined).length).toBe(inBoth)
    // conversations: chat and chat_list rows of the same JID are one conversation
    const conversations = records.filter((r) => r.type === 'chat.conversation')
    expect(conversations.map((c) => `${c.source.table}:${c.source.rowid}:${(c.alsoIn as {rowid?: number} | undefined)?.rowid ?? '-'}`)).toEqual(['chat:1:1', 'chat:2:2', 'chat_list:3:-'])
    expect(records.filter((r) => r.type === 'chat.call').length).toBe(sqlCount(MIGRATION_DB, 'SELECT count(*) AS n FROM call_log'))
  })

  it('media of both schemas: message_media rows of a legacy-only and a current-only message, collected and hashed', async () => {
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    const byKey = new Map(messages.map((m) => [m.keyId, m]))
    expect(byKey.get('N7')?.attachments).toEqual([
      {
        name: 'IMG-20210601-WA0009.jpg',
        path: 'Media/WhatsApp Images/Sent/IMG-20210601-WA0009.jpg',
        mimeType: 'image/jpeg',
        size: 20,
        bundlePath: `files/p1/${DUMP}WhatsApp/Media/WhatsApp Images/Sent/IMG-20210601-WA0009.jpg`,
        sha256: sha256Of(join(MIGRATION, 'WhatsApp/Media/WhatsApp Images/Sent/IMG-20210601-WA0009.jpg')),
      },
    ])
    // legacy message _id 4: the path from message_media (keyed by the same _id), the name and caption from the legacy columns
    expect(byKey.get('L4')).toMatchObject({schema: 'legacy', caption: 'passport photo', sender: '15550009999@s.whatsapp.net', thumbnail: {bytes: 10, table: 'message_thumbnails'}})
    expect(byKey.get('L4')?.attachments).toEqual([
      {
        name: 'IMG-20210101-WA0007.jpg',
        path: 'Media/WhatsApp Images/IMG-20210101-WA0007.jpg',
        mimeType: 'image/jpeg',
        size: 23,
        bundlePath: `files/p1/${DUMP}WhatsApp/Media/WhatsApp Images/IMG-20210101-WA0007.jpg`,
        sha256: sha256Of(join(MIGRATION, 'WhatsApp/Media/WhatsApp Images/IMG-20210101-WA0007.jpg')),
      },
    ])
  })

  it('receipts and quotes of both schemas are fields of the message they belong to, each naming its table and row', async () => {
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    const byKey = new Map(messages.map((m) => [m.keyId, m]))
    expect(byKey.get('N7')?.receipts).toEqual([
      {recipient: '15557654321@s.whatsapp.net', deliveredAt: '2021-06-01T12:01:05.000Z', readAt: '2021-06-01T12:01:40.000Z', playedAt: null, table: 'receipt_user', rowid: 1},
      {device: '15557654321:1@s.whatsapp.net', deliveredAt: '2021-06-01T12:01:06.000Z', table: 'receipt_device', rowid: 1},
    ])
    expect(byKey.get('L5')?.receipts).toEqual([{recipient: '15550009999@s.whatsapp.net', deliveredAt: '2021-01-01T00:03:10.000Z', readAt: '2021-01-01T00:03:20.000Z', playedAt: null, table: 'receipts', rowid: 1}])
    // the one-to-one read time the legacy row keeps itself
    expect(byKey.get('L3')).toMatchObject({readAt: '2021-01-01T00:01:40.000Z', direction: 'outgoing'})
    expect(byKey.get('N7')?.quoted).toMatchObject({keyId: 'B6', body: 'Both tables: pick-up at 6', sender: '15557654321@s.whatsapp.net', table: 'message_quoted'})
    expect(byKey.get('L5')?.quoted).toMatchObject({keyId: 'L4', body: 'passport photo', sender: '15550009999@s.whatsapp.net', table: 'messages_quotes', rowid: 1})
  })

  it('coverage account: every known table\'s rows = parsed + stated exclusions, counts equal count(*), nothing unexplained', async () => {
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION)
    await parseAll(whatsAppAndroidParser, input)
    expect(input.coverage.length).toBe(1)
    const account = input.coverage[0]
    expect(account).toMatchObject({parser: 'whatsapp-android', store: 'sqlite', sourcePath: `${DUMP}com.whatsapp/databases/msgstore.db`})
    expect(account.readAs).toBe('WhatsApp Android msgstore.db: legacy and current schemas both hold messages (mid-migration): both read')
    expect(table(account, 'messages')).toMatchObject({rows: 6, parsed: 5, excluded: [{reason: expect.stringContaining('placeholder'), rows: 1}], unexplained: 0})
    expect(table(account, 'message')).toMatchObject({rows: 3, parsed: 2, excluded: [{reason: expect.stringContaining('placeholder'), rows: 1}], unexplained: 0})
    for (const [name, parsed] of [['message_media', 2], ['receipts', 1], ['receipt_user', 1], ['receipt_device', 1], ['message_quoted', 1], ['messages_quotes', 1], ['chat', 2], ['chat_list', 3], ['call_log', 1]] as const) {
      expect(table(account, name), name).toMatchObject({parsed, unexplained: 0, excluded: []})
    }
    expect(table(account, 'message_thumbnails')).toMatchObject({rows: 2, parsed: 1, excluded: [{reason: expect.stringContaining('no longer in messages or message'), rows: 1}]})
    expect(table(account, 'receipt_orphaned')).toMatchObject({rows: 1, parsed: 0, excluded: [{rows: 1}]})
    expect(table(account, 'group_participants')).toMatchObject({rows: 3, parsed: 2, excluded: [{reason: expect.stringContaining("phone's own"), rows: 1}]})
    expect(table(account, 'jid')).toMatchObject({rows: 5, parsed: 4, excluded: [{rows: 1}]})
    for (const t of account.tables) {
      if (t.rows === null) continue
      // every table of the database is listed, counted as sqlite3 counts it
      expect(t.rows, t.table).toBe(sqlCount(MIGRATION_DB, `SELECT count(*) AS n FROM "${t.table}"`))
      if (t.known) expect(t.parsed + t.excluded.reduce((a, e) => a + e.rows, 0), t.table).toBe(t.rows)
    }
    const everyTable = sqlCount(MIGRATION_DB, "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
    expect(account.tables.filter((t) => !t.absent).length).toBe(everyTable)
    expect(coverageWarnings(account)).toEqual([])
  })

  it('a message in both tables whose legacy copy differs: still one record (same chat, from_me, key_id), the legacy text kept in alsoIn.differs', async () => {
    const copy = alteredCopy("UPDATE messages SET data = 'Both tables: pick-up at 7' WHERE _id = 6")
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION, copy)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(6)
    expect(messages[0]).toMatchObject({body: 'Both tables: pick-up at 6', alsoIn: {table: 'messages', rowid: 6, differs: {body: 'Both tables: pick-up at 7'}}})
  })

  it('the same key_id in another chat is not the same message: both rows become records', async () => {
    const copy = alteredCopy("UPDATE messages SET key_remote_jid = '120363000000000001@g.us' WHERE _id = 6")
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION, copy)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(7)
    expect(messages.filter((m) => m.keyId === 'B6').map((m) => `${m.source.table}:${m.source.rowid}:${m.conversation}`)).toEqual(['message:6:15557654321@s.whatsapp.net', 'messages:6:120363000000000001@g.us'])
    expect(messages.some((m) => m.alsoIn !== undefined)).toBe(false)
    const account = input.coverage[0]
    expect(table(account, 'messages')).toMatchObject({parsed: 5, unexplained: 0})
  })

  it('a renamed media table: the account lists it as not read with its rows, looking like message_media, and the image whose media is not found is counted', async () => {
    const copy = alteredCopy('ALTER TABLE message_media RENAME TO message_media_v2')
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION, copy)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(6)
    const account = input.coverage[0]
    expect(table(account, 'message_media')).toMatchObject({known: true, absent: true, rows: 0})
    expect(table(account, 'message_media_v2')).toMatchObject({known: false, rows: 2, looksLike: 'message_media'})
    // the current image has no media left; the legacy one still has its legacy media_* columns
    expect(table(account, 'message').unresolved).toEqual([{reason: expect.stringContaining('media row was not found'), rows: 1}])
    expect(table(account, 'messages').unresolved).toBeUndefined()
    const warnings = coverageWarnings(account)
    expect(warnings).toHaveLength(2)
    expect(warnings.join('\n')).toContain('message_media_v2 (2 rows) was not read: it looks like a renamed or newer version of message_media (absent from this database)')
  })

  it('a renamed message table: legacy messages still read, and the side rows of the unread messages are unexplained, not silently dropped', async () => {
    const copy = alteredCopy('ALTER TABLE message RENAME TO message_v2')
    const {input} = androidInput('com.whatsapp/databases/msgstore.db', MIGRATION, copy)
    const messages = (await parseAll(whatsAppAndroidParser, input)).filter((r) => r.type === 'chat.message')
    expect(messages.map((m) => m.source.table)).toEqual(['messages', 'messages', 'messages', 'messages', 'messages'])
    const account = input.coverage[0]
    expect(table(account, 'message_v2')).toMatchObject({known: false, rows: 3, looksLike: 'message'})
    // message 7's media, receipts and quote have no message to belong to
    expect(table(account, 'message_media')).toMatchObject({rows: 2, parsed: 1, unexplained: 1})
    expect(table(account, 'receipt_user')).toMatchObject({rows: 1, parsed: 0, unexplained: 1})
    expect(coverageWarnings(account).length).toBeGreaterThanOrEqual(4)
  })
})
