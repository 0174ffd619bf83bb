/**
 * Exact time conversion for rows streamed by the hundred thousand. The queries
 * split a 64-bit microsecond time in SQL into whole seconds and a microsecond
 * remainder (each exact as a JS number), so no BigInt is made per row. The
 * result is identical to src/time.ts (webkitToIso, unixMicrosToIso), which a
 * property test checks; anything unusual (negative, out of Date's range) goes
 * through src/time.ts itself.
 */
import {unixMicrosToIso, webkitToIso} from '../../time.js'

const SECONDS_1601_TO_1970 = 11_644_473_600
/** 9999-12-31T23:59:59Z: beyond it toISOString changes form, so src/time.ts decides. */
const MAX_FAST_SECONDS = 253_402_300_799

const MICROS_PAD = ['', '00000', '0000', '000', '00', '0', '']

// History rows come in time order, often several in one second: keep the last second's text.
let cachedSeconds = Number.NaN
let cachedBase = ''

function format(unixSeconds: number, micros: number): string {
  if (unixSeconds !== cachedSeconds) {
    cachedBase = new Date(unixSeconds * 1000).toISOString().slice(0, 19)
    cachedSeconds = unixSeconds
  }
  const base = cachedBase
  const digits = String(micros)
  return `${base}.${MICROS_PAD[digits.length]}${digits}Z`
}

function fallback(convert: (v: bigint) => string | null, seconds: number, micros: number): string | null {
  try {
    return convert(BigInt(seconds) * 1_000_000n + BigInt(micros))
  } catch {
    return null // outside what a date can be: the raw value stays in the record
  }
}

/** Chromium time split as (value / 1e6, value % 1e6), both from SQLite integer arithmetic. */
export function webkitSplitToIso(seconds: number | null, micros: number | null): string | null {
  if (seconds === null || micros === null || !Number.isInteger(seconds) || !Number.isInteger(micros)) return null
  if (seconds === 0 && micros === 0) return null
  const unix = seconds - SECONDS_1601_TO_1970
  if (micros < 0 || unix < 0 || unix > MAX_FAST_SECONDS) return fallback(webkitToIso, seconds, micros)
  return format(unix, micros)
}

/** PRTime split as (value / 1e6, value % 1e6). */
export function prtimeSplitToIso(seconds: number | null, micros: number | null): string | null {
  if (seconds === null || micros === null || !Number.isInteger(seconds) || !Number.isInteger(micros)) return null
  if (seconds === 0 && micros === 0) return null
  if (micros < 0 || seconds < 0 || seconds > MAX_FAST_SECONDS) return fallback(unixMicrosToIso, seconds, micros)
  return format(seconds, micros)
}

/** Converts with src/time.ts but turns a value no date can have into null instead of failing the table. */
export function tolerant<T>(convert: (value: T) => string | null, value: T): string | null {
  try {
    return convert(value)
  } catch {
    return null
  }
}
