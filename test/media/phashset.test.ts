import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadPhashSet} from '../../src/hashset/phash-set.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

const FIXTURES = join(REPO_ROOT, 'fixtures')
const golden = JSON.parse(readFileSync(join(FIXTURES, 'pdq/golden-python-reference.json'), 'utf8')) as Record<string, {hash: string}>

describe('--phashset flags known pictures after a messenger re-encoded them', () => {
  const dir = scratchDir()
  const source = join(dir, 'stick')
  const list = join(dir, 'known-pdq.txt')
  let keys: Awaited<ReturnType<typeof makeKeys>>

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    mkdirSync(join(source, 'Users/cem/Pictures'), {recursive: true})
    // the listed picture only as re-sent: half size, JPEG quality 40, no EXIF; and two unlisted ones
    copyFileSync(join(FIXTURES, 'correlate/shared-reencoded.jpg'), join(source, 'Users/cem/Pictures/resent.jpg'))
    copyFileSync(join(FIXTURES, 'correlate/camera-1.jpg'), join(source, 'Users/cem/Pictures/camera-1.jpg'))
    copyFileSync(join(FIXTURES, 'correlate/same-model.jpg'), join(source, 'Users/cem/Pictures/same-model.jpg'))
    // the list holds the original's hash (Meta's reference computed it), with a label, a comment and a line that is no hash
    writeFileSync(list, `# series known to the lab\n${golden['correlate/shared.jpg'].hash} known-series-7\nnot a hash\n${'f'.repeat(64)},unrelated\n`)
  })

  it('loads the list, counting the line that is no hash', async () => {
    const set = await loadPhashSet(list)
    expect([set.size, set.rejectedLines, set.firstRejected]).toEqual([2, 1, {line: 3, text: 'not a hash'}])
  })

  it('collect flags the re-encoded picture with its distance and label, and nothing else', async () => {
    const bundle = join(dir, 'stick.zip')
    const r = await trawl(['collect', '--source', source, '--out', bundle, '--case', 'P-7', '--examiner', 'Test Examiner', '--targets', 'media', '--phashset', list, ...keys.signArgs], {env: keys.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Hash sets: known-pdq.txt (2 PDQ, within 31 bits; 1 lines that are no hash): 1 matching files (1 by perceptual hash)')
    const unzip = (name: string) => execFileSync('unzip', ['-p', bundle, name], {encoding: 'utf8'})
    const manifest = JSON.parse(unzip('manifest.json'))
    const flagged = manifest.entries.filter((e: {hashSetMatches?: unknown[]}) => e.hashSetMatches)
    expect(flagged.map((e: {source: {path: string}}) => e.source.path)).toEqual(['Users/cem/Pictures/resent.jpg'])
    const [match] = flagged[0].hashSetMatches
    expect(match).toMatchObject({set: 'known-pdq.txt', algorithm: 'pdq', hash: golden['correlate/shared.jpg'].hash, label: 'known-series-7'})
    expect(match.distance).toBeLessThanOrEqual(31)
    expect(manifest.hashSets).toEqual([expect.objectContaining({name: 'known-pdq.txt', format: 'pdq', entries: 2, threshold: 31, rejectedLines: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/)})])
    const matches = unzip('parsed/hash-matches.jsonl').trim().split('\n').map((l) => JSON.parse(l))
    expect(matches).toEqual([expect.objectContaining({type: 'hash.match', algorithm: 'pdq', distance: match.distance, sourcePath: 'Users/cem/Pictures/resent.jpg', label: 'known-series-7'})])
    const phash = unzip('parsed/user-pictures.jsonl').trim().split('\n').map((l) => JSON.parse(l)).find((x) => x.type === 'media.phash' && x.source.sourcePath.endsWith('resent.jpg'))
    expect(phash.phashMatches).toEqual([expect.objectContaining({hash: golden['correlate/shared.jpg'].hash, distance: match.distance})])
    const verify = await trawl(['verify', bundle, '--cert', keys.cert])
    expect(verify.code, verify.stdout).toBe(0)
  })

  it('a threshold of 0 bits asks for the identical hash: the re-encoded copy is then not flagged', async () => {
    const bundle = join(dir, 'strict.zip')
    const r = await trawl(['collect', '--source', source, '--out', bundle, '--case', 'P-7', '--examiner', 'Test Examiner', '--targets', 'media', '--phashset', list, '--phash-threshold', '0', ...keys.signArgs], {env: keys.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Hash sets: known-pdq.txt (2 PDQ, within 0 bits; 1 lines that are no hash): 0 matching files (0 by perceptual hash)')
  })

  it('--no-phash skips the perceptual hashes (for speed in the field), and refuses --phashset with it', async () => {
    const bundle = join(dir, 'fast.zip')
    const r = await trawl(['collect', '--source', source, '--out', bundle, '--case', 'P-7', '--examiner', 'Test Examiner', '--targets', 'media', '--no-phash', ...keys.signArgs], {env: keys.env})
    expect(r.code, r.stderr).toBe(0)
    const types = execFileSync('unzip', ['-p', bundle, 'parsed/user-pictures.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l).type)
    expect(types.sort()).toEqual(['media.exif', 'media.exif', 'media.exif'])
    const refused = await trawl(['collect', '--source', source, '--out', join(dir, 'never.zip'), '--case', 'P-7', '--examiner', 'Test Examiner', '--no-phash', '--phashset', list, ...keys.signArgs], {env: keys.env})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--phashset matches perceptual hashes: it cannot be used with --no-phash')
  })
})

describe('trawl phashset make --crops: known pictures found after a 5% crop', () => {
  const dir = scratchDir()
  const source = join(dir, 'stick')
  const plainList = join(dir, 'known-plain.pdq')
  const cropList = join(dir, 'known-crops.pdq')
  let keys: Awaited<ReturnType<typeof makeKeys>>

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    mkdirSync(join(dir, 'known'), {recursive: true})
    copyFileSync(join(FIXTURES, 'correlate/shared.jpg'), join(dir, 'known/series-7.jpg'))
    writeFileSync(join(dir, 'known/readme.txt'), 'not a picture')
    mkdirSync(join(source, 'Users/cem/Pictures'), {recursive: true})
    // the listed picture cut by 5% (centred, and off centre: 3% left, 2% right, 1% top, 4% bottom), and an unlisted one
    copyFileSync(join(FIXTURES, 'correlate/shared-cropped.jpg'), join(source, 'Users/cem/Pictures/cropped.jpg'))
    copyFileSync(join(FIXTURES, 'correlate/shared-cropped-offcentre.jpg'), join(source, 'Users/cem/Pictures/offcentre.jpg'))
    copyFileSync(join(FIXTURES, 'correlate/camera-1.jpg'), join(source, 'Users/cem/Pictures/camera-1.jpg'))
  })

  it('makes a list with each picture and its 35 crop companions, and names the file it did not hash', async () => {
    const plain = await trawl(['phashset', 'make', join(dir, 'known'), '--out', plainList])
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stderr).toContain('1 picture hashed, 1 hash listed, 1 file not hashed (see the # lines)')
    const made = await trawl(['phashset', 'make', join(dir, 'known'), '--crops', '--out', cropList])
    expect(made.code, made.stderr).toBe(0)
    const lines = readFileSync(cropList, 'utf8').trim().split('\n')
    expect(lines.filter((l) => l.startsWith('# not hashed: '))).toEqual(['# not hashed: readme.txt: not a JPEG, PNG, WebP or HEIC picture'])
    const hashes = lines.filter((l) => !l.startsWith('#'))
    expect(hashes).toHaveLength(36)
    // the first is the plain hash, as Meta's reference computes it
    expect(hashes[0]).toBe(`${golden['correlate/shared.jpg'].hash} series-7.jpg`)
    expect(hashes[1]).toMatch(/^[0-9a-f]{64} series-7\.jpg \[crop l\d+(\.\d+)?% r\d+(\.\d+)?% t\d+(\.\d+)?% b\d+(\.\d+)?%\]$/)
    const set = await loadPhashSet(cropList)
    expect([set.size, set.cropCompanions, set.rejectedLines]).toEqual([36, 35, 0])
  })

  it('without companions the crops are missed; with them both are flagged, labelled with the known picture and the cut, and the unlisted picture is not', async () => {
    const collect = async (list: string, name: string) => {
      const bundle = join(dir, name)
      const r = await trawl(['collect', '--source', source, '--out', bundle, '--case', 'P-8', '--examiner', 'Test Examiner', '--targets', 'media', '--phashset', list, ...keys.signArgs], {env: keys.env})
      expect(r.code, r.stderr).toBe(0)
      const unzip = (entry: string) => execFileSync('unzip', ['-p', bundle, entry], {encoding: 'utf8'})
      return {r, bundle, manifest: JSON.parse(unzip('manifest.json')), records: unzip('parsed/user-pictures.jsonl').trim().split('\n').map((l) => JSON.parse(l))}
    }
    const plain = await collect(plainList, 'plain.zip')
    expect(plain.r.stdout).toContain('0 matching files (0 by perceptual hash)')
    expect(plain.records.filter((x) => x.type === 'media.phash').every((x) => x.probes === undefined)).toBe(true)

    const cropped = await collect(cropList, 'crops.zip')
    expect(cropped.r.stdout).toContain('2 matching files (2 by perceptual hash)')
    const flagged = cropped.manifest.entries.filter((e: {hashSetMatches?: unknown[]}) => e.hashSetMatches)
    expect(flagged.map((e: {source: {path: string}}) => e.source.path).sort()).toEqual(['Users/cem/Pictures/cropped.jpg', 'Users/cem/Pictures/offcentre.jpg'])
    for (const entry of flagged) {
      // one match per known picture, however many of its companions and probes came near
      expect(entry.hashSetMatches).toHaveLength(1)
      const [m] = entry.hashSetMatches
      expect(m).toMatchObject({set: 'known-crops.pdq', algorithm: 'pdq', label: 'series-7.jpg', listedCrop: expect.stringMatching(/^crop l/)})
      expect(m.distance).toBeLessThanOrEqual(31)
    }
    const byPath = (p: string) => flagged.find((e: {source: {path: string}}) => e.source.path === p).hashSetMatches[0]
    // the centred cut is a companion itself; the off-centre one is reached through a probe cut of the collected picture
    expect(byPath('Users/cem/Pictures/cropped.jpg')).toMatchObject({listedCrop: 'crop l2.5% r2.5% t2.5% b2.5%', distance: 0})
    expect(byPath('Users/cem/Pictures/offcentre.jpg').probeCrop).toMatch(/^crop l/)
    const phash = cropped.records.filter((x) => x.type === 'media.phash')
    expect(phash.map((x) => x.probes?.length)).toEqual([15, 15, 15])
    expect(phash.find((x) => x.source.sourcePath.endsWith('camera-1.jpg')).phashMatches).toBeUndefined()
    const verify = await trawl(['verify', cropped.bundle, '--cert', keys.cert])
    expect(verify.code, verify.stdout).toBe(0)
  })
})
