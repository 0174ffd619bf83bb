import {cpSync, existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

// A bundle written onto the evidence's own file system overwrites its free space, where deleted files live.
describe('collect never writes its bundle onto the evidence volume', () => {
  const dir = scratchDir('trawl-samevol-')
  const source = join(dir, 'suspect')
  const out = join(dir, 'out')
  let keys: Awaited<ReturnType<typeof makeKeys>>
  const args = (bundle: string, ...extra: string[]) => ['collect', '--source', source, '--out', bundle, '--case', 'SV-1', '--examiner', 'Test Examiner', '--targets', 'hosts-file', ...extra, ...keys.signArgs]

  beforeAll(async () => {
    // source and output folder side by side: one file system, whatever the machine's layout
    cpSync(join(REPO_ROOT, 'fixtures/sample/tree'), source, {recursive: true})
    mkdirSync(out)
    keys = await makeKeys(join(dir, 'keys'))
  })

  it('refuses an --out on the same file system as a directory source, and writes nothing', async () => {
    const bundle = join(out, 'b.zip')
    const result = await trawl(args(bundle), {env: keys.env, sameVolumeGuard: true})
    expect(result.code).toBe(4)
    expect(result.stderr).toMatch(/cannot write output .*b\.zip: it is on the same file system as the evidence source .*suspect \(device \d+\); write to the collection medium instead/)
    expect(existsSync(bundle) || existsSync(`${bundle}.partial`)).toBe(false)
  })

  it('collects to the same file system when the examiner says the source is a copy on their own disk', async () => {
    const bundle = join(out, 'copy.zip')
    const result = await trawl(args(bundle, '--allow-same-volume'), {env: keys.env})
    expect(result.code, result.stderr).toBe(0)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
