import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {afterAll, beforeAll, expect, it} from 'vitest'
import {openImage} from '../../src/image/detect.js'
import {deviceOutputConflict} from '../../src/source/device.js'
import {type LoopDevice, attachLoop, describeLoop} from '../helpers/loop-device.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

interface Entry {
  path: string
  kind: string
  sha256: string
  size: number
  source?: Record<string, unknown>
}

function manifestOf(bundle: string): {source: Record<string, unknown>; entries: Entry[]; errors: Array<{message: string}>; complete: boolean} {
  return JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
}

describeLoop('trawl on block devices, end to end from the CLI', () => {
  const dir = scratchDir('trawl-device-cli-')
  const sampleRaw = join(dir, 'sample.raw')
  const mbrRaw = join(dir, 'mbr.raw')
  const mountPoint = join(dir, 'mnt')
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let sample: LoopDevice
  let mbr: LoopDevice
  let mounted = false

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    const e01 = openImage(join(REPO_ROOT, 'fixtures/sample/sample.E01'))
    writeFileSync(sampleRaw, e01.source.read(0, e01.source.size))
    e01.source.close()
    writeFileSync(mbrRaw, gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/images/mbr.raw.gz'))))
    sample = attachLoop(sampleRaw)
    mbr = attachLoop(mbrRaw)
  })

  afterAll(() => {
    if (mounted) execFileSync('umount', [mountPoint])
    sample?.detach()
    mbr?.detach()
  })

  it('collects a disk from /dev/loopN into a bundle that verifies, with the same files, hashes and records as from the image file', async () => {
    const fromDevice = join(dir, 'device.zip')
    const fromFile = join(dir, 'file.zip')
    for (const [source, out] of [[sample.disk, fromDevice], [sampleRaw, fromFile]]) {
      const result = await trawl(['collect', '--source', source, '--out', out, '--case', 'DEV-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect((await trawl(['verify', out, '--cert', keys.cert])).code).toBe(0)
    }
    const device = manifestOf(fromDevice)
    const file = manifestOf(fromFile)
    expect(device.complete).toBe(true)
    expect(device.source).toMatchObject({
      kind: 'image',
      path: sample.disk,
      format: 'device',
      size: readFileSync(sampleRaw).length,
      device: {kind: 'block-device', name: sample.disk, sectorSize: 512, sizeFrom: 'sysfs'},
      volumes: [{id: 'p1', description: expect.objectContaining({fileSystem: 'ntfs', label: 'WINSAMPLE'})}],
    })
    const copies = (m: typeof device) => m.entries.filter((e) => e.kind === 'copy').map((e) => [e.path, e.size, e.sha256, e.source])
    expect(copies(device).length).toBeGreaterThanOrEqual(8)
    expect(copies(device)).toEqual(copies(file))
    // the parsed records are the same bytes
    const parsed = (m: typeof device) => m.entries.filter((e) => e.kind === 'parsed').map((e) => [e.path, e.sha256])
    expect(parsed(device).length).toBeGreaterThan(0)
    expect(parsed(device)).toEqual(parsed(file))
    const visits = execFileSync('unzip', ['-p', fromDevice, 'parsed/chrome-history.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    expect(visits.filter((r: {type: string}) => r.type === 'browser.visit')).toHaveLength(4)
    expect(device.errors).toEqual(file.errors)
  })

  it('image ls /dev/loopNp1 lists what image ls of partition 1 of the image file lists, deleted files too, and every name fls lists', async () => {
    const fromPartition = await trawl(['image', 'ls', sample.partitions[0], '--recursive', '--deleted'])
    const fromFile = await trawl(['image', 'ls', sampleRaw, '--recursive', '--deleted', '--partition', '1'])
    expect(fromPartition.stderr).toBe('')
    expect(fromPartition.code).toBe(0)
    expect(fromPartition.stdout).toBe(fromFile.stdout)
    const fls = readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/fls.txt'), 'utf8')
    const names = (text: string) => text.trim().split('\n').map((line) => line.split(':\t')[1]).filter((path) => !path.startsWith('$'))
    for (const path of names(fls)) expect(names(fromPartition.stdout)).toContain(path)
  })

  it('image info and image cat read the device: sizes from sysfs, a file byte-exact', async () => {
    const info = await trawl(['image', 'info', mbr.disk])
    expect(info.code).toBe(0)
    expect(info.stdout).toContain('Format:       device')
    expect(info.stdout).toContain('Device:       block device, read in 512-byte sectors; size from sysfs')
    expect(info.stdout).toMatch(/p2 \[000:001\]: NTFS \/ exFAT \(0x07\) .*ntfs label "MBRNTFS"/)
    const cat = await trawl(['image', 'cat', mbr.partitions[1], 'hello.txt'])
    expect(cat.code).toBe(0)
    const golden = readFileSync(join(REPO_ROOT, 'fixtures/images/golden/mbr.raw.p2.hello.sha256.txt'), 'utf8').split(/\s/)[0]
    expect(createHash('sha256').update(cat.stdout).digest('hex')).toBe(golden)
  })

  it('refuses an output on a file system of the disk read, before making any folder there', async () => {
    mkdirSync(mountPoint)
    // trawl's p3 of mbr.raw (the ext2 logical partition) is the kernel's loopNp5 (p3 is the extended container);
    // mounted read-only from the read-only loop device
    execFileSync('mount', ['-t', 'ext2', '-o', 'ro', `${mbr.disk}p5`, mountPoint])
    mounted = true
    const out = join(mountPoint, 'new-folder', 'case.zip')
    const result = await trawl(['collect', '--source', mbr.disk, '--out', out, '--case', 'DEV-2', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(4)
    expect(result.stderr).toContain(`cannot write output ${out}: it is on ${mbr.disk}, the device read as evidence; write to the collection medium instead`)
    expect(existsSync(join(mountPoint, 'new-folder'))).toBe(false)
    // reading another partition of that disk does not write on it: only the disk itself, or p3, would be
    const description = (path: string) => ({kind: 'image' as const, path, device: {kind: 'block-device' as const, name: path, sectorSize: 512, sizeFrom: 'sysfs' as const}})
    expect(deviceOutputConflict(description(mbr.partitions[1]), join(mountPoint, 'new-folder'))).toBeUndefined()
    expect(deviceOutputConflict(description(`${mbr.disk}p5`), mountPoint)).toBe(`on ${mbr.disk}p5, the device read as evidence`)
  })

  it('--live without --source on Linux is a usage error that says what to name', async () => {
    const result = await trawl(['collect', '--live', '--out', join(dir, 'live.zip'), '--case', 'DEV-3', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--source is required here: a block device \(\/dev\/sda1\), a mounted folder or an image/)
    expect(existsSync(join(dir, 'live.zip'))).toBe(false)
    expect(existsSync(join(dir, 'live.zip.partial'))).toBe(false)
    const none = await trawl(['collect', '--case', 'DEV-3', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/--source is required \(or --live alone on Windows, to read every fixed NTFS volume\)/)
  })
})
