import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SAMPLE_E01 = join(REPO_ROOT, 'fixtures/sample/sample.E01')

describe('collect from a disk image end to end from the CLI', () => {
  const dir = scratchDir()
  let keys: Awaited<ReturnType<typeof makeKeys>>
  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
  })

  it('collects the NTFS partition of the sample E01: partition-named entries, MFT references, $SI and $FN times, image metadata', async () => {
    const bundle = join(dir, 'sample.zip')
    const result = await trawl(['collect', '--source', SAMPLE_E01, '--out', bundle, '--case', 'IMG-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    expect(manifest.source).toMatchObject({kind: 'image', format: 'ewf', size: 23068672, storedHashes: {md5: readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/media.md5'), 'utf8').trim()}})
    expect(manifest.source.metadata).toMatchObject({caseNumber: 'DEMO-0001', examiner: 'Demo Examiner'})
    expect(manifest.source.volumes).toEqual([
      {id: 'p1', description: expect.objectContaining({scheme: 'mbr', index: 1, offset: 1048576, size: 20971520, fileSystem: 'ntfs', label: 'WINSAMPLE'})},
    ])
    // the MFT entry numbers The Sleuth Kit's fls gives for the same files
    const fls = new Map(readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/fls.txt'), 'utf8').trim().split('\n').map((line) => {
      const [meta, path] = line.split(':\t')
      return [path, meta.split(' ').pop()!.split('-')[0]] as const
    }))
    const copies = manifest.entries.filter((e: {kind: string}) => e.kind === 'copy')
    expect(copies.length).toBeGreaterThanOrEqual(8)
    for (const copy of copies) {
      expect(copy.path.startsWith('files/p1/')).toBe(true)
      expect(copy.source.volume).toBe('p1')
      expect(copy.source.inode.split('-')[0]).toBe(fls.get(copy.source.stream ? `${copy.source.path}:${copy.source.stream}` : copy.source.path))
      expect(copy.source.times.modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/)
      expect(copy.source.fileNameTimes[0].created).toMatch(/\.\d{7}Z$/)
    }
    // the alternate data stream of a collected download travels with it
    const zone = manifest.entries.find((e: {path: string}) => e.path === 'files/p1/Users/bob/Downloads/IMG_0001.dat%3AZone.Identifier')
    expect(zone.source).toMatchObject({path: 'Users/bob/Downloads/IMG_0001.dat', stream: 'Zone.Identifier', size: 78})
    expect(execFileSync('unzip', ['-p', bundle, zone.path], {encoding: 'utf8'})).toContain('HostUrl=https://www.example.org/files/contract.pdf')
    const history = execFileSync('unzip', ['-p', bundle, 'parsed/chrome-history.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    expect(history.every((r: {source: {volume: string}}) => r.source.volume === 'p1')).toBe(true)
    expect(history.filter((r: {type: string}) => r.type === 'browser.visit')).toHaveLength(4)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('image verify recomputes the E01 hashes and matches the stored ones', async () => {
    const result = await trawl(['image', 'verify', SAMPLE_E01])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/media.md5'), 'utf8').trim())
  })
})

describeShared('an image with an ext2 partition and an unformatted one', () => {
  it('reads the ext2 volume of the split E01, names p1 as holding no file system, reads the partition table exactly, and makes a valid bundle', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'ext2.zip')
    const result = await trawl(['collect', '--source', sharedFile('disk/ewf/plaso_split/image-split.E01'), '--out', bundle, '--case', 'EXT-1', '--examiner', 'Test Examiner', '--json', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary.source.format).toBe('ewf')
    expect(summary.source.volumes.map((v: {description: {offset: number}}) => v.description.offset)).toEqual([512, 352 * 512])
    // p1 holds no file system at all; p2 is ext2, read (no Windows artifacts on it to collect)
    expect(summary.source.volumes[0].unreadable).toMatch(/no file system trawl recognises/)
    expect(summary.source.volumes[1].unreadable).toBeUndefined()
    expect(summary.source.volumes[1].description.fileSystem).toBe('ext2')
    expect(summary.errors.map((e: {message: string}) => e.message).join('\n')).not.toMatch(/ext2/)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
    const listing = await trawl(['image', 'ls', sharedFile('disk/ewf/plaso_split/image-split.E01'), '--partition', '2', '-r'])
    expect(listing.code).toBe(0)
    expect(listing.stdout).toContain('lost+found')
  })
})
