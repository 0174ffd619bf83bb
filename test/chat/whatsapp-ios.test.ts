import {expect, it} from 'vitest'
import {whatsAppChatStorageParser} from '../../src/parsers/chat/whatsapp-ios.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'

describeShared('WhatsApp iOS 15 ChatStorage.sqlite (Hickman, via iLEAPP)', () => {
  const file = sharedFile('chat/whatsapp/ileapp_ios15_ChatStorage.sqlite')

  it('yields the 32 ZWAMESSAGE rows, 5 chat sessions and the push-name contacts', async () => {
    const records = await parseAll(whatsAppChatStorageParser, parserInputFor(file))
    expect(records.filter((r) => r.type === 'chat.message').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM ZWAMESSAGE'))
    expect(records.filter((r) => r.type === 'chat.message').length).toBe(32)
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM ZWACHATSESSION'))
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM ZWAPROFILEPUSHNAME'))
  })

  it('reads the outgoing "I’m here!" to This Is DFIR Two with its fractional Cocoa time, and the media paths', async () => {
    const records = await parseAll(whatsAppChatStorageParser, parserInputFor(file))
    const here = records.find((r) => r.type === 'chat.message' && r.source.rowid === 12)
    expect(here).toMatchObject({
      app: 'WhatsApp',
      body: 'I’m here!',
      direction: 'outgoing',
      sender: '19195794674@s.whatsapp.net',
      recipients: ['19198887386@s.whatsapp.net'],
      conversation: '19198887386@s.whatsapp.net',
      sentAt: '2023-05-02T15:56:47.221498Z',
    })
    const photo = records.find((r) => r.type === 'chat.message' && r.source.rowid === 21)
    expect(photo?.attachments).toEqual([{name: 'd041d159-fd7d-4abb-9192-0e97c10ddb00.jpg', path: 'Media/19198887386@s.whatsapp.net/d/0/d041d159-fd7d-4abb-9192-0e97c10ddb00.jpg', size: 42073, bundlePath: null, sha256: null}])
    const group = records.find((r) => r.type === 'chat.conversation' && r.conversation === '120363023356659014@g.us')
    expect(group).toMatchObject({title: 'Our Test Group', group: true, participants: ['205690463334636@lid', '19195794674@s.whatsapp.net']})
  })
})

describeShared('WhatsApp iOS coverage', () => {
  const file = sharedFile('chat/whatsapp/ileapp_ios15_ChatStorage.sqlite')

  it('ZWAGROUPINFO becomes each group conversation’s groupInfo: Med Report 2 made by 19195794674 on 2022-07-13', async () => {
    const input = parserInputFor(file)
    const records = await parseAll(whatsAppChatStorageParser, input)
    const group = records.find((r) => r.type === 'chat.conversation' && r.title === 'Med Report 2')
    expect(group?.groupInfo).toEqual({
      // ZCREATIONDATE 679432245 s after 2001-01-01
      createdAt: '2022-07-13T19:10:45Z',
      creator: '19195794674@s.whatsapp.net',
      owner: null,
      subjectSetAt: '2022-07-13T19:10:45Z',
      subjectSetBy: '19195794674@s.whatsapp.net',
      table: 'ZWAGROUPINFO',
      rowid: 4,
    })
    const tables = Object.fromEntries(input.coverage[0].tables.map((t) => [t.table, t]))
    expect([tables.ZWAGROUPINFO.parsed, tables.ZWAGROUPINFO.rows]).toEqual([4, sqlCount(file, 'SELECT count(*) AS n FROM ZWAGROUPINFO')])
    // receipts and profile pictures are listed as not read, with their row counts
    expect([tables.ZWAMESSAGEINFO.known, tables.ZWAMESSAGEINFO.rows, tables.ZWAPROFILEPICTUREITEM.rows]).toEqual([false, 21, 16])
  })
})
