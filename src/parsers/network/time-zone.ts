/**
 * Windows time-zone rules (SYSTEM ControlSet00N\Control\TimeZoneInformation, the
 * TIME_ZONE_INFORMATION structure) and SYSTEMTIME values, used to turn the local times
 * Windows stores in NetworkList profiles into UTC.
 *
 * Rules as Windows documents them for TIME_ZONE_INFORMATION: UTC = local + bias, where
 * bias = Bias + StandardBias outside daylight time and Bias + DaylightBias inside it.
 * StandardDate/DaylightDate with wYear = 0 are yearly rules: month, day of week, and
 * wDay = occurrence in the month (1-4, 5 = last) at wHour:wMinute local time.
 */
import type {RegistryHive, RegistryKey} from '../../registry/hive.js'

/** A SYSTEMTIME structure (16 bytes, little-endian words). */
export interface SystemTime {
  year: number
  month: number
  dayOfWeek: number
  day: number
  hour: number
  minute: number
  second: number
  milliseconds: number
}

export function parseSystemTime(data: Buffer): SystemTime | undefined {
  if (data.length < 16) return undefined
  return {
    year: data.readUInt16LE(0),
    month: data.readUInt16LE(2),
    dayOfWeek: data.readUInt16LE(4),
    day: data.readUInt16LE(6),
    hour: data.readUInt16LE(8),
    minute: data.readUInt16LE(10),
    second: data.readUInt16LE(12),
    milliseconds: data.readUInt16LE(14),
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** A SYSTEMTIME as ISO 8601 without a zone designator (it is local time), or undefined if it is not a valid date. */
export function systemTimeToLocalIso(t: SystemTime): string | undefined {
  if (t.year < 1601 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59 || t.milliseconds > 999) {
    return undefined
  }
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}.${pad(t.milliseconds, 3)}`
}

/** A yearly rule of TIME_ZONE_INFORMATION, as stored (wYear 0). */
export interface TransitionRule {
  month: number
  dayOfWeek: number
  /** 1-4: that occurrence of the weekday in the month; 5: the last one. */
  week: number
  hour: number
  minute: number
}

export interface TimeZoneInformation {
  /** Minutes: UTC = local + bias. */
  bias: number
  standardName: string | undefined
  standardBias: number
  standardStart: TransitionRule | undefined
  daylightName: string | undefined
  daylightBias: number
  daylightStart: TransitionRule | undefined
  timeZoneKeyName: string | undefined
  dynamicDaylightTimeDisabled: boolean
  /** Bias in force when the hive was last written (minutes). */
  activeTimeBias: number | undefined
  /** Where it was read: control set key path. */
  keyPath: string
}

const signed32 = (n: number | undefined): number => (n === undefined ? 0 : n | 0)

function rule(data: Buffer | undefined): TransitionRule | undefined {
  if (!data) return undefined
  const t = parseSystemTime(data)
  if (!t || t.month === 0) return undefined // month 0: the zone has no daylight time
  return {month: t.month, dayOfWeek: t.dayOfWeek, week: t.day, hour: t.hour, minute: t.minute}
}

/** Reads TimeZoneInformation from a control set key, e.g. the key 'ControlSet001'. */
export function readTimeZoneInformation(controlSet: RegistryKey): TimeZoneInformation | undefined {
  const key = controlSet.subkey('Control\\TimeZoneInformation')
  if (!key) return undefined
  const str = (name: string): string | undefined => key.value(name)?.asString()
  const num = (name: string): number | undefined => key.value(name)?.asNumber()
  return {
    bias: signed32(num('Bias')),
    standardName: str('StandardName'),
    standardBias: signed32(num('StandardBias')),
    standardStart: rule(key.value('StandardStart')?.data),
    daylightName: str('DaylightName'),
    daylightBias: signed32(num('DaylightBias')),
    daylightStart: rule(key.value('DaylightStart')?.data),
    timeZoneKeyName: str('TimeZoneKeyName'),
    dynamicDaylightTimeDisabled: num('DynamicDaylightTimeDisabled') === 1,
    activeTimeBias: num('ActiveTimeBias') === undefined ? undefined : signed32(num('ActiveTimeBias')),
    keyPath: key.path,
  }
}

/** The control set Select\Current names ('ControlSet001'), or undefined. */
export function currentControlSet(hive: RegistryHive): {name: string; key: RegistryKey} | undefined {
  const current = hive.key('Select')?.value('Current')?.asNumber()
  const candidates = current !== undefined ? [`ControlSet${String(current).padStart(3, '0')}`] : []
  candidates.push('ControlSet001', 'CurrentControlSet')
  for (const name of candidates) {
    const key = hive.key(name)
    if (key) return {name, key}
  }
  return undefined
}

/** Milliseconds since 1970 of a wall-clock time, treating it as if it were UTC (no zone applied). */
function wallClock(year: number, month: number, day: number, hour: number, minute: number, second = 0, ms = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute, second, ms)
}

/** The local wall-clock moment a yearly rule fires in `year`. */
export function transitionInYear(r: TransitionRule, year: number): number {
  const firstOfMonth = new Date(Date.UTC(year, r.month - 1, 1)).getUTCDay()
  let day = 1 + ((r.dayOfWeek - firstOfMonth + 7) % 7) + (Math.min(r.week, 5) - 1) * 7
  const daysInMonth = new Date(Date.UTC(year, r.month, 0)).getUTCDate()
  while (day > daysInMonth) day -= 7 // week 5 means "the last one"
  return wallClock(year, r.month, day, r.hour, r.minute)
}

/** Whether a local wall-clock time falls in daylight time under these rules. */
export function isDaylightTime(tz: TimeZoneInformation, local: SystemTime): boolean {
  if (!tz.daylightStart || !tz.standardStart || tz.dynamicDaylightTimeDisabled) return false
  const at = wallClock(local.year, local.month, local.day, local.hour, local.minute, local.second, local.milliseconds)
  // DaylightDate is in standard local time, StandardDate in daylight local time
  const start = transitionInYear(tz.daylightStart, local.year)
  const end = transitionInYear(tz.standardStart, local.year)
  if (start < end) return at >= start && at < end
  return at >= start || at < end // southern hemisphere: daylight time spans the new year
}

/**
 * Converts a local SYSTEMTIME to UTC ISO 8601 (milliseconds, 'Z') with the zone's rules.
 * A time in the repeated hour when daylight time ends is read as daylight time.
 */
export function localSystemTimeToUtc(tz: TimeZoneInformation, local: SystemTime): {utc: string; daylight: boolean; biasMinutes: number} | undefined {
  if (systemTimeToLocalIso(local) === undefined) return undefined
  const daylight = isDaylightTime(tz, local)
  const biasMinutes = tz.bias + (daylight ? tz.daylightBias : tz.standardBias)
  const at = wallClock(local.year, local.month, local.day, local.hour, local.minute, local.second, local.milliseconds)
  return {utc: new Date(at + biasMinutes * 60_000).toISOString(), daylight, biasMinutes}
}
