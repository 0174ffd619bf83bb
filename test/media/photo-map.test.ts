import {join} from 'node:path'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {expect, it} from 'vitest'
import {exifParser, type ExifRecord} from '../../src/parsers/media/exif.js'
import {groupByCamera} from '../../src/parsers/media/index.js'
import {GEOJSON_PATH, KML_PATH, xmlEscape} from '../../src/parsers/media/photo-map.js'
import type {ParsedRecord} from '../../src/parsers/types.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {FIXTURES, loadGolden} from './golden.js'

const shared = loadGolden('shared')

async function parseFiles(files: Array<[path: string, bundlePath: string]>): Promise<ParsedRecord[]> {
  const records: ParsedRecord[] = []
  for (const [path, bundlePath] of files) records.push(...(await parseAll(exifParser, parserInputFor(path, {bundlePath}))))
  return records
}

interface Feature {
  type: string
  geometry: {type: string; coordinates: number[]}
  properties: Record<string, unknown>
}

function checkGeoJson(text: string): Feature[] {
  const doc = JSON.parse(text) as {type: string; features: Feature[]}
  expect(doc.type).toBe('FeatureCollection')
  for (const feature of doc.features) {
    expect(feature.type).toBe('Feature')
    expect(feature.geometry.type).toBe('Point')
    const [lon, lat, ...rest] = feature.geometry.coordinates
    expect(rest.length).toBeLessThanOrEqual(1)
    expect(Math.abs(lon)).toBeLessThanOrEqual(180)
    expect(Math.abs(lat)).toBeLessThanOrEqual(90)
    expect(feature.properties.sha256).toMatch(/^[0-9a-f]{64}$/)
  }
  return doc.features
}

interface Placemark {
  name: string
  description: string
  TimeStamp?: {when: string}
  Point: {coordinates: string; altitudeMode?: string}
}

function checkKml(text: string): Placemark[] {
  expect(XMLValidator.validate(text)).toBe(true)
  const doc = new XMLParser({parseTagValue: false, isArray: (name) => name === 'Placemark'}).parse(text) as {kml: {Document: {Placemark?: Placemark[]}}}
  return doc.kml.Document.Placemark ?? []
}

it('own fixtures: one point per geotagged picture, names and descriptions XML-escaped', async () => {
  const records = await parseFiles([
    [join(FIXTURES, 'gps-offset.jpg'), 'files/dir/Users/ana/Pictures/<Trip> & "Co".jpg'],
    [join(FIXTURES, 'local-time.png'), 'files/dir/Users/ana/Desktop/local-time.png'],
    [join(FIXTURES, 'no-exif.jpg'), 'files/dir/Users/ana/Desktop/no-exif.jpg'],
  ])
  const outputs = await exifParser.finalize!(records)
  expect(outputs.map((o) => o.path)).toEqual([GEOJSON_PATH, KML_PATH])
  const features = checkGeoJson(outputs[0].data.toString('utf8'))
  expect(features).toHaveLength(2)
  // sorted by bundle path: Desktop before Pictures
  expect(features[0].geometry.coordinates).toEqual([-2.294481300089047, 48.85837010002704, 35])
  expect(features[0].properties).toMatchObject({name: 'local-time.png', camera: 'PngMaker PM 2', time: null, timeSource: null, takenLocal: '2019-12-31T23:59:59.07', takenOffset: null})
  expect(features[1].geometry.coordinates[2]).toBe(-12.5)
  expect(features[1].properties).toMatchObject({name: '<Trip> & "Co".jpg', camera: 'TestMaker TM-1 <Field & "Lab">', bodySerial: 'SN0042', time: '2021-03-14T13:09:26.5Z', timeSource: 'gps', direction: 123.45})

  const kml = outputs[1].data.toString('utf8')
  expect(kml).toContain('<name>&lt;Trip&gt; &amp; &quot;Co&quot;.jpg</name>')
  const placemarks = checkKml(kml)
  expect(placemarks.map((p) => p.Point.coordinates)).toEqual(['-2.294481300089047,48.85837010002704,35', '151.2152966999697,-33.8567844,-12.5'])
  // a local time with no offset gets no KML TimeStamp (the viewer would take it for UTC)
  expect(placemarks[0].TimeStamp).toBeUndefined()
  expect(placemarks[0].description).toContain('2019-12-31T23:59:59.07 (local time, zone not recorded)')
  expect(placemarks[1].TimeStamp?.when).toBe('2021-03-14T13:09:26.5Z')
  expect(placemarks[1].description).toContain('SHA-256: d1a35f9676f5a907c0c95bd405a5574aae5569c11dce44727effc1eaef2698dd')
})

it('a picture without GPS time is placed at the camera-clock time when its offset is recorded', async () => {
  const outputs = await exifParser.finalize!(await parseFiles([[join(FIXTURES, 'canon.cr3'), 'files/x/IMG_0001.CR3']]))
  const [feature] = checkGeoJson(outputs[0].data.toString('utf8'))
  expect(feature.geometry.coordinates).toEqual([-43.2075, -22.91125])
  expect(feature.properties).toMatchObject({camera: 'Canon EOS R5', bodySerial: '012345678901', time: '2024-05-06T06:08:09.42Z', timeSource: 'camera-clock-with-offset', takenOffset: '+01:00'})
  const [placemark] = checkKml(outputs[1].data.toString('utf8'))
  expect(placemark.TimeStamp?.when).toBe('2024-05-06T06:08:09.42Z')
  expect(placemark.Point.coordinates).toBe('-43.2075,-22.91125')
})

it('no geotagged pictures: an empty FeatureCollection and a valid KML document', async () => {
  const outputs = await exifParser.finalize!(await parseFiles([[join(FIXTURES, 'no-exif.jpg'), 'files/x/no-exif.jpg']]))
  expect(checkGeoJson(outputs[0].data.toString('utf8'))).toEqual([])
  expect(checkKml(outputs[1].data.toString('utf8'))).toEqual([])
})

it('xmlEscape drops characters XML 1.0 forbids and escapes markup', () => {
  expect(xmlEscape('a\u0000b\u0007c<&>"\'\ud800')).toBe('abc&lt;&amp;&gt;&quot;&apos;')
  expect(XMLValidator.validate(`<a>${xmlEscape('\u001f]]></a>')}</a>`)).toBe(true)
})

describeShared('map of the real geotagged pictures', () => {
  it('every picture exiftool places on the map is there, at the same coordinates', async () => {
    const files = Object.keys(shared)
    const records = await parseFiles(files.map((f) => [sharedFile(f), `files/shared/${f}`]))
    const outputs = await exifParser.finalize!(records)
    const features = checkGeoJson(outputs[0].data.toString('utf8'))
    const expected = files.filter((f) => shared[f]['Composite:GPSLatitude'] !== undefined)
    expect(features.map((f) => f.properties.file)).toEqual(expected.map((f) => `files/shared/${f}`).sort())
    expect(features).toHaveLength(11)
    for (const feature of features) {
      const golden = shared[String(feature.properties.file).replace('files/shared/', '')]
      expect(feature.geometry.coordinates[0]).toBeCloseTo(Number(golden['Composite:GPSLongitude']), 7)
      expect(feature.geometry.coordinates[1]).toBeCloseTo(Number(golden['Composite:GPSLatitude']), 7)
    }
    const placemarks = checkKml(outputs[1].data.toString('utf8'))
    expect(placemarks).toHaveLength(11)
    const iphone = placemarks.find((p) => p.name === 'iphone_hdr_YES.jpg')!
    expect(iphone.TimeStamp?.when).toBe('2015-04-10T18:12:23.06Z')
    const [lon, lat] = iphone.Point.coordinates.split(',').map(Number)
    expect(lon).toBeCloseTo(-3.72475277777778, 7)
    expect(lat).toBeCloseTo(40.4469722222222, 7)
  })

  it('camera identity: body serial when recorded, else make and model', async () => {
    const files = Object.keys(shared)
    const records = await parseFiles(files.map((f) => [sharedFile(f), `files/shared/${f}`]))
    const groups = groupByCamera(records)
    const coolpix = groups.find((g) => g.model === 'COOLPIX P6000')!
    expect(coolpix).toMatchObject({basis: 'make-model', make: 'NIKON', pictures: 6, firstTaken: '2008-10-22T16:28:39', lastTaken: '2008-10-22T16:46:53'})
    expect(groups[0]).toBe(coolpix)
    // HEIC/TIFF without Make/Model and the JPEG without EXIF: no identity, listed last
    expect(groups.at(-1)).toMatchObject({basis: 'none', pictures: 6})
    // no EXIF BodySerialNumber in these files: the Nikon and Olympus serials come from their MakerNotes
    expect(groups.filter((g) => g.basis === 'body-serial').map((g) => [g.make, g.model, g.bodySerial, g.pictures])).toEqual([
      ['NIKON CORPORATION', 'NIKON D3100', '6754846', 1],
      ['OLYMPUS IMAGING CORP.', 'u1020,S1020', 'F70501740', 1],
    ])
    expect(groups.reduce((n, g) => n + g.pictures, 0)).toBe(records.filter((r) => r.type === 'media.exif').length)
  })
})

it('groupByCamera: the same serial under two makes stays two cameras; serial beats model', () => {
  const picture = (make: string, model: string, bodySerial: string | null, file: string) =>
    ({type: 'media.exif', file, make, model, bodySerial, dateTimeOriginal: null, source: {file}}) as unknown as ExifRecord
  const groups = groupByCamera([
    picture('Canon', 'EOS 5D', '123', 'a.jpg'),
    picture('Canon', 'EOS 5D Mark II', '123', 'b.jpg'),
    picture('NIKON', 'D70', '123', 'c.jpg'),
    picture('NIKON', 'D70', null, 'd.jpg'),
    {type: 'browser.visit', source: {file: 'History'}},
  ])
  expect(groups.map((g) => [g.basis, g.make, g.bodySerial, g.files])).toEqual([
    ['body-serial', 'Canon', '123', ['a.jpg', 'b.jpg']],
    ['body-serial', 'NIKON', '123', ['c.jpg']],
    ['make-model', 'NIKON', null, ['d.jpg']],
  ])
})
