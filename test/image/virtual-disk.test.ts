import {createHash} from 'node:crypto'
import {copyFileSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, ExitCode, MissingParentImageError, ParentImageMismatchError} from '../../src/errors.js'
import {crc32c} from '../../src/image/crc32c.js'
import {detectImageFormat, openImage} from '../../src/image/detect.js'
import {formatImageInfo, imageInfo} from '../../src/image/info.js'
import {listVolume} from '../../src/image/listing.js'
import {VhdImage, vhdChecksum} from '../../src/image/vhd.js'
import {VhdxImage} from '../../src/image/vhdx.js'
import {openSource} from '../../src/source/open.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {golden, imageFixture, scratchDir} from './fixtures.js'

/**
 * VHD and VHDX read as the media bytes qemu-img and libvhdi give (the goldens of
 * fixtures/images/build-virtual-disks.sh), with their parents found beside them, and
 * damaged copies refused with a typed error naming what is wrong.
 */

function sha256Of(source: {size: number; read(offset: number, length: number): Buffer}): string {
  const hash = createHash('sha256')
  for (let offset = 0; offset < source.size; offset += 1 << 20) hash.update(source.read(offset, 1 << 20))
  return hash.digest('hex')
}

function goldenHashes(name: string): Map<string, string> {
  return new Map(
    golden(name)
      .trim()
      .split('\n')
      .map((line) => {
        const [hash, path] = line.split(/\s+/)
        return [path, hash] as const
      }),
  )
}

const MEDIA = goldenHashes('virtual-disks.sha256.txt')

/** A scratch folder holding copies of the named fixtures (a damaged copy never touches the others). */
function copies(...names: string[]): string {
  const dir = scratchDir()
  for (const name of names) copyFileSync(imageFixture(name), join(dir, name))
  return dir
}

describe('VHD and VHDX fixtures read as the media qemu-img and libvhdi read', () => {
  for (const [name, format, diskType] of [
    ['gpt-dynamic.vhdx', 'vhdx', 'dynamic'],
    ['gpt-fixed.vhdx', 'vhdx', 'fixed'],
    ['gpt-dynamic.vhd', 'vhd', 'dynamic'],
    ['gpt-fixed.vhd', 'vhd', 'fixed'],
    ['gpt-child.vhd', 'vhd', 'differencing'],
    ['gpt-child.vhdx', 'vhdx', 'differencing'],
    ['gpt-dirty.vhdx', 'vhdx', 'dynamic'],
  ] as const) {
    it(`${name}: detected as ${format} ${diskType} by content, media SHA-256 as the golden`, () => {
      expect(detectImageFormat(imageFixture(name))).toBe(format)
      const image = openImage(imageFixture(name))
      try {
        expect(image.description).toMatchObject({format, size: 4194304, virtualDisk: {diskType}})
        expect(sha256Of(image.source)).toBe(MEDIA.get(name))
      } finally {
        image.source.close()
      }
    })
  }

  it('the qemu-made disks hold exactly gpt.raw', () => {
    const raw = readFileSync(imageFixture('gpt.raw'))
    expect(MEDIA.get('gpt-dynamic.vhdx')).toBe(createHash('sha256').update(raw).digest('hex'))
    const image = VhdxImage.open(imageFixture('gpt-dynamic.vhdx'))
    try {
      // unaligned reads across block boundaries, as a file system reads
      for (const [offset, length] of [[0, 512], [1048576 - 100, 300], [1703936 + 17, 2 * 1048576], [4194304 - 10, 100]]) {
        expect(image.read(offset, length).equals(raw.subarray(offset, offset + length))).toBe(true)
      }
    } finally {
      image.close()
    }
  })

  it('differencing VHD: the parent found by its relative locator, its sectors where the bitmap says, the parent elsewhere', () => {
    const child = VhdImage.open(imageFixture('gpt-child.vhd'))
    try {
      expect(child.parentChain).toEqual([
        expect.objectContaining({path: imageFixture('gpt-dynamic.vhd'), format: 'vhd', diskType: 'dynamic', foundBy: 'relative locator (W2ru) .\\gpt-dynamic.vhd'}),
      ])
      expect(child.read(100 * 512, 20).toString('latin1')).toBe('VHD child sector 100')
      expect(child.read(1507 * 512, 21).toString('latin1')).toBe('VHD child sector 1507')
      // sector 600 holds 0xee in the child's block, but its bitmap bit is clear: the parent's zeros are read
      expect(child.read(600 * 512, 512).equals(Buffer.alloc(512))).toBe(true)
      expect(child.allWarnings).toEqual([])
    } finally {
      child.close()
    }
  })

  it('differencing VHDX: parent found by relative_path and checked by parent_linkage; partial, full, parent and zero blocks', () => {
    const child = VhdxImage.open(imageFixture('gpt-child.vhdx'))
    const raw = readFileSync(imageFixture('gpt.raw'))
    try {
      expect(child.parentChain).toEqual([expect.objectContaining({path: imageFixture('gpt-dynamic.vhdx'), format: 'vhdx', foundBy: 'relative_path .\\gpt-dynamic.vhdx'})])
      expect(child.read(100 * 512, 21).toString('latin1')).toBe('VHDX child sector 100')
      expect(child.read(1000 * 512, 22).toString('latin1')).toBe('VHDX child sector 1000')
      // 0xee in the child's block where the bitmap bit is clear: the parent's bytes are read
      expect(child.read(108 * 512, 512).equals(raw.subarray(108 * 512, 109 * 512))).toBe(true)
      expect(child.read(1048576, 4096).equals(raw.subarray(1048576, 1048576 + 4096))).toBe(true)
      expect(child.read(3072 * 512, 30).toString('latin1')).toBe('VHDX child block 1 sector 3072')
      expect(child.read(2 * 1048576, 1048576).equals(raw.subarray(2 * 1048576, 3 * 1048576))).toBe(true)
      expect(child.read(3 * 1048576, 1048576).equals(Buffer.alloc(1048576))).toBe(true)
    } finally {
      child.close()
    }
  })

  it('a chain of two: a grandchild VHDX read through the child and its parent, both listed nearest first', () => {
    const dir = copies('gpt-child.vhdx', 'gpt-dynamic.vhdx')
    // a copy of the child whose parent is the child: linked to the child's data write GUID, found by relative_path
    const child = readFileSync(imageFixture('gpt-child.vhdx'))
    const grandchild = withVhdxRelativePath(child, '.\\gpt-child.vhdx')
    const linkage = Buffer.from('parent_linkage', 'utf16le')
    const valueAt = grandchild.indexOf(Buffer.from('{', 'utf16le'), grandchild.indexOf(linkage, 2 * 1048576))
    Buffer.from('{5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9}', 'utf16le').copy(grandchild, valueAt)
    writeFileSync(join(dir, 'grandchild.vhdx'), grandchild)
    const image = openImage(join(dir, 'grandchild.vhdx'))
    try {
      expect(image.description.virtualDisk?.parents?.map((p) => [p.path, p.diskType, p.foundBy])).toEqual([
        [join(dir, 'gpt-child.vhdx'), 'differencing', 'relative_path .\\gpt-child.vhdx'],
        [join(dir, 'gpt-dynamic.vhdx'), 'dynamic', 'relative_path .\\gpt-dynamic.vhdx'],
      ])
      // its own blocks are the child's, so it reads as the child does
      expect(sha256Of(image.source)).toBe(MEDIA.get('gpt-child.vhdx'))
    } finally {
      image.source.close()
    }
  })

  it('dirty VHDX: the log is replayed in memory, said so, and the evidence file is not changed', () => {
    const dir = copies('gpt-dirty.vhdx')
    const path = join(dir, 'gpt-dirty.vhdx')
    const before = createHash('sha256').update(readFileSync(path)).digest('hex')
    const mtime = statSync(path).mtimeMs
    const image = VhdxImage.open(path)
    try {
      expect(image.replayedLogEntries).toBe(1)
      expect(image.warnings.join('\n')).toMatch(/log was not applied by its writer \(dirty: 1 entry, 2 update\(s\), sequence 5-5\); replayed in memory, the file is not changed/)
      // the replayed BAT makes block 3 (the backup GPT) zero; without the replay it is not
      expect(image.read(4194304 - 512, 512).equals(Buffer.alloc(512))).toBe(true)
      expect(readFileSync(imageFixture('gpt.raw')).subarray(4194304 - 512).equals(Buffer.alloc(512))).toBe(false)
    } finally {
      image.close()
    }
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(before)
    expect(statSync(path).mtimeMs).toBe(mtime)
  })

  it('image info: format, virtual size and the parent chain', async () => {
    const info = await imageInfo(imageFixture('gpt-child.vhdx'))
    expect(info).toMatchObject({format: 'vhdx', size: 4194304, scheme: 'gpt', virtualDisk: {diskType: 'differencing', blockSize: 1048576, logicalSectorSize: 512}})
    const text = formatImageInfo(info)
    expect(text).toContain('Format:       vhdx')
    expect(text).toContain('Virtual disk: differencing, 1048576-byte blocks, 512-byte sectors (physical 4096); id 6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f')
    expect(text).toContain(`Parent chain (1; read through in this order):\n  1. ${imageFixture('gpt-dynamic.vhdx')} (vhdx dynamic, id `)
  })

  it('image ls of each VHD and VHDX lists what image ls of gpt.raw lists (NTFS partition 3)', async () => {
    const list = async (name: string) => {
      const source = await openSource(imageFixture(name))
      try {
        return await listVolume(source, '', {recursive: true, deleted: true, partition: 3})
      } finally {
        await source.close()
      }
    }
    const raw = await list('gpt.raw')
    expect(raw.entries.length).toBeGreaterThan(5)
    // the children change only the gap before the first partition, the Microsoft reserved partition and the disk's end
    for (const name of ['gpt-dynamic.vhdx', 'gpt-fixed.vhdx', 'gpt-dynamic.vhd', 'gpt-fixed.vhd', 'gpt-child.vhd', 'gpt-child.vhdx']) {
      const listed = await list(name)
      expect({...listed, source: undefined}).toEqual({...raw, source: undefined})
    }
  })
})

describe('damaged and incomplete virtual disks: typed errors naming what is wrong, the rest still read', () => {
  it('a differencing VHD without its parent names every path looked for (exit code: source missing)', () => {
    const dir = copies('gpt-child.vhd')
    const error = catchError(() => VhdImage.open(join(dir, 'gpt-child.vhd')))
    expect(error).toBeInstanceOf(MissingParentImageError)
    expect((error as MissingParentImageError).exitCode).toBe(ExitCode.source)
    expect(error.message).toContain(join(dir, 'gpt-dynamic.vhd'))
    expect((error as MissingParentImageError).lookedFor).toEqual([join(dir, 'gpt-dynamic.vhd')])
  })

  it('a differencing VHDX without its parent names the paths looked for', () => {
    const dir = copies('gpt-child.vhdx')
    const error = catchError(() => openImage(join(dir, 'gpt-child.vhdx')))
    expect(error).toBeInstanceOf(MissingParentImageError)
    expect(error.message).toMatch(/differencing image whose parent was not found \(looked for .*gpt-dynamic\.vhdx\)/)
  })

  it('a file with the parent name that is not the parent is refused (VHD unique id, VHDX data write GUID)', () => {
    const vhd = scratchDir()
    copyFileSync(imageFixture('gpt-child.vhd'), join(vhd, 'gpt-child.vhd'))
    copyFileSync(imageFixture('gpt-fixed.vhd'), join(vhd, 'gpt-dynamic.vhd'))
    const vhdError = catchError(() => VhdImage.open(join(vhd, 'gpt-child.vhd')))
    expect(vhdError).toBeInstanceOf(ParentImageMismatchError)
    expect(vhdError.message).toMatch(/has unique id [0-9a-f-]{36}, but this differencing VHD was made from [0-9a-f-]{36}: not its parent/)
    const vhdx = scratchDir()
    copyFileSync(imageFixture('gpt-child.vhdx'), join(vhdx, 'gpt-child.vhdx'))
    copyFileSync(imageFixture('gpt-fixed.vhdx'), join(vhdx, 'gpt-dynamic.vhdx'))
    expect(catchError(() => VhdxImage.open(join(vhdx, 'gpt-child.vhdx'))).message).toMatch(/has data write GUID .* but this differencing VHDX links to .*: not its parent/)
  })

  it('a parent chain that loops (a child naming itself, two children naming each other) is refused, no hang', () => {
    const dir = scratchDir()
    const child = readFileSync(imageFixture('gpt-child.vhd'))
    writeFileSync(join(dir, 'self.vhd'), withVhdParent(child, 'self.vhd'))
    expect(catchError(() => VhdImage.open(join(dir, 'self.vhd')))).toBeInstanceOf(ParentImageMismatchError)
    writeFileSync(join(dir, 'a.vhd'), withVhdParent(child, 'b.vhd'))
    writeFileSync(join(dir, 'b.vhd'), withVhdParent(child, 'a.vhd'))
    const error = catchError(() => VhdImage.open(join(dir, 'a.vhd')))
    expect(error).toBeInstanceOf(ParentImageMismatchError)
    expect(error.message).toMatch(/the parent chain loops/)
    // the same for VHDX: relative_path naming the child itself
    const vhdx = readFileSync(imageFixture('gpt-child.vhdx'))
    writeFileSync(join(dir, 'loop.vhdx'), withVhdxRelativePath(vhdx, '.\\loop.vhdx'))
    expect(catchError(() => VhdxImage.open(join(dir, 'loop.vhdx'))).message).toMatch(/the parent chain loops/)
  })

  it('a VHD BAT entry pointing past the end of the file fails the reads of that block only, naming it', () => {
    const dir = scratchDir()
    const disk = Buffer.from(readFileSync(imageFixture('gpt-dynamic.vhd')))
    const tableOffset = Number(disk.readBigUInt64BE(512 + 16))
    disk.writeUInt32BE(0x00ffffff, tableOffset + 4) // block 1
    writeFileSync(join(dir, 'bad-bat.vhd'), disk)
    const image = VhdImage.open(join(dir, 'bad-bat.vhd'))
    try {
      expect(image.warnings.join('\n')).toMatch(/BAT entries of 1 block\(s\) \(1\) point past the end of the file/)
      expect(image.read(0, 512).equals(readFileSync(imageFixture('gpt.raw')).subarray(0, 512))).toBe(true)
      const error = catchError(() => image.read(2 * 1048576, 512))
      expect(error).toBeInstanceOf(CorruptImageError)
      expect(error.message).toMatch(/VHD block 1 \(BAT entry: sector 16777215\) lies past the end of the file/)
    } finally {
      image.close()
    }
  })

  it('a VHDX BAT entry pointing past the end of the file fails the reads of that payload block only, naming it', () => {
    const dir = scratchDir()
    const disk = Buffer.from(readFileSync(imageFixture('gpt-dynamic.vhdx')))
    const batOffset = 2 * 1048576 // where qemu-img puts it (region table of the fixture)
    const entry = disk.readBigUInt64LE(batOffset + 16)
    expect(Number(entry & 7n)).toBe(6)
    disk.writeBigUInt64LE((entry & 7n) | (4096n << 20n), batOffset + 16) // block 2 at 4 GiB
    writeFileSync(join(dir, 'bad-bat.vhdx'), disk)
    const image = VhdxImage.open(join(dir, 'bad-bat.vhdx'))
    try {
      expect(image.warnings.join('\n')).toMatch(/BAT entries of 1 payload block\(s\) \(2\) point outside the file/)
      expect(image.read(1048576, 512).length).toBe(512)
      const error = catchError(() => image.read(2 * 1048576 + 4096, 512))
      expect(error).toBeInstanceOf(CorruptImageError)
      expect(error.message).toMatch(/VHDX payload block 2 \(state 6, at file offset 4294967296\) lies past the end of the file/)
    } finally {
      image.close()
    }
  })

  it('a truncated dynamic VHD: the footer copy at offset 0 is used and reads past the end fail, never zeros', () => {
    const dir = scratchDir()
    const disk = readFileSync(imageFixture('gpt-dynamic.vhd'))
    writeFileSync(join(dir, 'cut.vhd'), disk.subarray(0, disk.length - 1048576))
    const image = VhdImage.open(join(dir, 'cut.vhd'))
    try {
      expect(image.warnings.join('\n')).toMatch(/footer at the end of the file is missing \(truncated file\?\); its copy at offset 0 is used/)
      expect(catchError(() => sha256Of(image))).toBeInstanceOf(CorruptImageError)
    } finally {
      image.close()
    }
  })

  it('VHD checksums: a footer changed after writing is read with a warning; the footer copy stands in for a damaged end', () => {
    const dir = scratchDir()
    const disk = Buffer.from(readFileSync(imageFixture('gpt-dynamic.vhd')))
    disk[disk.length - 512 + 100] ^= 0xff // reserved byte of the end footer: only its checksum notices
    writeFileSync(join(dir, 'end.vhd'), disk)
    const image = VhdImage.open(join(dir, 'end.vhd'))
    expect(image.warnings).toEqual([`${join(dir, 'end.vhd')}: the VHD footer at the end of the file is damaged (checksum mismatch); its copy at offset 0 is used`])
    image.close()
    disk[100] ^= 0xff
    writeFileSync(join(dir, 'both.vhd'), disk)
    const both = VhdImage.open(join(dir, 'both.vhd'))
    expect(both.warnings.join('\n')).toMatch(/VHD footer checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/)
    expect(sha256Of(both)).toBe(MEDIA.get('gpt-dynamic.vhd'))
    both.close()
    expect(vhdChecksum(disk.subarray(0, 512), 64)).not.toBe(disk.readUInt32BE(64))
  })

  it('VHDX checksums: one damaged header or region table falls back to the other; both damaged is refused', () => {
    const dir = scratchDir()
    const disk = Buffer.from(readFileSync(imageFixture('gpt-dynamic.vhdx')))
    disk[64 * 1024 + 200] ^= 1
    writeFileSync(join(dir, 'h1.vhdx'), disk)
    const one = VhdxImage.open(join(dir, 'h1.vhdx'))
    expect(one.warnings.join('\n')).toMatch(/VHDX header checksum mismatch .*; the other header is used/)
    expect(sha256Of(one)).toBe(MEDIA.get('gpt-dynamic.vhdx'))
    one.close()
    disk[128 * 1024 + 200] ^= 1
    writeFileSync(join(dir, 'h2.vhdx'), disk)
    const error = catchError(() => VhdxImage.open(join(dir, 'h2.vhdx')))
    expect(error).toBeInstanceOf(CorruptImageError)
    expect(error.message).toMatch(/both VHDX headers are damaged/)
    const regions = Buffer.from(readFileSync(imageFixture('gpt-dynamic.vhdx')))
    regions[192 * 1024 + 300] ^= 1
    writeFileSync(join(dir, 'r1.vhdx'), regions)
    const r1 = VhdxImage.open(join(dir, 'r1.vhdx'))
    expect(r1.warnings.join('\n')).toMatch(/VHDX region table checksum mismatch .*; the second copy is used/)
    r1.close()
    regions[256 * 1024 + 300] ^= 1
    writeFileSync(join(dir, 'r2.vhdx'), regions)
    expect(catchError(() => VhdxImage.open(join(dir, 'r2.vhdx'))).message).toMatch(/both VHDX region tables are damaged/)
  })

  it('a dirty VHDX whose log entry fails its checksum is read as it stands, with a warning that nothing was replayed', () => {
    const dir = scratchDir()
    const disk = Buffer.from(readFileSync(imageFixture('gpt-dirty.vhdx')))
    disk[1048576 + 4096 + 100] ^= 1 // a byte of the log entry's data sector
    writeFileSync(join(dir, 'torn.vhdx'), disk)
    const image = VhdxImage.open(join(dir, 'torn.vhdx'))
    try {
      expect(image.replayedLogEntries).toBe(0)
      expect(image.warnings.join('\n')).toMatch(/log GUID is set but the log holds no valid entries: nothing to replay/)
    } finally {
      image.close()
    }
  })

  it('CRC-32C is the Castagnoli checksum (check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  })
})

describeShared('the dfvfs VHDs of the shared test data, against qemu-img, libvhdi and The Sleuth Kit', () => {
  const SHARED = goldenHashes('shared-vhd.sha256.txt')
  for (const [name, size] of [
    ['dfvfs_ext2.vhd', 4212736],
    ['dfvfs_differential/image.vhd', 104448],
    ['dfvfs_differential/image-differential.vhd', 104448],
  ] as const) {
    it(`${name}: media size as img_stat, SHA-256 as qemu-img convert / vhdimount`, () => {
      const image = openImage(sharedFile(`disk/vhd/${name}`))
      try {
        expect(image.source.size).toBe(size)
        expect(readFileSync(sharedFile(`observed_here/disk_vhd_${name.startsWith('dfvfs_differential') ? 'dfvfs_differential_image.vhd' : 'dfvfs_ext2.vhd'}.tsk.txt`), 'utf8')).toContain(
          name.endsWith('image-differential.vhd') ? 'Size of data in bytes:\t104448' : `Size of data in bytes:\t${size}`,
        )
        expect(sha256Of(image.source)).toBe(SHARED.get(name))
      } finally {
        image.source.close()
      }
    })
  }

  it('the differential child finds image.vhd by its parent name and says its footer checksums do not hold', () => {
    const image = openImage(sharedFile('disk/vhd/dfvfs_differential/image-differential.vhd'))
    try {
      expect(image.description.virtualDisk?.parents).toEqual([
        expect.objectContaining({path: sharedFile('disk/vhd/dfvfs_differential/image.vhd'), identifier: 'd49c5c80-350a-4a89-898a-5ad6d10f6578', foundBy: 'parent name image.vhd'}),
      ])
      expect(image.warnings).toHaveLength(3)
      expect(image.warnings?.[0]).toMatch(/image-differential\.vhd: VHD footer checksum mismatch \(stored 0xfffff683, computed 0xffffeeb6\)/)
    } finally {
      image.source.close()
    }
  })
})

function catchError(run: () => unknown): Error {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

/** A copy of a differencing VHD whose parent name and W2ru/W2ku locators all name `name`. */
function withVhdParent(disk: Buffer, name: string): Buffer {
  const copy = Buffer.from(disk)
  const header = 512
  const utf16be = Buffer.from(name, 'utf16le').swap16()
  copy.fill(0, header + 64, header + 576)
  utf16be.copy(copy, header + 64)
  for (let i = 0; i < 8; i++) {
    const e = header + 576 + i * 24
    if (copy.readUInt32BE(e) === 0) continue
    const at = Number(copy.readBigUInt64BE(e + 16))
    const path = Buffer.from(`.\\${name}`, 'utf16le')
    copy.fill(0, at, at + 512)
    path.copy(copy, at)
    copy.writeUInt32BE(path.length, e + 8)
  }
  return copy
}

/** A copy of the differencing VHDX fixture whose relative_path (and no other locator) names `path`. */
function withVhdxRelativePath(disk: Buffer, path: string): Buffer {
  const copy = Buffer.from(disk)
  const key = Buffer.from('relative_path', 'utf16le')
  const at = copy.indexOf(key, 2 * 1048576)
  const old = Buffer.from('.\\gpt-dynamic.vhdx', 'utf16le')
  const valueAt = copy.indexOf(old, at)
  const value = Buffer.from(path.padEnd(old.length / 2, '\0'), 'utf16le')
  value.copy(copy, valueAt)
  // the absolute path names the parent too: point it at the same file
  const absolute = Buffer.from('C:\\Hyper-V\\Disks\\gpt-dynamic.vhdx', 'utf16le')
  const absoluteAt = copy.indexOf(absolute, at)
  Buffer.from(`C:\\Hyper-V\\Disks\\${path.slice(2)}`.padEnd(absolute.length / 2, '\0'), 'utf16le').copy(copy, absoluteAt)
  return copy
}
