import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {readFileSync, writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {describe, expect, it} from 'vitest'
import {exifParser, ExifTimeLimitError, withTimeLimit, type ExifRecord} from '../../src/parsers/media/exif.js'
import type {ParsedRecord} from '../../src/parsers/types.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {expectMatchesExiftool, FIXTURES, loadGolden} from './golden.js'

const own = loadGolden('own')

async function parseFixture(relative: string): Promise<ParsedRecord[]> {
  return parseAll(exifParser, parserInputFor(join(FIXTURES, relative), {bundlePath: `files/dir/Users/ana/Pictures/${relative}`}))
}

function exifRecord(records: ParsedRecord[]): ExifRecord {
  const found = records.filter((r) => r.type === 'media.exif')
  expect(found).toHaveLength(1)
  return found[0] as ExifRecord
}

describe('EXIF of pictures written by exiftool (fixtures/media/build.sh)', () => {
  for (const relative of Object.keys(own)) {
    it(`${relative}: every field as exiftool -j -n reports it`, async () => {
      const records = await parseFixture(relative)
      expect(records.filter((r) => r.type === 'error')).toEqual([])
      expectMatchesExiftool(exifRecord(records), own[relative])
    })
  }

  it('gps-offset.jpg: times with an offset are tied to UTC, the one without stays local', async () => {
    const record = exifRecord(await parseFixture('gps-offset.jpg'))
    expect(record.dateTimeOriginal).toEqual({raw: '2021:03:14 15:09:26', local: '2021-03-14T15:09:26.123', offset: '+02:00', utc: '2021-03-14T13:09:26.123Z', subSec: '123'})
    expect(record.dateTimeDigitized).toEqual({raw: '2021:03:14 15:09:27', local: '2021-03-14T15:09:27.5', offset: '-05:30', utc: '2021-03-14T20:39:27.5Z', subSec: '5'})
    expect(record.dateTimeModified).toEqual({raw: '2021:03:15 08:00:00', local: '2021-03-15T08:00:00', offset: null, utc: null, subSec: null})
    expect(record.gps).toEqual({latitude: -33.8567844, longitude: expect.closeTo(151.2152967, 7), altitude: -12.5, time: '2021-03-14T13:09:26.5Z', direction: 123.45, directionRef: 'T'})
    expect(record.file).toBe('files/dir/Users/ana/Pictures/gps-offset.jpg')
    expect(record.sha256).toBe('d1a35f9676f5a907c0c95bd405a5574aae5569c11dce44727effc1eaef2698dd')
    expect(record.size).toBe(1376)
    expect(record.format).toBe('jpeg')
    expect(record.source).toEqual({file: 'files/dir/Users/ana/Pictures/gps-offset.jpg', sourcePath: 'gps-offset.jpg', volume: 'test'})
  })

  it('local-time.png: EXIF from the PNG eXIf chunk; no GPS date so no GPS time', async () => {
    const record = exifRecord(await parseFixture('local-time.png'))
    expect(record.format).toBe('png')
    expect(record.dateTimeOriginal).toEqual({raw: '2019:12:31 23:59:59', local: '2019-12-31T23:59:59.07', offset: null, utc: null, subSec: '07'})
    expect(record.gps?.time).toBeNull()
    expect(record.gps?.longitude).toBeLessThan(0)
  })

  it('uses the hash the engine computed for the copy when it is given one', async () => {
    const sha256 = 'ab'.repeat(32)
    const input = {...parserInputFor(join(FIXTURES, 'gps-offset.jpg')), sha256}
    const record = exifRecord(await parseAll(exifParser, input))
    expect(record.sha256).toBe(sha256)
    expect(record.size).toBe(1376)
  })

  it('the container formats are told apart by content: WebP chunk, AVIF item, ORF, RAF and CR3', async () => {
    for (const [file, format] of [['gps.webp', 'webp'], ['camera.avif', 'avif'], ['olympus.orf', 'orf'], ['fuji.raf', 'raf'], ['canon.cr3', 'cr3']]) {
      const record = exifRecord(await parseFixture(file))
      expect([file, record.format, record.exif]).toEqual([file, format, true])
    }
  })

  it('no-exif.jpg: still a picture record, with its hash and no EXIF', async () => {
    const record = exifRecord(await parseFixture('no-exif.jpg'))
    expect(record).toMatchObject({exif: false, make: null, gps: null, thumbnail: {present: false, length: null, sha256: null}, warnings: []})
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/)
  })
})

/** What each crafted file must produce: an error record naming the damage (exiftool warns of each, see golden/hostile.json). */
const HOSTILE: Record<string, {error: RegExp; fields?: Partial<ExifRecord>}> = {
  'exif-pointer-outside.jpg': {error: /EXIF IFD pointer \(2147483632\) leads outside/, fields: {make: 'HostileCam', model: 'H-1', dateTimeOriginal: null}},
  'ifd-loop.jpg': {error: /EXIF IFD points back at an IFD already read \(IFD loop\)/, fields: {make: 'HostileCam', model: 'H-1'}},
  'ifd-cycle.jpg': {error: /EXIF IFD points back at an IFD already read/, fields: {make: 'HostileCam'}},
  'huge-count.jpg': {error: /Invalid typed array length: 4294967295/},
  'huge-entry-count.jpg': {error: /Invalid TIFF value type/},
  'truncated.jpg': {error: /EXIF IFD pointer \(80\) leads outside/, fields: {make: 'HostileCam'}},
  'thumbnail-outside.jpg': {error: /embedded thumbnail \(5000 bytes\) could not be read/, fields: {thumbnail: {present: true, length: 5000, sha256: null}}},
  'gps-garbage.jpg': {error: /GPS latitude\/longitude present but unreadable/, fields: {gps: null}},
  'dates-invalid.jpg': {error: /CreateDate "2021:02:31 10:00:00" is not a valid date and time.*offset of CreateDate "\+99:00" is not a UTC offset/},
  'ifd-offset-outside.tif': {error: /outside the bounds/, fields: {exif: false}},
  'header-only.tif': {error: /outside the bounds/, fields: {exif: false}},
  // the oversize chunk is cut at the end of the file: what it holds is still read
  'webp-exif-oversize.webp': {error: /WebP EXIF chunk at offset 30 claims 4294967280 bytes/, fields: {format: 'webp', make: 'HostileCam', model: 'H-1'}},
  'webp-chunk-outside.webp': {error: /WebP chunk "VP8X" at offset 12 runs past the end of the file/, fields: {format: 'webp', exif: false}},
  // exifr alone never returns on these (a microtask loop no timer can stop): caught before it is called
  'heif-box-size-zero.heic': {error: /HEIF box "free" at offset 24 declares size 0/, fields: {format: 'heic', exif: false}},
  'heif-largesize-zero.heic': {error: /HEIF box "free" at offset 24 declares size 0/, fields: {format: 'heic', exif: false}},
  'heif-exif-outside.heic': {error: /HEIF Exif item extent \(offset 2147483392, 100 bytes\) lies outside the file/, fields: {format: 'heic', exif: false}},
  'heif-iloc-huge-count.heic': {error: /HEIF (meta box damaged|Exif item 1 has no location in iloc)/, fields: {format: 'heic', exif: false}},
  'raf-preview-outside.raf': {error: /RAF header names no preview JPEG inside the file/, fields: {format: 'raf', exif: false}},
}

describe('hostile pictures: an error record, no crash, no hang', () => {
  it('every crafted file in fixtures/media/hostile is covered', () => {
    expect(readdirSync(join(FIXTURES, 'hostile')).sort()).toEqual(Object.keys(HOSTILE).sort())
  })
  for (const [name, expected] of Object.entries(HOSTILE)) {
    it(`${name}: ${expected.error.source}`, async () => {
      const records = await parseFixture(`hostile/${name}`)
      const errors = records.filter((r) => r.type === 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0].error).toMatch(expected.error)
      expect(errors[0].source.file).toBe(`files/dir/Users/ana/Pictures/hostile/${name}`)
      const record = exifRecord(records)
      expect(record.sha256).toMatch(/^[0-9a-f]{64}$/)
      if (expected.fields) expect(record).toMatchObject(expected.fields)
    })
  }

  it('dates no clock can show: raw text kept, no local or UTC time invented', async () => {
    const record = exifRecord(await parseFixture('hostile/dates-invalid.jpg'))
    expect(record.dateTimeOriginal).toEqual({raw: '0000:00:00 00:00:00', local: null, offset: null, utc: null, subSec: null})
    expect(record.dateTimeDigitized).toMatchObject({raw: '2021:02:31 10:00:00', local: null, utc: null})
  })

  for (const [file, keep] of [['gps-offset.jpg', 4], ['camera.avif', 12], ['gps.webp', 16], ['fuji.raf', 16], ['canon.cr3', 12]] as const) {
    it(`random damage to ${file} never makes the parser throw (fuzz)`, async () => {
      const original = readFileSync(join(FIXTURES, file))
      const dir = mkdtempSync(join(tmpdir(), 'trawl-exif-fuzz-'))
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({max: 100_000}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 12}),
          fc.option(fc.integer({min: keep, max: original.length}), {nil: undefined}),
          async (edits, cut) => {
            const bytes = Buffer.from(original)
            // keep the signature so the file is still sniffed as a picture; damage what follows
            for (const [at, value] of edits) bytes[keep + (at % (bytes.length - keep))] = value
            const path = join(dir, file)
            writeFileSync(path, cut === undefined ? bytes : bytes.subarray(0, cut))
            const records = await parseAll(exifParser, parserInputFor(path))
            expect(records.length).toBeGreaterThan(0)
            for (const record of records) expect(['media.exif', 'media.phash', 'error']).toContain(record.type)
          },
        ),
        {numRuns: 150, seed: 20261123},
      )
    })
  }

  it('the time bound rejects a read that never finishes and releases it', async () => {
    let released = false
    const never = new Promise<never>(() => undefined)
    await expect(withTimeLimit(never, 20, () => (released = true))).rejects.toBeInstanceOf(ExifTimeLimitError)
    expect(released).toBe(true)
  })
})
