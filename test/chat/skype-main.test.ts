import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {skypeMainParser} from '../../src/parsers/chat/skype-main.js'
import {decodeSkypeBody} from '../../src/parsers/chat/skype-markup.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'

describe('Skype body_xml markup', () => {
  it('decodes entities, emoticons, links and quotes to the text the user saw', () => {
    expect(decodeSkypeBody('I&apos;m here &amp; &lt;there&gt; &#39;x&#x27;').text).toBe("I'm here & <there> 'x'")
    expect(decodeSkypeBody('hi <ss type="smile">:)</ss>').text).toBe('hi :)')
    expect(decodeSkypeBody('<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>').text).toBe('https://example.com/a?b=1&c=2')
    expect(
      decodeSkypeBody('<quote author="bob" timestamp="1"><legacyquote>[01.01.2013 10:00:00] Bob: </legacyquote>old text<legacyquote>\n\n&lt;&lt;&lt; </legacyquote></quote>new').text,
    ).toBe('[01.01.2013 10:00:00] Bob: old text\n\n<<< new')
    const file = decodeSkypeBody('<URIObject type="Picture.1" uri="https://api.asm.skype.com/v1/objects/0-x"><Title/>To view this shared photo, go to: <a href="https://login.skype.com/x">https://login.skype.com/x</a><OriginalName v="beach.jpg"/><meta type="photo" originalName="beach.jpg"/></URIObject>')
    expect(file.text).toBe('To view this shared photo, go to: https://login.skype.com/x')
    expect(file.files).toEqual(['beach.jpg'])
    expect(decodeSkypeBody('<sms alt="call me"><type>2</type><body><chunk id="0">call me</chunk></body></sms>').text).toBe('call me')
  })

  it('never throws on malformed markup', () => {
    expect(decodeSkypeBody('<b>unclosed &amp; <i').text).toBe('unclosed & <i')
    expect(decodeSkypeBody('&#99999999; &bogus;').text).toBe('&#99999999; &bogus;')
  })
})

describeShared('Skype classic main.db (plaso test data, 2013)', () => {
  const file = sharedFile('chat/skype/plaso_skype_main.db')

  it('yields as many messages, contacts, calls, conversations and transfers as the tables hold', async () => {
    const records = await parseAll(skypeMainParser, parserInputFor(file))
    const count = (type: string) => records.filter((r) => r.type === type).length
    expect(count('chat.message')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Messages'))
    expect(count('chat.message')).toBe(15)
    expect(count('chat.contact')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Contacts'))
    expect(count('chat.call')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Calls'))
    // every Conversations row, plus the Chats rows (older schema) whose conversation has no Conversations row
    expect(count('chat.conversation')).toBe(
      sqlCount(file, 'SELECT count(*) AS n FROM Conversations') +
        sqlCount(file, 'SELECT count(*) AS n FROM Chats WHERE conv_dbid IS NULL OR conv_dbid NOT IN (SELECT id FROM Conversations)'),
    )
    expect(count('chat.transfer')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Transfers'))
  })

  it('reads both chat schemas: the conference with Echo123 exists only in the older Chats table, and becomes a conversation', async () => {
    const input = parserInputFor(file)
    const records = await parseAll(skypeMainParser, input)
    const conversations = records.filter((r) => r.type === 'chat.conversation')
    expect(conversations.map((c) => [c.source.table, c.source.rowid, c.conversation])).toEqual([
      ['Conversations', 28, 'echo123'],
      ['Conversations', 33, 'european.bbq.competitor'],
      ['Chats', 52, '#european.bbq.competitor/$gen.beringer;b1a38279a3452341'],
    ])
    expect(conversations[2]).toMatchObject({
      title: 'European Competitor, Echo123',
      participants: ['european.bbq.competitor', 'gen.beringer', 'echo123'],
      kind: 'conference',
      createdAt: '2013-10-27T15:29:19Z',
    })
    // the other four Chats rows are the same conversation as Conversations 33, listed there
    expect((conversations[1].legacyChats as Array<{rowid: number}>).map((c) => c.rowid)).toEqual([36, 40, 44, 48])
    // its message (convo_id 34, no Conversations row) is still named by its chat
    const last = records.find((r) => r.type === 'chat.message' && r.source.rowid === 62)
    expect(last?.conversation).toBe('#european.bbq.competitor/$gen.beringer;b1a38279a3452341')
    const tables = Object.fromEntries(input.coverage[0].tables.map((t) => [t.table, t]))
    expect([tables.Chats.parsed, tables.Chats.rows, tables.ChatMembers.parsed, tables.ChatMembers.rows]).toEqual([5, 5, 6, 6])
  })

  it("reproduces plaso's samples: the 21:27:11 chat, the SMS, the transfer and the call", async () => {
    const records = await parseAll(skypeMainParser, parserInputFor(file, {bundlePath: 'files/p1/main.db'}))
    const messages = records.filter((r) => r.type === 'chat.message')
    const chat = messages.find((m) => m.body === 'need to know if you got it this time.')
    expect(chat).toMatchObject({
      app: 'Skype',
      account: 'gen.beringer',
      sender: 'gen.beringer',
      senderName: 'Gen Beringer',
      recipients: ['european.bbq.competitor'],
      direction: 'outgoing',
      sentAt: '2013-07-30T21:27:11Z',
      conversation: 'european.bbq.competitor',
      source: {file: 'files/p1/main.db', table: 'Messages', rowid: 43},
    })
    const entity = messages.find((m) => m.source.rowid === 47)
    expect(entity?.body).toBe("Hi European Competitor, I'd like to add you as a contact. Gen Beringer")
    expect(entity?.bodyRaw).toBe('Hi European Competitor, I&apos;d like to add you as a contact. Gen Beringer')
    const incoming = messages.find((m) => m.source.rowid === 58)
    expect(incoming).toMatchObject({sender: 'european.bbq.competitor', direction: 'incoming', recipients: ['gen.beringer'], body: 'fer christ sake, it was an accident!'})

    const sms = messages.find((m) => m.source.rowid === 61)
    expect(sms?.body).toBe('f you want I can copy some documents for you, if you can pay it... ;)')
    expect(sms?.sms).toMatchObject({sentAt: '2013-07-01T22:14:22Z', targets: '+34123456789'})

    const transfers = records.filter((r) => r.type === 'chat.transfer')
    expect(transfers[0]).toMatchObject({fileName: 'secret-project.pdf', fileSize: 69986, startedAt: '2013-10-24T21:49:32Z', filePath: '/Users/gberinger/Desktop/secret-project.pdf', direction: 'outgoing'})
    expect(transfers[1]).toMatchObject({status: 'completed', bytesTransferred: 69986})

    const [call] = records.filter((r) => r.type === 'chat.call')
    expect(call).toMatchObject({startedAt: '2013-07-01T22:12:17Z', endedAt: '2013-07-01T22:23:03Z', duration: 646, participants: ['gen.beringer', 'european.bbq.competitor'], direction: 'outgoing'})

    // plaso [15]: account email genberinger@gmail.com country us
    expect(records.filter((r) => r.type === 'chat.account')).toEqual([
      expect.objectContaining({account: 'gen.beringer', name: 'Gen Beringer', emails: 'genberinger@gmail.com', country: 'us', source: expect.objectContaining({table: 'Accounts', rowid: 1})}),
    ])
    const contact = records.find((r) => r.type === 'chat.contact' && r.handle === 'european.bbq.competitor')
    expect(contact).toMatchObject({name: 'European Competitor', country: 'us', lastOnlineAt: '2013-07-30T21:27:47Z'})
    const conversation = records.find((r) => r.type === 'chat.conversation' && r.conversation === 'european.bbq.competitor')
    expect(conversation?.participants).toEqual(['european.bbq.competitor', 'gen.beringer'])
  })
})

describe('Skype classic main.db with edits, a deletion and markup (fixtures/chat/build.sh)', () => {
  const file = join(REPO_ROOT, 'fixtures/chat/skype/ana.skype/main.db')

  it('decodes markup, keeps the raw body, flags the edit and the deletion, names the shared photo', async () => {
    const records = await parseAll(skypeMainParser, parserInputFor(file))
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Messages'))
    expect(messages[0]).toMatchObject({
      body: 'Good salary :) & free flat, see http://jobs.example/offer?a=1&b=2',
      bodyRaw: 'Good salary <ss type="smile">:)</ss> &amp; free flat, see <a href="http://jobs.example/offer?a=1&amp;b=2">http://jobs.example/offer?a=1&amp;b=2</a>',
      account: 'ana.skype',
      direction: 'incoming',
      recipients: ['ana.skype'],
      sentAt: '2020-09-13T12:26:40Z',
      deleted: false,
      editedAt: null,
    })
    expect(messages[1]).toMatchObject({body: 'How much exactly?', direction: 'outgoing', sentAt: '2020-09-13T12:27:40.789Z', editedBy: 'ana.skype', editedAt: '2020-09-13T12:28:10Z', deleted: false})
    expect(messages[2]).toMatchObject({body: '', editedBy: 'recruiter.jobs', editedAt: '2020-09-13T12:31:40Z', deleted: true})
    expect(messages[3].body).toBe('[13.09.2020 12:26:40] Jobs Abroad Ltd: Good salary\n\n<<< ok, send the contract')
    expect(messages[4]).toMatchObject({messageTypeName: 'picture sharing', attachments: [{name: 'passport.jpg', path: null, bundlePath: null, sha256: null}]})
    expect(String(messages[4].body)).toMatch(/^To view this shared photo, go to: https:\/\/login\.skype\.com/)
    const [call] = records.filter((r) => r.type === 'chat.call')
    expect(call).toMatchObject({direction: 'incoming', startedAt: '2020-09-13T12:33:20Z', duration: 95, participants: ['ana.skype', 'recruiter.jobs'], conversation: 'recruiter.jobs'})
    const [transfer] = records.filter((r) => r.type === 'chat.transfer')
    expect(transfer).toMatchObject({direction: 'incoming', fileName: 'contract.pdf', fileSize: 48213, status: 'completed', conversation: 'recruiter.jobs', finishedAt: '2020-09-13T12:35:02Z'})
  })
})

describe('Skype markup decoder on arbitrary input', () => {
  it('never throws, and leaves plain text without markup unchanged', async () => {
    const fc = (await import('fast-check')).default
    fc.assert(fc.property(fc.string(), (s) => {
      decodeSkypeBody(s)
    }), {numRuns: 2000})
    fc.assert(fc.property(fc.string().filter((s) => !/[<&]/.test(s)), (s) => decodeSkypeBody(s).text === s), {numRuns: 2000})
  })
})
