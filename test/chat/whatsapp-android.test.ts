import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {mediaCandidates, whatsAppAndroidParser} from '../../src/parsers/chat/whatsapp-android.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder, sha256Of} from './collect-double.js'
import {sqlCount} from './sql-count.js'

const DUMP = 'Users/ana/Documents/phone-dump/'
const FOLDER = join(REPO_ROOT, 'fixtures/chat/android')

function androidInput(relative: string) {
  const double = collectFromFolder(DUMP, FOLDER)
  const input = parserInputFor(join(FOLDER, relative), {sourcePath: `${DUMP}${relative}`, captures: {user: 'ana', account: '15551230000@s.whatsapp.net'}, collectRelated: double.collectRelated})
  return {input, double}
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
  })

  it('wa.db: one contact per wa_contacts row', async () => {
    const file = join(FOLDER, 'com.whatsapp/databases/wa.db')
    const records = await parseAll(whatsAppAndroidParser, androidInput('com.whatsapp/databases/wa.db').input)
    expect(records.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM wa_contacts'))
    expect(records[0]).toMatchObject({type: 'chat.contact', handle: '15557654321@s.whatsapp.net', name: 'Recruiter', profileName: 'Mr. Jobs', number: '+1 555 765 4321', status: 'Hiring now', statusAt: '2020-12-31T23:56:40.000Z'})
  })

  it('looks for media in the dump root WhatsApp folder first, also for absolute device paths', () => {
    expect(mediaCandidates('d/com.whatsapp/databases/msgstore.db', '/storage/emulated/0/WhatsApp/Media/WhatsApp Images/a.jpg')[0]).toBe('d/WhatsApp/Media/WhatsApp Images/a.jpg')
  })

  it('rejects a database of another app with a ParseError', async () => {
    await expect(parseAll(whatsAppAndroidParser, parserInputFor(join(REPO_ROOT, 'fixtures/chat/viber/viber.db')))).rejects.toThrow(ParseError)
  })
})
