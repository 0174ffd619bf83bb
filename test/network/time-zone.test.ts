import {describe, expect, it} from 'vitest'
import {localSystemTimeToUtc, parseSystemTime, systemTimeToLocalIso, type TimeZoneInformation, transitionInYear} from '../../src/parsers/network/time-zone.js'

const eastern: TimeZoneInformation = {
  bias: 300,
  standardName: 'Eastern Standard Time',
  standardBias: 0,
  standardStart: {month: 11, dayOfWeek: 0, week: 1, hour: 2, minute: 0},
  daylightName: 'Eastern Daylight Time',
  daylightBias: -60,
  daylightStart: {month: 3, dayOfWeek: 0, week: 2, hour: 2, minute: 0},
  timeZoneKeyName: 'Eastern Standard Time',
  dynamicDaylightTimeDisabled: false,
  activeTimeBias: 240,
  keyPath: 'ControlSet001\\Control\\TimeZoneInformation',
}
// AUS Eastern: daylight from the 1st Sunday of October 02:00 to the 1st Sunday of April 03:00, bias -600
const sydney: TimeZoneInformation = {
  ...eastern,
  bias: -600,
  standardStart: {month: 4, dayOfWeek: 0, week: 1, hour: 3, minute: 0},
  daylightStart: {month: 10, dayOfWeek: 0, week: 1, hour: 2, minute: 0},
}
const st = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0) => ({year: y, month: mo, dayOfWeek: 0, day: d, hour: h, minute: mi, second: s, milliseconds: ms})

describe('Windows time-zone rules', () => {
  it('finds the n-th and the last weekday of a month', () => {
    expect(new Date(transitionInYear({month: 3, dayOfWeek: 0, week: 2, hour: 2, minute: 0}, 2016)).toISOString()).toBe('2016-03-13T02:00:00.000Z')
    expect(new Date(transitionInYear({month: 10, dayOfWeek: 0, week: 5, hour: 3, minute: 0}, 2016)).toISOString()).toBe('2016-10-30T03:00:00.000Z')
    expect(new Date(transitionInYear({month: 2, dayOfWeek: 1, week: 5, hour: 0, minute: 0}, 2016)).toISOString()).toBe('2016-02-29T00:00:00.000Z')
  })

  it('converts local times around the US Eastern transitions', () => {
    expect(localSystemTimeToUtc(eastern, st(2016, 3, 13, 1, 59))!.utc).toBe('2016-03-13T06:59:00.000Z')
    expect(localSystemTimeToUtc(eastern, st(2016, 3, 13, 3, 0))).toEqual({utc: '2016-03-13T07:00:00.000Z', daylight: true, biasMinutes: 240})
    expect(localSystemTimeToUtc(eastern, st(2016, 11, 6, 2, 0))!.utc).toBe('2016-11-06T07:00:00.000Z')
    expect(localSystemTimeToUtc(eastern, st(2016, 12, 31, 23, 59, 59, 999))!.utc).toBe('2017-01-01T04:59:59.999Z')
  })

  it('handles southern-hemisphere daylight time that spans the new year', () => {
    expect(localSystemTimeToUtc(sydney, st(2017, 1, 10, 12))).toEqual({utc: '2017-01-10T01:00:00.000Z', daylight: true, biasMinutes: -660})
    expect(localSystemTimeToUtc(sydney, st(2017, 6, 10, 12))).toEqual({utc: '2017-06-10T02:00:00.000Z', daylight: false, biasMinutes: -600})
  })

  it('a zone without daylight rules, or with dynamic DST disabled, uses the standard bias', () => {
    expect(localSystemTimeToUtc({...eastern, daylightStart: undefined}, st(2016, 7, 1, 12))!.utc).toBe('2016-07-01T17:00:00.000Z')
    expect(localSystemTimeToUtc({...eastern, dynamicDaylightTimeDisabled: true}, st(2016, 7, 1, 12))!.utc).toBe('2016-07-01T17:00:00.000Z')
  })

  it('SYSTEMTIME bytes: local ISO without a zone; invalid dates give undefined', () => {
    const t = parseSystemTime(Buffer.from('e0070700010004001200050007 00fa00'.replace(/ /g, ''), 'hex'))!
    expect(systemTimeToLocalIso(t)).toBe('2016-07-04T18:05:07.250')
    expect(systemTimeToLocalIso(st(2016, 13, 1, 0))).toBeUndefined()
    expect(parseSystemTime(Buffer.alloc(8))).toBeUndefined()
  })
})
