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
  const date = new Date(Number(seconds) * 1000)
  if (Number.isNaN(date.getTime())) throw new RangeError(`time out of range: ${value} ticks`)
  const base = date.toISOString().slice(0, 19)
  if (digits === 0) return `${base}Z`
  // scale the remainder to `digits` decimal places
  const scale = 10n ** BigInt(digits)
  const fraction = (remainder * scale) / unitsPerSecond
  return `${base}.${fraction.toString().padStart(digits, '0')}Z`
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
