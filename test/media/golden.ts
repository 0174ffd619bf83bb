import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'vitest'
import type {ExifRecord} from '../../src/parsers/media/exif.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** One file's `exiftool -j -n -G1` output, plus trawl:ThumbnailSHA256 (see fixtures/media/build.sh). */
export type Golden = Record<string, string | number | undefined>

export const FIXTURES = join(REPO_ROOT, 'fixtures/media')

export function loadGolden(name: 'own' | 'shared' | 'hostile'): Record<string, Golden> {
  return JSON.parse(readFileSync(join(FIXTURES, 'golden', `${name}.json`), 'utf8')) as Record<string, Golden>
}

/**
 * exiftool -n prints digit strings such as SubSecTime '550' as numbers ('00' stays a string).
 * An empty string is a tag recorded empty: trawl reports it as not recorded (null).
 */
function str(value: string | number | undefined): string | null {
  return value === undefined || value === '' ? null : String(value)
}

/** First number of a value exiftool prints as "100 0" when the tag has two. */
function firstNumber(value: string | number | undefined): number | null {
  if (value === undefined) return null
  return typeof value === 'number' ? value : Number(String(value).split(' ')[0])
}

/** exiftool's Composite:GPSDateTime '2008:10:23 14:27:07.24Z' as ISO 8601. */
function isoFromExiftool(value: string | number | undefined): string | null {
  if (value === undefined) return null
  return String(value).replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T')
}

const PIXEL_SIZE_FORMATS = new Set(['jpeg', 'png', 'webp', 'heic', 'heif', 'avif', 'tiff'])

/** Asserts every field of a media.exif record equals exiftool's value (GPS to 1e-7 degree, times exactly). */
export function expectMatchesExiftool(record: ExifRecord, golden: Golden): void {
  const g = (tag: string) => golden[tag]
  expect({
    make: record.make,
    model: record.model,
    software: record.software,
    lensMake: record.lensMake,
    lensModel: record.lensModel,
    bodySerial: record.bodySerial,
    makerNoteSerial: record.makerNoteSerial,
    lensSerial: record.lensSerial,
    original: record.dateTimeOriginal && [record.dateTimeOriginal.raw, record.dateTimeOriginal.subSec, record.dateTimeOriginal.offset],
    digitized: record.dateTimeDigitized && [record.dateTimeDigitized.raw, record.dateTimeDigitized.subSec, record.dateTimeDigitized.offset],
    modified: record.dateTimeModified && [record.dateTimeModified.raw, record.dateTimeModified.subSec, record.dateTimeModified.offset],
    imageWidth: record.imageWidth,
    imageHeight: record.imageHeight,
    orientation: record.orientation,
    pixelSize: record.pixelWidth === null ? null : `${record.pixelWidth} ${record.pixelHeight}`,
    thumbnailPresent: record.thumbnail.present,
    thumbnailSha256: record.thumbnail.sha256,
  }).toEqual({
    make: str(g('IFD0:Make')),
    model: str(g('IFD0:Model')),
    software: str(g('IFD0:Software')),
    lensMake: str(g('ExifIFD:LensMake')),
    lensModel: str(g('ExifIFD:LensModel')),
    bodySerial: str(g('ExifIFD:SerialNumber')),
    // MakerNote layouts trawl reads (see src/parsers/media/makernote.ts)
    makerNoteSerial: str(g('Nikon:SerialNumber') ?? g('Olympus:SerialNumber')),
    lensSerial: str(g('ExifIFD:LensSerialNumber')),
    original: g('ExifIFD:DateTimeOriginal') === undefined ? null : [str(g('ExifIFD:DateTimeOriginal')), str(g('ExifIFD:SubSecTimeOriginal')), str(g('ExifIFD:OffsetTimeOriginal'))],
    digitized: g('ExifIFD:CreateDate') === undefined ? null : [str(g('ExifIFD:CreateDate')), str(g('ExifIFD:SubSecTimeDigitized')), str(g('ExifIFD:OffsetTimeDigitized'))],
    modified: g('IFD0:ModifyDate') === undefined ? null : [str(g('IFD0:ModifyDate')), str(g('ExifIFD:SubSecTime')), str(g('ExifIFD:OffsetTime'))],
    imageWidth: firstNumber(g('ExifIFD:ExifImageWidth') ?? g('IFD0:ImageWidth')),
    imageHeight: firstNumber(g('ExifIFD:ExifImageHeight') ?? g('IFD0:ImageHeight')),
    orientation: firstNumber(g('IFD0:Orientation')),
    // Composite:ImageSize is the image data's own size for these formats (RAW: the sensor's, not read by trawl)
    pixelSize: PIXEL_SIZE_FORMATS.has(record.format) ? str(g('Composite:ImageSize')) : null,
    thumbnailPresent: g('IFD1:ThumbnailLength') !== undefined,
    thumbnailSha256: str(g('trawl:ThumbnailSHA256')),
  })
  const latitude = g('Composite:GPSLatitude')
  const longitude = g('Composite:GPSLongitude')
  if (latitude === undefined || longitude === undefined) {
    expect(record.gps).toBeNull()
    return
  }
  expect(record.gps).not.toBeNull()
  const gps = record.gps!
  expect(Math.abs(gps.latitude - Number(latitude))).toBeLessThan(1e-7)
  expect(Math.abs(gps.longitude - Number(longitude))).toBeLessThan(1e-7)
  const altitude = g('Composite:GPSAltitude')
  if (altitude === undefined) expect(gps.altitude).toBeNull()
  else expect(Math.abs(gps.altitude! - Number(altitude))).toBeLessThan(1e-6)
  expect(gps.time).toBe(isoFromExiftool(g('Composite:GPSDateTime')))
  const direction = g('GPS:GPSImgDirection')
  if (direction === undefined) expect(gps.direction).toBeNull()
  else expect(Math.abs(gps.direction! - Number(direction))).toBeLessThan(1e-6)
  expect(gps.directionRef).toBe(str(g('GPS:GPSImgDirectionRef')))
}
