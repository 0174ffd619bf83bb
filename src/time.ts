/**
 * Source time bases to ISO 8601 UTC at the source's full precision.
 * All arithmetic is done on integers (BigInt) so nothing is rounded through a double.
 */

const SECONDS_1601_TO_1970 = 11_644_473_600n
const SECONDS_1970_TO_2001 = 978_307_200n

/**
 * Formats `value` units since `epochSeconds` (relative to 1970-01-01) as ISO 8601 UTC
 * with `digits` fractional digits (the precision of one unit).
 */
export function isoFromTicks(value: bigint, unitsPerSecond: bigint, epochSecondsFrom1970: bigint, digits: number): string {
  let seconds = value / unitsPerSecond
  let remainder = value % unitsPerSecond
  if (remainder < 0n) {
    remainder += unitsPerSecond
    seconds -= 1n
  }
  seconds += epochSecondsFrom1970
  const base = isoSeconds(Number(seconds), value)
  if (digits === 0) return `${base}Z`
  // scale the remainder to `digits` decimal places (every base here has 10^digits units a second: nothing to scale)
  const fraction = unitsPerSecond === POWERS_OF_TEN[digits] ? remainder : (remainder * 10n ** BigInt(digits)) / unitsPerSecond
  return `${base}.${fraction.toString().padStart(digits, '0')}Z`
}

const POWERS_OF_TEN = [1n, 10n, 100n, 1000n, 10_000n, 100_000n, 1_000_000n, 10_000_000n, 100_000_000n, 1_000_000_000n]
const SECONDS_PER_DAY = 86_400
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const DAYS_0000_03_01_TO_1970 = 719_468
/** 9999-12-31T23:59:59Z: later (and earlier than 0000) years need the extended form that Date writes. */
const LAST_FOUR_DIGIT_SECOND = 253_402_300_799
const FIRST_FOUR_DIGIT_SECOND = -62_167_219_200

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/**
 * YYYY-MM-DDTHH:MM:SS of whole seconds since 1970, computed in integers (the civil-from-days
 * algorithm, H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"): the Date object
 * and toISOString it replaces took about 3 µs a call, and a directory listing needs four
 * per file. Years outside 0000-9999 go through Date as before (and are cut at 19 characters as before).
 */
function isoSeconds(seconds: number, ticks: bigint): string {
  if (seconds < FIRST_FOUR_DIGIT_SECOND || seconds > LAST_FOUR_DIGIT_SECOND) {
    const date = new Date(seconds * 1000)
    if (Number.isNaN(date.getTime())) throw new RangeError(`time out of range: ${ticks} ticks`)
    return date.toISOString().slice(0, 19)
  }
  const days = Math.floor(seconds / SECONDS_PER_DAY)
  let rest = seconds - days * SECONDS_PER_DAY
  const hour = Math.floor(rest / 3600)
  rest -= hour * 3600
  const minute = Math.floor(rest / 60)
  const second = rest - minute * 60
  const z = days + DAYS_0000_03_01_TO_1970
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}`
}

function toBigInt(value: bigint | number): bigint {
  if (typeof value === 'bigint') return value
  if (!Number.isFinite(value)) throw new RangeError(`not a finite time value: ${value}`)
  return BigInt(Math.trunc(value))
}

/** Windows FILETIME: 100 ns intervals since 1601-01-01 UTC. 0 means "not set". */
export function filetimeToIso(value: bigint | number): string | null {
  const v = toBigInt(value)
  if (v === 0n) return null
  return isoFromTicks(v, 10_000_000n, -SECONDS_1601_TO_1970, 7)
}

/** Chromium/WebKit time: microseconds since 1601-01-01 UTC. 0 means "not set". */
export function webkitToIso(value: bigint | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const v = toBigInt(value)
  if (v === 0n) return null
  return isoFromTicks(v, 1_000_000n, -SECONDS_1601_TO_1970, 6)
}

/** PRTime (Firefox): microseconds since 1970-01-01 UTC. 0 means "not set". */
export function unixMicrosToIso(value: bigint | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const v = toBigInt(value)
  if (v === 0n) return null
  return isoFromTicks(v, 1_000_000n, 0n, 6)
}

/** Milliseconds since 1970-01-01 UTC (WhatsApp Android, JavaScript). */
export function unixMillisToIso(value: bigint | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const v = toBigInt(value)
  if (v === 0n) return null
  return isoFromTicks(v, 1000n, 0n, 3)
}

/** Seconds since 1970-01-01 UTC (Skype classic). */
export function unixSecondsToIso(value: bigint | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const v = toBigInt(value)
  if (v === 0n) return null
  return isoFromTicks(v, 1n, 0n, 0)
}

/** Nanoseconds since 1970-01-01 UTC (POSIX stat with bigint: true). */
export function unixNanosToIso(value: bigint): string {
  return isoFromTicks(value, 1_000_000_000n, 0n, 9)
}

/**
 * Apple Cocoa time: since 2001-01-01 UTC, in seconds (older iOS) or nanoseconds
 * (iOS 11 and later store sms.db dates in ns). Values above 1e12 are nanoseconds.
 */
export function appleToIso(value: bigint | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && !Number.isInteger(value)) {
    // fractional seconds (Core Data REAL columns such as WhatsApp ZMESSAGEDATE): keep microseconds
    const micros = BigInt(Math.round(value * 1_000_000))
    if (micros === 0n) return null
    return isoFromTicks(micros, 1_000_000n, SECONDS_1970_TO_2001, 6)
  }
  const v = toBigInt(value)
  if (v === 0n) return null
  const abs = v < 0n ? -v : v
  if (abs > 1_000_000_000_000n) return isoFromTicks(v, 1_000_000_000n, SECONDS_1970_TO_2001, 9)
  return isoFromTicks(v, 1n, SECONDS_1970_TO_2001, 0)
}

/** The current time as ISO 8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString()
}
