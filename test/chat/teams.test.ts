import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {htmlText, teamsIndexedDbParser, teamsTime} from '../../src/parsers/chat/teams.js'
import {unexplainedRows} from '../../src/parsers/coverage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder} from './collect-double.js'

const FOLDER = join(REPO_ROOT, 'fixtures/teams/https_teams.microsoft.com_0.indexeddb.leveldb')
const VOLUME_FOLDER = 'Users/ana/AppData/Roaming/Microsoft/Teams/IndexedDB/https_teams.microsoft.com_0.indexeddb.leveldb'
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's golden, any shape it stored
type Loose = any
type Golden = {databases: Array<{name: string; stores: Array<{name: string; records: Array<{key: unknown; value: Record<string, Loose>}>}>}>}
const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/teams/golden/teams.json'), 'utf8')) as Golden
const goldenStore = (store: string) => golden.databases.flatMap((d) => d.stores.filter((s) => s.name === store).flatMap((s) => s.records))

async function read() {
  const double = collectFromFolder(`${VOLUME_FOLDER}/`, FOLDER)
  const input = parserInputFor(join(FOLDER, 'CURRENT'), {sourcePath: `${VOLUME_FOLDER}/CURRENT`, bundlePath: `files/p1/${VOLUME_FOLDER}/CURRENT`, volume: 'p1', captures: {user: 'ana'}, collectRelated: double.collectRelated})
  return {records: await parseAll(teamsIndexedDbParser, input), input, double}
}

describe('Microsoft Teams IndexedDB (written by headless Chromium, fixtures/teams/build.sh)', () => {
  it('collects the folder from CURRENT: the MANIFEST and the log Chromium wrote past its next file number', async () => {
    const {double} = await read()
    expect(double.collected.map((f) => f.sourcePath.split('/').pop()).sort()).toEqual(['000003.log', 'MANIFEST-000001'])
  })

  it('every message of every live reply chain, as the page stored it: sender, conversation, UTC times, HTML body and its text', async () => {
    const {records} = await read()
    const live = records.filter((r) => r.type === 'chat.message' && r.state === 'live')
    const expected = goldenStore('replychains').flatMap((chain) => Object.values(chain.value.messageMap as Record<string, Loose>))
    expect(live).toHaveLength(expected.length)
    for (const m of expected) {
      const found = live.find((r) => r.messageId === m.id)
      expect(found, m.id).toMatchObject({
        app: 'Microsoft Teams',
        account: '8:orgid:a1b2c3d4-0000-4000-8000-000000000001',
        conversation: m.conversationId,
        sender: m.creator,
        senderName: m.imDisplayName,
        sentAt: new Date(m.originalArrivalTime).toISOString(),
        arrivedAt: new Date(m.clientArrivalTime).toISOString(),
        composedAt: m.composeTime,
        bodyHtml: m.content,
        messageType: 'RichText/Html',
      })
      expect(found!.direction).toBe(m.creator.endsWith('000000000001') ? 'outgoing' : 'incoming')
      expect(found!.source.sourcePath).toBe(`${VOLUME_FOLDER}/000003.log`)
      expect(found!.source.file).toBe(`files/p1/${VOLUME_FOLDER}/000003.log`)
      expect(found!.source.table).toMatch(/^Teams:replychain-manager:.*\/replychains$/)
      expect(typeof found!.leveldbSequence).toBe('number')
    }
    const bob = live.find((r) => r.bodyHtml === '<div>Да, got them — thanks 😀</div>')!
    expect(bob.body).toBe('Да, got them — thanks 😀')
    expect(bob.attachments).toEqual([{name: 'plan.docx', path: 'https://contoso.sharepoint.com/plan.docx', mimeType: null, bundlePath: null, sha256: null}])
  })

  it('the message of the deleted reply chain is still read, and marked deleted', async () => {
    const {records} = await read()
    const deleted = records.filter((r) => r.type === 'chat.message' && r.state === 'deleted')
    expect(deleted.map((r) => r.body)).toEqual(['a message later deleted'])
    expect(deleted[0].deleted).toBe(true)
  })

  it('conversations with topic and members, people with their MRI', async () => {
    const {records} = await read()
    const conversations = records.filter((r) => r.type === 'chat.conversation')
    expect(conversations.map((c) => [c.conversation, c.title, c.participants]).sort()).toEqual(goldenStore('conversations').map((c) => [c.value.id, c.value.threadProperties.topic || null, c.value.members.map((m: {id: string}) => m.id)]).sort())
    expect(conversations.find((c) => c.kind === 'Topic')!.createdAt).toBe('2024-03-01T09:15:00.250Z')
    const people = records.filter((r) => r.type === 'chat.contact')
    expect(people.map((p) => [p.handle, p.name, p.email]).sort()).toEqual(goldenStore('profiles').map((p) => [p.value.mri, p.value.displayName, p.value.email]).sort())
  })

  it('accounts for every record: the settings store is listed as not read, nothing unexplained', async () => {
    const {input, records} = await read()
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    expect(input.coverage).toHaveLength(1)
    const account = input.coverage[0]
    expect(account.store).toBe('indexeddb')
    expect(unexplainedRows(account)).toBe(0)
    const settings = account.tables.find((t) => t.table.endsWith('/settings'))!
    expect(settings).toMatchObject({known: false, rows: 1})
    const chains = account.tables.find((t) => t.table.endsWith('/replychains'))!
    expect(chains).toMatchObject({known: true, rows: 3, parsed: 3})
  })

  it('a folder whose MANIFEST is missing still yields its log, with an error saying so', async () => {
    const double = collectFromFolder(`${VOLUME_FOLDER}/`, FOLDER)
    const collectRelated = (p: string) => (p.endsWith('MANIFEST-000001') ? Promise.resolve(undefined) : double.collectRelated(p))
    const input = parserInputFor(join(FOLDER, 'CURRENT'), {sourcePath: `${VOLUME_FOLDER}/CURRENT`, bundlePath: `files/p1/${VOLUME_FOLDER}/CURRENT`, collectRelated})
    const records = await parseAll(teamsIndexedDbParser, input)
    expect(records.filter((r) => r.type === 'error').map((r) => r.error)).toEqual([expect.stringContaining('MANIFEST-000001, named by CURRENT, is not there')])
    expect(records.filter((r) => r.type === 'chat.message')).toHaveLength(4)
  })

  it('a log damaged in its middle: error records name the damage, the records before it are read, nothing thrown', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'trawl-teams-'))
    cpSync(FOLDER, copy, {recursive: true})
    const log = readFileSync(join(copy, '000003.log'))
    for (let i = Math.floor(log.length / 2); i < log.length; i += 97) log[i] ^= 0x5a
    writeFileSync(join(copy, '000003.log'), log)
    const double = collectFromFolder(`${VOLUME_FOLDER}/`, copy)
    const input = parserInputFor(join(copy, 'CURRENT'), {sourcePath: `${VOLUME_FOLDER}/CURRENT`, bundlePath: `files/p1/${VOLUME_FOLDER}/CURRENT`, collectRelated: double.collectRelated})
    const records = await parseAll(teamsIndexedDbParser, input)
    const errors = records.filter((r) => r.type === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => typeof e.error === 'string' && e.source.sourcePath !== undefined)).toBe(true)
    expect(records.length).toBeGreaterThan(errors.length)
  })

  it('times and HTML as Teams writes them', () => {
    expect(teamsTime('1710148500250')).toBe('2024-03-11T09:15:00.250Z')
    expect(teamsTime('2021-05-30T10:16:23.0970000Z')).toBe('2021-05-30T10:16:23.0970000Z')
    expect(teamsTime(0)).toBeNull()
    expect(htmlText('<p>a &amp; b<br>c&#233;</p>')).toBe('a & b\ncé')
  })
})
