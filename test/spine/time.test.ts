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
})
