import {readFileSync, readdirSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {crc32} from 'node:zlib'
import {CorruptImageError} from '../../src/errors.js'
import {SliceByteSource} from '../../src/image/byte-source.js'
import {openImage} from '../../src/image/detect.js'
import {readVolumeSystem} from '../../src/volume/detect.js'
import {sniffFileSystem} from '../../src/volume/fs-sniff.js'
import {readGpt} from '../../src/volume/gpt.js'
import {readMbr} from '../../src/volume/mbr.js'
import type {VolumeSystem} from '../../src/volume/types.js'
import {SHARED_DIR, describeShared, sharedFile} from '../helpers/shared.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {golden, imageFixture, parseMmls} from '../image/fixtures.js'

function volumeSystemOf(path: string): VolumeSystem {
  const image = openImage(path)
  try {
    return readVolumeSystem(image.source)
  } finally {
    image.source.close()
  }
}

/** Checks partitions and Meta rows against an mmls listing. */
function expectSameAsMmls(vs: VolumeSystem, mmlsText: string, options: {gptNames?: boolean} = {}): void {
  const mmls = parseMmls(mmlsText)
  expect(mmls.partitions.length).toBeGreaterThan(0)
  expect(vs.partitions.map((p) => p.slot)).toEqual(mmls.partitions.map((r) => r.slot))
  expect(vs.partitions.map((p) => p.startSector)).toEqual(mmls.partitions.map((r) => r.start))
  expect(vs.partitions.map((p) => p.startSector + p.sectorCount - 1)).toEqual(mmls.partitions.map((r) => r.end))
  expect(vs.partitions.map((p) => p.sectorCount)).toEqual(mmls.partitions.map((r) => r.length))
  // mmls describes MBR partitions by type, GPT partitions by their name
  expect(vs.partitions.map((p) => (options.gptNames ? (p.name ?? '') : p.description))).toEqual(mmls.partitions.map((r) => r.description))
  expect(vs.partitions.map((p) => p.index)).toEqual(mmls.partitions.map((_, i) => i + 1))
  expect(vs.meta.map((m) => [m.startSector, m.sectorCount, m.description])).toEqual(mmls.meta.map((r) => [r.start, r.length, r.description]))
}

describe('MBR fixture (sfdisk: 2 primaries, extended with 3 logicals)', () => {
  it('lists the partitions and tables mmls lists, in the same order and numbering', () => {
    const vs = volumeSystemOf(imageFixture('mbr.raw'))
    expect(vs.scheme).toBe('mbr')
    expectSameAsMmls(vs, golden('mbr.raw.mmls.txt'))
    expect(vs.partitions.map((p) => p.logical)).toEqual([false, false, true, true, true])
    expect(vs.warnings).toEqual([])
  })

  it('reads the same table from the E01 and from the split raw image', () => {
    expectSameAsMmls(volumeSystemOf(imageFixture('mbr.E01')), golden('mbr.E01.mmls.txt'))
    expectSameAsMmls(volumeSystemOf(imageFixture('mbr.raw.001')), golden('mbr.raw.mmls.txt'))
  })

  it('names the file system of every partition, with label and serial', () => {
    const image = openImage(imageFixture('mbr.raw'))
    try {
      const vs = readVolumeSystem(image.source)
      const named = vs.partitions.map((p) => sniffFileSystem(new SliceByteSource(image.source, p.offset, p.size)))
      expect(named.map((n) => n.name)).toEqual(['fat12', 'ntfs', 'ext2', 'fat12', 'ntfs'])
      expect(named[0]).toEqual({name: 'fat12', label: 'MBRFAT', serial: '1234-ABCD'})
      expect(named[2]).toMatchObject({name: 'ext2', label: 'mbrext2', serial: '2f0e4b3a-5c6d-4e7f-8a9b-0c1d2e3f4a5b'})
      expect(named[3]).toMatchObject({name: 'fat12', label: 'LOGFAT'})
    } finally {
      image.source.close()
    }
  })
})

describe('MBR partition type names', () => {
  it('are the names mmls prints, for 31 partition types in 0x0F and 0x85 extended chains', () => {
    for (const name of ['mbr-types.raw', 'mbr-types85.raw']) {
      const vs = volumeSystemOf(imageFixture(name))
      expectSameAsMmls(vs, golden(`${name}.mmls.txt`))
    }
  })
})

describe('GPT fixture (sfdisk: EFI, MSR, Basic data, Linux, Recovery)', () => {
  it('lists the partitions and tables mmls lists', () => {
    const vs = volumeSystemOf(imageFixture('gpt.raw'))
    expect(vs.scheme).toBe('gpt')
    expectSameAsMmls(vs, golden('gpt.raw.mmls.txt'), {gptNames: true})
    expectSameAsMmls(volumeSystemOf(imageFixture('gpt-u.E01')), golden('gpt-u.E01.mmls.txt'), {gptNames: true})
    expectSameAsMmls(volumeSystemOf(imageFixture('gpt.split.ab')), golden('gpt.raw.mmls.txt'), {gptNames: true})
  })

  it('names the partition types and GUIDs', () => {
    const vs = volumeSystemOf(imageFixture('gpt.raw'))
    expect(vs.diskGuid).toBe('8C3B5D2E-1F4A-4B6C-9D7E-0A1B2C3D4E5F')
    expect(vs.partitions.map((p) => p.description)).toEqual([
      'EFI System partition',
      'Microsoft reserved partition',
      'Basic data partition',
      'Linux filesystem',
      'Windows recovery partition',
    ])
    expect(vs.partitions[2].guid).toBe('11111111-2222-4333-8444-555555555503')
  })

  it('falls back to the backup header when the primary fails its CRC, and says so', () => {
    const bytes = Buffer.from(readFileSync(imageFixture('gpt.raw')))
    bytes[512 + 56] ^= 0xff // disk GUID byte: the header CRC no longer matches
    const vs = readGpt(new MemoryByteSource(bytes))
    expect(vs.partitions).toHaveLength(5)
    expect(vs.warnings[0]).toMatch(/GPT header at LBA 1 fails its CRC32 check; partitions read from the backup GPT header at LBA 8191/)
  })

  it('a bad CRC in both headers is a CorruptImageError', () => {
    const bytes = Buffer.from(readFileSync(imageFixture('gpt.raw')))
    bytes[512 + 56] ^= 0xff
    bytes[bytes.length - 512 + 56] ^= 0xff
    expect(() => readVolumeSystem(new MemoryByteSource(bytes))).toThrow(CorruptImageError)
    expect(() => readVolumeSystem(new MemoryByteSource(bytes))).toThrow(/GPT: GPT header at LBA 1 fails its CRC32 check, and the backup is unusable too/)
  })

  it('damaged partition entries (entry-array CRC) fall back to the backup too', () => {
    const bytes = Buffer.from(readFileSync(imageFixture('gpt.raw')))
    bytes[1024 + 56] ^= 0xff // first entry's name
    const vs = readGpt(new MemoryByteSource(bytes))
    expect(vs.partitions[0].name).toBe('EFI system partition')
    expect(vs.warnings[0]).toMatch(/entries at LBA 2 fail their CRC32 check/)
  })
})

/** A disk whose primary table holds one extended partition. */
function diskWithExtended(sectors: number): Buffer {
  const disk = Buffer.alloc(sectors * 512)
  const entry = (sector: number, slot: number, type: number, start: number, count: number) => {
    const at = sector * 512 + 446 + slot * 16
    disk[at + 4] = type
    disk.writeUInt32LE(start, at + 8)
    disk.writeUInt32LE(count, at + 12)
    disk[sector * 512 + 510] = 0x55
    disk[sector * 512 + 511] = 0xaa
  }
  entry(0, 0, 0x05, 10, sectors - 10)
  entry(10, 0, 0x83, 1, 5) // logical at 11
  entry(10, 1, 0x05, 10, 20) // next EBR at 20
  entry(20, 0, 0x83, 1, 5) // logical at 21
  return disk
}

describe('MBR bad input', () => {
  it('an extended-partition chain that loops back is a CorruptImageError, no hang', () => {
    const disk = diskWithExtended(64)
    // second EBR links back to the first (relative start 0 = the extended partition's first sector)
    const at = 20 * 512 + 446 + 16
    disk[at + 4] = 0x05
    disk.writeUInt32LE(0, at + 8)
    disk.writeUInt32LE(10, at + 12)
    expect(() => readMbr(new MemoryByteSource(disk))).toThrow(CorruptImageError)
    expect(() => readMbr(new MemoryByteSource(disk))).toThrow(/extended partition chain loops back to sector 10 \(at offset 5120\)/)
  })

  it('reads a well-formed chain of the same shape', () => {
    const vs = readMbr(new MemoryByteSource(diskWithExtended(64)))
    expect(vs.partitions.map((p) => [p.slot, p.startSector, p.sectorCount])).toEqual([
      ['001:000', 11, 5],
      ['002:000', 21, 5],
    ])
  })

  it('a truncated image keeps the partition as the table declares it, with a warning', () => {
    const vs = readMbr(new MemoryByteSource(diskWithExtended(64).subarray(0, 15 * 512)))
    expect(vs.partitions.map((p) => p.startSector)).toEqual([11])
    expect(vs.warnings.join('\n')).toMatch(/extended partition table at sector 20 is beyond the end of the image/)
  })

  it('a FAT boot sector is a bare volume, not a partition table', () => {
    const image = openImage(imageFixture('mbr.raw'))
    try {
      const fat = new SliceByteSource(image.source, 2048 * 512, 1024 * 512)
      expect(readVolumeSystem(fat).scheme).toBe('none')
    } finally {
      image.source.close()
    }
  })
})

describe('CRC32 of node:zlib', () => {
  it('is the IEEE CRC32 GPT uses', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
  })
})

describeShared('real disk images: partitions exactly as The Sleuth Kit observed them', () => {
  const observed = (name: string) => readFileSync(`${SHARED_DIR}/observed_here/${name}`, 'utf8')
  it('plaso_tsk_volume_system.raw: MBR with an extended partition', () => {
    expectSameAsMmls(volumeSystemOf(sharedFile('disk/raw/plaso_tsk_volume_system.raw')), observed('disk_raw_plaso_tsk_volume_system.raw.tsk.txt'))
  })
  it('plaso_split/image-split.E01+E02: the same table inside a split EWF', () => {
    expectSameAsMmls(volumeSystemOf(sharedFile('disk/ewf/plaso_split/image-split.E01')), observed('disk_ewf_plaso_split_image-split.E01.tsk.txt'))
  })
  it('grr_ntfs_img.dd: NTFS at sector 63, declared beyond the truncated file', () => {
    const vs = volumeSystemOf(sharedFile('disk/raw/grr_ntfs_img.dd'))
    expectSameAsMmls(vs, observed('disk_raw_grr_ntfs_img.dd.tsk.txt'))
    expect(vs.partitions[0]).toMatchObject({startSector: 63, sectorCount: 160587, offset: 63 * 512, type: '0x07'})
    expect(vs.warnings).toEqual(["partition 000:000 ends at sector 160649, beyond the image's last sector 4158"])
  })
  it('gpt_crate_gpt-disk.img: two GPT partitions at LBA 34 and 35-38', () => {
    const vs = volumeSystemOf(sharedFile('disk/raw/gpt_crate_gpt-disk.img'))
    expectSameAsMmls(vs, observed('disk_raw_gpt_crate_gpt-disk.img.tsk.txt'), {gptNames: true})
    expect(vs.partitions[0].guid).toBe('F38EAB50-076F-CB45-97F8-B1B7E5AF078F')
    expect(vs.partitions[0].description).toBe('Linux filesystem')
  })
  it('the ext2 images have no partition table and are named ext2', () => {
    for (const path of ['disk/ewf/dfvfs_ext2.E01', 'disk/ewf/plaso_image.E01', 'disk/raw/dfvfs_ext2_splitraw/ext2.splitraw.000', 'disk/raw/dfvfs_splitraw/image.raw.001']) {
      const image = openImage(sharedFile(path))
      try {
        expect(readVolumeSystem(image.source).scheme).toBe('none')
        expect(sniffFileSystem(image.source).name).toBe('ext2')
      } finally {
        image.source.close()
      }
    }
    expect(readdirSync(sharedFile('disk/raw/dfvfs_splitraw'))).toHaveLength(2)
  })
})
