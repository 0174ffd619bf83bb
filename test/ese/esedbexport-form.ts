/**
 * Renders a value read by trawl's ESE reader the way esedbexport 20181229 (Debian
 * libesedb-utils) writes it, so the two can be compared cell by cell. The rules are
 * esedbtools/export_handle.c, export.c and srumdb.c of libesedb at that release;
 * fixtures/ese/README.md lists them.
 */
import type {EseColumn} from '../../src/ese/catalog.js'
import {EseDateTime} from '../../src/ese/columns.js'
import type {EseValue} from '../../src/ese/record.js'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** libfdatetime's CTIME form with nanoseconds: "Oct 07, 2021 07:54:15.649933000". */
export function ctimeOfFiletime(value: bigint): string {
  // libfdatetime gives up past year 9999 and prints the two 32-bit halves.
  if (value > 2_650_467_743_999_999_999n) return `(0x${(value >> 32n).toString(16).padStart(8, '0')} 0x${(value & 0xffffffffn).toString(16).padStart(8, '0')})`
  const seconds = value / 10_000_000n
  const ticks = value % 10_000_000n
  const date = new Date(Number(seconds - 11_644_473_600n) * 1000)
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
  return `${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())}, ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${String(ticks).padStart(7, '0')}00`
}

const leap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const u8 = (value: number): number => Math.trunc(value) & 0xff

/**
 * libfdatetime 20181221 floatingtime -> CTIME, step for step: the same double
 * arithmetic, including its storing of milliseconds and microseconds in a byte (so
 * 999 ms prints as 231) and its truncation of seconds; when the date it reaches is
 * not valid (day 31 of a 30-day month) esedbexport prints the two 32-bit halves instead.
 */
export function ctimeOfFloatingtime(raw: Buffer): string {
  const hexForm = `(0x${raw.readUInt32LE(4).toString(16).padStart(8, '0')} 0x${raw.readUInt32LE(0).toString(16).padStart(8, '0')})`
  let t = raw.readDoubleLE(0)
  if (!(t > -3650000 && t < 3650000)) return hexForm
  let year = 1899
  let month = 12
  let day = 30
  if (t >= 2) {
    year = 1900
    month = 1
    day = 1
    t -= 2
  }
  while (t > 0) {
    const century = year % 400 === 0 ? 36525 : 36524
    if (t <= century) break
    t -= century
    year += 100
  }
  while (t > 0) {
    const days = leap(year) ? 366 : 365
    if (t <= days) break
    t -= days
    year += 1
  }
  if (year > 9999) return hexForm
  const monthDays = (m: number): number => (m === 2 ? (leap(year) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31)
  while (t > 0) {
    if (month > 12) return hexForm
    if (t <= monthDays(month)) break
    t -= monthDays(month)
    month += 1
  }
  day = u8(day + Math.trunc(t))
  t -= Math.trunc(t)
  t *= 24
  const hours = u8(t)
  t -= hours
  t *= 60
  const minutes = u8(t)
  t -= minutes
  t *= 60
  const seconds = u8(t)
  t -= seconds
  t *= 1000
  const milli = u8(t)
  t -= milli
  t *= 1000
  const micro = u8(t)
  t -= micro
  t *= 1000
  const nano = u8(t)
  // libfdatetime's string conversion rejects dates that do not exist.
  if (month > 12 || day < 1 || day > monthDays(month) || hours > 23 || minutes > 59 || seconds > 59) return hexForm
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
  return `${MONTHS[month - 1]} ${pad(day)}, ${pad(year, 4)} ${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(milli, 3)}${pad(micro, 3)}${pad(nano, 3)}`
}

/** Parses the CTIME form back to nanoseconds since 1970. */
export function nanosOfCtime(text: string): bigint | undefined {
  const match = /^(\w{3}) (\d{2}), (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{9})$/.exec(text)
  if (!match) return undefined
  const [, month, day, year, hour, minute, second, fraction] = match
  const ms = Date.UTC(Number(year), MONTHS.indexOf(month!), Number(day), Number(hour), Number(minute), Number(second))
  return BigInt(ms) * 1_000_000n + BigInt(fraction!)
}

function escapeText(text: string): string {
  return text.replace(/[\\\n\r\t\0]/g, (c) => ({'\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0'})[c]!)
}

function guidBytes(guid: string): string {
  const hex = guid.replace(/[{}-]/g, '').toLowerCase()
  const swap = (part: string): string => part.match(/../g)!.reverse().join('')
  return swap(hex.slice(0, 8)) + swap(hex.slice(8, 12)) + swap(hex.slice(12, 16)) + hex.slice(16)
}

function scalar(value: EseValue, column: EseColumn): string {
  if (value === null) return ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return column.type === 6 || column.type === 7 ? value.toFixed(6) : String(value)
  if (typeof value === 'string') return column.type === 16 ? guidBytes(value) : escapeText(value)
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (value instanceof EseDateTime) return ctimeOfFiletime(value.raw.readBigUInt64LE(0))
  return value.map((item) => scalar(item, column)).join('; ')
}

/**
 * The cell esedbexport would print, or a check function where its output is a
 * floating-point rendering that cannot be reproduced byte for byte (SRUM TimeStamp).
 */
export function expectedCell(value: EseValue | undefined, column: EseColumn, srum: boolean): string | ((cell: string) => boolean) {
  if (value === undefined || value === null) return ''
  // srumdb.c: in SRUM databases a DateTime column named TimeStamp is an OLE date, an
  // Integer 64-bit column named ConnectStartTime a FILETIME.
  if (srum && column.name === 'TimeStamp' && value instanceof EseDateTime) return ctimeOfFloatingtime(value.raw)
  if (srum && column.name === 'ConnectStartTime' && typeof value === 'bigint') return ctimeOfFiletime(BigInt.asUintN(64, value))
  return scalar(value, column)
}
