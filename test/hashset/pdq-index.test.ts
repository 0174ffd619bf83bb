import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {PdqIndex, hammingDistance, parsePdqHex} from '../../src/hashset/pdq-index.js'

/** `base` with the bits at `flips` (0..255) inverted. */
function flipped(base: Uint8Array, flips: number[]): Buffer {
  const out = Buffer.from(base)
  for (const bit of flips) out[bit >> 3] ^= 1 << (bit & 7)
  return out
}

const hash = fc.uint8Array({minLength: 32, maxLength: 32})

describe('the PDQ near-neighbour index', () => {
  it('finds exactly what a linear scan finds, at thresholds that use one-bit, two-bit and no probes', () => {
    fc.assert(
      fc.property(
        hash,
        fc.array(fc.array(fc.nat(255), {maxLength: 60}), {minLength: 1, maxLength: 40}),
        fc.array(hash, {maxLength: 20}),
        fc.constantFrom(0, 15, 31, 40, 47, 64),
        (base, flipSets, strangers, threshold) => {
          // hashes near `base` at many distances, and unrelated ones
          const all = [...flipSets.map((f) => flipped(base, f)), ...strangers.map((s) => Buffer.from(s))]
          const index = new PdqIndex()
          all.forEach((h, i) => index.add(h, i))
          index.build()
          const expected = all
            .map((h, id) => ({id, distance: hammingDistance(h, base)}))
            .filter((n) => n.distance <= threshold)
            .sort((a, b) => a.distance - b.distance || a.id - b.id)
          expect(index.near(base, threshold)).toEqual(expected)
        },
      ),
      {numRuns: 200},
    )
  })

  it('finds a hash 31 bits away when every one of the 16 chunks differs (the pigeonhole worst case)', () => {
    const base = Buffer.alloc(32)
    // 15 chunks with 2 bits flipped, one with 1: 31 bits, no chunk equal to the query's
    const flips: number[] = []
    for (let c = 0; c < 16; c++) {
      flips.push(c * 16)
      if (c < 15) flips.push(c * 16 + 9)
    }
    const far = flipped(base, flips)
    expect(hammingDistance(base, far)).toBe(31)
    const index = new PdqIndex()
    index.add(far, 7)
    index.build()
    expect(index.near(base, 31)).toEqual([{id: 7, distance: 31}])
    expect(index.near(base, 30)).toEqual([])
  })

  it('reads hashes as 64 hex digits only', () => {
    expect(parsePdqHex('f'.repeat(64))?.length).toBe(32)
    expect(parsePdqHex('f'.repeat(63))).toBeUndefined()
    expect(parsePdqHex(`${'0'.repeat(63)}g`)).toBeUndefined()
  })
})
