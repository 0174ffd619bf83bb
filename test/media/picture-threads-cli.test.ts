import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, expect, it} from 'vitest'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {describeShared, sharedFile} from '../helpers/shared.js'

const unzip = (bundle: string, path: string) => execFileSync('unzip', ['-p', bundle, path], {encoding: 'utf8', maxBuffer: 1 << 28})

describeShared('perceptual hashes on picture threads, pictures read while the next are copied', () => {
  const dir = scratchDir()
  const source = join(dir, 'source')
  let keys: Awaited<ReturnType<typeof makeKeys>>
  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    const pictures = join(source, 'Users/ana/Pictures')
    mkdirSync(pictures, {recursive: true})
    for (const folder of ['exif/jpg_camera', 'exif/jpg_gps', 'exif/jpg_edge', 'exif/heic']) {
      for (const name of readdirSync(sharedFile(folder))) if (!name.endsWith('.txt')) copyFileSync(join(sharedFile(folder), name), join(pictures, `${folder.split('/')[1]}-${name}`))
    }
  })

  it('gives the same bundle as hashing each picture in turn on the main thread: entries, records in order, errors', async () => {
    const bundles: Record<string, string> = {}
    for (const threads of ['0', '3']) {
      const bundle = join(dir, `threads-${threads}.zip`)
      const result = await trawl(['collect', '--source', source, '--out', bundle, '--case', 'PT-1', '--examiner', 'Test Examiner', '--targets', 'user-pictures', ...keys.signArgs], {env: {...keys.env, TRAWL_PICTURE_THREADS: threads}})
      expect(result.code, result.stderr).toBe(0)
      bundles[threads] = bundle
    }
    const records = (bundle: string) => unzip(bundle, 'parsed/user-pictures.jsonl')
    expect(records(bundles['3'])).toBe(records(bundles['0']))
    const hashed = records(bundles['3']).trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'media.phash')
    expect(hashed.length).toBeGreaterThan(15)
    expect(hashed.filter((r) => typeof r.pdq === 'string').length).toBeGreaterThan(15)
    const manifest = (bundle: string) => {
      const m = JSON.parse(unzip(bundle, 'manifest.json'))
      // report.html states the times of the run (and SHA256SUMS its hash, its signature the time of signing): every other entry is compared byte for byte
      const timed = new Set(['report.html', 'SHA256SUMS', 'SHA256SUMS.p7s'])
      return {entries: m.entries.map((e: {path: string; sha256: string}) => [e.path, timed.has(e.path) ? 'times of the run' : e.sha256]), errors: m.errors, notCollected: m.notCollected, artifacts: m.artifacts}
    }
    expect(manifest(bundles['3'])).toEqual(manifest(bundles['0']))
    expect((await trawl(['verify', bundles['3'], '--cert', keys.cert])).code).toBe(0)
  })
})
