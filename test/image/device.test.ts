import {createHash} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import fc from 'fast-check'
import {afterAll, beforeAll, expect, it} from 'vitest'
import {openImage} from '../../src/image/detect.js'
import {DeviceByteSource, type PositionalRead, probeGeometry, sysfsGeometry} from '../../src/image/device.js'
import {walkVolume} from '../../src/image/listing.js'
import type {ReadOnlyFileSystem} from '../../src/fs/types.js'
import {openSource, openSources} from '../../src/source/open.js'
import type {EvidenceSource} from '../../src/source/types.js'
import {type LoopDevice, attachLoop, describeLoop} from '../helpers/loop-device.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {scratchDir} from './fixtures.js'

/**
 * A pread as strict as ReadFile on a Windows volume or disk handle: offset and length must be
 * whole sectors, or the read fails (ERROR_INVALID_PARAMETER). Every call is recorded.
 */
function windowsStrictRead(sectorSize: number, calls: Array<[number, number]> = []): PositionalRead {
  return (fd, buffer, offset, length, position) => {
    calls.push([position, length])
    if (position % sectorSize !== 0 || length % sectorSize !== 0) {
      throw Object.assign(new Error(`EINVAL: unaligned read of ${length} bytes at ${position}`), {code: 'EINVAL'})
    }
    return readSync(fd, buffer, offset, length, position)
  }
}

/** Every file of a volume with the SHA-256 of its default stream, in listing order. */
async function hashedListing(fs: ReadOnlyFileSystem): Promise<string[]> {
  const lines: string[] = []
  for await (const entry of walkVolume(fs, undefined, {recursive: true})) {
    let digest = ''
    // NTFS metadata files without an unnamed $DATA ($Extend/$ObjId) have nothing to hash
    if (entry.kind === 'file' && !entry.path.startsWith('$')) {
      const hash = createHash('sha256')
      for await (const chunk of await fs.open(entry.path)) hash.update(chunk as Buffer)
      digest = hash.digest('hex')
    }
    lines.push(`${entry.inode} ${entry.kind} ${entry.size} ${entry.path} ${digest}`)
  }
  return lines
}

describeLoop('disks and volumes read in place, through loop devices', () => {
  const dir = scratchDir()
  const diskImage = join(dir, 'sample.raw')
  const volumeImage = join(dir, 'c512.img')
  let disk: LoopDevice
  let volume: LoopDevice
  let diskBytes: Buffer
  let volumeBytes: Buffer

  beforeAll(() => {
    // the sample disk (MBR, one NTFS partition with Windows artifacts) as raw, through trawl's EWF reader
    const e01 = openImage(join(REPO_ROOT, 'fixtures/sample/sample.E01'))
    diskBytes = e01.source.read(0, e01.source.size)
    e01.source.close()
    expect(createHash('md5').update(diskBytes).digest('hex')).toBe(readFileSync(join(REPO_ROOT, 'fixtures/sample/golden/media.md5'), 'utf8').trim())
    writeFileSync(diskImage, diskBytes)
    // a bare NTFS volume with 512-byte clusters: what \\.\C: is on Windows
    volumeBytes = gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/ntfs/c512.img.gz')))
    writeFileSync(volumeImage, volumeBytes)
    disk = attachLoop(diskImage)
    volume = attachLoop(volumeImage)
  })

  afterAll(() => {
    disk?.detach()
    volume?.detach()
  })

  it('sizes an NTFS volume as a Windows volume handle is sized (boot sector: total sectors + the backup boot sector), reading only whole sectors', () => {
    const calls: Array<[number, number]> = []
    const device = DeviceByteSource.open(volume.disk, {kind: 'volume', read: windowsStrictRead(512, calls)})
    try {
      expect(device.sizeFrom).toBe('ntfs-boot-sector')
      expect(device.sectorSize).toBe(512)
      // the total sectors field counts all but the last sector, which holds the backup boot sector
      expect(volumeBytes.readBigUInt64LE(0x28)).toBe(BigInt(volumeBytes.length / 512 - 1))
      expect(device.size).toBe(volumeBytes.length)
      expect(device.size).toBe(sysfsGeometry(volume.disk)?.size)
      expect(device.read(device.size - 512, 512).subarray(3, 11).toString('latin1')).toBe('NTFS    ')
      expect(calls.every(([position, length]) => position % 512 === 0 && length % 512 === 0)).toBe(true)
    } finally {
      device.close()
    }
  })

  it('does not trust a boot sector claiming more sectors than the volume holds: the size is probed instead', () => {
    const claimsMore = Buffer.from(volumeBytes)
    claimsMore.writeBigUInt64LE(BigInt(volumeBytes.length / 512) * 2n, 0x28)
    const image = join(dir, 'claims-more.img')
    writeFileSync(image, claimsMore)
    const loop = attachLoop(image)
    try {
      const device = DeviceByteSource.open(loop.disk, {kind: 'volume', read: windowsStrictRead(512)})
      expect([device.size, device.sizeFrom]).toEqual([volumeBytes.length, 'probe'])
      device.close()
    } finally {
      loop.detach()
    }
  })

  it('returns the image file\'s bytes for any request, aligned or not, while the device is only ever asked for whole sectors (512 and 4096)', () => {
    for (const sectorSize of [512, 4096]) {
      const calls: Array<[number, number]> = []
      const device = DeviceByteSource.withGeometry(volume.disk, {size: volumeBytes.length, sectorSize, sizeFrom: 'sysfs'}, windowsStrictRead(sectorSize, calls))
      try {
        const size = volumeBytes.length
        const request = fc.oneof(
          fc.tuple(fc.nat({max: size + 5000}), fc.nat({max: 70_000})),
          // near the ends and across sector boundaries
          fc.tuple(fc.integer({min: size - 9000, max: size + 10}), fc.nat({max: 10_000})),
          fc.tuple(fc.integer({min: 1, max: 64}).map((k) => k * sectorSize - 1), fc.constantFrom(1, 2, sectorSize, sectorSize + 2)),
        )
        fc.assert(
          fc.property(request, ([offset, length]) => {
            expect(device.read(offset, length).equals(volumeBytes.subarray(offset, offset + length))).toBe(true)
            const target = Buffer.alloc(length + 7, 0xa5)
            const n = device.readInto(offset, target, 3, length)
            expect(n).toBe(Math.max(0, Math.min(length, size - offset)))
            expect(target.subarray(3, 3 + n).equals(volumeBytes.subarray(offset, offset + n))).toBe(true)
            expect(target.subarray(0, 3).equals(Buffer.alloc(3, 0xa5))).toBe(true)
            expect(target.subarray(3 + n).equals(Buffer.alloc(length + 4 - n, 0xa5))).toBe(true)
          }),
          {numRuns: 400},
        )
        expect(calls.length).toBeGreaterThan(0)
        expect(calls.filter(([position, length]) => position % sectorSize !== 0 || length % sectorSize !== 0)).toEqual([])
      } finally {
        device.close()
      }
    }
  })

  it('finds the size of a disk that states none (as \\\\.\\PhysicalDrive0) by probing, equal to what the kernel reports, in whole-sector reads', () => {
    for (const path of [disk.disk, disk.partitions[0], volume.disk]) {
      const fd = openSync(path, 'r')
      try {
        const calls: Array<[number, number]> = []
        const probed = probeGeometry(path, fd, windowsStrictRead(512, calls))
        expect(probed).toEqual({size: sysfsGeometry(path)!.size, sectorSize: 512, sizeFrom: 'probe'})
        expect(calls.length).toBeLessThan(2 * Math.log2(probed.size / 512) + 8)
      } finally {
        closeSync(fd)
      }
    }
    expect(sysfsGeometry(disk.disk)?.size).toBe(diskBytes.length)
  })

  it('opens a block device as a disk read in place: size and sector size from sysfs, the partitions as in the image file', async () => {
    const opened = openImage(disk.disk)
    try {
      expect(opened.description).toEqual({
        kind: 'image',
        path: disk.disk,
        format: 'device',
        segments: [disk.disk],
        size: diskBytes.length,
        device: {kind: 'block-device', name: disk.disk, sectorSize: 512, sizeFrom: 'sysfs'},
      })
    } finally {
      opened.source.close()
    }
    const fromDevice = await openSource(disk.disk)
    const fromFile = await openSource(diskImage)
    try {
      expect(fromDevice.volumes.map((v) => [v.id, v.description])).toEqual(fromFile.volumes.map((v) => [v.id, v.description]))
      expect(await hashedListing(fromDevice.volumes[0].fs!)).toEqual(await hashedListing(fromFile.volumes[0].fs!))
    } finally {
      await fromDevice.close()
      await fromFile.close()
    }
  })

  it('reads a partition device (/dev/loopNp1) as a bare NTFS volume: the same files and hashes as partition 1 of the image file', async () => {
    const fromPartition = await openSource(disk.partitions[0])
    const fromFile = await openSource(diskImage)
    try {
      expect(fromPartition.volumes.map((v) => [v.id, v.description.fileSystem, v.description.label])).toEqual([['vol', 'ntfs', 'WINSAMPLE']])
      const listing = await hashedListing(fromPartition.volumes[0].fs!)
      // MFT entry 74 as fls names it in fixtures/sample/golden/fls.txt
      expect(listing.filter((line) => /^74-\d+ file \d+ Users\/ana\/AppData\/Local\/Google\/Chrome\/User Data\/Default\/History [0-9a-f]{64}$/.test(line))).toHaveLength(1)
      expect(listing).toEqual(await hashedListing(fromFile.volumes[0].fs!))
    } finally {
      await fromPartition.close()
      await fromFile.close()
    }
  })

  it('reads several devices as one source, each volume named and the device it came from recorded; one that cannot be opened is listed as not read', async () => {
    const source: EvidenceSource = await openSources([volume.disk, disk.disk, join(dir, 'no-such-volume')], {notCollected: ['E: not collected: it is removable']})
    try {
      expect(source.description.kind).toBe('live')
      expect(source.description.sources?.map((s) => s.format)).toEqual(['device', 'device', undefined])
      expect(source.volumes.map((v) => [v.id, v.description.device, v.fs ? 'read' : v.unreadable?.replace(/ \(.*/, '')])).toEqual([
        ['vol', volume.disk, 'read'],
        ['p1', disk.disk, 'read'],
        ['s3', join(dir, 'no-such-volume'), `cannot be opened: evidence source ${join(dir, 'no-such-volume')} does not exist`],
      ])
      expect(source.warnings).toEqual(['E: not collected: it is removable'])
    } finally {
      await source.close()
    }
    // when not one of them opens there is nothing to collect: the first one's error, before any bundle exists
    await expect(openSources([join(dir, 'no-such-volume'), join(dir, 'nor-this')])).rejects.toThrow(`evidence source ${join(dir, 'no-such-volume')} does not exist`)
  })
})
