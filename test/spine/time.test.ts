import {describe, expect, it} from 'vitest'
import {appleToIso, filetimeToIso, unixMicrosToIso, unixMillisToIso, unixNanosToIso, unixSecondsToIso, webkitToIso} from '../../src/time.js'

// expected values computed independently with Python's datetime
describe('time bases to ISO 8601 UTC at full precision', () => {
  it('keeps FILETIME to 100 ns', () => {
    // 2016-10-05T09:47:50.9674171Z, the TypedURLs key of plaso's NTUSER.DAT
    expect(filetimeToIso(131201344709674171n)).toBe('2016-10-05T09:47:50.9674171Z')
    expect(filetimeToIso(0n)).toBeNull()
    expect(filetimeToIso(116444736000000000n)).toBe('1970-01-01T00:00:00.0000000Z')
  })
  it('reads Chromium microseconds since 1601 and treats 0 as absent', () => {
    expect(webkitToIso(13370144040123456)).toBe('2024-09-07T00:54:00.123456Z')
    expect(webkitToIso(0)).toBeNull()
    expect(webkitToIso(null)).toBeNull()
  })
  it('reads Firefox PRTime, WhatsApp milliseconds and Skype seconds', () => {
    expect(unixMicrosToIso(1725700000123456)).toBe('2024-09-07T09:06:40.123456Z')
    expect(unixMillisToIso(1725700000123)).toBe('2024-09-07T09:06:40.123Z')
    expect(unixSecondsToIso(1725700000)).toBe('2024-09-07T09:06:40Z')
  })
  it('reads Apple 2001-epoch seconds, nanoseconds and fractional seconds', () => {
    expect(appleToIso(0)).toBeNull()
    expect(appleToIso(599913600)).toBe('2020-01-05T10:40:00Z')
    expect(appleToIso(599913600123456789n)).toBe('2020-01-05T10:40:00.123456789Z')
    expect(appleToIso(599913600.25)).toBe('2020-01-05T10:40:00.250000Z')
  })
  it('keeps POSIX nanoseconds and handles times before 1970', () => {
    expect(unixNanosToIso(1n)).toBe('1970-01-01T00:00:00.000000001Z')
    expect(unixNanosToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z')
  })

  it('formats every second as the Date-based formatting did (days, leap years, centuries, both sides of 1970)', () => {
    const viaDate = (seconds: bigint) => `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}Z`
    const edges = [0n, -1n, 59n, 86_399n, 86_400n, 951_782_400n /* 2000-02-29 */, 4_107_542_400n /* 2100-02-28 */, 4_107_628_800n /* 2100-03-01 */,
      -62_167_219_200n /* 0000-01-01 */, 253_402_300_799n /* 9999-12-31T23:59:59 */, -2_208_988_800n /* 1900-01-01 */, 1_764_766_800n]
    let x = 0x2545f491n
    for (let i = 0; i < 20_000; i++) {
      // a spread of seconds from year 0 to 9999 (xorshift)
      x ^= (x << 13n) & 0xffffffffffffn
      x ^= x >> 7n
      x ^= (x << 17n) & 0xffffffffffffn
      edges.push((x % 315_569_520_000n) - 62_167_219_200n)
    }
    for (const seconds of edges) expect(unixNanosToIso(seconds * 1_000_000_000n).slice(0, 19) + 'Z', String(seconds)).toBe(viaDate(seconds))
    // FILETIME's last second (year 30828) keeps the form it had
    expect(filetimeToIso(0x7fffffffffffffffn)).toBe(`${viaDate(0x7fffffffffffffffn / 10_000_000n - 11_644_473_600n).slice(0, 19)}.4775807Z`)
  })
})
