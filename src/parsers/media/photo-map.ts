/**
 * Where the pictures were taken: a GeoJSON FeatureCollection (RFC 7946, for QGIS)
 * and a KML 2.2 document (OGC 07-147r2, for Google Earth), one point per geotagged picture.
 */
import type {BundleOutput, ParsedRecord} from '../types.js'
import type {ExifRecord} from './exif.js'

export const GEOJSON_PATH = 'parsed/photos.geojson'
export const KML_PATH = 'parsed/photos.kml'

interface MapPoint {
  name: string
  file: string
  sha256: string
  camera: string | null
  bodySerial: string | null
  longitude: number
  latitude: number
  altitude: number | null
  /** GPS time (UTC), else DateTimeOriginal in UTC when its offset is known. */
  timeUtc: string | null
  /** Where timeUtc comes from: the GPS receiver, or the camera clock with its recorded offset. */
  timeSource: 'gps' | 'camera-clock-with-offset' | null
  /** DateTimeOriginal as the camera clock showed it, zone unknown unless `offset`. */
  takenLocal: string | null
  offset: string | null
  direction: number | null
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function cameraName(record: ExifRecord): string | null {
  const make = record.make?.trim() ?? ''
  const model = record.model?.trim() ?? ''
  // Many models already start with the make ('Canon' + 'Canon EOS 40D').
  const name = model.toUpperCase().startsWith(make.toUpperCase()) ? model : `${make} ${model}`.trim()
  return name || null
}

function mapPoints(records: ParsedRecord[]): MapPoint[] {
  const points: MapPoint[] = []
  for (const record of records) {
    if (record.type !== 'media.exif') continue
    const picture = record as ExifRecord
    if (!picture.gps) continue
    points.push({
      name: baseName(picture.file),
      file: picture.file,
      sha256: picture.sha256,
      camera: cameraName(picture),
      bodySerial: picture.bodySerial ?? picture.makerNoteSerial ?? null,
      longitude: picture.gps.longitude,
      latitude: picture.gps.latitude,
      altitude: picture.gps.altitude,
      timeUtc: picture.gps.time ?? picture.dateTimeOriginal?.utc ?? null,
      timeSource: picture.gps.time ? 'gps' : picture.dateTimeOriginal?.utc ? 'camera-clock-with-offset' : null,
      takenLocal: picture.dateTimeOriginal?.local ?? null,
      offset: picture.dateTimeOriginal?.offset ?? null,
      direction: picture.gps.direction,
    })
  }
  return points.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

export function photosGeoJson(records: ParsedRecord[]): string {
  const features = mapPoints(records).map((point) => ({
    type: 'Feature',
    geometry: {
      type: 'Point',
      coordinates: point.altitude === null ? [point.longitude, point.latitude] : [point.longitude, point.latitude, point.altitude],
    },
    properties: {
      name: point.name,
      file: point.file,
      sha256: point.sha256,
      camera: point.camera,
      bodySerial: point.bodySerial,
      time: point.timeUtc,
      timeSource: point.timeSource,
      takenLocal: point.takenLocal,
      takenOffset: point.offset,
      direction: point.direction,
    },
  }))
  return `${JSON.stringify({type: 'FeatureCollection', features}, null, 1)}\n`
}

/** Escapes text for XML element content and attribute values; drops characters XML 1.0 forbids. */
export function xmlEscape(value: string): string {
  return value
     
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export function photosKml(records: ParsedRecord[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<kml xmlns="http://www.opengis.net/kml/2.2">',
    '<Document>',
    '<name>Geotagged pictures (trawl)</name>',
  ]
  for (const point of mapPoints(records)) {
    const description = [
      `File: ${point.file}`,
      `SHA-256: ${point.sha256}`,
      `Camera: ${point.camera ?? 'unknown'}${point.bodySerial ? ` (serial ${point.bodySerial})` : ''}`,
      `Taken (camera clock): ${point.takenLocal ?? 'unknown'}${point.takenLocal ? (point.offset ? ` ${point.offset}` : ' (local time, zone not recorded)') : ''}`,
      `Time (UTC): ${point.timeUtc ?? 'unknown'}${point.timeSource === 'gps' ? ' (GPS)' : point.timeSource ? ' (camera clock and its recorded offset)' : ''}`,
    ].join('\n')
    const coordinates = [point.longitude, point.latitude, ...(point.altitude === null ? [] : [point.altitude])].join(',')
    lines.push('<Placemark>', `<name>${xmlEscape(point.name)}</name>`)
    // A KML TimeStamp is only written for a time known in UTC: a local time would be shifted by the viewer.
    if (point.timeUtc) lines.push(`<TimeStamp><when>${xmlEscape(point.timeUtc)}</when></TimeStamp>`)
    lines.push(`<description>${xmlEscape(description)}</description>`, '<Point>')
    if (point.altitude !== null) lines.push('<altitudeMode>absolute</altitudeMode>')
    lines.push(`<coordinates>${coordinates}</coordinates>`, '</Point>', '</Placemark>')
  }
  lines.push('</Document>', '</kml>', '')
  return lines.join('\n')
}

export function photoMapOutputs(records: ParsedRecord[]): BundleOutput[] {
  return [
    {path: GEOJSON_PATH, data: Buffer.from(photosGeoJson(records), 'utf8')},
    {path: KML_PATH, data: Buffer.from(photosKml(records), 'utf8')},
  ]
}
