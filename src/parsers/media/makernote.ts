/**
 * Camera serial numbers that makers keep in their own MakerNote instead of the EXIF
 * BodySerialNumber tag. Only MakerNote layouts whose offsets are relative to the
 * MakerNote itself are read (exifr hands over the MakerNote bytes alone):
 *   Nikon type 3: 'Nikon\0', version, then a TIFF header at byte 10; tag 0x001D SerialNumber.
 *   Olympus: 'OLYMPUS\0II\x03\0' (IFD at 12) or 'OM SYSTEM\0\0\0II\x04\0' (IFD at 16),
 *   offsets from the MakerNote start; Equipment IFD (0x2010), tag 0x0101 SerialNumber.
 * (Layouts as documented in ExifTool's MakerNotes.pm, Nikon.pm and Olympus.pm tag tables.)
 */

export interface MakerNoteSerial {
  serial: string
  /** Where it was read, for the examiner: 'Nikon MakerNote 0x001D'. */
  source: string
}

/** A bounds-checked IFD reader over a buffer whose offsets start at `base`. */
class MakerNoteIfd {
  constructor(
    private readonly bytes: Buffer,
    private readonly base: number,
    private readonly little: boolean,
  ) {}

  private u16(at: number): number {
    return this.little ? this.bytes.readUInt16LE(at) : this.bytes.readUInt16BE(at)
  }

  private u32(at: number): number {
    return this.little ? this.bytes.readUInt32LE(at) : this.bytes.readUInt32BE(at)
  }

  /** The entry of `tag` in the IFD at `ifdOffset` (relative to base): type, count, value field position. */
  private entry(ifdOffset: number, tag: number): {type: number; count: number; field: number} | undefined {
    const at = this.base + ifdOffset
    if (at < 0 || at + 2 > this.bytes.length) return undefined
    const count = this.u16(at)
    for (let i = 0; i < count; i++) {
      const e = at + 2 + i * 12
      if (e + 12 > this.bytes.length) return undefined
      if (this.u16(e) === tag) return {type: this.u16(e + 2), count: this.u32(e + 4), field: e + 8}
    }
    return undefined
  }

  ascii(ifdOffset: number, tag: number): string | undefined {
    const entry = this.entry(ifdOffset, tag)
    if (!entry || (entry.type !== 2 && entry.type !== 7) || entry.count === 0 || entry.count > 256) return undefined
    const at = entry.count <= 4 ? entry.field : this.base + this.u32(entry.field)
    if (at < 0 || at + entry.count > this.bytes.length) return undefined
    const text = this.bytes.toString('latin1', at, at + entry.count).replace(/\0.*$/s, '')
    return text === '' ? undefined : text
  }

  /** Offset (relative to base) of a sub-IFD named by a LONG or IFD entry. */
  subIfd(ifdOffset: number, tag: number): number | undefined {
    const entry = this.entry(ifdOffset, tag)
    if (!entry || (entry.type !== 4 && entry.type !== 13) || entry.count !== 1) return undefined
    return this.u32(entry.field)
  }
}

function nikonType3(bytes: Buffer): MakerNoteSerial | undefined {
  if (bytes.length < 18 || bytes.toString('latin1', 0, 6) !== 'Nikon\0' || bytes[6] !== 2) return undefined
  const order = bytes.toString('latin1', 10, 12)
  if (order !== 'II' && order !== 'MM') return undefined
  const little = order === 'II'
  const ifd0 = little ? bytes.readUInt32LE(14) : bytes.readUInt32BE(14)
  const serial = new MakerNoteIfd(bytes, 10, little).ascii(ifd0, 0x001d)
  return serial === undefined ? undefined : {serial, source: 'Nikon MakerNote SerialNumber (0x001D)'}
}

function olympus(bytes: Buffer): MakerNoteSerial | undefined {
  let ifd: number
  if (bytes.toString('latin1', 0, 8) === 'OLYMPUS\0') ifd = 12
  else if (bytes.toString('latin1', 0, 12) === 'OM SYSTEM\0\0\0') ifd = 16
  else return undefined
  const order = bytes.toString('latin1', ifd - 4, ifd - 2)
  if (order !== 'II' && order !== 'MM') return undefined
  const reader = new MakerNoteIfd(bytes, 0, order === 'II')
  const equipment = reader.subIfd(ifd, 0x2010)
  const serial = equipment === undefined ? undefined : reader.ascii(equipment, 0x0101)
  return serial === undefined ? undefined : {serial, source: 'Olympus MakerNote Equipment SerialNumber (0x2010/0x0101)'}
}

/** The camera serial number in a MakerNote, when its maker's layout is one trawl reads. */
export function makerNoteSerial(makerNote: unknown): MakerNoteSerial | undefined {
  if (!(makerNote instanceof Uint8Array)) return undefined
  const bytes = Buffer.from(makerNote.buffer, makerNote.byteOffset, makerNote.byteLength)
  try {
    return nikonType3(bytes) ?? olympus(bytes)
  } catch {
    // RangeError from a value outside the MakerNote: a damaged MakerNote has no serial to give
    return undefined
  }
}
