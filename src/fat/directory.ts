/**
 * FAT directory entries (Microsoft FAT specification sections 6 and 7): 32-byte short
 * (8.3) entries, each optionally preceded by long-name (VFAT) entries in reverse order
 * that carry 13 UTF-16 code units each and the checksum of the short name they belong to.
 *
 * FAT times are the local time of the machine that wrote them, with no zone: they are
 * given as ISO 8601 local times without 'Z' ("2021-03-04T05:06:06"), the access time as
 * a date only. Nothing is converted to UTC, because nothing on the volume says from what.
 */

export const ATTR = {readOnly: 0x01, hidden: 0x02, system: 0x04, volumeId: 0x08, directory: 0x10, archive: 0x20, longName: 0x0f} as const

export interface FatDirectoryEntry {
  /** The long name if its entries are whole and their checksum matches, else the 8.3 name. */
  name: string
  shortName: string
  longName?: string
  attributes: number
  firstCluster: number
  size: number
  modified?: string
  accessed?: string
  created?: string
  deleted: boolean
  /** Byte offset of the short entry in the volume (The Sleuth Kit numbers entries by it). */
  offset: number
  /** Long-name entries were found whose checksum does not match their short entry. */
  orphanedLongName?: boolean
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** A FAT date (bits: year-1980 7, month 4, day 5) as YYYY-MM-DD; undefined for 0 or an impossible date. */
export function fatDate(date: number): string | undefined {
  if (date === 0) return undefined
  const year = 1980 + (date >> 9)
  const month = (date >> 5) & 0xf
  const day = date & 0x1f
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined
  return `${year}-${two(month)}-${two(day)}`
}

/** A FAT date and time (2-second resolution), plus the creation time's 10 ms units (0-199), as local ISO 8601. */
export function fatDateTime(date: number, time: number, hundredths?: number): string | undefined {
  const day = fatDate(date)
  if (!day) return undefined
  const hours = time >> 11
  const minutes = (time >> 5) & 0x3f
  let seconds = (time & 0x1f) * 2
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined
  let fraction = ''
  if (hundredths !== undefined && hundredths <= 199) {
    seconds += Math.floor(hundredths / 100)
    fraction = `.${two(hundredths % 100)}`
  }
  return `${day}T${two(hours)}:${two(minutes)}:${two(seconds)}${fraction}`
}

/** The checksum of an 11-byte short name that its long-name entries carry (specification section 7.2). */
export function shortNameChecksum(raw: Buffer, at: number): number {
  let sum = 0
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + raw[at + i]) & 0xff
  return sum
}

/** "README  TXT" as "README.TXT", honouring the NT lower-case flags (byte 12: 0x08 base, 0x10 extension). */
function shortName(raw: Buffer, at: number, deleted: boolean): string {
  const bytes = Buffer.from(raw.subarray(at, at + 11))
  if (bytes[0] === 0x05) bytes[0] = 0xe5 // 0x05 stands for a name starting with 0xE5
  if (deleted) bytes[0] = 0x5f // '_' for the first character the deletion overwrote, as fls shows it
  let base = bytes.toString('latin1', 0, 8).replace(/ +$/, '')
  let extension = bytes.toString('latin1', 8, 11).replace(/ +$/, '')
  const flags = raw[at + 12]
  if (flags & 0x08) base = base.toLowerCase()
  if (flags & 0x10) extension = extension.toLowerCase()
  return extension ? `${base}.${extension}` : base
}

interface PendingLongName {
  parts: string[]
  checksum: number
  expected: number
  deleted: boolean
}

/**
 * Parses the entries of one directory, given as pieces (a cluster or the fixed root
 * region) with their volume offsets, in order. Stops at the end marker (first byte 0).
 * `.`/`..` and the volume label are left out; the label is returned apart.
 */
export function parseDirectory(pieces: Array<{bytes: Buffer; offset: number}>): {entries: FatDirectoryEntry[]; label?: string} {
  const entries: FatDirectoryEntry[] = []
  let label: string | undefined
  let pending: PendingLongName | undefined
  for (const piece of pieces) {
    const raw = piece.bytes
    for (let p = 0; p + 32 <= raw.length; p += 32) {
      const first = raw[p]
      if (first === 0x00) return {entries, ...(label !== undefined ? {label} : {})}
      const deleted = first === 0xe5
      const attributes = raw[p + 11]
      if ((attributes & 0x3f) === ATTR.longName) {
        const order = raw[p] & 0x1f
        const checksum = raw[p + 13]
        const text = longNamePart(raw, p)
        if (deleted) {
          // a deleted long-name entry has lost its order byte: gather them while the checksum holds
          if (pending && pending.deleted && pending.checksum === checksum) pending.parts.unshift(text)
          else pending = {parts: [text], checksum, expected: 0, deleted: true}
        } else if (first & 0x40) {
          pending = {parts: [text], checksum, expected: order - 1, deleted: false}
        } else if (pending && !pending.deleted && pending.checksum === checksum && order === pending.expected) {
          pending.parts.unshift(text)
          pending.expected--
        } else {
          pending = undefined
        }
        continue
      }
      const long = pending
      pending = undefined
      if (attributes & ATTR.volumeId) {
        if (!deleted && !(attributes & ATTR.directory)) label = raw.toString('latin1', p, p + 11).replace(/ +$/, '')
        continue
      }
      const short = shortName(raw, p, deleted)
      if (!deleted && (short === '.' || short === '..')) continue
      if (deleted && raw[p + 1] === 0x2e && (raw[p + 2] === 0x20 || raw[p + 2] === 0x2e)) continue
      let longName: string | undefined
      let orphaned = false
      if (long) {
        const whole = long.deleted ? deleted : long.expected === 0
        // a deleted entry's first byte is gone (0xE5): its long name matches if any first byte gives the checksum
        const matches = deleted ? deletedChecksums(raw, p).has(long.checksum) : long.checksum === shortNameChecksum(raw, p)
        if (whole && matches) longName = long.parts.join('')
        else orphaned = true
      }
      const entry: FatDirectoryEntry = {
        name: longName ?? short,
        shortName: short,
        attributes,
        firstCluster: (raw.readUInt16LE(p + 20) << 16) + raw.readUInt16LE(p + 26),
        size: raw.readUInt32LE(p + 28),
        deleted,
        offset: piece.offset + p,
      }
      if (longName !== undefined) entry.longName = longName
      if (orphaned) entry.orphanedLongName = true
      const modified = fatDateTime(raw.readUInt16LE(p + 24), raw.readUInt16LE(p + 22))
      const accessed = fatDate(raw.readUInt16LE(p + 18))
      const created = fatDateTime(raw.readUInt16LE(p + 16), raw.readUInt16LE(p + 14), raw[p + 13])
      if (modified) entry.modified = modified
      if (accessed) entry.accessed = accessed
      if (created) entry.created = created
      entries.push(entry)
    }
  }
  return {entries, ...(label !== undefined ? {label} : {})}
}

/** The 13 UTF-16 code units of a long-name entry, cut at the 0x0000 terminator. */
function longNamePart(raw: Buffer, p: number): string {
  const units: number[] = []
  for (const [start, count] of [
    [1, 5],
    [14, 6],
    [28, 2],
  ]) {
    for (let i = 0; i < count; i++) units.push(raw.readUInt16LE(p + start + i * 2))
  }
  const end = units.indexOf(0)
  return String.fromCharCode(...(end === -1 ? units : units.slice(0, end)))
}

/** The checksums the short entry at `p` had with each possible first byte. */
function deletedChecksums(raw: Buffer, p: number): Set<number> {
  const name = Buffer.from(raw.subarray(p, p + 11))
  const sums = new Set<number>()
  for (let first = 0x20; first < 0x100; first++) {
    name[0] = first
    sums.add(shortNameChecksum(name, 0))
  }
  return sums
}
