import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {skypeS4lParser} from '../../src/parsers/chat/skype-s4l.js'
import {coverageWarnings} from '../../src/parsers/coverage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {sqlCount} from './sql-count.js'

const FILE = join(REPO_ROOT, 'fixtures/skype8/windows/Users/dana/AppData/Local/Packages/Microsoft.SkypeApp_kzf8qxf38zg5c/LocalState/s4l-live_dana.example.db')

describe('Skype 8+ s4l database (fixtures/skype8/build.sh)', () => {
  it('one message per messagesv12 row, the damaged one reported; conversations, contacts and the account', async () => {
    const records = await parseAll(skypeS4lParser, parserInputFor(FILE))
    const messages = records.filter((r) => r.type === 'chat.message')
    const errors = records.filter((r) => r.type === 'error')
    expect(messages.length + errors.length).toBe(sqlCount(FILE, 'SELECT count(*) AS n FROM messagesv12'))
    expect(errors).toEqual([expect.objectContaining({source: expect.objectContaining({table: 'messagesv12', rowid: 4}), error: expect.stringMatching(/nsp_data is not a JSON object/)})])
    expect(messages[0]).toMatchObject({
      app: 'Skype',
      account: 'live:dana.example',
      conversation: 'live:eve.recruit',
      sender: 'live:eve.recruit',
      senderName: 'Eve (jobs)',
      recipients: ['live:dana.example'],
      direction: 'incoming',
      sentAt: '2023-01-15T09:30:00.250Z',
      serverArrivalAt: '2023-01-15T09:30:00.300Z',
      body: 'Hello Dana, still looking for work & travel?',
      source: {table: 'messagesv12', rowid: 1},
    })
    expect(messages[1]).toMatchObject({direction: 'outgoing', sender: 'live:dana.example', recipients: ['live:eve.recruit'], body: 'Yes, please send details', bodyRaw: 'Yes, <b>please</b> send details'})
    expect(messages[2]).toMatchObject({conversation: 'Work abroad', recipients: ['live:dana.example'], messageType: 'RichText/UriObject', attachments: [expect.objectContaining({name: 'ticket.jpg'})]})
    expect(records.filter((r) => r.type === 'chat.conversation').map((c) => [c.conversation, c.kind, c.participants])).toEqual([
      ['live:eve.recruit', 'one-to-one', ['live:dana.example', 'live:eve.recruit']],
      ['Work abroad', 'group', ['live:dana.example', 'live:eve.recruit']],
    ])
    expect(records.filter((r) => r.type === 'chat.contact').map((c) => [c.handle, c.name, c.phones])).toEqual([
      ['live:dana.example', 'Dana Example', ['+447700900123']],
      ['live:eve.recruit', 'Eve (jobs)', ['+447700900456']],
    ])
  })

  it('accounts for every row of the tables it reads and lists the phone address book it does not', async () => {
    const input = parserInputFor(FILE)
    await parseAll(skypeS4lParser, input)
    const account = input.coverage[0]
    expect(account.tables.filter((t) => t.known).map((t) => [t.table, t.rows, t.parsed, t.unexplained])).toEqual([
      ['internaldata', 2, 1, 0],
      ['conversationsv14', 2, 2, 0],
      ['messagesv12', 4, 3, 0],
      ['profilecachev8', 2, 2, 0],
    ])
    expect(account.tables.find((t) => t.table === 'localaddressbookcontacts')).toMatchObject({known: false, rows: 1})
    expect(coverageWarnings(account)).toEqual([])
  })
})
