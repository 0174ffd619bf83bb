import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {PAGE_TRANSITION_CORE_TYPES, PAGE_TRANSITION_QUALIFIERS, decodePageTransition, microsToIsoDuration} from '../../src/parsers/browser/chromium.js'

describe('Chromium page transitions (ui/base/page_transition_types.h)', () => {
  it('names the core types 0 to 10 in the order of the header', () => {
    expect(PAGE_TRANSITION_CORE_TYPES.map((_, value) => decodePageTransition(value).core)).toEqual([
      'link', 'typed', 'auto_bookmark', 'auto_subframe', 'manual_subframe', 'generated',
      'auto_toplevel', 'form_submit', 'reload', 'keyword', 'keyword_generated',
    ])
  })

  it('decodes values seen in real History files', () => {
    // link | chain_start | chain_end: the most common value in the shared test data
    expect(decodePageTransition(805306368)).toEqual({core: 'link', qualifiers: ['chain_start', 'chain_end'], raw: 0x30000000})
    expect(decodePageTransition(838860805)).toEqual({core: 'generated', qualifiers: ['from_address_bar', 'chain_start', 'chain_end'], raw: 0x32000005})
    expect(decodePageTransition(0x80000000 + 0x20000000)).toEqual({core: 'link', qualifiers: ['chain_end', 'server_redirect'], raw: 0xa0000000})
    expect(decodePageTransition(0x4000_0000 + 3)).toEqual({core: 'auto_subframe', qualifiers: ['client_redirect'], raw: 0x40000003})
    expect(decodePageTransition(0x0080_0000 + 0x0400_0000 + 0x0800_0000 + 0x0100_0000 + 8)).toEqual({core: 'reload', qualifiers: ['blocked', 'forward_back', 'home_page', 'from_api'], raw: 0x0d800008})
  })

  it('reads a negative (signed) stored value as the same unsigned 32-bit transition', () => {
    expect(decodePageTransition(-1610612735)).toEqual(decodePageTransition(0xa0000001))
    expect(decodePageTransition(-1610612735n).raw).toBe(0xa0000001)
  })

  it('names unknown core values and unknown qualifier bits by value instead of dropping them', () => {
    expect(decodePageTransition(0x30000000 + 42)).toEqual({core: 'unknown_42', qualifiers: ['chain_start', 'chain_end'], raw: 0x3000002a})
    expect(decodePageTransition(0x0000_0100)).toEqual({core: 'link', qualifiers: ['unknown_0x00000100'], raw: 0x100})
  })

  it('loses no bit: core value, qualifier bits and unknown bits always add up to the stored value', () => {
    const bits = new Map(PAGE_TRANSITION_QUALIFIERS.map(([bit, name]) => [name, bit]))
    fc.assert(
      fc.property(fc.integer({min: -0x8000_0000, max: 0xffff_ffff}), (stored) => {
        const {core, qualifiers, raw} = decodePageTransition(stored)
        expect(raw).toBe(stored >>> 0)
        const coreValue = core.startsWith('unknown_') ? Number(core.slice(8)) : PAGE_TRANSITION_CORE_TYPES.indexOf(core as never)
        let sum = coreValue
        for (const q of qualifiers) sum += q.startsWith('unknown_0x') ? Number.parseInt(q.slice(10), 16) : (bits.get(q) as number)
        expect(sum).toBe(raw)
      }),
    )
  })
})

describe('visit durations', () => {
  it('are exact ISO 8601 durations in seconds; 0 (not recorded) is null', () => {
    expect(microsToIsoDuration(12_345_678n)).toBe('PT12.345678S')
    expect(microsToIsoDuration(2_000_000n)).toBe('PT2S')
    expect(microsToIsoDuration(1n)).toBe('PT0.000001S')
    expect(microsToIsoDuration(86_400_000_000n)).toBe('PT86400S')
    expect(microsToIsoDuration(0n)).toBe(null)
    expect(microsToIsoDuration(null)).toBe(null)
    expect(microsToIsoDuration(-1_500_000)).toBe('-PT1.5S')
  })

  it('give the same text from a number and from a BigInt', () => {
    fc.assert(
      fc.property(fc.integer({min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER}), (micros) => {
        expect(microsToIsoDuration(micros)).toBe(microsToIsoDuration(BigInt(micros)))
      }),
    )
  })
})
