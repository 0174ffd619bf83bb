import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readLocalStorage} from '../../src/indexeddb/index.js'
import {discordAccounts} from '../../src/parsers/chat/discord.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/discord/build.sh writes, with the real Chromium under the origin https://discord.com,
 * the localStorage keys Discord desktop keeps (pages/discord.html says from where), and the golden
 * of what localStorage then held.
 */
const FIXTURE = join(REPO_ROOT, 'fixtures/discord')
const golden = JSON.parse(readFileSync(join(FIXTURE, 'golden/discord.json'), 'utf8'))
const A = '412345678901234567'
const B = '498765432109876543'

describe('Discord Local Storage written by the real Chromium', () => {
  it('reads every item localStorage held, and the two accounts with their tokens', () => {
    const ls = readLocalStorage(join(FIXTURE, 'leveldb'))
    expect(ls.problems).toEqual([])
    expect(Object.fromEntries(ls.items.map((i) => [i.key, i.value]))).toEqual(golden.items)
    const accounts = discordAccounts(ls.items)
    expect(accounts.map((a) => ({id: a.id, username: a.username, email: a.email, kind: a.token?.kind}))).toEqual([
      {id: A, username: 'ana_g', email: 'ana.discord@example.com', kind: 'plain'},
      {id: B, username: 'ана_второй', email: null, kind: 'encrypted'},
    ])
    expect(accounts[0].token!.value).toBe(JSON.parse(golden.items.token))
    expect(accounts[1].token!.value).toBe(JSON.parse(golden.items.tokens)[B])
  })

  it('trawl collect on a Windows-like volume: accounts with file and key, Local State and the cache index collected, coverage accounted', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    const roaming = join(volume, 'Users/ana/AppData/Roaming/discord')
    mkdirSync(join(roaming, 'Local Storage'), {recursive: true})
    cpSync(join(FIXTURE, 'leveldb'), join(roaming, 'Local Storage/leveldb'), {recursive: true})
    writeFileSync(join(roaming, 'Local State'), JSON.stringify({os_crypt: {encrypted_key: Buffer.from('DPAPIinvented').toString('base64')}}))
    mkdirSync(join(roaming, 'Cache'), {recursive: true})
    // a blockfile cache the real Chromium wrote (fixtures/chromium-cache): the discord-cache parser refuses an index that is none
    cpSync(join(REPO_ROOT, 'fixtures/chromium-cache/blockfile'), join(roaming, 'Cache/Cache_Data'), {recursive: true})
    const bundle = join(dir, 'discord.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'D-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    const records = listing
      .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
      .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const accounts = records.filter((r) => r.type === 'chat.account' && r.app === 'Discord')
    expect(accounts.map((a) => [a.account, a.name, a.emails, a.token.kind])).toEqual([
      [A, 'ana_g', 'ana.discord@example.com', 'plain'],
      [B, 'ана_второй', null, 'encrypted'],
    ])
    for (const a of accounts) {
      expect(listing).toContain(a.source.file)
      expect(a.source.file).toMatch(/discord\/Local Storage\/leveldb\/000003\.log$/)
      expect(a.source.key).toMatch(/^https:\/\/discord\.com\u0000/)
    }
    expect(listing.some((n) => n.endsWith('AppData/Roaming/discord/Local State'))).toBe(true)
    expect(listing.some((n) => n.endsWith('discord/Cache/Cache_Data/index'))).toBe(true)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const coverage = manifest.coverage.find((c: {parser: string}) => c.parser === 'discord-local-storage')
    // 7 items: 5 read into the two accounts, 2 settings excluded, none unexplained.
    expect(coverage.tables[0]).toMatchObject({table: 'Local Storage https://discord.com', rows: 7, parsed: 5, unexplained: 0, excluded: [{reason: 'app setting or cache, not an account', rows: 2}]})
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
