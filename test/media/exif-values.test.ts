import {describe, expect, it} from 'vitest'
import {dmsToDegrees, exifTime, gpsTimeUtc, signedAltitude, signedCoordinate, tagNumber, tagText} from '../../src/parsers/media/exif-values.js'

describe('EXIF times', () => {
  it('without an offset the time is local: no UTC is invented', () => {
    expect(exifTime('2017:06:05 22:30:47')).toEqual({raw: '2017:06:05 22:30:47', local: '2017-06-05T22:30:47', offset: null, utc: null, subSec: null})
  })

  it('with an offset the UTC time follows, sub-seconds kept digit for digit', () => {
    expect(exifTime('2017:06:05 22:30:47', '00', '+02:00')).toEqual({raw: '2017:06:05 22:30:47', local: '2017-06-05T22:30:47.00', offset: '+02:00', utc: '2017-06-05T20:30:47.00Z', subSec: '00'})
    // crossing midnight and a year backwards, and a half-hour zone
    expect(exifTime('2020:01:01 01:15:00', '5', '+05:30')?.utc).toBe('2019-12-31T19:45:00.5Z')
    expect(exifTime('2020:12:31 22:00:00', undefined, '-03:00')?.utc).toBe('2021-01-01T01:00:00Z')
  })

  it('invalid or unset times keep their raw text and nothing else', () => {
    expect(exifTime('0000:00:00 00:00:00')).toMatchObject({local: null, utc: null})
    expect(exifTime('2021:02:29 10:00:00')?.local).toBeNull()
    expect(exifTime('2020:02:29 10:00:00')?.local).toBe('2020-02-29T10:00:00')
    expect(exifTime('2021:13:01 10:00:00')?.local).toBeNull()
    expect(exifTime('yesterday', 'x', 'CET')).toEqual({raw: 'yesterday', local: null, offset: null, utc: null, subSec: null})
    expect(exifTime('   ')).toBeNull()
    expect(exifTime(undefined)).toBeNull()
    expect(exifTime('2021:01:01 10:00:00', ' 12 ', ' +01:00 ')).toMatchObject({subSec: '12', offset: '+01:00', utc: '2021-01-01T09:00:00.12Z'})
    expect(exifTime('2021:01:01 10:00:00', undefined, '+15:00')?.offset).toBeNull()
  })
})

describe('GPS values', () => {
  it('degrees, minutes, seconds to signed decimal degrees', () => {
    expect(dmsToDegrees([43, 28, 2.814])).toBeCloseTo(43.46744833333333, 12)
    expect(signedCoordinate([3, 43, 29.11], 'W', 'W')).toBeCloseTo(-3.724752777777778, 12)
    expect(signedCoordinate([0, 22.278, 0], 'S', 'S')).toBeCloseTo(-0.3713, 12)
    expect(signedCoordinate([51, 1, 30], 'N', 'S')).toBe(51.025)
    // no reference: taken as north/east, as exiftool does
    expect(signedCoordinate([10, 30, 0], undefined, 'S')).toBe(10.5)
    expect(dmsToDegrees([Number.NaN, 1, 2])).toBeNull()
    expect(dmsToDegrees('forty-two')).toBeNull()
    expect(dmsToDegrees([])).toBeNull()
  })

  it('altitude below sea level is negative (GPSAltitudeRef 1)', () => {
    expect(signedAltitude(12.5, new Uint8Array([1]))).toBe(-12.5)
    expect(signedAltitude(12.5, 0)).toBe(12.5)
    expect(signedAltitude(undefined, 1)).toBeNull()
  })

  it('GPS date + time stamp are UTC', () => {
    expect(gpsTimeUtc('2008:10:23', [14, 27, 7.24])).toBe('2008-10-23T14:27:07.24Z')
    expect(gpsTimeUtc('2022:01:12', [7, 30, 14])).toBe('2022-01-12T07:30:14Z')
    expect(gpsTimeUtc('2015:04:10', [18, 12, 23.06])).toBe('2015-04-10T18:12:23.06Z')
    expect(gpsTimeUtc(undefined, [1, 2, 3])).toBeNull()
    expect(gpsTimeUtc('2021:13:45', [1, 2, 3])).toBeNull()
    expect(gpsTimeUtc('2021:01:01', [25, 61, Number.POSITIVE_INFINITY])).toBeNull()
  })

  it('tag values of the wrong shape', () => {
    expect(tagNumber(new Uint16Array([100, 0]))).toBe(100)
    expect(tagNumber('12')).toBeNull()
    expect(tagText(new Uint8Array([65, 66, 0, 0]))).toBe('AB')
    expect(tagText({})).toBeNull()
  })
})
