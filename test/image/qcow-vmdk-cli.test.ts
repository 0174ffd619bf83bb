import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ExitCode} from '../../src/errors.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {scratchDir, trawl} from '../helpers/cli.js'
import {virtualDisk, virtualDiskGolden} from './virtual-disk-fixtures.js'

/**
 * QCOW2 and VMDK from the command line: `image info`, `image ls` and `image verify` as an
 * examiner runs them (the built CLI), against the raw disk the fixtures were made from and
 * The Sleuth Kit's listings of the shared images (observed_here/, and fls of the qemu-img raw copy).
 */

/**
 * "entry<TAB>path" of the allocated lines of fls -r -p or trawl image ls (the same form). Left out:
 * TSK's virtual $OrphanFiles, and the NTFS index attributes fls lists as streams of files
 * ($ObjId:$O, type 144: trawl lists data streams, type 128).
 */
function allocated(text: string): string[] {
  const keys: string[] = []
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\* )?(\d+)(?:-(\d+)-\d+)?[^:\t]*:\t(.*)$/.exec(line)
    if (!m || m[2] !== undefined || m[5] === '$OrphanFiles' || m[5].startsWith('$OrphanFiles/')) continue
    if (m[4] !== undefined && m[4] !== '128' && !(m[1].startsWith('d/') && m[4] === '144')) continue
    keys.push(`${m[3]}\t${m[5]}`)
  }
  return keys
}

describe('QCOW2 and VMDK fixtures from the CLI', () => {
  it('image ls of every QCOW2 and VMDK made from gpt.raw prints exactly what image ls of gpt.raw prints', async () => {
    const raw = await trawl(['image', 'ls', '-r', '-d', '-p', '3', virtualDisk('gpt.raw')])
    expect(raw.code).toBe(0)
    expect(raw.stdout.split('\n').length).toBeGreaterThan(10)
    for (const name of ['gpt.qcow2', 'gpt-v2c.qcow2', 'top.qcow2', 'gpt-sparse.vmdk', 'gpt-stream.vmdk', 'gpt-flat.vmdk', 'grandchild.vmdk']) {
      const result = await trawl(['image', 'ls', '-r', '-d', '-p', '3', virtualDisk(name)])
      expect({name, code: result.code, stderr: result.stderr, stdout: result.stdout}).toEqual({name, code: 0, stderr: '', stdout: raw.stdout})
    }
  })

  it('image info of top.qcow2 names the format, clusters, features, parent chain and snapshot', async () => {
    const result = await trawl(['image', 'info', virtualDisk('top.qcow2')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Format:       qcow2 (3 segments)')
    expect(result.stdout).toContain('Media size:   4194304 bytes\nVirtual disk: QCOW2 v3, 65536-byte clusters\nFeatures:     extended L2 entries\nParent chain (2; read through in this order; recorded as "mid.qcow2"):')
    expect(result.stdout).toMatch(/ {2}1 "before-zeroing" taken \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z, disk 4194304 bytes/)
    expect(result.stdout).toContain('p3 [002]: Basic data partition "Basic data partition" sectors 3328-5887 (offset 1703936, 1310720 bytes): ntfs label "GPTNTFS"')
  })

  it('image verify of a stream-optimized VMDK hashes the disk, not the file: the MD5 of gpt.raw', async () => {
    const expected = (await trawl(['image', 'verify', virtualDisk('gpt.raw')])).stdout.match(/MD5 computed:\s+([0-9a-f]{32})/)?.[1]
    const result = await trawl(['image', 'verify', virtualDisk('gpt-stream.vmdk')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('(vmdk, 4194304 bytes)')
    expect(result.stdout).toContain(`MD5 computed:   ${expected}`)
  })

  it('a QCOW2 copied without its backing file: one line naming what was looked for, exit code 3', async () => {
    const dir = scratchDir()
    copyFileSync(virtualDisk('zero.qcow2'), join(dir, 'zero.qcow2'))
    const result = await trawl(['image', 'info', join(dir, 'zero.qcow2')])
    expect(result.code).toBe(ExitCode.source)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`${join(dir, 'zero.qcow2')}: differencing image whose parent was not found (looked for ${join(dir, 'gpt.raw')})`)
  })

  it('a QCOW2 whose L2 table lies past the end of the file: image verify stops with one line naming it, exit code 7', async () => {
    const dir = scratchDir()
    const path = join(dir, 'gpt.qcow2')
    const bytes = readFileSync(virtualDisk('gpt.qcow2'))
    bytes.writeBigUInt64BE(0x8000000000000000n | (1n << 40n), Number(bytes.readBigUInt64BE(40)))
    writeFileSync(path, bytes)
    const result = await trawl(['image', 'verify', path])
    expect(result.code).toBe(ExitCode.image)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('L1 entry 0 (media offsets 0-536870911) points to an L2 table at 1099511627776, past the end of the file')
  })
})

describeShared('the shared QCOW2 and VMDK images listed from the CLI as fls lists them', () => {
  for (const [image, oracle] of [
    ['disk/qcow/plaso_vsstest.qcow2', 'observed_here/disk_qcow_plaso_vsstest.qcow2.tsk.txt'],
    ['disk/qcow/dfvfs_windows_volume.qcow2', 'golden/shared/qcow_dfvfs_windows_volume.qcow2.fls.txt'],
    ['disk/qcow/dfvfs_ext2.qcow2', 'observed_here/disk_qcow_dfvfs_ext2.qcow2.tsk.txt'],
    ['disk/vmdk/dfvfs_ext2.vmdk', 'golden/shared/vmdk_dfvfs_ext2.vmdk.fls.txt'],
  ] as const) {
    it(`${image}: every allocated name and entry fls lists`, async () => {
      const result = await trawl(['image', 'ls', '-r', sharedFile(image)])
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const theirs = allocated(oracle.startsWith('golden/') ? virtualDiskGolden(oracle.slice('golden/'.length)) : readFileSync(sharedFile(oracle), 'utf8'))
      const ours = new Set(allocated(result.stdout))
      expect(theirs.length).toBeGreaterThan(5)
      expect(theirs.filter((k) => !ours.has(k))).toEqual([])
    })
  }
})
