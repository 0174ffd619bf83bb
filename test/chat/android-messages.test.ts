import {expect, it} from 'vitest'
import {androidSmsParser, googleMessagesParser} from '../../src/parsers/chat/android-messages.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'

describeShared('Android mmssms.db (plaso test data, 2013)', () => {
  const file = sharedFile('chat/sms/plaso_mmssms.db')

  it("9 SMS (5 sent, 4 received) as the table holds; plaso's [0]: to 1 555-521-5554 'Yo Fred this is my new number.' 2013-10-29T16:56:28.038", async () => {
    const records = await parseAll(androidSmsParser, parserInputFor(file))
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT (SELECT count(*) FROM sms) + (SELECT count(*) FROM pdu) AS n'))
    expect(messages.length).toBe(9)
    expect(messages.filter((m) => m.direction === 'outgoing').length).toBe(5)
    expect(messages.filter((m) => m.direction === 'incoming').length).toBe(4)
    expect(messages[0]).toMatchObject({
      app: 'SMS/MMS',
      body: 'Yo Fred this is my new number.',
      sentAt: '2013-10-29T16:56:28.038Z',
      recipients: ['1 555-521-5554'],
      direction: 'outgoing',
      box: 'sent',
      source: {table: 'sms', rowid: 1},
    })
    expect(messages[2]).toMatchObject({body: 'What message?', sender: '15555215554', direction: 'incoming', dateSent: '2013-10-29T17:05:40.000Z', sentAt: '2013-10-29T17:05:41.303Z'})
  })
})

describeShared('Google Messages bugle_db with its WAL (Android 10, Hickman)', () => {
  const file = sharedFile('chat/google_messages/dam_a10_bugle_db')

  it('36 messages with the WAL applied (35 in the main file), 14 conversations, 18 participants', async () => {
    const records = await parseAll(googleMessagesParser, parserInputFor(file))
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM messages'))
    expect(messages.length).toBe(36)
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(14)
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(18)
    expect(messages[0]).toMatchObject({
      app: 'Google Messages',
      sender: '+13233205525',
      direction: 'incoming',
      sentAt: '2020-01-29T18:20:43.000Z',
      receivedAt: '2020-01-29T18:20:45.251Z',
      body: '<#> Please enter 304868 into LINE within the next 30 mins.\nJFoQLtyexga',
    })
    expect(messages[2]).toMatchObject({direction: 'outgoing', sender: null})
  })
})
