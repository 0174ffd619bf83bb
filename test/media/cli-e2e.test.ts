import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SAMPLE = join(REPO_ROOT, 'fixtures/sample/tree')

describe('pictures and known-file hash sets end to end from the CLI', () => {
  it('finds pictures by content, maps the geotagged one, groups cameras and flags hash-set matches', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const harbour = execFileSync('sha256sum', [join(SAMPLE, 'Users/ana/Pictures/harbour.jpg')], {encoding: 'utf8'}).slice(0, 64)
    const notes = execFileSync('md5sum', [join(SAMPLE, 'Users/ana/Documents/notes.txt')], {encoding: 'utf8'}).slice(0, 32)
    const set = join(dir, 'known.txt')
    writeFileSync(set, `# known files\n${harbour}\n${notes}\n${'0'.repeat(40)}\n`)
    const bundle = join(dir, 'photos.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', SAMPLE, '--out', bundle, '--case', 'P-1', '--examiner', 'Test Examiner', '--targets', 'media', '--hashset', set, '--json', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    const unzip = (name: string) => execFileSync('unzip', ['-p', bundle, name], {encoding: 'utf8'})

    // notes.txt is no picture (not collected); IMG_0001.dat is a JPEG whatever its extension
    const all = unzip('parsed/user-pictures.jsonl').trim().split('\n').map((l) => JSON.parse(l))
    const records = all.filter((r) => r.type === 'media.exif')
    expect(records.map((r) => r.source.sourcePath).sort()).toEqual(['Users/ana/Pictures/harbour.jpg', 'Users/bob/Downloads/IMG_0001.dat'])
    // and each picture's PDQ perceptual hash, in a record of its own beside its EXIF
    const phashes = all.filter((r) => r.type === 'media.phash')
    expect(phashes.map((r) => [r.source.sourcePath, r.algorithm, r.sha256 === records.find((e) => e.file === r.file)?.sha256]).sort()).toEqual([
      ['Users/ana/Pictures/harbour.jpg', 'PDQ', true],
      ['Users/bob/Downloads/IMG_0001.dat', 'PDQ', true],
    ])
    for (const p of phashes) expect(p.pdq).toMatch(/^[0-9a-f]{64}$/)
    const picture = records.find((r) => r.source.sourcePath.endsWith('harbour.jpg'))
    expect(picture.sha256).toBe(harbour)
    expect(picture.type).toBe('media.exif')

    const geojson = JSON.parse(unzip('parsed/photos.geojson'))
    expect(geojson.type).toBe('FeatureCollection')
    expect(geojson.features).toHaveLength(1)
    const [lon, lat] = geojson.features[0].geometry.coordinates
    expect(lat).toBeCloseTo(43.2965, 7)
    expect(lon).toBeCloseTo(5.3698, 7)
    expect(unzip('parsed/photos.kml')).toContain('5.3698')

    const matches = unzip('parsed/hash-matches.jsonl').trim().split('\n').map((l) => JSON.parse(l))
    expect(matches.map((m) => [m.sourcePath, m.algorithm])).toEqual([['Users/ana/Pictures/harbour.jpg', 'sha256']])
    expect(summary.hashSetMatches).toHaveLength(1)
    expect(summary.hashSets[0]).toMatchObject({name: 'known.txt', entries: 3})
    expect(summary.hashSets[0].sha256).toBe(execFileSync('sha256sum', [set], {encoding: 'utf8'}).slice(0, 64))
    expect(summary.cameras.map((c: {make: string; bodySerial: string | null}) => [c.make, c.bodySerial]).sort()).toEqual([['Apple', null], ['Canon', '0123456789']])
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
    expect(readFileSync(set, 'utf8')).toContain(harbour)
  })
})
