import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {prtimeSplitToIso, tolerant, webkitSplitToIso} from '../../src/parsers/browser/times.js'
import {unixMicrosToIso, webkitToIso} from '../../src/time.js'

/** What SQLite's integer `/` and `%` give: truncation toward zero, remainder with the dividend's sign. */
const split = (value: bigint): [number, number] => [Number(value / 1_000_000n), Number(value % 1_000_000n)]

describe('split-time conversion used for streamed rows', () => {
  it('equals src/time.ts webkitToIso for every 63-bit Chromium time (null where time.ts cannot date it)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({min: -(2n ** 62n), max: 2n ** 62n}), fc.bigInt({min: 11_644_473_600_000_000n, max: 20_000_000_000_000_000n})), (value) => {
        const [s, us] = split(value)
        expect(webkitSplitToIso(s, us)).toBe(tolerant(webkitToIso, value))
      }),
      {numRuns: 5000},
    )
  })

  it('equals src/time.ts unixMicrosToIso for every PRTime', () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({min: -(2n ** 62n), max: 2n ** 62n}), fc.bigInt({min: 0n, max: 4_000_000_000_000_000n})), (value) => {
        const [s, us] = split(value)
        expect(prtimeSplitToIso(s, us)).toBe(tolerant(unixMicrosToIso, value))
      }),
      {numRuns: 5000},
    )
  })

  it('keeps the edge values exact', () => {
    expect(webkitSplitToIso(...split(13_014_880_135_498_622n))).toBe('2013-06-05T04:28:55.498622Z')
    expect(webkitSplitToIso(...split(11_644_473_600_000_000n))).toBe('1970-01-01T00:00:00.000000Z')
    expect(webkitSplitToIso(...split(11_644_473_599_999_999n))).toBe('1969-12-31T23:59:59.999999Z')
    expect(webkitSplitToIso(0, 0)).toBe(null)
    expect(webkitSplitToIso(null, null)).toBe(null)
    expect(prtimeSplitToIso(...split(1_309_518_981_371_935n))).toBe('2011-07-01T11:16:21.371935Z')
    expect(prtimeSplitToIso(...split(-1n))).toBe('1969-12-31T23:59:59.999999Z')
  })
})
