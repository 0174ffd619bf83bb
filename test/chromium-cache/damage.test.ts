import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readBlockfileCache, readSimpleEntry} from '../../src/chromium-cache/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * Damage an examiner meets in a cache copied from a disk: bytes changed at random in the
 * index's table, in the entries' and rankings' block files, and entry files cut anywhere. The
 * readers must give an account (entries, problems) every time, never throw past their refusal
 * of a file that is not a cache.
 */
const FIXTURE = join(REPO_ROOT, 'fixtures/chromium-cache')
const original = (backend: string, name: string) => readFileSync(join(FIXTURE, backend, name))

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

describe('damaged caches give problems, not crashes', () => {
  it('blockfile: 300 runs of random bytes changed in index slots, EntryStores, rankings and streams', () => {
    const files = Object.fromEntries(['index', 'data_0', 'data_1', 'data_2', 'data_3', 'f_000001'].map((n) => [n, original('blockfile', n)]))
    const cat = readBlockfileCache({read: (n) => files[n]})
    const used = cat.entries.map((e) => e.offset)
    let problems = 0
    let damagedEntries = 0
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed)
      const damaged: Record<string, Buffer> = Object.fromEntries(Object.entries(files).map(([n, b]) => [n, Buffer.from(b)]))
      for (let k = 0; k < 16; k++) {
        const target = ['index', 'data_0', 'data_1', 'data_1', 'data_1'][Math.floor(next() * 5)]
        const buf = damaged[target]
        // aim at the bytes that matter: the slots in use, the entries, the rankings nodes
        const offset = target === 'index' ? 368 + Math.floor(next() * 0x80000) * 4 : target === 'data_1' ? used[Math.floor(next() * used.length)] + Math.floor(next() * 256) : 8192 + Math.floor(next() * 36 * 16)
        if (offset < buf.length) buf[offset] = Math.floor(next() * 256)
      }
      if (next() < 0.3) damaged.data_1 = damaged.data_1.subarray(0, 8192 + Math.floor(next() * 40) * 256)
      const cache = readBlockfileCache({read: (n) => damaged[n]})
      expect(cache.counts.indexedEntries + cache.counts.unreadable).toBeLessThanOrEqual(cache.counts.indexSlots * 4 + 12)
      problems += cache.problems.length
      damagedEntries += cache.entries.filter((e) => e.problems.length > 0).length
    }
    // the damage reached what it aimed at: entries and slots the readers had to report
    expect(problems).toBeGreaterThan(300)
    expect(damagedEntries).toBeGreaterThan(300)
  })

  it('simple: every entry file cut at every 7th byte, and with bytes changed', () => {
    for (const name of readdirSync(join(FIXTURE, 'simple')).filter((n) => n.endsWith('_0'))) {
      const data = original('simple', name)
      for (let cut = 24 + 1; cut < data.length; cut += 7) {
        let entry
        try {
          entry = readSimpleEntry(name, data.subarray(0, cut))
        } catch (error) {
          // the only refusal: a file too short to hold its own key
          expect((error as Error).message).toMatch(/its key of \d+ bytes runs past the end of the file/)
          continue
        }
        expect(entry.problems.length).toBeGreaterThan(0)
      }
      const next = random(data.length)
      for (let run = 0; run < 50; run++) {
        const damaged = Buffer.from(data)
        for (let k = 0; k < 4; k++) damaged[24 + Math.floor(next() * (data.length - 24))] = Math.floor(next() * 256)
        const entry = readSimpleEntry(name, damaged, next() < 0.5 ? damaged.subarray(0, Math.floor(next() * 64)) : undefined)
        expect(Array.isArray(entry.problems)).toBe(true)
      }
    }
  })
})
