import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {viberAndroidParser, viberDesktopParser} from '../../src/parsers/chat/viber.js'
import {coverageWarnings} from '../../src/parsers/coverage.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'
import {changedCopy} from '../helpers/scratch-database.js'

describe('Viber Desktop viber.db (fixtures/chat/build.sh)', () => {
  const file = join(REPO_ROOT, 'fixtures/chat/viber/viber.db')

  it('accounts for every row of the six tables it reads; an Events row with neither a message nor a call is flagged, not dropped', async () => {
    const input = parserInputFor(file)
    await parseAll(viberDesktopParser, input)
    expect(input.coverage[0].tables.filter((t) => t.known).map((t) => [t.table, t.parsed, t.rows, t.unexplained])).toEqual([
      ['Contact', 3, 3, 0],
      ['ChatRelation', 5, 5, 0],
      ['ChatInfo', 2, 2, 0],
      ['Events', 5, 5, 0],
      ['Messages', 4, 4, 0],
      ['Calls', 1, 1, 0],
    ])
    // an event of a kind trawl does not know (its own table, say a sticker or a poll)
    const copy = changedCopy(file, (db) => db.prepare('INSERT INTO Events (EventID, TimeStamp, Direction, Type, ChatID, ContactID) VALUES (99, 1622548999000, 0, 9, 1, 2)').run(), 'viber.db')
    const changed = parserInputFor(copy)
    await parseAll(viberDesktopParser, changed)
    expect(coverageWarnings(changed.coverage[0])).toEqual([expect.stringMatching(/Events has 1 of 6 rows that produced no record and no stated reason \(viber-desktop\)/)])
  })

  it('yields one message per Messages row, one call per Calls row, every contact and chat', async () => {
    const records = await parseAll(viberDesktopParser, parserInputFor(file, {captures: {user: 'ana', account: '+15551230000'}}))
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Messages'))
    expect(records.filter((r) => r.type === 'chat.call').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Calls'))
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM Contact'))
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM ChatInfo'))
    expect(messages[0]).toMatchObject({
      app: 'Viber',
      body: 'Viber: the visa is ready',
      sentAt: '2021-06-01T12:00:00.321Z',
      sender: '+15557654321',
      recipients: ['+15551230000'],
      direction: 'incoming',
      conversation: '+15557654321',
      source: {table: 'Messages', rowid: 1},
    })
    expect(messages[1]).toMatchObject({direction: 'outgoing', sender: '+15551230000', recipients: ['+15557654321']})
    expect(messages[2].attachments).toEqual([{name: '0-1622548900.jpg', path: 'C:\\Users\\ana\\Documents\\ViberDownloads\\0-1622548900.jpg', bundlePath: null, sha256: null}])
    expect(messages[3]).toMatchObject({conversation: 'Work abroad', sender: '+15550009999', recipients: ['+15551230000', '+15557654321']})
    const [call] = records.filter((r) => r.type === 'chat.call')
    expect(call).toMatchObject({startedAt: '2021-06-01T12:03:20.000Z', duration: 64, endedAt: '2021-06-01T12:04:24.000Z', direction: 'incoming', participants: ['+15551230000', '+15557654321']})
  })
})

describeShared('Viber for Android viber_data (plaso test data, 2022)', () => {
  const file = sharedFile('chat/viber/plaso_viber_data')

  it("4 calls as the table holds; plaso's [3]: +19198887386 2022-11-25T20:43:08.267 to 20:44:53.267, 105 s, outgoing video", async () => {
    const records = await parseAll(viberAndroidParser, parserInputFor(file))
    const calls = records.filter((r) => r.type === 'chat.call')
    expect(calls.length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM calls'))
    expect(calls.length).toBe(4)
    expect(records.filter((r) => r.type === 'chat.contact').length).toBe(sqlCount(file, 'SELECT count(*) AS n FROM phonebookcontact'))
    expect(calls[3]).toMatchObject({
      conversation: '+19198887386',
      startedAt: '2022-11-25T20:43:08.267Z',
      endedAt: '2022-11-25T20:44:53.267Z',
      duration: 105,
      callType: 2,
      viberCallType: 4,
      direction: 'outgoing',
      video: true,
    })
  })
})

it('rejects a database of another app with a ParseError', async () => {
  await expect(parseAll(viberAndroidParser, parserInputFor(join(REPO_ROOT, 'fixtures/chat/viber/viber.db')))).rejects.toThrow(ParseError)
  await expect(parseAll(viberDesktopParser, parserInputFor(join(REPO_ROOT, 'fixtures/chat/android/com.whatsapp/databases/wa.db')))).rejects.toThrow(ParseError)
})
