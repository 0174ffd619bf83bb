import {createHash} from 'node:crypto'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {headerValue, parseCacheKey, readBlockfileCache, readSimpleEntry, readSimpleRealIndex, readSimpleSparse} from '../../src/chromium-cache/index.js'
import type {CacheEntry, CacheFolder} from '../../src/chromium-cache/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/chromium-cache/build.sh: the real Chromium (headless, fresh profile) fetched pictures,
 * JSON and text with cacheable headers from a local server, once with the blockfile backend
 * (Windows' and Windows Discord's) and once with the simple backend (Linux's); the server wrote
 * what it served (golden/<backend>.json).
 */
const FIXTURE = join(REPO_ROOT, 'fixtures/chromium-cache')
interface Served {path: string; url: string; contentType: string; contentEncoding?: string; size: number; sha256: string; decodedSha256?: string}
const golden = (backend: string) => JSON.parse(readFileSync(join(FIXTURE, `golden/${backend}.json`), 'utf8')) as {port: number; served: Served[]; replaced: Served[]; deleted: Served[]; ranges: Array<{url: string; start: number; end: number; sha256: string}>}
/** Entries each cache holds: the served URLs, the favicon's 404, the range-requested video (blockfile: its parent and two children, one per MiB; simple: one entry with an _s file). */
const ENTRIES: Record<string, number> = {blockfile: 15, simple: 13}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** The fixture folder, with files replaced or removed by `changes` (the fixture itself is never written). */
function folder(backend: string, changes: Record<string, Buffer | null> = {}): CacheFolder {
  return {
    read: (name) => {
      if (name in changes) return changes[name] ?? undefined
      try {
        return readFileSync(join(FIXTURE, backend, name))
      } catch {
        return undefined
      }
    },
  }
}

const body = (e: CacheEntry) => e.streams.find((s) => s.index === 1)?.data ?? null

function expectGolden(entries: CacheEntry[], backend: string): void {
  const {port, served} = golden(backend)
  expect(served).toHaveLength(11)
  for (const s of served) {
    const e = entries.find((x) => x.key.url === s.url)
    expect(e, s.url).toBeDefined()
    expect(e!.key.key).toBe(`1/0/_dk_http://127.0.0.1 http://127.0.0.1 ${s.url}`)
    expect(e!.response?.status).toBe(200)
    expect(headerValue(e!.response, 'content-type')).toBe(s.contentType)
    expect(headerValue(e!.response, 'content-encoding')).toBe(s.contentEncoding ?? null)
    expect(headerValue(e!.response, 'last-modified')).toBe('Tue, 01 Dec 2026 10:00:00 GMT')
    expect(body(e!)?.length).toBe(s.size)
    expect(sha256(body(e!)!)).toBe(s.sha256)
    expect(e!.problems).toEqual([])
    expect(e!.keyHashValid).toBe(true)
  }
  // the browser's own favicon request, answered 404 by the server, is cached too
  const favicon = entries.find((x) => x.key.url === `http://127.0.0.1:${port}/favicon.ico`)
  expect(favicon?.response?.status).toBe(404)
  expect(entries).toHaveLength(ENTRIES[backend])
  // reloaded with new bytes: the entry holds the second version only; reloaded and answered
  // no-store: Chromium deleted the entry and wiped its blocks, and the reader invents nothing
  const {replaced, deleted} = golden(backend)
  expect(replaced.map((r) => r.sha256)).not.toContain(sha256(body(entries.find((e) => e.key.url === replaced[0].url)!)!))
  expect(entries.filter((e) => e.key.url === deleted[0].url)).toEqual([])
}

describe('blockfile cache written by the real Chromium', () => {
  it('reads every entry the server served: URL, content type, body SHA-256, from data_N blocks and f_ files', () => {
    const cache = readBlockfileCache(folder('blockfile'))
    expect(cache.backend).toBe('blockfile')
    expect(cache.version).toBe(0x30000)
    expect(cache.problems).toEqual([])
    expect(cache.openOrCrashed).toBe(false)
    expect(cache.counts).toEqual({indexSlots: 15, indexedEntries: 15, declaredEntries: 15, unreadable: 0, orphans: 0})
    expectGolden(cache.entries, 'blockfile')
    for (const e of cache.entries) {
      expect(e.selfHashValid).toBe(true)
      expect(e.dirty).toBe(false)
      expect(e.state).toBe('normal')
      expect(e.created).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
      expect(e.file).toBe('data_1')
      expect(e.address).toMatch(/^0xa[0-3]01[0-9a-f]{4}$/) // 256-byte blocks (type 2) of data_1, 1 to 4 of them
    }
    // the 30 173-byte picture is over the 16 KiB a block run holds: Chromium put it in f_000001
    const big = cache.entries.find((e) => e.key.url?.endsWith('holiday.png'))!
    expect(big.streams.find((s) => s.index === 1)).toMatchObject({file: 'f_000001', offset: 0, address: '0x80000001'})
    expect(big.response!.requestTime! <= big.response!.responseTime!).toBe(true)
  })

  it('copied while Chromium ran (a live collection): the crash flag is set, every entry is read', () => {
    const cache = readBlockfileCache(folder('blockfile-live'))
    expect(cache.openOrCrashed).toBe(true)
    expect(cache.problems).toEqual([])
    expectGolden(cache.entries, 'blockfile')
  })

  it('a key too long for the entry\'s blocks is read from its own block (long_key)', () => {
    const cache = readBlockfileCache(folder('blockfile'))
    const long = cache.entries.find((e) => e.key.url?.includes('/long.png'))!
    expect(long.key.key.length).toBeGreaterThan(927)
    expect(long.keyHashValid).toBe(true)
    const signed = cache.entries.find((e) => e.key.url?.includes('/signed.png'))!
    expect(signed.key.url).toMatch(/\?ex=6790e3a1&is=678f9221&hm=[0-9a-f]{64}&$/)
    expect(signed.address).toMatch(/^0xa1/) // two blocks
  })

  it('a data_1 cut short gives each entry it held a clear problem, not a crash', () => {
    const data1 = readFileSync(join(FIXTURE, 'blockfile/data_1'))
    const cache = readBlockfileCache(folder('blockfile', {data_1: data1.subarray(0, 8192 + 256 * 13 + 100)}))
    const readable = cache.entries.length
    expect(readable + cache.counts.unreadable).toBe(15)
    expect(cache.counts.unreadable).toBeGreaterThan(0)
    expect(cache.problems.filter((p) => p.kind === 'bad-address' && /past the end of data_1/.test(p.message))).toHaveLength(cache.counts.unreadable)
    // an entry whose record survived but whose streams lay past the cut says so
    const cut = cache.entries.filter((e) => e.problems.length > 0)
    expect(cut.length).toBeGreaterThan(0)
    for (const e of cut) expect(e.problems.join('\n')).toMatch(/past the end of data_1|truncated/)
  })

  it('a missing f_ file and a missing block file are named per entry and stream', () => {
    const cache = readBlockfileCache(folder('blockfile', {f_000001: null, data_3: null}))
    const big = cache.entries.find((e) => e.key.url?.endsWith('holiday.png'))!
    expect(big.problems).toEqual(['stream 1: f_000001 is not in the folder'])
    expect(body(big)).toBeNull()
    expect(cache.entries).toHaveLength(15)
  })

  it('an entry no index slot reaches any more is recovered from its block as an orphan', () => {
    const index = Buffer.from(readFileSync(join(FIXTURE, 'blockfile/index')))
    const cat = readBlockfileCache(folder('blockfile')).entries.find((e) => e.key.url?.endsWith('cat.png'))!
    const slot = Number.parseInt(cat.hash, 16) & (index.readInt32LE(28) - 1)
    index.writeUInt32LE(0, 368 + slot * 4)
    const cache = readBlockfileCache(folder('blockfile', {index}))
    expect(cache.counts).toMatchObject({indexSlots: 14, indexedEntries: 14, orphans: 1})
    const orphan = cache.entries.find((e) => !e.reachable)!
    expect(orphan.key.url).toBe(cat.key.url)
    expect(sha256(body(orphan)!)).toBe(sha256(body(cat)!))
    expect(cache.problems.map((p) => p.kind).sort()).toEqual(['count', 'orphan'])
    expect(orphan.blocks).toBe('allocated')
    expect(orphan.problems).toEqual([])
  })

  it('an orphan in blocks marked free is recovered, its streams flagged as possibly overwritten', () => {
    const index = Buffer.from(readFileSync(join(FIXTURE, 'blockfile/index')))
    const data1 = Buffer.from(readFileSync(join(FIXTURE, 'blockfile/data_1')))
    const cat = readBlockfileCache(folder('blockfile')).entries.find((e) => e.key.url?.endsWith('cat.png'))!
    index.writeUInt32LE(0, 368 + (Number.parseInt(cat.hash, 16) & (index.readInt32LE(28) - 1)) * 4)
    // free the entry's block and its streams' blocks in data_1's allocation bitmap (from byte 80 of the header)
    for (const offset of [cat.offset, ...cat.streams.map((s) => s.offset!)]) {
      const block = (offset - 8192) / 256
      data1[80 + (block >> 3)] &= ~(1 << (block & 7))
    }
    const cache = readBlockfileCache(folder('blockfile', {index, data_1: data1}))
    const orphan = cache.entries.find((e) => !e.reachable)!
    expect(orphan).toMatchObject({blocks: 'free', key: {url: cat.key.url}})
    expect(orphan.problems).toEqual([
      expect.stringMatching(/^stream 0: its blocks \(0x[0-9a-f]+\) are marked free: the bytes may have been overwritten/),
      expect.stringMatching(/^stream 1: its blocks .* are marked free/),
    ])
    expect(sha256(body(orphan)!)).toBe(sha256(body(cat)!))
    expect(cache.problems.find((p) => p.kind === 'orphan')?.message).toMatch(/deleted: its blocks are marked free/)
  })

  it('an entry being written (dirty rankings node) and an EntryStore whose bytes changed say so', () => {
    const clean = readBlockfileCache(folder('blockfile'))
    const cat = clean.entries.find((e) => e.key.url?.endsWith('cat.png'))!
    const data1 = Buffer.from(readFileSync(join(FIXTURE, 'blockfile/data_1')))
    data1[cat.offset + 16] ^= 1 // refetch_count, inside what the self hash covers
    const data0 = Buffer.from(readFileSync(join(FIXTURE, 'blockfile/data_0')))
    const avatar = clean.entries.find((e) => e.key.url?.endsWith('a_5f0e.gif'))!
    const rankings = data1.readUInt32LE(avatar.offset + 8) & 0xffff // first block of the rankings address, in data_0
    data0.writeInt32LE(7, 8192 + rankings * 36 + 28)
    const cache = readBlockfileCache(folder('blockfile', {data_0: data0, data_1: data1}))
    const damaged = cache.entries.find((e) => e.key.url?.endsWith('cat.png'))!
    expect(damaged.selfHashValid).toBe(false)
    expect(damaged.problems).toEqual(['the EntryStore\'s self hash does not match its bytes (damaged or overwritten)'])
    const dirty = cache.entries.find((e) => e.key.url?.endsWith('a_5f0e.gif'))!
    expect(dirty.dirty).toBe(true)
    expect(dirty.problems.join('\n')).toMatch(/open for writing .*dirty, run 7\)/)
    expect(sha256(body(dirty)!)).toBe(sha256(body(avatar)!))
  })

  it('a video fetched by byte ranges: a parent entry, one child per MiB, the fetched ranges and their bytes', () => {
    const cache = readBlockfileCache(folder('blockfile'))
    const {ranges} = golden('blockfile')
    const parent = cache.entries.find((e) => e.key.url === ranges[0].url && !e.key.sparseChild)!
    expect(parent.response?.status).toBe(206)
    expect(parent.sparse).toEqual({role: 'parent', children: [0, 1]})
    const children = cache.entries.filter((e) => e.key.sparseChild?.parentKey === parent.key.key)
    expect(children.map((c) => c.key.sparseChild!.child).sort()).toEqual([0, 1])
    const fetched = children.flatMap((c) => (c.sparse?.role === 'child' ? c.sparse.ranges : []))
    // the bitmap marks whole 1 KiB blocks and the last block written: a block served in part
    // before another write is not marked (its bytes are still in stream 1), so the marked ranges
    // lie within what was served, and every served range's bytes are in its child's stream 1
    expect(fetched).toEqual([[0, 9216], [50176, 60000], [1100800, 1105000]])
    for (const [a, b] of fetched) expect(ranges.some((r) => r.start <= a && b <= r.end), `${a}-${b}`).toBe(true)
    for (const r of ranges) {
      const child = children.find((c) => c.key.sparseChild!.child === Math.floor(r.start / (1 << 20)))!
      const at = r.start - child.key.sparseChild!.child * (1 << 20)
      expect(sha256(body(child)!.subarray(at, at + r.end - r.start))).toBe(r.sha256)
    }
  })

  it('refuses a file that is no blockfile index', () => {
    expect(() => readBlockfileCache(folder('blockfile', {index: Buffer.alloc(512)}))).toThrow(/not a blockfile cache index/)
  })
})

describe('simple cache written by the real Chromium', () => {
  const files = readdirSync(join(FIXTURE, 'simple')).filter((n) => n.endsWith('_0'))
  const read = (name: string, data = readFileSync(join(FIXTURE, 'simple', name))) => readSimpleEntry(name, data)

  it('reads every entry file: URL, content type, body SHA-256, CRCs valid, file name = hash of the key', () => {
    const entries = files.map((n) => read(n))
    expectGolden(entries, 'simple')
    for (const e of entries) {
      expect(e.file).toBe(`${e.hash}_0`)
      for (const s of e.streams) expect(s.crcValid).toBe(true)
    }
  })

  it('the-real-index names entries of the folder, as of its last write (it is rewritten lazily, so it may name fewer)', () => {
    const index = readSimpleRealIndex(readFileSync(join(FIXTURE, 'simple/index-dir/the-real-index')))
    expect(index.problems).toEqual([])
    expect(index.version).toBeGreaterThanOrEqual(8)
    expect(index.entries.length).toBeGreaterThan(0)
    for (const e of index.entries) expect(files).toContain(`${e.hash}_0`)
    expect(index.modified).toMatch(/^2026-/)
  })

  it('a video fetched by byte ranges: its _s file holds each range with a valid CRC', () => {
    const {ranges} = golden('simple')
    const name = files.find((n) => read(n).key.url === ranges[0].url)!
    const data = readFileSync(join(FIXTURE, 'simple', `${name.slice(0, -2)}_s`))
    const sparse = readSimpleSparse(`${name.slice(0, -2)}_s`, data)
    expect(sparse.problems).toEqual([])
    for (const piece of sparse.ranges) expect(piece.crcValid).toBe(true)
    for (const r of ranges) {
      const pieces = sparse.ranges.filter((p) => p.start >= r.start && p.end <= r.end).sort((a, b) => a.start - b.start)
      expect(pieces.reduce((n, p) => n + p.end - p.start, 0)).toBe(r.end - r.start)
      expect(sha256(Buffer.concat(pieces.map((p) => data.subarray(p.fileOffset, p.fileOffset + p.end - p.start))))).toBe(r.sha256)
    }
    const cut = readSimpleSparse('x_s', data.subarray(0, data.length - 10))
    expect(cut.problems.join('\n')).toMatch(/declares \d+ bytes, \d+ are stored \(truncated\)/)
  })

  it('a damaged body fails its CRC and a truncated file loses its EOF record: problems, not crashes', () => {
    const name = files.find((n) => read(n).key.url?.endsWith('holiday.png'))!
    const data = Buffer.from(readFileSync(join(FIXTURE, 'simple', name)))
    const e = read(name)
    const at = e.streams.find((s) => s.index === 1)!.offset! + 100
    data[at] ^= 0xff
    const damaged = read(name, data)
    expect(damaged.streams.find((s) => s.index === 1)!.crcValid).toBe(false)
    expect(damaged.problems.join('\n')).toMatch(/stream 1: its CRC-32 does not match/)
    const truncated = read(name, data.subarray(0, 5000))
    expect(truncated.problems.join('\n')).toMatch(/stream 0: no EOF record .*truncated/)
    expect(truncated.response).toBeNull()
  })
})

describe('cache keys', () => {
  it('takes the URL out of a double key, as Discord\'s cache has them', () => {
    expect(parseCacheKey('1/0/_dk_https://discord.com https://discord.com https://cdn.discordapp.com/attachments/1/2/a b.png')).toMatchObject({url: null})
    expect(parseCacheKey('1/0/_dk_https://discord.com https://discord.com https://cdn.discordapp.com/attachments/1/2/ab.png')).toEqual({
      key: '1/0/_dk_https://discord.com https://discord.com https://cdn.discordapp.com/attachments/1/2/ab.png',
      url: 'https://cdn.discordapp.com/attachments/1/2/ab.png', topFrameSite: 'https://discord.com', frameSite: 'https://discord.com', marker: '_dk_', uploadId: 0,
    })
    expect(parseCacheKey('https://discord.com/api/v9/users/@me')).toMatchObject({url: 'https://discord.com/api/v9/users/@me', marker: null, topFrameSite: null})
  })
})
