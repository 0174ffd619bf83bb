import {filetimeToIso} from '../time.js'

const SECONDS_1601_TO_1970 = 11_644_473_600
/** 10000-01-01T00:00:00Z in seconds since 1970. */
const YEAR_10000 = 253_402_300_800
/** Day strings ("2024-05-01T") already formatted, keyed by days since 1970. */
const dayCache = new Map<number, string>()
/** The last second formatted ("2024-05-01T10:20:30."): times in an MFT come in runs of the same second. */
let lastSecond = Number.NaN
let lastSecondText = ''

/**
 * FILETIME (100 ns since 1601, as its two 32-bit halves) to ISO 8601 UTC with 7
 * fractional digits: the same text as filetimeToIso (src/time.ts), without BigInt,
 * because a listing formats millions of these. Exact: every step stays below 2^53.
 * Returns null for 0 ("not set") and for values no date can hold.
 */
export function filetimeHalvesToIso(low: number, high: number): string | null {
  if (low === 0 && high === 0) return null
  if (high >= 0x4000_0000) return exactIso(low, high) // beyond the year 16000: rare enough for BigInt
  // ticks = high * 2^32 + low = high * 429 * 10^7 + (high * 4967296 + low)
  const rest = high * 4_967_296 + low
  const restSeconds = Math.floor(rest / 10_000_000)
  const fraction = rest - restSeconds * 10_000_000
  const unixSeconds = high * 429 + restSeconds - SECONDS_1601_TO_1970
  if (unixSeconds >= YEAR_10000) return exactIso(low, high) // 6-digit years: the reference's formatting
  if (unixSeconds === lastSecond) return `${lastSecondText}${String(fraction).padStart(7, '0')}Z`
  const day = Math.floor(unixSeconds / 86400)
  let dayText = dayCache.get(day)
  if (dayText === undefined) {
    const date = new Date(day * 86_400_000)
    if (Number.isNaN(date.getTime())) return null
    dayText = date.toISOString().slice(0, 11)
    if (dayCache.size > 50_000) dayCache.clear()
    dayCache.set(day, dayText)
  }
  const secondOfDay = unixSeconds - day * 86400
  const hours = Math.floor(secondOfDay / 3600)
  const minutes = Math.floor((secondOfDay % 3600) / 60)
  const seconds = secondOfDay % 60
  lastSecond = unixSeconds
  lastSecondText = `${dayText}${two(hours)}:${two(minutes)}:${two(seconds)}.`
  return `${lastSecondText}${String(fraction).padStart(7, '0')}Z`
}

function exactIso(low: number, high: number): string | null {
  try {
    return filetimeToIso((BigInt(high) << 32n) | BigInt(low))
  } catch {
    return null
  }
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
