import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {buildWindowsBrowserVolume} from './windows-tree.js'

interface Line {
  type: string
  artifact: string
  browser: string
  user: string
  profile: string
  source: {file: string; table?: string; rowid?: number}
}

describe('browser history end to end from the CLI', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'browsers.zip')
  const {root, expected} = buildWindowsBrowserVolume()
  let keys: Awaited<ReturnType<typeof makeKeys>>

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    const result = await trawl(['collect', '--allow-same-volume', '--source', root, '--out', bundle, '--case', 'BR-1', '--examiner', 'Test Examiner', '--targets', 'browser', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('attributes every record to the right user, browser and profile, with its source row', () => {
    const records: Line[] = []
    for (const name of execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).split('\n').filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))) {
      for (const line of execFileSync('unzip', ['-p', bundle, name], {encoding: 'utf8', maxBuffer: 1 << 26}).trim().split('\n')) records.push(JSON.parse(line))
    }
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    for (const file of expected) {
      const mine = records.filter((r) => r.source.file === `files/dir/${file.path}`)
      const count = (type: string) => mine.filter((r) => r.type === type).length
      expect({path: file.path, visits: count('browser.visit'), downloads: count('browser.download'), searches: count('browser.search'), bookmarks: count('browser.bookmark')}).toEqual({
        path: file.path,
        visits: file.visits,
        downloads: file.downloads,
        searches: file.searches,
        bookmarks: file.bookmarks,
      })
      for (const record of mine) {
        expect(record).toMatchObject({browser: file.browser, user: file.user, profile: file.profile})
        expect(record.source.table).toBeTruthy()
      }
    }
  })

  it('copies each database with its WAL and verifies', async () => {
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'})
    expect(listing).toContain('files/dir/Users/ana/AppData/Local/Google/Chrome/User Data/Profile 1/History-wal')
    const verify = await trawl(['verify', bundle, '--cert', keys.cert])
    expect(verify.code).toBe(0)
  })
})
