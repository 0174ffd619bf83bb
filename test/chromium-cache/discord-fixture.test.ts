import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {headerValue, readBlockfileCache} from '../../src/chromium-cache/index.js'
import type {ParsedRecord} from '../../src/parsers/types.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/chromium-cache/discord: the real Chromium's blockfile cache of a page at
 * https://discord.com/app fetching, over HTTPS under Discord's own host names, an attachment
 * (cdn.discordapp.com, signed query), a preview (media.discordapp.net), an avatar and two API
 * responses (one br-compressed). The keys are the ones Windows Discord writes.
 */
const FIXTURE = join(REPO_ROOT, 'fixtures/chromium-cache')
interface Served {url: string; contentType: string; contentEncoding?: string; size: number; sha256: string; decodedSha256?: string}
const served = (JSON.parse(readFileSync(join(FIXTURE, 'golden/discord.json'), 'utf8')) as {served: Served[]}).served
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const CACHE = 'Users/ana/AppData/Roaming/discord/Cache/Cache_Data'

describe('Discord-shaped blockfile cache written by the real Chromium over HTTPS', () => {
  it('every entry has its double key, status, type and the bytes the server sent', () => {
    const cache = readBlockfileCache({read: (n) => { try { return readFileSync(join(FIXTURE, 'discord', n)) } catch { return undefined } }})
    expect(cache.problems).toEqual([])
    for (const s of served) {
      const e = cache.entries.find((x) => x.key.url === s.url)!
      expect(e, s.url).toBeDefined()
      expect(e.key.key).toBe(`1/0/_dk_https://discord.com https://discord.com ${s.url}`)
      expect(e.response).toMatchObject({status: 200})
      // HTTPS: the pickle goes on with the certificate, which this reader does not need
      expect(e.response!.flags & 0x100).toBe(0x100)
      expect(headerValue(e.response, 'content-type')).toBe(s.contentType)
      expect(sha256(e.streams.find((x) => x.index === 1)!.data!)).toBe(s.sha256)
      expect(e.problems).toEqual([])
    }
  })

  it('trawl collect: Discord resources named, pictures and decoded JSON extracted, verify passes', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    mkdirSync(join(volume, CACHE, '..'), {recursive: true})
    cpSync(join(FIXTURE, 'discord'), join(volume, CACHE), {recursive: true})
    const bundle = join(dir, 'discord.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'D-4', '--examiner', 'Test Examiner', '--targets', 'discord-cache', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    for (const name of readdirSync(join(FIXTURE, 'discord'))) expect(listing).toContain(`files/dir/${CACHE}/${name}`)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/discord-cache.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l) as ParsedRecord)
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const byUrl = (url: string) => records.find((r) => r.type === 'chat.cache-entry' && r.url === url)!
    const [attachment, preview, avatar, me, messages] = served.map((s) => byUrl(s.url))
    expect(attachment.discord).toEqual({kind: 'attachment', channelId: '1098765432109876543', attachmentId: '1200000000000000002', filename: 'plans.png'})
    expect(preview.discord).toMatchObject({kind: 'media', attachmentId: '1200000000000000003', filename: 'holiday.png'})
    expect(avatar.discord).toEqual({kind: 'avatar', userId: '80351110224678912', filename: 'a_1f2e3d4c5b6a79880796a5b4c3d2e1f0.gif'})
    expect(me.discord).toEqual({kind: 'api', apiPath: '/api/v9/users/@me'})
    expect(messages).toMatchObject({contentEncoding: 'br', discord: {kind: 'api', apiPath: '/api/v9/channels/1098765432109876543/messages?limit=50'}})
    for (const [i, s] of served.entries()) {
      const body = [attachment, preview, avatar, me, messages][i].body as {storedSha256: string; decodedSha256: string; extracted: string}
      expect(body.storedSha256).toBe(s.sha256)
      const bytes = execFileSync('unzip', ['-p', bundle, body.extracted])
      expect(sha256(bytes)).toBe(s.decodedSha256 ?? s.sha256)
    }
    const json = JSON.parse(execFileSync('unzip', ['-p', bundle, (messages.body as {extracted: string}).extracted], {encoding: 'utf8'}))
    expect(json[0].content).toBe('the plans are in the picture')
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('older clients keep the cache in Cache/ itself (before Chromium moved it into Cache_Data, 2021): found and read there too', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const old = 'Users/ana/AppData/Roaming/discord/Cache'
    mkdirSync(join(dir, 'volume', old, '..'), {recursive: true})
    cpSync(join(FIXTURE, 'discord'), join(dir, 'volume', old), {recursive: true})
    const bundle = join(dir, 'old.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(dir, 'volume'), '--out', bundle, '--case', 'D-5', '--examiner', 'Test Examiner', '--targets', 'discord-cache', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/discord-cache.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l) as ParsedRecord)
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    expect(records.filter((r) => r.type === 'chat.cache-entry').map((r) => r.url)).toEqual(expect.arrayContaining(served.map((s) => s.url)))
    expect(records.find((r) => r.type === 'chat.cache-index')!.source.sourcePath).toBe(`${old}/index`)
  })
})
