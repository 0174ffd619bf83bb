import Database from 'better-sqlite3'
import {copyFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {skypeMainParser} from '../../src/parsers/chat/skype-main.js'
import {decodeSkypeBody} from '../../src/parsers/chat/skype-markup.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

function sqlCount(file: string, sql: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-sql-'))
  const copy = join(dir, 'copy.db')
  copyFileSync(file, copy)
  const db = new Database(copy, {readonly: true})
  try {
    return (db.prepare(sql).get() as {n: number}).n
  } finally {
    db.close()
  }
}

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
    expect(count('chat.conversation')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Conversations'))
    expect(count('chat.transfer')).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Transfers'))
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

    const contact = records.find((r) => r.type === 'chat.contact' && r.handle === 'european.bbq.competitor')
    expect(contact).toMatchObject({name: 'European Competitor', country: 'us', lastOnlineAt: '2013-07-30T21:27:47Z'})
    const conversation = records.find((r) => r.type === 'chat.conversation' && r.conversation === 'european.bbq.competitor')
    expect(conversation?.participants).toEqual(['european.bbq.competitor', 'gen.beringer'])
  })
})
