/**
 * Camera identity: pictures that share a body serial number came from one
 * camera; without a serial, make + model is the best (weaker) link.
 */
import type {ParsedRecord} from '../types.js'
import type {ExifRecord} from './exif.js'

export interface CameraGroup {
  /** 'body-serial' (one physical camera), 'make-model' (one kind of camera) or 'none' (no identity recorded). */
  basis: 'body-serial' | 'make-model' | 'none'
  make: string | null
  model: string | null
  bodySerial: string | null
  /** How many pictures, and their bundle paths (sorted). */
  pictures: number
  files: string[]
  /** Earliest and latest DateTimeOriginal (local wall-clock text, as recorded). */
  firstTaken: string | null
  lastTaken: string | null
}

function clean(value: string | null): string | null {
  const trimmed = value?.replace(/\0/g, '').trim()
  return trimmed ? trimmed : null
}

/**
 * Groups media.exif records by camera; other record types are ignored. Largest
 * groups first (serial-number groups before make-model ones at equal size); the
 * pictures with no camera identity come last.
 */
export function groupByCamera(records: Iterable<ParsedRecord>): CameraGroup[] {
  const groups = new Map<string, CameraGroup>()
  for (const record of records) {
    if (record.type !== 'media.exif') continue
    const picture = record as ExifRecord
    const make = clean(picture.make)
    const model = clean(picture.model)
    // The EXIF BodySerialNumber, else the serial the maker keeps in its MakerNote.
    const bodySerial = clean(picture.bodySerial) ?? clean(picture.makerNoteSerial ?? null)
    // Serial numbers are unique per maker, not across makers: the make stays in the key.
    const basis: CameraGroup['basis'] = bodySerial ? 'body-serial' : make || model ? 'make-model' : 'none'
    const key = JSON.stringify(basis === 'body-serial' ? [basis, make?.toUpperCase(), bodySerial] : [basis, make?.toUpperCase(), model?.toUpperCase()])
    let group = groups.get(key)
    if (!group) {
      group = {basis, make, model, bodySerial, pictures: 0, files: [], firstTaken: null, lastTaken: null}
      groups.set(key, group)
    }
    group.pictures++
    group.files.push(picture.file)
    const taken = picture.dateTimeOriginal?.local
    if (taken) {
      if (group.firstTaken === null || taken < group.firstTaken) group.firstTaken = taken
      if (group.lastTaken === null || taken > group.lastTaken) group.lastTaken = taken
    }
  }
  const result = [...groups.values()]
  for (const group of result) group.files.sort()
  const label = (g: CameraGroup) => `${g.make ?? ''} ${g.model ?? ''} ${g.bodySerial ?? ''}`
  const rank = {'body-serial': 0, 'make-model': 1, none: 2} as const
  return result.sort(
    (a, b) =>
      Number(a.basis === 'none') - Number(b.basis === 'none') ||
      b.pictures - a.pictures ||
      rank[a.basis] - rank[b.basis] ||
      label(a).localeCompare(label(b)),
  )
}
