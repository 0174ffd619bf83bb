import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readSimpleRealIndex} from '../../src/chromium-cache/index.js'
import {decodeBody, discordCacheParser, discordResource, extractedExtension} from '../../src/parsers/chat/discord-cache.js'
import type {CollectedFile, DerivedFile, ParsedRecord} from '../../src/parsers/types.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {gzipSync, brotliCompressSync} from 'node:zlib'

const FIXTURE = join(REPO_ROOT, 'fixtures/chromium-cache')
interface Served {path: string; url: string; contentType: string; contentEncoding?: string; size: number; sha256: string; decodedSha256?: string}
const golden = (backend: string) => JSON.parse(readFileSync(join(FIXTURE, `golden/${backend}.json`), 'utf8')) as {port: number; served: Served[]}
/** Entries each cache holds: the served URLs, the favicon's 404, the range-requested video (blockfile: its parent and two children; simple: one entry with an _s file). */
const ENTRIES: Record<string, number> = {blockfile: 15, simple: 13}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const CACHE = 'Users/ana/AppData/Roaming/discord/Cache/Cache_Data'
const realIndexEntries = () => readSimpleRealIndex(readFileSync(join(FIXTURE, 'simple/index-dir/the-real-index'))).entries.length

/** A parser input whose collectRelated hands out the fixture's files, as collection would copy them. */
function inputFor(backend: string, name: string, root = FIXTURE) {
  const collected: string[] = []
  /** What the parser handed to the bundle as derived entries, by the path collect would give them. */
  const outputs = new Map<string, Buffer>()
  const input = parserInputFor(join(root, backend, name), {
    addDerived: async (file: DerivedFile) => {
      const bundlePath = `derived/${file.from.replace(/^files\//, '')}${file.suffix ?? ''}`
      expect(outputs.has(bundlePath)).toBe(false)
      expect(file.method).toMatch(/^Chromium disk cache body: \d+ bytes \((as stored|[a-z]+-decoded)\) of the entry .* from byte \d+ of the collected cache file/)
      outputs.set(bundlePath, file.data)
      return {bundlePath, copyPath: '/nonexistent', sourcePath: file.from, size: file.data.length, sha256: sha256(file.data)}
    },
    sourcePath: `${CACHE}/${name}`,
    bundlePath: `files/dir/${CACHE}/${name}`,
    attributes: {app: 'Discord'},
    captures: {user: 'ana'},
    collectRelated: async (path: string): Promise<CollectedFile | undefined> => {
      const rel = path.slice(CACHE.length + 1)
      const local = join(root, backend, rel)
      if (!path.startsWith(`${CACHE}/`) || !existsSync(local)) return undefined
      collected.push(rel)
      const data = readFileSync(local)
      return {bundlePath: `files/dir/${path}`, copyPath: local, sourcePath: path, size: data.length, sha256: sha256(data)}
    },
  })
  return {input, collected, outputs}
}

function expectRecords(records: ParsedRecord[], backend: string, outputs: Map<string, Buffer>): void {
  const {served} = golden(backend)
  const cache = records.filter((r) => r.type === 'chat.cache-entry')
  expect(cache).toHaveLength(ENTRIES[backend])
  for (const s of served) {
    const r = cache.find((c) => c.url === s.url)!
    expect(r, s.url).toBeDefined()
    expect(r).toMatchObject({app: 'Discord', user: 'ana', backend, status: 200, contentType: s.contentType, lastModified: '2026-12-01T10:00:00Z', reachable: true, problems: []})
    const body = r.body as {size: number; storedSha256: string; decodedSha256: string; extracted: string | null; file: string; offset: number}
    expect(body.size).toBe(s.size)
    expect(body.storedSha256).toBe(s.sha256)
    expect(body.file).toMatch(new RegExp(`^files/dir/${CACHE}/`))
    expect(r.source.key).toBe(`1/0/_dk_http://127.0.0.1 http://127.0.0.1 ${s.url}`)
    expect(r.date).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(r.responseTime).toMatch(/\.\d{6}Z$/)
    if (/^image\/|json/.test(s.contentType)) {
      expect(body.extracted).toMatch(new RegExp(`^derived/dir/${CACHE}/(data_\\d+|f_[0-9a-f]{6}|[0-9a-f]{16}_0)\\.\\d+\\.(png|gif|json)$`))
      expect(body.decodedSha256).toBe(s.decodedSha256 ?? s.sha256)
      expect(sha256(outputs.get(body.extracted!)!)).toBe(s.decodedSha256 ?? s.sha256)
    } else expect(body.extracted).toBeNull()
  }
}

describe('discord-cache parser over the real Chromium caches', () => {
  it('blockfile: collects index, data_0..3 and f_000001, one record per entry, pictures and JSON extracted, coverage whole', async () => {
    const {input, collected, outputs} = inputFor('blockfile', 'index')
    const records = await parseAll(discordCacheParser, input)
    expect(collected.sort()).toEqual(['data_0', 'data_1', 'data_2', 'data_3', 'f_000001', 'f_000002', 'f_000003'])
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const container = records.find((r) => r.type === 'chat.cache-index')!
    expect(container).toMatchObject({backend: 'blockfile', version: '3.0', entries: 15, declaredEntries: 15, orphanEntries: 0, openOrCrashed: false})
    expectRecords(records, 'blockfile', outputs)
    // the 7 pictures and 3 JSON responses, each once (not the text file)
    expect(outputs.size).toBe(10)
    const big = records.find((r) => String(r.url).endsWith('holiday.png'))!
    expect(big.body).toMatchObject({file: `files/dir/${CACHE}/f_000001`, offset: 0, address: '0x80000001'})
    expect(big.source).toMatchObject({file: `files/dir/${CACHE}/data_1`, sourcePath: `${CACHE}/data_1`})
    const video = records.filter((r) => String(r.url).endsWith('clip.mp4'))
    expect(video).toHaveLength(3)
    expect(video.find((r) => (r.sparse as {role: string}).role === 'parent')!.sparse).toMatchObject({role: 'parent', children: [0, 1], ranges: [[0, 9216], [50176, 60000], [1100800, 1105000]]})
    expect(input.coverage).toHaveLength(1)
    expect(input.coverage[0]).toMatchObject({parser: 'discord-cache', store: 'chromium-cache', sourcePath: CACHE})
    expect(input.coverage[0].tables[0]).toMatchObject({table: 'entries reached from the index', rows: 15, parsed: 15, unexplained: 0})
    expect(input.coverage[0].tables[1]).toMatchObject({rows: 0})
  })

  it('simple: each <hash>_0 file is one entry', async () => {
    const records: ParsedRecord[] = []
    const outputs = new Map<string, Buffer>()
    for (const name of readdirSync(join(FIXTURE, 'simple')).filter((n) => n.endsWith('_0'))) {
      const {input, outputs: made} = inputFor('simple', name)
      records.push(...(await parseAll(discordCacheParser, input)))
      for (const [path, data] of made) outputs.set(path, data)
      expect(input.coverage[0].tables[0]).toMatchObject({rows: 1, parsed: 1, unexplained: 0})
    }
    expectRecords(records, 'simple', outputs)
    const {input} = inputFor('simple', 'index')
    const index = await parseAll(discordCacheParser, input)
    expect(index).toMatchObject([{type: 'chat.cache-index', backend: 'simple', indexedEntries: realIndexEntries()}])
  })

  it('a data_1 cut short and a missing f_ file: error records per unreadable entry, problems per damaged one, counted in coverage', async () => {
    const root = scratchDir()
    cpSync(join(FIXTURE, 'blockfile'), join(root, 'blockfile'), {recursive: true})
    const data1 = readFileSync(join(FIXTURE, 'blockfile/data_1'))
    writeFileSync(join(root, 'blockfile/data_1'), data1.subarray(0, 8192 + 256 * 13 + 100))
    rmSync(join(root, 'blockfile/f_000001'))
    const {input} = inputFor('blockfile', 'index', root)
    const records = await parseAll(discordCacheParser, input)
    const errors = records.filter((r) => r.type === 'error')
    expect(errors.length).toBeGreaterThan(0)
    for (const e of errors) expect(e.error).toMatch(/^(bad-address: entry 0x[0-9a-f]{8}: .*past the end of data_1|count: the index header declares 15 entries)/)
    const cache = records.filter((r) => r.type === 'chat.cache-entry')
    const unreadable = errors.filter((e) => String(e.error).startsWith('bad-address')).length
    expect(cache.length + unreadable).toBe(15)
    const holiday = cache.find((r) => String(r.url).endsWith('holiday.png'))!
    expect(holiday.problems).toEqual(['stream 1: f_000001 is not in the folder'])
    expect(holiday.body).toMatchObject({storedSha256: null, extracted: null, note: 'body not extracted: f_000001 is not in the folder'})
    const damaged = cache.filter((r) => (r.problems as string[]).length > 0).length
    expect(input.coverage[0].tables[0]).toMatchObject({rows: 15, parsed: cache.length, excluded: [{rows: unreadable}], unresolved: [{rows: damaged}], unexplained: 0})
  })

  it('refuses other files', () => {
    expect(discordCacheParser.accepts!(Buffer.alloc(256))).toBe(false)
    expect(discordCacheParser.accepts!(readFileSync(join(FIXTURE, 'blockfile/index')).subarray(0, 64))).toBe(true)
  })
})

describe('what a cached URL is to Discord, and its body', () => {
  it('attachments, media proxy, avatars, API', () => {
    expect(discordResource('https://cdn.discordapp.com/attachments/1111/2222/cat%20photo.png?ex=1&is=2')).toEqual({kind: 'attachment', channelId: '1111', attachmentId: '2222', filename: 'cat photo.png'})
    expect(discordResource('https://media.discordapp.net/attachments/1111/2222/cat.png?width=400')).toMatchObject({kind: 'media', channelId: '1111'})
    expect(discordResource('https://cdn.discordapp.com/avatars/80351110224678912/a_5f0e.gif')).toEqual({kind: 'avatar', userId: '80351110224678912', filename: 'a_5f0e.gif'})
    expect(discordResource('https://discord.com/api/v9/channels/5/messages?limit=50')).toEqual({kind: 'api', apiPath: '/api/v9/channels/5/messages?limit=50'})
    expect(discordResource('http://127.0.0.1:8771/attachments/1/2/x.png')).toBeNull()
  })

  it('undoes gzip and br, names what it cannot undo, and picks the extension by type or by magic', () => {
    const json = Buffer.from('{"id":"1"}')
    expect(decodeBody(gzipSync(json), 'gzip').data).toEqual(json)
    expect(decodeBody(brotliCompressSync(json), 'br').data).toEqual(json)
    expect(decodeBody(json, 'zstd')).toMatchObject({data: null, note: expect.stringMatching(/zstd is not one trawl decodes/)})
    expect(decodeBody(gzipSync(json).subarray(0, 8), 'gzip')).toMatchObject({data: null, note: expect.stringMatching(/could not be undone/)})
    expect(extractedExtension('application/json; charset=utf-8', json)).toBe('json')
    expect(extractedExtension('application/octet-stream', Buffer.from('89504e470d0a1a0a0000', 'hex'))).toBe('png')
    expect(extractedExtension('text/plain', Buffer.from('hello'))).toBeNull()
  })
})

describe('trawl collect on a Windows-like tree with the blockfile cache at Discord\'s path', () => {
  it('collects the whole Cache_Data folder, records every entry with its body extracted, and verifies', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    mkdirSync(join(volume, CACHE, '..'), {recursive: true})
    cpSync(join(FIXTURE, 'blockfile'), join(volume, CACHE), {recursive: true})
    const bundle = join(dir, 'discord-cache.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'D-2', '--examiner', 'Test Examiner', '--targets', 'discord-cache', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    for (const name of readdirSync(join(FIXTURE, 'blockfile'))) expect(listing).toContain(`files/dir/${CACHE}/${name}`)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/discord-cache.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l) as ParsedRecord)
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const cache = records.filter((r) => r.type === 'chat.cache-entry')
    expect(cache).toHaveLength(15)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    for (const s of golden('blockfile').served) {
      const r = cache.find((c) => c.url === s.url)!
      const body = r.body as {storedSha256: string; extracted: string | null}
      expect(body.storedSha256).toBe(s.sha256)
      expect(listing).toContain(r.source.file)
      if (body.extracted) {
        const bytes = execFileSync('unzip', ['-p', bundle, body.extracted])
        expect(sha256(bytes)).toBe(s.decodedSha256 ?? s.sha256)
        expect(manifest.entries.find((e: {path: string}) => e.path === body.extracted)).toMatchObject({sha256: s.decodedSha256 ?? s.sha256, kind: 'derived', derivedFrom: {path: (r.body as {file: string}).file, method: expect.stringContaining('Chromium disk cache body')}})
      }
    }
    expect(cache.filter((r) => (r.body as {extracted: string | null}).extracted).length).toBe(10)
    // an extracted picture is read as a collected one: its media records name the derived entry
    const pictures = cache.map((r) => (r.body as {extracted: string | null}).extracted).filter((p): p is string => p !== null && /\.png$/.test(p))
    expect(pictures.length).toBeGreaterThan(0)
    for (const path of pictures) {
      expect(records.find((r) => r.type === 'media.phash' && r.file === path)?.pdq).toMatch(/^[0-9a-f]{64}$/)
    }
    const report = execFileSync('unzip', ['-p', bundle, 'report.html'], {encoding: 'utf8'})
    expect(report).toContain('Messenger HTTP cache entries')
    expect(report).toContain(golden('blockfile').served[0].url)
    // data_0 ends in _0 but is no simple cache entry file: the definition's pattern does not name it
    expect(manifest.notCollected ?? []).toEqual([])
    const coverage = manifest.coverage.find((c: {parser: string}) => c.parser === 'discord-cache')
    expect(coverage.tables[0]).toMatchObject({table: 'entries reached from the index', rows: 15, parsed: 15, unexplained: 0})
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('the simple backend at the same path: each <hash>_0 file matched and read, the-real-index described', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    mkdirSync(join(volume, CACHE, '..'), {recursive: true})
    cpSync(join(FIXTURE, 'simple'), join(volume, CACHE), {recursive: true})
    const bundle = join(dir, 'discord-simple.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'D-3', '--examiner', 'Test Examiner', '--targets', 'discord-cache', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    for (const name of readdirSync(join(FIXTURE, 'simple'))) if (name !== 'index-dir') expect(listing).toContain(`files/dir/${CACHE}/${name}`)
    expect(listing).toContain(`files/dir/${CACHE}/index-dir/the-real-index`)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/discord-cache.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l) as ParsedRecord)
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    const cache = records.filter((r) => r.type === 'chat.cache-entry')
    expect(cache).toHaveLength(13)
    for (const s of golden('simple').served) expect((cache.find((c) => c.url === s.url)!.body as {storedSha256: string}).storedSha256).toBe(s.sha256)
    expect(records.filter((r) => r.type === 'chat.cache-index')).toMatchObject([{backend: 'simple', indexedEntries: realIndexEntries()}])
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
