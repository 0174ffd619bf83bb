import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {RowKeySet} from '../../src/parsers/coverage.js'

describe('the set of parsed row keys', () => {
  it('counts distinct keys exactly as a Set does, for rowids, large and negative integers and text', () => {
    const key = fc.oneof(fc.nat(5000), fc.integer({min: -5, max: 2 ** 40}), fc.constantFrom(2 ** 24 - 1, 2 ** 24, 2 ** 53), fc.string({maxLength: 3}))
    fc.assert(
      fc.property(fc.array(key, {maxLength: 300}), (keys) => {
        const set = new RowKeySet()
        const reference = new Set<string | number>()
        for (const k of keys) {
          set.add(k)
          reference.add(k)
        }
        expect(set.size).toBe(reference.size)
        for (const k of keys) expect(set.has(k)).toBe(true)
        expect(set.has('never added')).toBe(false)
      }),
    )
  })

  it('keeps the number 7 and the text "7" apart, as the keys of different tables may be', () => {
    const set = new RowKeySet()
    set.add(7)
    set.add('7')
    expect(set.size).toBe(2)
  })

  it('stays small for ten million dense rowids', () => {
    const set = new RowKeySet()
    const before = process.memoryUsage().arrayBuffers
    for (let i = 1; i <= 10_000_000; i++) set.add(i)
    expect(set.size).toBe(10_000_000)
    // a bitmap of 10M bits is 1.25 MB (4 MiB at most after doubling); a Set of numbers would be ~200 MB
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
  })
})
