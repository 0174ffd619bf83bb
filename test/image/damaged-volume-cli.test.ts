import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {openImage} from '../../src/image/detect.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {MemoryByteSource} from '../helpers/memory-source.js'

const SAMPLE_E01 = join(REPO_ROOT, 'fixtures/sample/sample.E01')
const PARTITION = 1048576
const HISTORY = 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History'

/**
 * The sample disk as raw bytes with one MFT record damaged (a torn sector: its fix-up no
 * longer matches), the way a bad block or an interrupted write leaves one.
 */
async function damagedSample(dir: string, path: string): Promise<{image: string; entry: number}> {
  const opened = openImage(SAMPLE_E01)
  const disk = Buffer.from(opened.source.read(0, opened.source.size))
  const volume = disk.subarray(PARTITION)
  const fs = new NtfsFileSystem(new MemoryByteSource(volume))
  const entry = Number((await fs.stat(path)).inode!.split('-')[0])
  volume[fs.mftEntryOffset(entry) + 510] ^= 0xff
  const image = join(dir, 'damaged.raw')
  writeFileSync(image, disk)
  return {image, entry}
}

describe('a volume with a damaged MFT record: named wherever it is read, never missing in silence', () => {
  const dir = scratchDir()
  let image = ''
  let entry = 0
  let keys: Awaited<ReturnType<typeof makeKeys>>
  beforeAll(async () => {
    ;({image, entry} = await damagedSample(dir, HISTORY))
    keys = await makeKeys(join(dir, 'keys'))
  })

  it('collect lists the damaged artifact file as not collected, with the reason, and the damage among the errors', async () => {
    const bundle = join(dir, 'damaged.zip')
    const result = await trawl(['collect', '--source', image, '--out', bundle, '--case', 'DMG-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    expect(manifest.entries.some((e: {source?: {path: string}}) => e.source?.path === HISTORY)).toBe(false)
    expect(manifest.notCollected).toContainEqual(
      expect.objectContaining({volume: 'p1', path: HISTORY, kind: 'file', artifacts: ['chrome-history'], reason: expect.stringMatching(new RegExp(`^unreadable: its MFT record is damaged and its contents are not read: MFT record ${entry}: update sequence mismatch`))}),
    )
    expect(manifest.errors).toContainEqual({
      volume: 'p1',
      message: expect.stringMatching(new RegExp(`^p1: file system damaged: MFT record ${entry}: update sequence mismatch in sector 0 \\(bad fix-up\\) \\(at offset \\d+\\); listed as damaged, by the name read from it \\(unverified\\): "History" in MFT record \\d+$`)),
    })
    // the other profile's history is still collected and parsed
    expect(manifest.entries.some((e: {source?: {path: string}}) => e.source?.path === 'Users/ana/AppData/Local/Google/Chrome/User Data/Profile 1/History')).toBe(true)
    expect(result.stdout).toContain('file system damaged')
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('image ls lists the damaged file where it lies and warns on stderr; --json carries the problems', async () => {
    const text = await trawl(['image', 'ls', image, '-r'])
    expect(text.code).toBe(0)
    expect(text.stdout.split('\n')).toContain(`r/r ${entry}-1:\t${HISTORY}`)
    expect(text.stderr).toMatch(new RegExp(`^trawl: warning: p1: MFT record ${entry}: update sequence mismatch in sector 0 \\(bad fix-up\\)`))
    expect(text.stderr).toContain('trawl: warning: p1: the file system is damaged; the listing shows what could be read')
    const json = await trawl(['image', 'ls', image, '-r', '--json'])
    const document = JSON.parse(json.stdout)
    expect(document.entries.find((e: {path: string}) => e.path === HISTORY)).toMatchObject({type: 'file', size: 0, unreadable: expect.stringMatching(/update sequence mismatch/)})
    expect(document.problems).toEqual([expect.stringMatching(new RegExp(`^MFT record ${entry}: update sequence mismatch`))])
    // everything else is listed as from the undamaged image
    const clean = JSON.parse((await trawl(['image', 'ls', SAMPLE_E01, '-r', '--json'])).stdout)
    expect(document.entries.map((e: {path: string}) => e.path)).toEqual(clean.entries.map((e: {path: string}) => e.path))
    expect(clean.problems).toBeUndefined()
  })

  it('image ls of the undamaged image writes nothing to stderr', async () => {
    const result = await trawl(['image', 'ls', SAMPLE_E01, '-r'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
  })
})
