import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const NEW_TEAMS = 'Users/ana/AppData/Local/Packages/MSTeams_8wekyb3d8bbwe/LocalCache/Microsoft/MSTeams/EBWebView/WV2Profile_tfw/IndexedDB/https_teams.microsoft.com_0.indexeddb.leveldb'

it('collect --targets chat on a Windows-like tree with new Teams: the LevelDB folder in the bundle, its messages with file and key, its coverage', async () => {
  const dir = scratchDir()
  const keys = await makeKeys(join(dir, 'keys'))
  const volume = join(dir, 'volume')
  mkdirSync(join(volume, NEW_TEAMS), {recursive: true})
  cpSync(join(REPO_ROOT, 'fixtures/teams/https_teams.microsoft.com_0.indexeddb.leveldb'), join(volume, NEW_TEAMS), {recursive: true})
  // blob files Chromium wrote beside an IndexedDB folder (fixtures/indexeddb), where Teams keeps its own
  const blobs = NEW_TEAMS.replace(/leveldb$/, 'blob')
  cpSync(join(REPO_ROOT, 'fixtures/indexeddb/profile/IndexedDB/http_127.0.0.1_8765.indexeddb.blob'), join(volume, blobs), {recursive: true})
  const bundle = join(dir, 'teams.zip')
  const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'T-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
  for (const name of ['CURRENT', 'MANIFEST-000001', '000003.log']) expect(listing.some((n) => n.endsWith(`${NEW_TEAMS}/${name}`)), name).toBe(true)
  const blobEntries = listing.filter((n) => n.includes(`${blobs}/`)).map((n) => n.slice(n.indexOf(blobs) + blobs.length + 1)).sort()
  expect(blobEntries).toEqual(['1/00/2', '1/00/3', '1/00/4'])
  const records = listing
    .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
    .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
  const messages = records.filter((r) => r.type === 'chat.message' && r.app === 'Microsoft Teams')
  expect(messages).toHaveLength(4)
  for (const m of messages) {
    expect(listing).toContain(m.source.file)
    expect(m.source.key).toBeTruthy()
    expect(m.sentAt).toMatch(/Z$/)
  }
  expect(records.filter((r) => r.type === 'chat.contact' && r.app === 'Microsoft Teams')).toHaveLength(2)
  const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
  expect(JSON.stringify(manifest)).toContain('teams-indexeddb')
  expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
})
