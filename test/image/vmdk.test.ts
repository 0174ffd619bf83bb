import {readFileSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, MissingParentImageError, SourceNotFoundError, UnsupportedFormatError} from '../../src/errors.js'
import {openImage} from '../../src/image/detect.js'
import {formatImageInfo, imageInfo} from '../../src/image/info.js'
import {walkVolume} from '../../src/image/listing.js'
import {isVmdk, parseSparseExtentHeader, parseVmdkDescriptor} from '../../src/image/vmdk.js'
import {openImageSource} from '../../src/source/image.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {copiesOf, sha256OfSource, virtualDisk, virtualDiskGolden} from './virtual-disk-fixtures.js'

/**
 * VMDK disks made by qemu-img and qemu-io from fixtures/images/gpt.raw (fixtures/virtual-disks/build.sh):
 * their bytes must be what `qemu-img convert -O raw` gives, their partitions and files those of gpt.raw.
 */

const CONVERSIONS = ['gpt-sparse.vmdk', 'gpt-stream.vmdk', 'gpt-flat.vmdk']
const SNAPSHOTS = ['child.vmdk', 'grandchild.vmdk']

async function listing(path: string): Promise<string[]> {
  const source = openImageSource(path)
  try {
    const lines: string[] = []
    for (const volume of source.volumes) {
      lines.push(`${volume.id} ${volume.description.fileSystem} ${volume.description.offset} ${volume.description.size}`)
      if (!volume.fs) continue
      for await (const entry of walkVolume(volume.fs, undefined, {recursive: true, deleted: true})) lines.push(`${volume.id}\t${entry.inode}\t${entry.path}\t${entry.size}`)
    }
    return lines
  } finally {
    await source.close()
  }
}

/** A copy of fixture `name` (with the files it needs) with `change` applied to its bytes. */
function damaged(name: string, change: (bytes: Buffer) => void, ...others: string[]): string {
  const dir = copiesOf(name, ...others)
  const path = join(dir, name)
  const bytes = readFileSync(path)
  change(bytes)
  writeFileSync(path, bytes)
  return path
}

function readAll(path: string): string {
  const image = openImage(path)
  try {
    return sha256OfSource(image.source)
  } finally {
    image.source.close()
  }
}

describe('VMDK disks made by qemu-img from gpt.raw', () => {
  it.each([...CONVERSIONS, ...SNAPSHOTS, 'mixed.vmdk'])('%s holds the bytes qemu-img convert -O raw gives (SHA-256 golden)', (name) => {
    const image = openImage(virtualDisk(name))
    try {
      expect(image.description.format).toBe('vmdk')
      expect(image.source.size).toBe(4194304)
      expect(sha256OfSource(image.source)).toBe(virtualDiskGolden(`${name}.sha256`).trim())
      expect(sha256OfSource(image.source, 5 * 4096 + 511)).toBe(virtualDiskGolden(`${name}.sha256`).trim())
    } finally {
      image.source.close()
    }
  })

  it('split.vmdk (twoGbMaxExtentSparse): 2.5 GiB over two extent files, read across the extent edge', () => {
    const image = openImage(virtualDisk('split.vmdk'))
    try {
      expect(image.source.size).toBe(2684354560)
      expect(image.description.segments!.map((s) => s.split('/').pop())).toEqual(['split.vmdk', 'split-s001.vmdk', 'split-s002.vmdk'])
      expect(sha256OfSource(image.source, 16 << 20)).toBe(virtualDiskGolden('split.vmdk.sha256').trim())
      // qemu-io wrote 128 KiB of 0x61 across the edge at 2 GiB
      const edge = image.source.read(2147483648 - 65536 - 1, 131072 + 2)
      expect([edge[0], edge[1], edge[131072], edge[131073]]).toEqual([0, 0x61, 0x61, 0])
    } finally {
      image.source.close()
    }
  })

  it.each([...CONVERSIONS, ...SNAPSHOTS])('%s lists the same partitions and files as gpt.raw', async (name) => {
    expect(await listing(virtualDisk(name))).toEqual(await listing(virtualDisk('gpt.raw')))
  })

  it('image info shows each disk of the snapshot chain with its grain size, as qemu-img info does', async () => {
    const info = await imageInfo(virtualDisk('grandchild.vmdk'))
    const qemu = JSON.parse(virtualDiskGolden('grandchild.vmdk.info.json')) as Array<Record<string, unknown>>
    const disk = info.virtualDisk!
    expect([disk.blockSize, disk.parentAsRecorded]).toEqual([qemu[0]['cluster-size'], qemu[0]['backing-filename']])
    expect(disk.identifier).toBe(`CID ${(qemu[0]['format-specific'] as {data: {cid: number}}).data.cid.toString(16).padStart(8, '0')}`)
    expect(disk.parents!.map((p) => [p.path.split('/').pop(), p.format, p.blockSize])).toEqual(qemu.slice(1).map((q) => [q.filename, q.format, q['cluster-size']]))
    expect(disk.parents!.map((p) => p.foundBy)).toEqual(['parentFileNameHint child.vmdk', 'parentFileNameHint gpt-sparse.vmdk'])
    const text = formatImageInfo(info)
    expect(text).toContain('Virtual disk: monolithicSparse (sparse extent version 1), 65536-byte grains; id CID ')
    expect(text).toMatch(/Parent chain \(2; read through in this order; recorded as "child\.vmdk"\):\n {2}1\. \S+child\.vmdk \(vmdk monolithicSparse \(sparse extent version 2\), 65536-byte grains, id CID [0-9a-f]{8}; found by parentFileNameHint child\.vmdk\)/)
  })

  it('image info lists the extents of a descriptor file: FLAT, ZERO, FLAT at an offset', async () => {
    const info = await imageInfo(virtualDisk('mixed.vmdk'))
    expect(info.virtualDisk!.extents).toEqual([
      {type: 'FLAT', path: virtualDisk('gpt.raw'), sectors: 2048},
      {type: 'ZERO', sectors: 1024},
      {type: 'FLAT', path: virtualDisk('gpt.raw'), sectors: 5120, offsetSectors: 3072},
    ])
    expect(formatImageInfo(info)).toContain(`  extent FLAT 5120 sectors in ${virtualDisk('gpt.raw')} from sector 3072`)
    // the ZERO extent is the EFI partition's place: trawl sees its partition but no file system there
    expect(info.partitions[0]).toMatchObject({id: 'p1', fileSystem: 'unknown'})
    expect(info.partitions[2]).toMatchObject({id: 'p3', fileSystem: 'ntfs', label: 'GPTNTFS'})
  })

  it('is recognised by content: a KDMV extent, a descriptor padded with NULs, not a raw disk', () => {
    expect(isVmdk(readFileSync(virtualDisk('gpt-sparse.vmdk')).subarray(0, 1024))).toBe(true)
    expect(isVmdk(readFileSync(virtualDisk('gpt-flat.vmdk')).subarray(0, 1024))).toBe(true)
    expect(isVmdk(readFileSync(virtualDisk('gpt.raw')).subarray(0, 1024))).toBe(false)
    expect(isVmdk(Buffer.from('version=1\ncreateType="custom"\nRW 1 ZERO\n'))).toBe(true)
    expect(isVmdk(Buffer.from('just some text\nversion=1\n'))).toBe(false)
  })
})

describe('VMDK disks that cannot be read whole: a clear typed error, no hang', () => {
  it('a missing parent disk is named, with the disk that needs it', () => {
    const path = virtualDisk('orphan.vmdk')
    expect(() => openImage(path)).toThrow(MissingParentImageError)
    expect(() => openImage(path)).toThrow(`${path}: differencing image whose parent was not found (looked for ${join(path, '..', 'nosuchdisk.vmdk')})`)
  })

  it('a missing extent of a split disk is named', () => {
    const dir = copiesOf('split.vmdk', 'split-s001.vmdk')
    expect(() => openImage(join(dir, 'split.vmdk'))).toThrow(SourceNotFoundError)
    expect(() => openImage(join(dir, 'split.vmdk'))).toThrow(`evidence source ${join(dir, 'split-s002.vmdk')} does not exist (extent 2 (RW 1048576 SPARSE "split-s002.vmdk") of ${join(dir, 'split.vmdk')})`)
  })

  it('one extent of a split disk opened alone is refused, not read as a shorter disk', () => {
    expect(() => openImage(virtualDisk('split-s002.vmdk'))).toThrow(UnsupportedFormatError)
    expect(() => openImage(virtualDisk('split-s002.vmdk'))).toThrow(/is one extent of a split VMDK and holds no descriptor/)
  })

  const gdOf = (bytes: Buffer) => Number(bytes.readBigUInt64LE(56)) * 512

  it('a grain table past the end of the file names its grain directory entry and the bytes it maps', () => {
    const path = damaged('gpt-sparse.vmdk', (b) => b.writeUInt32LE(0x00ffffff, gdOf(b)))
    const image = openImage(path)
    try {
      expect(() => image.source.read(0, 512)).toThrow(CorruptImageError)
      expect(() => image.source.read(0, 512)).toThrow(/grain directory entry 0 \(extent offsets 0-33554431\) points to a grain table at sector 16777215, past the end of the file/)
    } finally {
      image.source.close()
    }
  })

  it('a grain table laid over the grain directory, or two grain directory entries sharing a table, is refused', () => {
    const overGd = damaged('gpt-sparse.vmdk', (b) => b.writeUInt32LE(gdOf(b) / 512, gdOf(b)))
    expect(() => openImage(overGd)).toThrow(CorruptImageError)
    expect(() => openImage(overGd)).toThrow(/grain table 0 \(sector \d+\) overlaps the grain directory/)
    const shared = damaged('split-s001.vmdk', (b) => b.writeUInt32LE(b.readUInt32LE(gdOf(b)), gdOf(b) + 4), 'split.vmdk', 'split-s002.vmdk')
    expect(() => openImage(join(shared, '..', 'split.vmdk'))).toThrow(/grain table 1 and grain table 0 overlap|grain table 0 and grain table 1 overlap/)
  })

  it('a grain said to be stored inside the grain tables is named', () => {
    const path = damaged('gpt-sparse.vmdk', (b) => {
      const gt = b.readUInt32LE(gdOf(b)) * 512
      b.writeUInt32LE(b.readUInt32LE(gdOf(b)), gt) // grain 0 -> the grain table itself
    })
    const image = openImage(path)
    try {
      expect(() => image.source.read(0, 512)).toThrow(/grain 0 \(extent offset 0\) is said to be stored at sector \d+, inside the extent's own tables/)
    } finally {
      image.source.close()
    }
  })

  it('an unreadable grain directory is replaced by its redundant copy, with a warning', () => {
    const path = damaged('gpt-sparse.vmdk', (b) => b.writeBigUInt64LE(0xfffffffn, 56))
    const image = openImage(path)
    try {
      expect(image.warnings!.join('\n')).toMatch(/grain directory \(1 entries at sector 268435455\) is outside the file.*the redundant grain directory is read instead/)
      expect(sha256OfSource(image.source)).toBe(virtualDiskGolden('gpt-sparse.vmdk.sha256').trim())
    } finally {
      image.source.close()
    }
  })

  describe('streamOptimized', () => {
    /** The grain directory: at the header's gdOffset, or (GD_AT_END) the footer's, 1024 bytes before the end. */
    function gdOfStream(bytes: Buffer): number {
      const inHeader = bytes.readBigUInt64LE(56)
      return Number(inHeader === 0xffffffffffffffffn ? bytes.readBigUInt64LE(bytes.length - 1024 + 56) : inHeader) * 512
    }
    /** The byte offset of the first compressed grain: the first grain table's first non-zero entry. */
    function firstGrain(bytes: Buffer): number {
      const gt = bytes.readUInt32LE(gdOfStream(bytes)) * 512
      for (let i = 0; i < 512; i++) if (bytes.readUInt32LE(gt + i * 4)) return bytes.readUInt32LE(gt + i * 4) * 512
      throw new Error('no grain')
    }
    /**
     * gpt-stream.vmdk as VMware writes a stream: header gdOffset GD_AT_END, then at the end a footer
     * marker, the footer (the header with the real gdOffset) and an end-of-stream marker ([VMDK]
     * "Stream-Optimized Compressed Sparse Extents"). QEMU writes the grain directory's offset in the header.
     */
    function vmwareStream(): string {
      const dir = copiesOf('gpt-stream.vmdk')
      const path = join(dir, 'vmware-stream.vmdk')
      const bytes = readFileSync(join(dir, 'gpt-stream.vmdk'))
      const footer = Buffer.from(bytes.subarray(0, 512))
      const header = Buffer.from(bytes.subarray(0, 512))
      header.writeBigUInt64LE(0xffffffffffffffffn, 56)
      const marker = (type: number) => {
        const m = Buffer.alloc(512)
        m.writeBigUInt64LE(type === 3 ? 1n : 0n, 0)
        m.writeUInt32LE(type, 12)
        return m
      }
      writeFileSync(path, Buffer.concat([header, bytes.subarray(512), marker(3), footer, marker(0)]))
      return path
    }

    it('a stream with its grain directory in the footer (GD_AT_END) reads the same bytes', () => {
      expect(readAll(vmwareStream())).toBe(virtualDiskGolden('gpt-stream.vmdk.sha256').trim())
    })

    it('garbage in a grain marker (its size, its sector) or in the compressed data names the grain', () => {
      const size = damaged('gpt-stream.vmdk', (b) => b.writeUInt32LE(0xffffff00, firstGrain(b) + 8))
      expect(() => readAll(size)).toThrow(/compressed grain 0 \(extent offset 0\) at sector \d+: its marker gives 4294967040 bytes of compressed data for a 65536-byte grain/)
      const lba = damaged('gpt-stream.vmdk', (b) => b.writeBigUInt64LE(999n, firstGrain(b)))
      expect(() => readAll(lba)).toThrow(/its marker is for sector 999, not sector 0 of the extent/)
      const data = damaged('gpt-stream.vmdk', (b) => b.fill(0xee, firstGrain(b) + 14, firstGrain(b) + 40))
      expect(() => readAll(data)).toThrow(/compressed grain 0 .*(does not decompress|decompresses to \d+ bytes)/)
    })

    it('a stream cut short (no footer) is refused', () => {
      const path = vmwareStream()
      writeFileSync(path, readFileSync(path).subarray(0, 60000))
      expect(() => openImage(path)).toThrow(CorruptImageError)
      expect(() => openImage(path)).toThrow(/stream-optimized extent has no footer marker/)
    })
  })

  it('a flat extent shorter than its descriptor says: a warning on opening, and the first byte it lacks named on reading', () => {
    const dir = copiesOf('gpt-flat.vmdk', 'gpt-flat-flat.vmdk')
    writeFileSync(join(dir, 'gpt-flat-flat.vmdk'), readFileSync(join(dir, 'gpt-flat-flat.vmdk')).subarray(0, 3000000))
    const image = openImage(join(dir, 'gpt-flat.vmdk'))
    try {
      expect(image.warnings!.join('\n')).toContain(`needs 4194304 bytes of ${join(dir, 'gpt-flat-flat.vmdk')}, which holds 3000000`)
      expect(image.source.read(0, 1000).equals(readFileSync(virtualDisk('gpt.raw')).subarray(0, 1000))).toBe(true)
      expect(() => sha256OfSource(image.source)).toThrow(/flat extent \S+gpt-flat-flat\.vmdk ends at 3000000 bytes, before extent offset 3000000/)
    } finally {
      image.source.close()
    }
  })

  it('a header whose newline test characters were altered (copied as text) is refused', () => {
    const path = damaged('gpt-sparse.vmdk', (b) => b.writeUInt8(0x0a, 75))
    expect(() => openImage(path)).toThrow(/the file was copied as text/)
  })

  it('refuses what it does not read by name: COWD extents, RDM extents, compression other than deflate', () => {
    const header = readFileSync(virtualDisk('gpt-sparse.vmdk')).subarray(0, 512)
    const cowd = Buffer.from(header)
    cowd.write('COWD', 0, 'latin1')
    expect(() => parseSparseExtentHeader(cowd, 'x.vmdk')).toThrow(/COWD/)
    const lz = Buffer.from(header)
    lz.writeUInt32LE(lz.readUInt32LE(8) | (1 << 16), 8)
    lz.writeUInt16LE(7, 77)
    expect(() => parseSparseExtentHeader(lz, 'x.vmdk')).toThrow(/algorithm 7/)
    const dir = copiesOf('gpt.raw')
    writeFileSync(join(dir, 'rdm.vmdk'), '# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType="vmfsRawDeviceMap"\nRW 8192 VMFSRDM "gpt.raw"\n')
    expect(() => openImage(join(dir, 'rdm.vmdk'))).toThrow(/type VMFSRDM, which trawl does not read/)
  })

  it('a descriptor line that is neither a setting nor an extent is named', () => {
    expect(() => parseVmdkDescriptor('version=1\nRW 10 FLAT "a"\nthis is not vmdk\n', 'x.vmdk')).toThrow('x.vmdk: descriptor line 3 is neither a setting nor an extent: "this is not vmdk"')
    expect(() => parseVmdkDescriptor('version=1\n', 'x.vmdk')).toThrow('x.vmdk: descriptor lists no extents')
  })

  it('a chain missing its middle disk names it', () => {
    const dir = copiesOf('grandchild.vmdk', 'gpt-sparse.vmdk')
    expect(() => openImage(join(dir, 'grandchild.vmdk'))).toThrow(new MissingParentImageError(join(dir, 'grandchild.vmdk'), [join(dir, 'child.vmdk')]).message)
    unlinkSync(join(dir, 'gpt-sparse.vmdk'))
  })
})

describeShared('VMDK images of the shared test data', () => {
  it('dfvfs_ext2.vmdk (monolithicSparse) holds the bytes qemu-img convert -O raw gives, an ext2 volume', async () => {
    const path = sharedFile('disk/vmdk/dfvfs_ext2.vmdk')
    expect(readAll(path)).toBe(virtualDiskGolden('shared/vmdk_dfvfs_ext2.vmdk.sha256').trim())
    const info = await imageInfo(path)
    expect(info.format).toBe('vmdk')
    // its descriptor still names the extent "ext2.vmdk": the monolithic file is its own extent whatever its name
    expect(info.virtualDisk).toMatchObject({diskType: 'monolithicSparse (sparse extent version 1)', blockSize: 65536, identifier: 'CID dc80b6c7'})
    expect(info.size).toBe(4194304)
    expect(info.partitions).toEqual([expect.objectContaining({id: 'vol', fileSystem: 'ext2'})])
  })
})
