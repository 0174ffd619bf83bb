import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ExitCode} from '../../src/errors.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {golden, imageFixture} from './fixtures.js'

/**
 * VHD and VHDX from the command line: `image info`, `image ls` and `image verify` as an
 * examiner runs them, against The Sleuth Kit's output recorded in observed_here/ and the
 * raw disk the fixtures were converted from.
 */

interface FlsLine {
  line: string
  deleted: boolean
  inode: string
  path: string
}

/** fls -r -p lines (or trawl image ls lines, the same form); TSK's virtual $OrphanFiles left out: trawl does not invent it. */
function flsLines(text: string): FlsLine[] {
  const lines: FlsLine[] = []
  for (const line of text.split('\n')) {
    const m = /^.\/. (\* )?(\d+):\t(.*)$/.exec(line)
    if (!m || m[3] === '$OrphanFiles' || m[3].startsWith('$OrphanFiles/')) continue
    lines.push({line, deleted: m[1] !== undefined, inode: m[2], path: m[3]})
  }
  return lines
}

/** The fls section of an observed_here record: the lines after `$ fls -r -p`. */
function observedFls(name: string): string {
  const text = readFileSync(sharedFile(`observed_here/${name}`), 'utf8')
  return text.slice(text.indexOf('$ fls -r -p'))
}

describeShared('the dfvfs VHDs listed from the CLI as fls lists them', () => {
  for (const [image, observed] of [
    ['disk/vhd/dfvfs_ext2.vhd', 'disk_vhd_dfvfs_ext2.vhd.tsk.txt'],
    ['disk/vhd/dfvfs_differential/image.vhd', 'disk_vhd_dfvfs_differential_image.vhd.tsk.txt'],
    // the child's media equals its parent's (vhdimount, golden/shared-vhd.sha256.txt): fls of the parent is its listing too
    ['disk/vhd/dfvfs_differential/image-differential.vhd', 'disk_vhd_dfvfs_differential_image.vhd.tsk.txt'],
  ] as const) {
    it(`${image}: the same allocated lines, in fls's order, and the same deleted names and inodes`, async () => {
      const result = await trawl(['image', 'ls', '-r', '-d', sharedFile(image)])
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const ours = flsLines(result.stdout)
      const theirs = flsLines(observedFls(observed))
      expect(ours.filter((l) => !l.deleted).map((l) => l.line)).toEqual(theirs.filter((l) => !l.deleted).map((l) => l.line))
      // fls writes a deleted name with no inode as r/-; trawl as r/r: compared by name and inode
      const deleted = (lines: FlsLine[]) => lines.filter((l) => l.deleted).map((l) => `${l.inode}\t${l.path}`).sort()
      expect(deleted(ours)).toEqual(deleted(theirs))
    })
  }

  it('image cat of passwords.txt (116 bytes, as INDEX.md says) gives the bytes icat gives, from the dynamic VHD and through the differential child', async () => {
    const icat = new Map(golden('shared-vhd.icat.sha256.txt').trim().split('\n').map((line) => line.split(/\s+/).reverse() as [string, string]))
    for (const [image, golden] of [
      ['dfvfs_ext2.vhd', 'dfvfs_ext2.vhd:passwords.txt'],
      ['dfvfs_differential/image-differential.vhd', 'dfvfs_differential/image.vhd:passwords.txt'],
    ]) {
      const result = await trawl(['image', 'cat', sharedFile(`disk/vhd/${image}`), 'passwords.txt'])
      expect(result.code).toBe(0)
      expect(Buffer.byteLength(result.stdout)).toBe(116)
      expect(createHash('sha256').update(result.stdout).digest('hex')).toBe(icat.get(golden))
    }
  })

  it('image info of the differential child names its parent, how it was found, and the checksums that fail', async () => {
    const result = await trawl(['image', 'info', sharedFile('disk/vhd/dfvfs_differential/image-differential.vhd')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Format:       vhd\nMedia size:   104448 bytes\nVirtual disk: differencing, 2097152-byte blocks, 512-byte sectors; id 40d56d36-9ab8-4fe4-a31a-121fe2bf15eb')
    expect(result.stdout).toContain(`  1. ${sharedFile('disk/vhd/dfvfs_differential/image.vhd')} (vhd dynamic, id d49c5c80-350a-4a89-898a-5ad6d10f6578; found by parent name image.vhd)`)
    expect(result.stdout).toContain('vol: offset 0, 104448 bytes: ext2')
    expect(result.stdout).toMatch(/Warnings\n.*image-differential\.vhd: VHD footer checksum mismatch/)
  })
})

describe('VHDX and VHD fixtures from the CLI', () => {
  it('image ls of the dynamic and fixed VHDX prints exactly what image ls of the raw disk prints', async () => {
    const raw = await trawl(['image', 'ls', '-r', '-d', '-p', '3', imageFixture('gpt.raw')])
    expect(raw.code).toBe(0)
    expect(raw.stdout.split('\n').length).toBeGreaterThan(5)
    for (const name of ['gpt-dynamic.vhdx', 'gpt-fixed.vhdx', 'gpt-child.vhdx', 'gpt-dynamic.vhd', 'gpt-child.vhd']) {
      const result = await trawl(['image', 'ls', '-r', '-d', '-p', '3', imageFixture(name)])
      expect({name, code: result.code, stdout: result.stdout}).toEqual({name, code: 0, stdout: raw.stdout})
    }
  })

  it('image verify of a VHDX hashes the media, not the file: the MD5 of gpt.raw', async () => {
    const expected = (await trawl(['image', 'verify', imageFixture('gpt.raw')])).stdout.match(/MD5 computed:\s+([0-9a-f]{32})/)?.[1]
    const result = await trawl(['image', 'verify', imageFixture('gpt-fixed.vhdx')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`(vhdx, 4194304 bytes)`)
    expect(result.stdout).toContain(`MD5 computed:   ${expected}`)
  })

  it('image info of a dirty VHDX says the log was replayed in memory', async () => {
    const result = await trawl(['image', 'info', imageFixture('gpt-dirty.vhdx')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('VHDX log was not applied by its writer (dirty: 1 entry, 2 update(s), sequence 5-5); replayed in memory, the file is not changed')
  })

  it('a differencing VHDX copied without its parent: one line naming what was looked for, exit code 3', async () => {
    const dir = scratchDir()
    copyFileSync(imageFixture('gpt-child.vhdx'), join(dir, 'gpt-child.vhdx'))
    const result = await trawl(['image', 'info', join(dir, 'gpt-child.vhdx')])
    expect(result.code).toBe(ExitCode.source)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`differencing image whose parent was not found (looked for ${join(dir, 'gpt-dynamic.vhdx')})`)
  })

  it('collect from a differencing VHDX: the manifest names the format, the disk and the parent it was read through; the bundle verifies', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'child.zip')
    const result = await trawl(['collect', '--source', imageFixture('gpt-child.vhdx'), '--out', bundle, '--case', 'VHDX-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    expect(manifest.source).toMatchObject({
      kind: 'image',
      format: 'vhdx',
      size: 4194304,
      virtualDisk: {diskType: 'differencing', identifier: '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f', parents: [{path: imageFixture('gpt-dynamic.vhdx'), format: 'vhdx', diskType: 'dynamic', foundBy: 'relative_path .\\gpt-dynamic.vhdx'}]},
    })
    expect(manifest.source.volumes.find((v: {id: string}) => v.id === 'p3').description).toMatchObject({fileSystem: 'ntfs', label: 'GPTNTFS'})
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
