import {describe, expect, it} from 'vitest'
import {messagesDbParser, textFromAttributedBody} from '../../src/parsers/chat/imessage.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'

describe('attributedBody (typedstream) text', () => {
  it('reads the NSString after its one-byte and 0x81 two-byte lengths, and rejects a short blob', () => {
    const short = Buffer.concat([Buffer.from('\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x08NSString\x01\x94\x84\x01+', 'latin1'), Buffer.from([5]), Buffer.from('hello'), Buffer.from([0x86])])
    expect(textFromAttributedBody(short)).toBe('hello')
    const body = 'x'.repeat(300)
    const long = Buffer.concat([Buffer.from('NSString\x01\x94\x84\x01+', 'latin1'), Buffer.from([0x81, 300 & 0xff, 300 >> 8]), Buffer.from(body)])
    expect(textFromAttributedBody(long)).toBe(body)
    expect(textFromAttributedBody(Buffer.concat([Buffer.from('NSString\x01\x94\x84\x01+', 'latin1'), Buffer.from([50]), Buffer.from('abc')]))).toBeNull()
    expect(textFromAttributedBody(Buffer.from('nothing here'))).toBeNull()
  })
})

describeShared('iOS 14.1 sms.db with its WAL (Hickman test phone)', () => {
  const file = sharedFile('chat/imessage/dam_ios14.1_sms.db')

  it('yields every message of the WAL-applied database (106, not the 104 of the main file), every handle and chat', async () => {
    const input = parserInputFor(file)
    expect(input.companions).toContain('-wal')
    const records = await parseAll(messagesDbParser, input)
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM message'))
    expect(messages.length).toBe(106)
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM handle'))
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM chat'))
    expect(messages.filter((m) => (m.attachments as unknown[]).length > 0).length).toBe(sqlCount(file, 'SELECT count(DISTINCT message_id) AS n FROM message_attachment_join'))
  })

  it('first text: 2020-03-22 01:10:59 "G-773293 is your Google verification code." at nanosecond precision', async () => {
    const records = await parseAll(messagesDbParser, parserInputFor(file, {bundlePath: 'files/p1/sms.db'}))
    const messages = records.filter((r) => r.type === 'chat.message').sort((a, b) => String(a.sentAt).localeCompare(String(b.sentAt)))
    // INDEX.md quotes the first line; the SMS carries an app-hash line after it
    expect(String(messages[0].body).split('\n')[0]).toBe('G-773293 is your Google verification code.')
    expect(messages[0]).toMatchObject({
      app: 'Messages',
      body: 'G-773293 is your Google verification code.\n~FB9YQAAFDQFBWwg',
      sentAt: '2020-03-22T01:10:59.367563904Z',
      sender: '22000',
      recipients: ['+19195794674'],
      direction: 'incoming',
      service: 'SMS',
      source: {file: 'files/p1/sms.db', table: 'message', rowid: 77},
    })
    const pdf = messages.find((m) => (m.attachments as Array<{name: string}>).some((a) => a.name === 'iOS_Bug_Reporting_for_Forensic_Purposes_1.2.pdf'))
    expect((pdf?.attachments as unknown[])[0]).toMatchObject({
      path: '~/Library/SMS/Attachments/cc/12/at_0_6A995D6E-14E2-4620-8826-8F4EE2926FE5/iOS_Bug_Reporting_for_Forensic_Purposes_1.2.pdf',
      mimeType: 'application/pdf',
      size: 7073725,
      bundlePath: null,
      sha256: null,
    })
  })
})

describeShared('macOS Messages chat.db (plaso test data, 2015)', () => {
  const file = sharedFile('chat/imessage/plaso_imessage_chat.db')

  it("10 messages; plaso's [7]: xxxxxx2015@icloud.com 'Did you try to send me a message?' 2015-11-30T10:48:40", async () => {
    const records = await parseAll(messagesDbParser, parserInputFor(file))
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM message'))
    expect(messages.length).toBe(10)
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(7)
    const m = messages.find((r) => r.body === 'Did you try to send me a message?')
    expect(m).toMatchObject({sentAt: '2015-11-30T10:48:40Z', service: 'iMessage', read: true})
    expect([m?.sender, ...(m?.recipients as string[])]).toContain('xxxxxx2015@icloud.com')
  })
})

describeShared('Apple Messages coverage: rows no message refers to still become records', () => {
  it('iOS 14.1 sms.db: the 3 attachments no message refers to become chat.attachment records, first IMG_0028.JPG; every row of the 7 tables is accounted for', async () => {
    const file = sharedFile('chat/imessage/dam_ios14.1_sms.db')
    const input = parserInputFor(file)
    const records = await parseAll(messagesDbParser, input)
    const orphans = records.filter((r) => r.type === 'chat.attachment')
    expect(orphans.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM attachment a WHERE NOT EXISTS (SELECT 1 FROM message_attachment_join j JOIN message m ON m.ROWID = j.message_id WHERE j.attachment_id = a.ROWID)'))
    expect(orphans.map((o) => (o.attachment as {name: string}).name)).toEqual(['IMG_0028.JPG', 'IMG_0018.JPG', 'IMG_0025.JPG'])
    expect(orphans[0]).toMatchObject({
      source: {table: 'attachment', rowid: 9},
      guid: '53E28E85-7CD1-49C9-BF21-B982034A17EB',
      attachment: {path: '/var/tmp/com.apple.messages/com.apple.MobileSMS/Media/B8A8DB07-2D69-4768-8F4B-500C1136195D/IMG_0028.JPG', mimeType: 'image/jpeg', size: 266636},
      // created_date 635106619 s after 2001-01-01
      createdAt: '2021-02-15T18:30:19Z',
    })
    for (const table of input.coverage[0].tables.filter((t) => t.known && !t.absent)) expect([table.table, table.unexplained, table.parsed]).toEqual([table.table, 0, table.rows])
  })

  it('macOS chat.db: the 226 deleted_messages rows become chat.deleted_message records; the 226 chat_message_join rows of deleted messages are excluded as such', async () => {
    const file = sharedFile('chat/imessage/plaso_imessage_chat.db')
    const input = parserInputFor(file)
    const records = await parseAll(messagesDbParser, input)
    const deleted = records.filter((r) => r.type === 'chat.deleted_message')
    expect(deleted).toHaveLength(sqlCount(file, 'SELECT count(*) AS n FROM deleted_messages'))
    expect(deleted[0]).toMatchObject({guid: 'A0B425E8-7FEC-415C-B440-3E5CE3A6BED1', source: {table: 'deleted_messages', rowid: 1}})
    const join = input.coverage[0].tables.find((t) => t.table === 'chat_message_join')
    expect(join).toMatchObject({rows: 236, parsed: 10, excluded: [{reason: 'rows of messages no longer in message (deleted)', rows: 226}], unexplained: 0})
  })
})
