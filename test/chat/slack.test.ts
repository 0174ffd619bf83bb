import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {slackClientKey, slackIndexedDbParser, slackLocalStorageParser, slackRootStateParser, slackTime} from '../../src/parsers/chat/slack.js'
import {unexplainedRows} from '../../src/parsers/coverage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder} from './collect-double.js'

const FIXTURES = join(REPO_ROOT, 'fixtures/slack')
const FOLDER = join(FIXTURES, 'https_app.slack.com_0.indexeddb.leveldb')
const VOLUME_IDB = 'Users/ana/AppData/Roaming/Slack/IndexedDB'
const VOLUME_FOLDER = `${VOLUME_IDB}/https_app.slack.com_0.indexeddb.leveldb`
// The live state of the first workspace is in blob 3; its older state was in blob 2, which Chromium deleted.
const BLOB = `${VOLUME_IDB}/https_app.slack.com_0.indexeddb.blob/1/00/3`
const GONE_BLOB = `${VOLUME_IDB}/https_app.slack.com_0.indexeddb.blob/1/00/2`
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's golden, any shape it stored
type Loose = any
type Golden = {databases: Array<{name: string; stores: Array<{name: string; records: Array<{key: unknown; value: Loose}>}>}>; superseded: Record<string, Loose>}
const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden/slack.json'), 'utf8')) as Golden
const states = golden.databases.find((d) => d.name === 'reduxPersistence')!.stores.find((s) => s.name === 'reduxPersistenceStore')!.records
const T1 = 'persist:slack-client-T01ANALYST-U01ANA0001'
const T2 = 'persist:slack-client-T02CONTOSO-U02ANA0001'

/** The microsecond ISO time of a ts, computed apart from the parser: seconds through Date, the fraction as written. */
const iso = (ts: string) => `${new Date(Number(ts.split('.')[0]) * 1000).toISOString().slice(0, 19)}.${ts.split('.')[1]}Z`

/** Slack's whole-second times, at their precision. */
const secondsIso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z')

async function read(folder = FOLDER, collectRelated?: (p: string) => Promise<Loose>) {
  const double = collectFromFolder(`${VOLUME_IDB}/`, FIXTURES)
  const input = parserInputFor(join(folder, 'CURRENT'), {sourcePath: `${VOLUME_FOLDER}/CURRENT`, bundlePath: `files/p1/${VOLUME_FOLDER}/CURRENT`, volume: 'p1', captures: {user: 'ana'}, collectRelated: collectRelated ?? double.collectRelated})
  return {records: await parseAll(slackIndexedDbParser, input), input, double}
}

describe('Slack Desktop IndexedDB (written by headless Chromium, fixtures/slack/build.sh)', () => {
  it('collects the folder from CURRENT and the blob file Chromium kept the large state in; asks for the older state\'s blob too', async () => {
    const {double} = await read()
    expect(double.collected.map((f) => f.sourcePath).sort()).toEqual([`${VOLUME_FOLDER}/000003.log`, `${VOLUME_FOLDER}/MANIFEST-000001`, BLOB].sort())
    expect(double.requested).toContain(GONE_BLOB)
    // As in real Slack profiles, the blob holds the state snappy-compressed (Blink's wrapper ff 11 02).
    expect([...readFileSync(join(FIXTURES, 'https_app.slack.com_0.indexeddb.blob/1/00/3')).subarray(0, 3)]).toEqual([0xff, 0x11, 0x02])
  })

  it('every message of every live state, as the page stored it: channel, sender, ts to the microsecond, text, thread, edit, files, reactions', async () => {
    const {records} = await read()
    const live = records.filter((r) => r.type === 'chat.message' && r.state === 'live')
    let expected = 0
    for (const {key, value} of states) {
      const client = slackClientKey(key)!
      for (const [channel, byTs] of Object.entries(value.messages as Record<string, Record<string, Loose>>)) {
        for (const [ts, m] of Object.entries(byTs)) {
          expected++
          const found = live.filter((r) => r.conversation === channel && r.ts === ts)
          expect(found, `${channel} ${ts}`).toHaveLength(1)
          const r = found[0]
          expect(r).toMatchObject({
            app: 'Slack',
            account: client.user,
            workspace: client.team,
            workspaceName: value.teams[client.team].name,
            workspaceDomain: value.teams[client.team].domain,
            sender: m.user ?? m.bot_id ?? null,
            sentAt: iso(ts),
            body: m.text ?? null,
            threadTs: m.thread_ts ?? null,
            editedAt: m.edited ? iso(m.edited.ts) : null,
            editedBy: m.edited?.user ?? null,
            statePath: ['messages', channel, ts],
          })
          expect(r.direction).toBe(r.sender === null ? null : r.sender === client.user ? 'outgoing' : 'incoming')
          expect(r.attachments).toEqual((m.files ?? []).map((id: string) => ({name: value.files[id].name, path: value.files[id].url_private, mimeType: value.files[id].mimetype, size: value.files[id].size, bundlePath: null, sha256: null})))
          expect(r.reactions).toEqual(value.reactions[`message-${ts}-${channel}`] ?? [])
          expect(r.source).toMatchObject({file: `files/p1/${VOLUME_FOLDER}/000003.log`, sourcePath: `${VOLUME_FOLDER}/000003.log`, table: 'reduxPersistence/reduxPersistenceStore', key: JSON.stringify(key), value: JSON.stringify(['messages', channel, ts])})
          expect(typeof r.leveldbSequence).toBe('number')
          if (key === T1) expect(r).toMatchObject({valueFile: `files/p1/${BLOB}`, valueSourcePath: BLOB})
          else expect(r.valueFile).toBeUndefined()
        }
      }
    }
    expect(live).toHaveLength(expected)
    const hello = live.find((r) => r.ts === '1712345678.123456')!
    expect(hello.sentAt).toBe('2024-04-05T19:34:38.123456Z')
    expect(hello).toMatchObject({senderName: 'Ana Analyst', conversationName: 'general', conversationKind: 'public', replyCount: 2, threadReply: false})
    expect(live.find((r) => r.ts === '1712345690.000100')).toMatchObject({threadReply: true, senderName: 'Bob Бобров', body: 'Thanks! Got it — Grüße 😀'})
    expect(live.find((r) => r.subtype === 'bot_message')).toMatchObject({sender: 'B01DEPLOY', senderName: 'deploy-bot', direction: 'incoming', links: [{title: 'build #42', url: 'https://ci.example/42', text: 'green'}]})
    expect(live.find((r) => r.ts === '1712346060.500000')).toMatchObject({conversationKind: 'im', conversationName: 'Bob Бобров', recipients: ['U01BOB0002'], direction: 'outgoing'})
    expect(live.find((r) => r.ts === '1712346100.000000')).toMatchObject({deletedInSlack: true, body: null, sender: null, sentAt: '2024-04-05T19:41:40.000000Z'})
  })

  it('the overwritten state of the second workspace is read too, marked superseded: the message deleted since and the text before its edit', async () => {
    const {records} = await read()
    const old = records.filter((r) => r.type === 'chat.message' && r.state === 'superseded')
    // The first workspace's older state was in a blob file since deleted: its blob list is the one
    // written with it, never the live state's (which would pass the live messages off as older ones).
    expect(old.filter((r) => r.workspace === 'T01ANALYST')).toEqual([])
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const before = golden.superseded[T2].messages as Record<string, Record<string, Loose>>
    expect(old.map((r) => [r.conversation, r.ts, r.body]).sort()).toEqual(Object.entries(before).flatMap(([c, byTs]) => Object.entries(byTs).map(([ts, m]) => [c, ts, m.text])).sort())
    expect(old.map((r) => r.body).sort()).toEqual(['a message later deleted', 'first draft of the text'])
    expect(old.every((r) => r.deleted === false && r.account === 'U02ANA0001' && r.workspace === 'T02CONTOSO')).toBe(true)
    const now = records.find((r) => r.type === 'chat.message' && r.state === 'live' && r.ts === '1712400000.000100')!
    expect(now).toMatchObject({body: 'final text', editedAt: '2024-04-06T10:41:40.000002Z'})
    expect((old[0].leveldbSequence as number) < (now.leveldbSequence as number)).toBe(true)
  })

  it('every channel and member of every live state, with kind, participants, topic and times', async () => {
    const {records} = await read()
    const conversations = records.filter((r) => r.type === 'chat.conversation' && r.state === 'live')
    const contacts = records.filter((r) => r.type === 'chat.contact' && r.state === 'live')
    const transfers = records.filter((r) => r.type === 'chat.transfer' && r.state === 'live')
    const want = states.flatMap(({key, value}) => Object.values(value.channels as Record<string, Loose>).map((c) => [slackClientKey(key)!.team, c.id, c.is_im ? [slackClientKey(key)!.user, c.user] : c.members ?? [], c.created ? secondsIso(c.created) : null, c.topic?.value || null]))
    expect(conversations.map((c) => [c.workspace, c.conversation, c.participants, c.createdAt, c.topic]).sort()).toEqual(want.sort())
    expect(conversations.find((c) => c.conversation === 'G01PROJECT')).toMatchObject({kind: 'private', title: 'project-omega', purpose: 'Project Ω'})
    expect(conversations.find((c) => c.conversation === 'G02MPDMANA')).toMatchObject({kind: 'mpim'})
    expect(conversations.find((c) => c.conversation === 'D01ANABOB')).toMatchObject({kind: 'im', title: 'Bob Бобров'})
    const people = states.flatMap(({value}) => [
      ...Object.values(value.members as Record<string, Loose>).map((m) => [m.id, m.profile.real_name, m.profile.email ?? null, false]),
      ...Object.values((value.bots ?? {}) as Record<string, Loose>).map((b) => [b.id, b.name, null, true]),
    ])
    expect(contacts.map((c) => [c.handle, c.name, c.email ?? null, c.isBot])).toEqual(expect.arrayContaining(people))
    expect(contacts).toHaveLength(people.length)
    expect(contacts.find((c) => c.handle === 'U01ANA0001')).toMatchObject({isSelf: true, account: 'U01ANA0001', userName: 'ana', updatedAt: '2024-04-01T19:33:20Z'})
    const files = states.flatMap(({value}) => Object.values(value.files as Record<string, Loose>))
    expect(transfers.map((t) => [t.fileId, t.fileName, t.filePath, t.fileSize, t.startedAt])).toEqual(files.map((f) => [f.id, f.name, f.url_private, f.size, secondsIso(f.created)]))
  })

  it('accounts for every record and every slice: unread stores and slices listed, nothing unexplained', async () => {
    const {input, records} = await read()
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    expect(input.coverage).toHaveLength(1)
    const account = input.coverage[0]
    expect(account).toMatchObject({parser: 'slack-indexeddb', store: 'indexeddb', sourcePath: VOLUME_FOLDER})
    expect(unexplainedRows(account)).toBe(0)
    const table = (name: string) => account.tables.find((t) => t.table === name)
    expect(table('objectStore-T01ANALYST-U01ANA0001/sundryStorage')).toMatchObject({known: false, rows: 1})
    expect(table('reduxPersistence/reduxPersistenceStore')).toMatchObject({known: true, rows: 4, parsed: 3, excluded: [{reason: expect.stringMatching(/^older state kept in a blob file no longer on the volume/), rows: 1}]})
    // The older state of the first workspace is gone with its blob file: its messages are not counted.
    const messages = [...states.map((s) => s.value), golden.superseded[T2]].reduce((n, v) => n + Object.values(v.messages as Record<string, object>).reduce((k, byTs) => k + Object.keys(byTs).length, 0), 0)
    expect(table('reduxPersistence/reduxPersistenceStore/state.messages')).toMatchObject({known: true, rows: messages, parsed: messages})
    expect(records.filter((r) => r.type === 'chat.message')).toHaveLength(messages)
    expect(table('reduxPersistence/reduxPersistenceStore/state.channelHistory')).toMatchObject({known: false, rows: 2})
    expect(table('reduxPersistence/reduxPersistenceStore/state.userPrefs')).toMatchObject({known: false, rows: 2})
    expect(table('reduxPersistence/reduxPersistenceStore/state.reactions')).toMatchObject({known: true, rows: 1, parsed: 1})
  })

  it('a state whose blob file is missing: an error record names it, the other workspace is still read', async () => {
    const double = collectFromFolder(`${VOLUME_IDB}/`, FIXTURES)
    const {records, input} = await read(FOLDER, (p: string) => (p.includes('.indexeddb.blob/') ? Promise.resolve(undefined) : double.collectRelated(p)))
    const errors = records.filter((r) => r.type === 'error')
    expect(errors.map((e) => e.state)).toEqual(['live'])
    expect(errors[0]).toMatchObject({parser: 'slack-indexeddb', error: expect.stringContaining('blob file that is not present'), valueSourcePath: BLOB, valueFile: null, source: {key: JSON.stringify(T1)}})
    expect(records.filter((r) => r.type === 'chat.message' && r.workspace === 'T01ANALYST')).toEqual([])
    expect(records.filter((r) => r.type === 'chat.message' && r.workspace === 'T02CONTOSO').length).toBeGreaterThan(0)
    expect(unexplainedRows(input.coverage[0])).toBe(0)
  })

  it('a damaged blob file and a damaged log: error records name the damage, the rest is read, nothing thrown', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'trawl-slack-'))
    cpSync(FIXTURES, copy, {recursive: true})
    const blob = join(copy, 'https_app.slack.com_0.indexeddb.blob/1/00/3')
    const bytes = readFileSync(blob)
    for (let i = 200; i < bytes.length; i += 61) bytes[i] ^= 0x5a
    writeFileSync(blob, bytes)
    const double = collectFromFolder(`${VOLUME_IDB}/`, copy)
    const {records, input} = await read(join(copy, 'https_app.slack.com_0.indexeddb.leveldb'), double.collectRelated)
    const live = records.filter((r) => r.type === 'error' && r.state === 'live')
    expect(live).toEqual([expect.objectContaining({valueFile: `files/p1/${BLOB}`, source: expect.objectContaining({key: JSON.stringify(T1)})})])
    expect(records.filter((r) => r.type === 'chat.message' && r.workspace === 'T02CONTOSO' && r.state === 'live')).toHaveLength(1)
    expect(unexplainedRows(input.coverage[0])).toBe(0)

    const log = join(copy, 'https_app.slack.com_0.indexeddb.leveldb/000003.log')
    const logBytes = readFileSync(log)
    for (let i = Math.floor(logBytes.length / 2); i < logBytes.length; i += 97) logBytes[i] ^= 0x5a
    writeFileSync(log, logBytes)
    const again = await read(join(copy, 'https_app.slack.com_0.indexeddb.leveldb'), collectFromFolder(`${VOLUME_IDB}/`, copy).collectRelated)
    const errors = again.records.filter((r) => r.type === 'error')
    expect(errors.some((e) => String(e.error).startsWith('LevelDB: '))).toBe(true)
    expect(errors.every((e) => typeof e.error === 'string' && e.source.sourcePath !== undefined)).toBe(true)
  })

  it('refuses an IndexedDB that is not Slack\'s (the Teams fixture)', async () => {
    const teams = join(REPO_ROOT, 'fixtures/teams/https_teams.microsoft.com_0.indexeddb.leveldb')
    const folder = 'Users/ana/AppData/Roaming/Slack/IndexedDB/https_app.slack.com_0.indexeddb.leveldb'
    const double = collectFromFolder(`${folder}/`, teams)
    const input = parserInputFor(join(teams, 'CURRENT'), {sourcePath: `${folder}/CURRENT`, collectRelated: double.collectRelated})
    await expect(parseAll(slackIndexedDbParser, input)).rejects.toThrow(/not a Slack IndexedDB: no reduxPersistence database/)
    expect(input.coverage).toEqual([])
  })

  it('Slack ts and state keys', () => {
    expect(slackTime('1712345678.123456')).toBe('2024-04-05T19:34:38.123456Z')
    expect(slackTime('1712345678.1')).toBe('2024-04-05T19:34:38.100000Z')
    expect(slackTime('1712345678')).toBe('2024-04-05T19:34:38.000000Z')
    expect(slackTime('0')).toBeNull()
    expect(slackTime('soon')).toBeNull()
    expect(slackClientKey('persist:slack-client-T01ABC-U02DEF')).toEqual({team: 'T01ABC', user: 'U02DEF'})
    expect(slackClientKey('persist:other')).toBeNull()
  })
})

describe('Slack Desktop storage/root-state.json (hand-written in the shape slacrawl and the Node reader read; Slack cannot be run here)', () => {
  const ROOT_STATE = join(FIXTURES, 'storage/root-state.json')
  const fixture = JSON.parse(readFileSync(ROOT_STATE, 'utf8')) as Loose
  const read = () => {
    const input = parserInputFor(ROOT_STATE, {sourcePath: 'Users/ana/AppData/Roaming/Slack/storage/root-state.json', bundlePath: 'files/p1/Users/ana/AppData/Roaming/Slack/storage/root-state.json'})
    return parseAll(slackRootStateParser, input).then((records) => ({records, input}))
  }

  it('every download, with the url, the path it was saved to, its state and times to the millisecond', async () => {
    const {records} = await read()
    const want = Object.entries(fixture.downloads as Record<string, Record<string, Loose>>).flatMap(([team, byId]) => Object.entries(byId).map(([id, d]) => ({team, id, d})))
    expect(records).toHaveLength(want.length)
    for (const {team, id, d} of want) {
      const r = records.find((x) => x.fileId === id)!
      expect(r).toMatchObject({
        type: 'chat.transfer', app: 'Slack', account: d.userId, workspace: team, direction: 'incoming', url: d.url, filePath: d.downloadPath, status: d.downloadState,
        startedAt: new Date(d.startTime).toISOString(), endedAt: d.endTime ? new Date(d.endTime).toISOString() : null,
        source: {file: 'files/p1/Users/ana/AppData/Roaming/Slack/storage/root-state.json', key: JSON.stringify(['downloads', team, id])},
      })
    }
    expect(records.find((r) => r.fileId === 'F01PLANPDF')).toMatchObject({fileName: 'plan.pdf', startedAt: '2024-04-05T19:42:03.456Z'})
  })

  it('accounts for every top-level key: downloads read, the rest listed as not read', async () => {
    const {input} = await read()
    expect(input.coverage).toHaveLength(1)
    const account = input.coverage[0]
    expect(account).toMatchObject({parser: 'slack-root-state', store: 'json'})
    expect(unexplainedRows(account)).toBe(0)
    expect(account.tables.map((t) => [t.table, t.known, t.rows])).toEqual(Object.entries(fixture).map(([k, v]) => [k, k === 'downloads', k === 'downloads' ? 2 : Object.keys(v as object).length]))
  })

  it('refuses JSON that is not Slack\'s and a file that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-slack-'))
    writeFileSync(join(dir, 'other.json'), '{"theme": "dark"}')
    writeFileSync(join(dir, 'broken.json'), '{"downloads": ')
    for (const name of ['other.json', 'broken.json']) {
      await expect(parseAll(slackRootStateParser, parserInputFor(join(dir, name)))).rejects.toThrow(/not a Slack root-state.json/)
    }
    expect(slackRootStateParser.accepts!(Buffer.from('\uFEFF {"a":1}'))).toBe(true)
    expect(slackRootStateParser.accepts!(Buffer.from('SQLite format 3'))).toBe(false)
  })
})

describe('Slack Desktop Local Storage (written by headless Chromium under https://app.slack.com, fixtures/slack/build.sh)', () => {
  const LS = join(FIXTURES, 'local-storage')
  const VOLUME_LS = 'Users/ana/AppData/Roaming/Slack/Local Storage/leveldb'
  const stored = (golden as Loose).localStorage as Record<string, string>
  const read = async (folder = LS) => {
    const double = collectFromFolder(`${VOLUME_LS}/`, folder)
    const input = parserInputFor(join(folder, 'CURRENT'), {sourcePath: `${VOLUME_LS}/CURRENT`, bundlePath: `files/p1/${VOLUME_LS}/CURRENT`, collectRelated: double.collectRelated})
    return {records: await parseAll(slackLocalStorageParser, input), input}
  }

  it('one account per signed-in workspace of localConfig_v2, with its user; the token not copied', async () => {
    const {records} = await read()
    const accounts = records.filter((r) => r.type === 'chat.account')
    const teams = JSON.parse(stored.localConfig_v2).teams as Record<string, Loose>
    expect(accounts.map((a) => [a.workspace, a.account, a.name, a.domain, a.url, a.hasToken])).toEqual(Object.values(teams).map((t) => [t.id, t.user_id, t.name, t.domain, t.url, true]))
    expect(JSON.stringify(records)).not.toContain('xoxc-')
    expect(accounts[0].source).toMatchObject({file: `files/p1/${VOLUME_LS}/000003.log`, key: 'https://app.slack.com\u0000localConfig_v2', value: JSON.stringify(['teams', 'T01ANALYST'])})
    expect(accounts.find((a) => a.workspace === 'T01ANALYST')!.lastActive).toBe(true)
  })

  it('the unsent draft: channel, thread, text from its ops, times to the microsecond', async () => {
    const {records} = await read()
    const drafts = records.filter((r) => r.type === 'chat.message')
    const d = Object.values(JSON.parse(stored['persist-v1::T01ANALYST::drafts']).unifiedDrafts as Record<string, Loose>)
    expect(drafts).toHaveLength(d.length)
    expect(drafts[0]).toMatchObject({
      draft: true, sentAt: null, direction: 'outgoing', account: 'U01ANA0001', sender: 'U01ANA0001', workspace: 'T01ANALYST',
      conversation: d[0].destinations[0].channel_id, threadTs: d[0].destinations[0].thread_ts, body: d[0].ops.map((o: {insert: string}) => o.insert).join(''),
      composedAt: '2024-04-05T19:56:40.000000Z', updatedAt: '2024-04-05T19:57:40.500000Z', state: 'live',
    })
  })

  it('accounts for every item: the other keys of app.slack.com counted as not read, nothing unexplained', async () => {
    const {input, records} = await read()
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const account = input.coverage[0]
    expect(unexplainedRows(account)).toBe(0)
    expect(account.tables).toEqual([expect.objectContaining({table: 'Local Storage https://app.slack.com', known: true, rows: Object.keys(stored).length, parsed: 2, excluded: [{reason: 'app setting or cache, not read', rows: Object.keys(stored).length - 2}]})])
  })

  it('refuses the Local Storage of another app (Discord\'s)', async () => {
    await expect(read(join(REPO_ROOT, 'fixtures/discord/leveldb'))).rejects.toThrow(/not a Slack Local Storage: no items of https:\/\/app.slack.com/)
  })
})
