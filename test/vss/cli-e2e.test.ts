import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Manifest} from '../../src/bundle/manifest.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT, describeShared} from '../helpers/shared.js'
import {fixtureImage} from '../ntfs/ntfs-fixtures.js'
import {VSSTEST_QCOW2, goldenSums} from './vsstest.js'

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const manifestOf = (bundle: string) => JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'})) as Manifest
const recordsOf = (bundle: string, artifact: string) =>
  execFileSync('unzip', ['-p', bundle, `parsed/${artifact}.jsonl`], {encoding: 'utf8'})
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {source: {volume: string; sourcePath: string; file: string}; line: number})

/** The text files of vsstest, each line read as a record by the hosts-file parser, so that records show which snapshot they came from. */
const DEFINITIONS = `- id: vsstest-notes
  name: Text files of the vsstest volume
  category: system
  description: another_file, password.txt and the syslog that vss1 holds before it was gzipped
  paths: ['another_file', 'password.txt', 'syslog', 'syslog.gz']
  parser: hosts-file
`

describeShared("trawl on plaso's vsstest: image info, ls and cat --snapshot, collect --snapshots", () => {
  let image: string
  let dir: string
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let definitions: string
  beforeAll(async () => {
    image = VSSTEST_QCOW2
    dir = scratchDir('trawl-vss-')
    keys = await makeKeys(join(dir, 'keys'))
    definitions = join(dir, 'definitions')
    mkdirSync(definitions)
    writeFileSync(join(definitions, 'notes.yaml'), DEFINITIONS)
  }, 120_000)

  it('image info lists both snapshots under the volume, with creation times at 100 ns', async () => {
    const text = await trawl(['image', 'info', image])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('    Shadow copies: 2\n')
    expect(text.stdout).toMatch(/ {6}vol@vss1: created 2013-12-03T06:35:09\.7363787Z; store 600f0b69-5bdf-11e3-9d6c-005056c00008, shadow copy 4e3c03c2-7bc6-4288-ad96-c1eac1a55f71, set 0a4e3901-6abb-48fc-95c2-6ab9e38e9e71: ntfs/)
    expect(text.stdout).toMatch(/ {6}vol@vss2: created 2013-12-03T06:37:48\.9190583Z; .*: ntfs/)
    const json = JSON.parse((await trawl(['image', 'info', image, '--json'])).stdout)
    expect(json.partitions[0].shadowCopies.map((c: {id: string; createdAt: string; readable: boolean}) => [c.id, c.createdAt, c.readable])).toEqual([
      ['vol@vss1', '2013-12-03T06:35:09.7363787Z', true],
      ['vol@vss2', '2013-12-03T06:37:48.9190583Z', true],
    ])
  })

  it('image ls --snapshot 1 lists the syslog that the live volume no longer has', async () => {
    const listing = await trawl(['image', 'ls', image, '--snapshot', '1'])
    expect(listing.code).toBe(0)
    expect(listing.stdout).toContain('r/r 35-1:\tsyslog\n')
    expect(listing.stdout).not.toContain('password.txt')
    const json = JSON.parse((await trawl(['image', 'ls', image, '--snapshot', '2', '--json'])).stdout)
    expect(json.volume).toBe('vol@vss2')
    expect(json.entries.map((e: {path: string}) => e.path)).toContain('another_file')
  })

  it('image cat --snapshot N writes the bytes icat reads from vshadowmount\'s store', async () => {
    const vss1 = goldenSums('vss1').find((f) => f.path === 'syslog')!
    const cat = execFileSync(process.execPath, [join(REPO_ROOT, 'bin/run.js'), 'image', 'cat', image, 'syslog', '--snapshot', '1'])
    expect(sha256(cat)).toBe(vss1.sha256)
    const missing = await trawl(['image', 'cat', image, 'syslog', '--snapshot', '3'])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('vol has no shadow copy 3 (its shadow copies: 1, 2)')
  })

  it('collect --snapshots all: each snapshot beside the live volume, identical files stored once with every location, records naming their snapshot; verify and stock tools pass', async () => {
    const bundle = join(dir, 'all.zip')
    const run = await trawl(['collect', '--source', image, '--case', 'VSS-1', '--examiner', 'E. Xaminer', ...keys.signArgs, '--definitions', definitions, '--snapshots', 'all', '--out', bundle], {env: keys.env})
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Shadow copies of vol: 2, 2 collected: vol@vss1 2013-12-03T06:35:09.7363787Z, vol@vss2 2013-12-03T06:37:48.9190583Z')
    const manifest = manifestOf(bundle)
    expect(manifest.source.volumes.map((v) => v.id)).toEqual(['vol', 'vol@vss1', 'vol@vss2'])
    const copies = manifest.entries.filter((e) => e.kind === 'copy')
    const summary = copies.map((e) => [e.path, `${e.source!.volume}:${e.source!.path}`, (e.otherLocations ?? []).map((l) => `${l.volume}:${l.path}`)])
    expect(summary).toEqual([
      ['files/vol/another_file', 'vol:another_file', ['vol@vss2:another_file']],
      ['files/vol/password.txt', 'vol:password.txt', []],
      ['files/vol/syslog.gz', 'vol:syslog.gz', ['vol@vss2:syslog.gz']],
      ['files/vol@vss1/syslog', 'vol@vss1:syslog', []],
    ])
    // the SHA-256 of each place is icat's of that file on that store
    for (const entry of copies) {
      for (const place of [entry.source!, ...(entry.otherLocations ?? [])]) {
        const golden = goldenSums(place.volume === 'vol' ? 'live' : place.volume.slice(4)).find((f) => f.path === place.path)!
        expect(`${place.volume}:${place.path} ${entry.sha256}`).toBe(`${place.volume}:${place.path} ${golden.sha256}`)
      }
    }
    const syslog = copies.find((e) => e.path === 'files/vol@vss1/syslog')!
    expect(syslog.source!.snapshot).toEqual({of: 'vol', number: 1, createdAt: '2013-12-03T06:35:09.7363787Z'})
    expect(copies.find((e) => e.path === 'files/vol/another_file')!.otherLocations![0]!.snapshot).toEqual({of: 'vol', number: 2, createdAt: '2013-12-03T06:37:48.9190583Z'})
    expect(manifest.artifacts[0]).toMatchObject({id: 'vsstest-notes', files: 6, sameAsCollected: 2, errors: 0})
    expect(manifest.errors).toEqual([])
    // records of the snapshot's syslog name that snapshot; the identical files are parsed once, from the live volume
    const records = recordsOf(bundle, 'vsstest-notes')
    const byVolume = new Map<string, Set<string>>()
    for (const r of records) byVolume.set(r.source.volume, (byVolume.get(r.source.volume) ?? new Set()).add(`${r.source.sourcePath} -> ${r.source.file}`))
    expect(Object.fromEntries([...byVolume].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      vol: ['another_file -> files/vol/another_file', 'password.txt -> files/vol/password.txt', 'syslog.gz -> files/vol/syslog.gz'],
      'vol@vss1': ['syslog -> files/vol@vss1/syslog'],
    })
    const verify = await trawl(['verify', bundle, '--cert', keys.cert])
    expect(verify.code).toBe(0)
    expect(verify.stdout).toContain('2 more places in shadow copies hold the bytes of a listed copy (stored once)')
    const stock = execFileSync('bash', [join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), bundle, join(dir, 'stock'), keys.cert], {encoding: 'utf8'})
    expect(stock).toContain('all 7 files OK')
    expect(stock).toContain('manifest.json: collection complete')
  })

  it('collect without --snapshots reads the live volume only, and lists the shadow copies it did not collect', async () => {
    const bundle = join(dir, 'none.zip')
    const run = await trawl(['collect', '--source', image, '--case', 'VSS-2', '--examiner', 'E', ...keys.signArgs, '--definitions', definitions, '--out', bundle], {env: keys.env})
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Shadow copies of vol: 2, none collected (--snapshots all to collect them): vol@vss1 2013-12-03T06:35:09.7363787Z (not collected), vol@vss2 2013-12-03T06:37:48.9190583Z (not collected)')
    const manifest = manifestOf(bundle)
    expect(manifest.source.volumes.map((v) => v.id)).toEqual(['vol'])
    expect(manifest.source.volumes[0]!.description.shadowCopies!.map((c) => c.createdAt)).toEqual(['2013-12-03T06:35:09.7363787Z', '2013-12-03T06:37:48.9190583Z'])
    expect(manifest.entries.filter((e) => e.kind === 'copy').map((e) => e.path)).toEqual(['files/vol/another_file', 'files/vol/password.txt', 'files/vol/syslog.gz'])
  })

  it('collect --snapshots 1 reads that one; --snapshots 3 is refused before anything is written', async () => {
    const one = join(dir, 'one.zip')
    const run = await trawl(['collect', '--source', image, '--case', 'VSS-3', '--examiner', 'E', ...keys.signArgs, '--definitions', definitions, '--snapshots', '1', '--out', one], {env: keys.env})
    expect(run.code).toBe(0)
    expect(manifestOf(one).source.volumes.map((v) => v.id)).toEqual(['vol', 'vol@vss1'])
    const three = join(dir, 'three.zip')
    const refused = await trawl(['collect', '--source', image, '--case', 'VSS-4', '--examiner', 'E', ...keys.signArgs, '--snapshots', '3', '--out', three], {env: keys.env})
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('has shadow copy 3 (shadow copies: vol: 1, 2)')
    expect([existsSync(three), existsSync(`${three}.partial`), existsSync(`${three}.work`)]).toEqual([false, false, false])
    const bad = await trawl(['collect', '--source', image, '--case', 'VSS-5', '--examiner', 'E', ...keys.signArgs, '--snapshots', 'latest', '--out', three], {env: keys.env})
    expect(bad.stderr).toContain('--snapshots takes all, none, or shadow copy numbers such as 1 or 1,3 (not "latest")')
  })
})

describeShared('trawl batch --snapshots all', () => {
  it('collects each snapshot of every item beside its live volume', async () => {
    const dir = scratchDir('trawl-vss-batch-')
    const keys = await makeKeys(join(dir, 'keys'))
    const definitions = join(dir, 'definitions')
    mkdirSync(definitions)
    writeFileSync(join(definitions, 'notes.yaml'), DEFINITIONS)
    const out = join(dir, 'out')
    const run = await trawl(['batch', VSSTEST_QCOW2, '--out', out, '--case', 'VSS-B', '--examiner', 'E', ...keys.signArgs, '--definitions', definitions, '--snapshots', 'all', '--no-image-check'], {env: keys.env})
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('vol ntfs, vol@vss1 ntfs, vol@vss2 ntfs')
    const manifest = manifestOf(join(out, 'plaso_vsstest.qcow2.zip'))
    expect(manifest.source.volumes.map((v) => v.id)).toEqual(['vol', 'vol@vss1', 'vol@vss2'])
    expect(manifest.entries.filter((e) => e.kind === 'copy').map((e) => e.path)).toContain('files/vol@vss1/syslog')
  }, 120_000)
})

describe('an NTFS volume without Volume Shadow Copies', () => {
  it('image info says none; collect --snapshots all works as without it', async () => {
    const dir = scratchDir('trawl-novss-')
    const image = join(dir, 'main.img')
    writeFileSync(image, fixtureImage('main'))
    const info = await trawl(['image', 'info', image])
    expect(info.stdout).toContain('    Shadow copies: none\n')
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'b.zip')
    const run = await trawl(['collect', '--source', image, '--case', 'NOVSS', '--examiner', 'E', ...keys.signArgs, '--snapshots', 'all', '--out', bundle], {env: keys.env})
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('Shadow copies')
    expect(manifestOf(bundle).source.volumes.map((v) => v.id)).toEqual(['vol'])
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
