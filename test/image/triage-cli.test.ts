import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SAMPLE_E01 = join(REPO_ROOT, 'fixtures/sample/sample.E01')

interface Manifest {
  entries: Array<{kind: string; path: string; sha256: string; source?: {path: string; inode?: string; times?: unknown; fileNameTimes?: unknown}}>
  notCollected: unknown[]
  errors: unknown[]
  source: {volumes: Array<{id: string; description: {notes?: string[]}}>}
}

const manifestOf = (bundle: string): Manifest => JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))

describe('collect --triage: NTFS read along the artifact paths through the $I30 indexes', () => {
  const dir = scratchDir()
  let keys: Awaited<ReturnType<typeof makeKeys>>
  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
  })

  it('collects the same files, byte for byte and with the same source metadata, as the $MFT pass; the manifest and the summary say how the volume was read', async () => {
    const bundles: Record<string, Manifest> = {}
    for (const mode of ['full', 'triage']) {
      const bundle = join(dir, `${mode}.zip`)
      const result = await trawl(['collect', '--source', SAMPLE_E01, '--out', bundle, '--case', 'TRI-1', '--examiner', 'Test Examiner', ...keys.signArgs, ...(mode === 'triage' ? ['--triage'] : [])], {env: keys.env})
      expect(result.code, result.stderr).toBe(0)
      if (mode === 'triage') expect(result.stdout).toContain('p1: triage: directories are read through their $I30 indexes')
      expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
      bundles[mode] = manifestOf(bundle)
    }
    const copies = (m: Manifest) => m.entries.filter((e) => e.kind === 'copy').map((e) => ({path: e.path, sha256: e.sha256, source: e.source}))
    expect(copies(bundles.full).length).toBeGreaterThanOrEqual(8)
    expect(copies(bundles.triage)).toEqual(copies(bundles.full))
    expect(bundles.triage.notCollected).toEqual(bundles.full.notCollected)
    expect(bundles.triage.errors).toEqual(bundles.full.errors)
    expect(bundles.full.source.volumes[0].description.notes).toBeUndefined()
    expect(bundles.triage.source.volumes[0].description.notes).toEqual([expect.stringMatching(/^triage: .*deleted and orphan files are not looked for/)])
  })

  it('batch --triage reads each image the same way, and says so in each manifest', async () => {
    const out = join(dir, 'batch')
    const result = await trawl(['batch', '--out', out, '--case', 'TRI-2', '--examiner', 'Test Examiner', ...keys.signArgs, '--triage', '--no-image-check', SAMPLE_E01], {env: keys.env})
    expect(result.code, result.stderr).toBe(0)
    const manifest = manifestOf(join(out, 'sample.zip'))
    expect(manifest.source.volumes[0].description.notes).toEqual([expect.stringMatching(/^triage: /)])
  })
})
