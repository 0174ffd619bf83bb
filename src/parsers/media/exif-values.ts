/**
 * EXIF values as an examiner needs them: times that say whether they are local
 * or tied to UTC, GPS positions as signed decimal degrees. Pure functions over
 * the raw tag values (EXIF 2.32, CIPA DC-008-2019), so each rule is tested alone.
 */

/**
 * An EXIF date-time. EXIF stores wall-clock time with no zone; only the
 * OffsetTime* tags (EXIF 2.31+) tie it to UTC. Without one, `utc` is null and
 * `local` must not be read as UTC.
 */
export interface ExifTime {
  /** The tag's text exactly as stored, e.g. '2017:06:05 22:30:47'. */
  raw: string
  /** ISO 8601 without a zone, with the sub-seconds when present: '2017-06-05T22:30:47.55'; null if not a valid time. */
  local: string | null
  /** '+02:00' from the matching OffsetTime* tag, or null when the camera did not record one. */
  offset: string | null
  /** ISO 8601 UTC, only when the offset is known. */
  utc: string | null
  /** The SubSecTime* tag's digits ('00', '550') when present. */
  subSec: string | null
}

const EXIF_DATETIME = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/
const EXIF_OFFSET = /^([+-])(\d{2}):(\d{2})$/

/** Text of a tag value that should be ASCII (exifr gives strings; broken files give numbers or bytes). */
export function tagText(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1').replace(/\0+$/, '')
  return null
}

/** A tag value that should be one number (exifr may give an array when the count is > 1: the first counts). */
export function tagNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const first = (value as ArrayLike<unknown>)[0]
    return typeof first === 'number' && Number.isFinite(first) ? first : null
  }
  return null
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

export function exifTime(rawValue: unknown, subSecValue?: unknown, offsetValue?: unknown): ExifTime | null {
  const raw = tagText(rawValue)
  if (raw === null || raw.trim() === '') return null
  const subSecText = tagText(subSecValue)?.trim() ?? ''
  const subSec = /^\d+$/.test(subSecText) ? subSecText : null
  const offsetText = tagText(offsetValue)?.trim() ?? ''
  const offsetMatch = EXIF_OFFSET.exec(offsetText)
  const offset = offsetMatch && Number(offsetMatch[2]) <= 14 && Number(offsetMatch[3]) < 60 ? offsetText : null
  const m = EXIF_DATETIME.exec(raw.trim())
  if (!m) return {raw, local: null, offset, utc: null, subSec}
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number)
  // '0000:00:00 00:00:00' is how cameras without a clock write "unknown".
  const valid =
    year > 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59
  if (!valid) return {raw, local: null, offset, utc: null, subSec}
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 31 February over into March: such a date is not a valid time.
  if (new Date(wallMs).getUTCDate() !== day) return {raw, local: null, offset, utc: null, subSec}
  const fraction = subSec === null ? '' : `.${subSec}`
  const local = `${year.toString().padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}${fraction}`
  let utc: string | null = null
  if (offsetMatch && offset !== null) {
    const sign = offsetMatch[1] === '-' ? -1 : 1
    const offsetMinutes = sign * (Number(offsetMatch[2]) * 60 + Number(offsetMatch[3]))
    // UTC = local wall-clock time minus the offset east of Greenwich.
    const utcMs = wallMs - offsetMinutes * 60_000
    utc = `${new Date(utcMs).toISOString().slice(0, 19)}${fraction}Z`
  }
  return {raw, local, offset, utc, subSec}
}

/** Degrees, minutes, seconds (EXIF GPSLatitude/GPSLongitude: three RATIONALs) to decimal degrees. */
export function dmsToDegrees(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return null
  const parts = Array.from(value as ArrayLike<unknown>)
  if (parts.length === 0 || parts.length > 3 || !parts.every((p) => typeof p === 'number' && Number.isFinite(p))) return null
  const [d, m = 0, s = 0] = parts as number[]
  return d + m / 60 + s / 3600
}

/** Applies a GPS reference: 'S' and 'W' are negative (EXIF 2.32 §4.6.6, GPSLatitudeRef/GPSLongitudeRef). */
export function signedCoordinate(value: unknown, ref: unknown, negativeRef: 'S' | 'W'): number | null {
  const degrees = dmsToDegrees(value)
  if (degrees === null) return null
  const refText = tagText(ref)?.trim().toUpperCase()
  return refText === negativeRef ? -degrees : degrees
}

/** GPSAltitudeRef 1 means below sea level: the altitude is negative. */
export function signedAltitude(value: unknown, ref: unknown): number | null {
  const altitude = tagNumber(value)
  if (altitude === null) return null
  return tagNumber(ref) === 1 ? -altitude : altitude
}

/** A seconds value with at most 6 decimals and no trailing zeros ('7.24', '23.06', '07'). */
function secondsText(seconds: number): string {
  const whole = Math.floor(seconds)
  const fraction = (seconds - whole).toFixed(6).slice(1).replace(/\.?0+$/, '')
  return `${pad2(whole)}${fraction}`
}

/**
 * GPSDateStamp ('YYYY:MM:DD') + GPSTimeStamp (hour, minute, second RATIONALs) are
 * UTC by definition (EXIF 2.32, GPSTimeStamp: "the time as UTC").
 */
export function gpsTimeUtc(dateStamp: unknown, timeStamp: unknown): string | null {
  const date = tagText(dateStamp)?.trim()
  if (!date) return null
  const dm = /^(\d{4})[:-](\d{2})[:-](\d{2})$/.exec(date)
  if (!dm) return null
  const parts = Array.isArray(timeStamp) || ArrayBuffer.isView(timeStamp) ? Array.from(timeStamp as ArrayLike<unknown>) : []
  if (parts.length !== 3 || !parts.every((p) => typeof p === 'number' && Number.isFinite(p) && p >= 0)) return null
  const [hour, minute, second] = parts as number[]
  if (!Number.isInteger(hour) || !Number.isInteger(minute) || hour > 23 || minute > 59 || second >= 61) return null
  const month = Number(dm[2])
  const day = Number(dm[3])
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  return `${dm[1]}-${dm[2]}-${dm[3]}T${pad2(hour)}:${pad2(minute)}:${secondsText(second)}Z`
}
