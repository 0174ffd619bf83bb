/**
 * Column types (JET_COLTYP) and how their bytes become values (libesedb "Column type").
 * JET_coltypDateTime holds 8 bytes that applications use either as an OLE automation
 * date (a double: days since 1899-12-30) or as a FILETIME; the reader keeps the raw
 * bytes and lets the artifact parser say which (see EseDateTime).
 */
import {filetimeToIso} from '../time.js'

export const COLUMN_TYPES: Record<number, {name: string; size?: number}> = {
  0: {name: 'Nil'},
  1: {name: 'Boolean', size: 1},
  2: {name: 'Integer 8-bit unsigned', size: 1},
  3: {name: 'Integer 16-bit signed', size: 2},
  4: {name: 'Integer 32-bit signed', size: 4},
  5: {name: 'Currency', size: 8},
  6: {name: 'Floating point single precision', size: 4},
  7: {name: 'Floating point double precision', size: 8},
  8: {name: 'Date and time', size: 8},
  9: {name: 'Binary data'},
  10: {name: 'Text'},
  11: {name: 'Large binary data'},
  12: {name: 'Large text'},
  13: {name: 'Super large value'},
  14: {name: 'Integer 32-bit unsigned', size: 4},
  15: {name: 'Integer 64-bit signed', size: 8},
  16: {name: 'GUID', size: 16},
  17: {name: 'Integer 16-bit unsigned', size: 2},
}

export const COLUMN_FLAGS = {
  fixed: 0x1,
  tagged: 0x2,
  notNull: 0x4,
  version: 0x8,
  autoIncrement: 0x10,
  multiValued: 0x400,
  escrowUpdate: 0x800,
  /** JET_bitColumnCompressed (Windows 7). */
  compressed: 0x80000,
} as const

/** The 8 bytes of a JET_coltypDateTime value; which clock they are is the application's choice. */
export class EseDateTime {
  constructor(readonly raw: Buffer) {}

  /** As an OLE automation date (days since 1899-12-30 as a double), to the millisecond; undefined when out of range. */
  asOleDate(): string | undefined {
    return oleDateToIso(this.raw.readDoubleLE(0))
  }

  /** As a FILETIME (100 ns since 1601), full precision; undefined when 0 or out of range. */
  asFiletime(): string | undefined {
    const value = this.raw.readBigUInt64LE(0)
    if (value === 0n || value > 0x7fffffffffffffffn) return undefined
    try {
      return filetimeToIso(value) ?? undefined
    } catch {
      return undefined
    }
  }

  /** The examiner's reading: an OLE date when it is one in 1900-2200, else a FILETIME when plausible, else the hex. */
  toString(): string {
    const value = this.raw.readDoubleLE(0)
    if (Number.isFinite(value) && value > 0 && value < 109574) return this.asOleDate() ?? this.raw.toString('hex')
    return this.asFiletime() ?? this.raw.toString('hex')
  }

  toJSON(): string {
    return this.toString()
  }
}

const OLE_EPOCH_MS = Date.UTC(1899, 11, 30)

/**
 * OLE date -> ISO 8601 UTC, to the millisecond. The integer part counts days from
 * 1899-12-30 and the fraction is the time of day. Near today a double resolves about
 * 0.6 µs of a day, so digits below the millisecond are rounding noise, not source
 * precision (Windows' own VariantTimeToSystemTime stops at milliseconds too).
 */
export function oleDateToIso(days: number): string | undefined {
  if (!Number.isFinite(days) || days < -657434 || days > 2958465) return undefined
  const whole = Math.trunc(days)
  // OLE dates before 1899-12-30 count the fraction forwards from the (negative) day.
  const fraction = Math.abs(days - whole)
  const ms = whole * 86_400_000 + Math.round(fraction * 86_400_000)
  const date = new Date(OLE_EPOCH_MS + ms)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}
