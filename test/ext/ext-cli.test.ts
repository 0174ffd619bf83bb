import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {fixtureImage, golden, parseFls} from './ext-fixtures.js'

const built = existsSync(join(REPO_ROOT, 'dist/commands/image/ls.js'))

describe.skipIf(!built)('an ext4 image from the CLI (after npm run build)', () => {
  const dir = scratchDir()
  const image = join(dir, 'ext4.img')
  beforeAll(() => writeFileSync(image, fixtureImage('ext4')))

  it('image info names ext4 with its label and says the journal is not replayed', async () => {
    const result = await trawl(['image', 'info', image])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/vol: offset 0, 16777216 bytes: ext4 label "EXT4" serial [0-9a-f-]{36}\n {4}note: journaled \(inode 8\), cleanly unmounted: the journal is not read/)
  })

  it('image ls -r -d prints the names, inodes and deleted marks of fls -r -p', async () => {
    const result = await trawl(['image', 'ls', image, '-r', '-d'])
    expect(result.code).toBe(0)
    const ours = result.stdout.trim().split('\n').map((l) => l.replace(/^(.)\/. /, ''))
    const theirs = parseFls(golden('ext4.fls.txt'))
      .filter((l) => !l.path.startsWith('$OrphanFiles') && l.path !== 'many/^')
      .map((l) => `${l.deleted ? '* ' : ''}${l.inode}:\t${l.path}`)
    expect(ours).toEqual(theirs)
  })

  it('image cat writes a file byte for byte as icat does', async () => {
    const result = execFileSync(process.execPath, [join(REPO_ROOT, 'bin/run.js'), 'image', 'cat', image, 'docs/big.bin'])
    const digest = createHash('sha256').update(result).digest('hex')
    expect(`${digest}\tdocs/big.bin`).toBe(golden('ext4.sha256.txt').split('\n').find((l) => l.endsWith('\tdocs/big.bin')))
  })

  it('collect --source on the ext4 image seals a bundle that verifies, the volume described as ext4', async () => {
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'ext4.zip')
    const result = await trawl(['collect', '--source', image, '--out', bundle, '--case', 'EXT4-1', '--examiner', 'Test Examiner', '--json', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary.source.volumes[0].description).toMatchObject({fileSystem: 'ext4', label: 'EXT4', notes: ['journaled (inode 8), cleanly unmounted: the journal is not read']})
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
