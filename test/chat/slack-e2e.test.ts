import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

// The Microsoft Store build of Slack keeps its Electron data under the package's LocalCache.
const SLACK = 'Users/ana/AppData/Local/Packages/91750D7E.Slack_8she8kybcnzg4/LocalCache/Roaming/Slack'
const STORE_SLACK = `${SLACK}/IndexedDB`
const LEVELDB = `${STORE_SLACK}/https_app.slack.com_0.indexeddb.leveldb`
const BLOB = `${STORE_SLACK}/https_app.slack.com_0.indexeddb.blob/1/00/3`

it('collect --targets chat on a Windows-like tree with Slack (Store build): the IndexedDB and Local Storage folders, the state blob and root-state.json in the bundle, workspaces and drafts, messages with file, key and microsecond times, coverage; verify passes', async () => {
  const dir = scratchDir()
  const keys = await makeKeys(join(dir, 'keys'))
  const volume = join(dir, 'volume')
  mkdirSync(join(volume, STORE_SLACK), {recursive: true})
  for (const name of ['https_app.slack.com_0.indexeddb.leveldb', 'https_app.slack.com_0.indexeddb.blob']) {
    cpSync(join(REPO_ROOT, 'fixtures/slack', name), join(volume, STORE_SLACK, name), {recursive: true})
  }
  cpSync(join(REPO_ROOT, 'fixtures/slack/local-storage'), join(volume, SLACK, 'Local Storage/leveldb'), {recursive: true})
  mkdirSync(join(volume, SLACK, 'storage'))
  cpSync(join(REPO_ROOT, 'fixtures/slack/storage/root-state.json'), join(volume, SLACK, 'storage/root-state.json'))
  const bundle = join(dir, 'slack.zip')
  const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'T-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
  for (const name of [`${LEVELDB}/CURRENT`, `${LEVELDB}/MANIFEST-000001`, `${LEVELDB}/000003.log`, BLOB]) expect(listing.some((n) => n.endsWith(name)), name).toBe(true)
  const records = listing
    .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
    .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
  const messages = records.filter((r) => r.type === 'chat.message' && r.app === 'Slack' && r.draft !== true)
  expect(messages.filter((m) => m.state === 'live')).toHaveLength(310)
  expect(messages.filter((m) => m.state === 'superseded')).toHaveLength(2)
  for (const m of messages) {
    expect(listing).toContain(m.source.file)
    expect(m.source.key).toMatch(/^"persist:slack-client-T[A-Z0-9]+-U[A-Z0-9]+"$/)
    expect(m.sentAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    if (m.workspace === 'T01ANALYST') expect(m.valueFile).toBe(`files/dir/${BLOB}`)
    if (m.workspace === 'T01ANALYST') expect(listing).toContain(m.valueFile)
  }
  expect(messages.find((m) => m.ts === '1712345678.123456')).toMatchObject({sentAt: '2024-04-05T19:34:38.123456Z', account: 'U01ANA0001', workspaceName: 'Analyst Team'})
  expect(records.filter((r) => r.type === 'chat.contact' && r.app === 'Slack' && r.state === 'live')).toHaveLength(5)
  const downloads = records.filter((r) => r.type === 'chat.transfer' && r.download === true)
  expect(downloads.map((d) => [d.fileId, d.filePath, d.source.file])).toEqual([
    ['F01PLANPDF', 'C:\\Users\\ana\\Downloads\\plan.pdf', `files/dir/${SLACK}/storage/root-state.json`],
    ['F02REPORT1', 'C:\\Users\\ana\\Downloads\\report.xlsx', `files/dir/${SLACK}/storage/root-state.json`],
  ])
  expect(records.filter((r) => r.type === 'chat.account' && r.app === 'Slack').map((a) => [a.workspace, a.account])).toEqual([['T01ANALYST', 'U01ANA0001'], ['T02CONTOSO', 'U02ANA0001']])
  expect(records.filter((r) => r.type === 'chat.message' && r.draft === true).map((d) => [d.conversation, d.source.file])).toEqual([['C01GENERAL', `files/dir/${SLACK}/Local Storage/leveldb/000003.log`]])
  const manifest = JSON.stringify(JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'})))
  expect(manifest).toContain('slack-indexeddb')
  expect(manifest).toContain('slack-root-state')
  expect(manifest).toContain('slack-local-storage')
  expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
})
