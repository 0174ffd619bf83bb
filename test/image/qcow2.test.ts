import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, MissingParentImageError, ParentImageMismatchError, UnsupportedFormatError} from '../../src/errors.js'
import {openImage} from '../../src/image/detect.js'
import {formatImageInfo, imageInfo} from '../../src/image/info.js'
import {walkVolume} from '../../src/image/listing.js'
import {QcowImage, parseQcowHeader} from '../../src/image/qcow2.js'
import {verifyImage} from '../../src/image/verify.js'
import {openImageSource} from '../../src/source/image.js'
import {flsKeys, trawlKeys} from '../ntfs/ntfs-fixtures.js'
import type {FileEntry} from '../../src/fs/types.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {copiesOf, sha256OfSource, virtualDisk, virtualDiskGolden} from './virtual-disk-fixtures.js'

/**
 * QCOW2 images made by qemu-img and qemu-io from fixtures/images/gpt.raw (fixtures/virtual-disks/build.sh):
 * their bytes must be what `qemu-img convert -O raw` gives, and their partitions and files those of gpt.raw.
 */

const CONVERSIONS = ['gpt.qcow2', 'gpt-v2c.qcow2', 'gpt-c2m.qcow2', 'gpt-512.qcow2']
const WRITTEN = ['mid.qcow2', 'top.qcow2', 'zero.qcow2']

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

async function entriesOf(path: string): Promise<FileEntry[]> {
  const source = openImageSource(path)
  try {
    // the NTFS partition (p3): gpt.raw's FAT partition is read too, since the FAT driver
    const volume = source.volumes.find((v) => v.fs && v.description.fileSystem === 'ntfs')!
    const entries: FileEntry[] = []
    for await (const entry of walkVolume(volume.fs!, undefined, {recursive: true})) entries.push(entry)
    return entries
  } finally {
    await source.close()
  }
}

describe('QCOW2 images made by qemu-img from gpt.raw', () => {
  it.each([...CONVERSIONS, ...WRITTEN])('%s holds the bytes qemu-img convert -O raw gives (SHA-256 golden)', (name) => {
    const image = openImage(virtualDisk(name))
    try {
      expect(image.description.format).toBe('qcow2')
      expect(image.source.size).toBe(4194304)
      expect(sha256OfSource(image.source)).toBe(virtualDiskGolden(`${name}.sha256`).trim())
      // steps that cross cluster, subcluster and compressed-run edges read the same bytes
      expect(sha256OfSource(image.source, 3 * 4096 + 17)).toBe(virtualDiskGolden(`${name}.sha256`).trim())
    } finally {
      image.source.close()
    }
  })

  it.each(CONVERSIONS)('%s reads byte for byte as gpt.raw at any offset', (name) => {
    const raw = readFileSync(virtualDisk('gpt.raw'))
    const image = openImage(virtualDisk(name))
    try {
      for (const [offset, length] of [
        [0, 512],
        [4095, 2],
        [65535, 70000],
        [1703936 - 5, 4096 * 3],
        [4194304 - 100, 100],
        [4194304 - 100, 1000],
      ]) {
        expect(image.source.read(offset, length).equals(raw.subarray(offset, offset + length)), `${name} at ${offset}`).toBe(true)
      }
      expect(image.source.read(4194304, 10).length).toBe(0)
    } finally {
      image.source.close()
    }
  })

  it.each([...CONVERSIONS, ...WRITTEN])('%s lists the same partitions and files as gpt.raw', async (name) => {
    expect(await listing(virtualDisk(name))).toEqual(await listing(virtualDisk('gpt.raw')))
  })

  it('the NTFS partition of gpt-v2c.qcow2 (compressed, v2) lists what fls lists on gpt.raw', async () => {
    const theirs = flsKeys(readFileSync(join(import.meta.dirname, '../../fixtures/images/golden/gpt.raw.p3.fls.txt'), 'utf8'), false)
    const ours = trawlKeys(await entriesOf(virtualDisk('gpt-v2c.qcow2')))
    expect(theirs.size).toBeGreaterThan(10)
    expect([...theirs].filter((k) => !ours.has(k))).toEqual([])
  })

  it('image info names the format, cluster size, backing chain and internal snapshot as qemu-img info does', async () => {
    const info = await imageInfo(virtualDisk('top.qcow2'))
    const qemu = JSON.parse(virtualDiskGolden('top.qcow2.info.json')) as Array<Record<string, unknown>>
    expect(info.format).toBe('qcow2')
    expect(info.segments.map((s) => s.split('/').pop())).toEqual(['top.qcow2', 'mid.qcow2', 'gpt.raw'])
    const disk = info.virtualDisk!
    expect([disk.diskType, disk.blockSize, disk.parentAsRecorded]).toEqual(['QCOW2 v3', qemu[0]['cluster-size'], qemu[0]['backing-filename']])
    expect(disk.features).toEqual(['extended L2 entries'])
    expect(disk.parents!.map((p) => [p.path.split('/').pop(), p.format, p.blockSize])).toEqual(qemu.slice(1).map((q) => [q.filename, q.format, q['cluster-size']]))
    expect(disk.parents!.map((p) => p.diskType)).toEqual(['QCOW2 v2', 'raw'])
    expect(disk.parents!.map((p) => p.foundBy)).toEqual(['backing file mid.qcow2', 'backing file gpt.raw'])
    const snapshot = (qemu[0].snapshots as Array<Record<string, number | string>>)[0]
    const when = new Date(Number(snapshot['date-sec']) * 1000).toISOString().replace('.000Z', '')
    expect(disk.snapshots).toEqual([{id: '1', name: 'before-zeroing', date: `${when}.${String(snapshot['date-nsec']).padStart(9, '0')}Z`, guestRunTimeNs: 0, vmStateSize: 0, diskSize: 4194304}])
    const text = formatImageInfo(info)
    expect(text).toContain('Virtual disk: QCOW2 v3, 65536-byte clusters\nFeatures:     extended L2 entries')
    expect(text).toMatch(
      /Parent chain \(2; read through in this order; recorded as "mid\.qcow2"\):\n {2}1\. \S+mid\.qcow2 \(qcow2 QCOW2 v2, 65536-byte clusters; found by backing file mid\.qcow2\)\n {2}2\. \S+gpt\.raw \(raw raw; found by backing file gpt\.raw\)/,
    )
    expect(text).toContain(`  1 "before-zeroing" taken ${disk.snapshots![0].date}, disk 4194304 bytes`)
    expect(info.partitions.map((p) => p.fileSystem)).toEqual(['fat12', 'unknown', 'ntfs', 'ext2', 'unknown'])
  })

  it('image verify hashes the virtual disk, not the file', async () => {
    const result = await verifyImage(virtualDisk('gpt-v2c.qcow2'))
    expect(result.format).toBe('qcow2')
    expect(result.size).toBe(4194304)
    expect(result.verdict).toBe('no-stored-hash')
    expect(result.computed.sha1).toBe(readFileSync(join(import.meta.dirname, '../../fixtures/images/golden/gpt.raw.sha1sum.txt'), 'utf8').split(' ')[0])
  })

  it('reads zeros past the end of a backing file smaller than the image, as QEMU does', () => {
    const dir = copiesOf('mid.qcow2', 'gpt.raw')
    const full = openImage(virtualDisk('mid.qcow2'))
    const expected = Buffer.concat([full.source.read(0, 1 << 20), Buffer.alloc(4194304 - (1 << 20))])
    full.source.close()
    // every cluster mid.qcow2 holds itself lies in the first MiB (build.sh): past it, only the backing file had bytes
    writeFileSync(join(dir, 'gpt.raw'), readFileSync(join(dir, 'gpt.raw')).subarray(0, 1 << 20))
    const short = openImage(join(dir, 'mid.qcow2'))
    try {
      expect(short.source.read(0, 4194304).equals(expected)).toBe(true)
    } finally {
      short.source.close()
    }
  })

  it('finds a backing file named by an absolute path that is not there beside the image', () => {
    const dir = copiesOf('mid.qcow2', 'gpt.raw')
    const path = join(dir, 'mid.qcow2')
    const bytes = readFileSync(path)
    const header = parseQcowHeader(bytes, path)
    expect(header.backingFile).toBe('gpt.raw')
    // the name is stored in the first cluster at backing_file_offset: rewrite it as an absolute path elsewhere
    const name = Buffer.from('/evidence/vm/gpt.raw')
    const at = Number(bytes.readBigUInt64BE(8))
    name.copy(bytes, at)
    bytes.writeUInt32BE(name.length, 16)
    writeFileSync(path, bytes)
    const image = openImage(path)
    try {
      expect(image.description.virtualDisk!.parentAsRecorded).toBe('/evidence/vm/gpt.raw')
      expect(image.description.virtualDisk!.parents).toEqual([expect.objectContaining({path: join(dir, 'gpt.raw'), foundBy: 'name of backing file /evidence/vm/gpt.raw, beside the child'})])
      expect(sha256OfSource(image.source)).toBe(virtualDiskGolden('mid.qcow2.sha256').trim())
    } finally {
      image.source.close()
    }
  })
})

describe('QCOW2 images that cannot be read whole: a clear typed error, no hang', () => {
  it('a missing backing file is named, with the image that needs it', () => {
    const path = virtualDisk('orphan.qcow2')
    expect(() => openImage(path)).toThrow(MissingParentImageError)
    expect(() => openImage(path)).toThrow(`${path}: differencing image whose parent was not found (looked for ${join(path, '..', 'no-such-base.raw')})`)
  })

  it('a chain missing its middle image names the missing one', () => {
    const dir = copiesOf('top.qcow2', 'gpt.raw')
    expect(() => openImage(join(dir, 'top.qcow2'))).toThrow(new MissingParentImageError(join(dir, 'top.qcow2'), [join(dir, 'mid.qcow2')]).message)
  })

  it('a backing chain that loops (a -> b -> a) is refused', () => {
    expect(() => openImage(virtualDisk('loop-a.qcow2'))).toThrow(ParentImageMismatchError)
    expect(() => openImage(virtualDisk('loop-a.qcow2'))).toThrow(/loop-b\.qcow2: the parent chain loops \(\S+loop-a\.qcow2 -> \S+loop-b\.qcow2 -> \S+loop-a\.qcow2\)/)
  })

  /** A copy of gpt.qcow2 with `change` applied to its bytes. */
  function damaged(name: string, change: (bytes: Buffer) => void): string {
    const dir = copiesOf(name)
    const path = join(dir, name)
    const bytes = readFileSync(path)
    change(bytes)
    writeFileSync(path, bytes)
    return path
  }

  it('an L2 table past the end of the file names its L1 entry and the media it maps', () => {
    const path = damaged('gpt.qcow2', (bytes) => {
      const l1 = Number(bytes.readBigUInt64BE(40))
      bytes.writeBigUInt64BE(0x8000000000000000n | (1n << 40n), l1)
    })
    const image = openImage(path)
    try {
      expect(() => image.source.read(0, 512)).toThrow(CorruptImageError)
      expect(() => image.source.read(0, 512)).toThrow(/L1 entry 0 \(media offsets 0-536870911\) points to an L2 table at 1099511627776, past the end of the file/)
    } finally {
      image.source.close()
    }
  })

  it('a truncated image names the first cluster it no longer holds', () => {
    const path = damaged('gpt.qcow2', () => {})
    writeFileSync(path, readFileSync(path).subarray(0, 400000))
    const image = openImage(path)
    try {
      expect(() => sha256OfSource(image.source)).toThrow(/guest cluster \d+ \(media offset \d+\) is stored at \d+, past the end of the file \(400000 bytes\)/)
    } finally {
      image.source.close()
    }
  })

  it('compressed data that does not inflate, or a garbage compressed size, names the compressed cluster', () => {
    // gpt-v2c.qcow2: 4 KiB clusters, so the compressed descriptor has 62 - 4 = 58 offset bits and 4 size bits
    const l2Of = (bytes: Buffer) => {
      const l1 = Number(bytes.readBigUInt64BE(40))
      return Number(bytes.readBigUInt64BE(l1) & 0x00fffffffffffe00n)
    }
    const firstCompressed = (bytes: Buffer, moreThanOneSector = false): number => {
      const l2 = l2Of(bytes)
      for (let i = 0; i < 512; i++) {
        const entry = bytes.readBigUInt64BE(l2 + i * 8)
        if ((entry >> 62n) & 1n && (!moreThanOneSector || (entry >> 58n) & 0xfn)) return l2 + i * 8
      }
      throw new Error('no compressed cluster')
    }
    const corrupt = damaged('gpt-v2c.qcow2', (bytes) => {
      const entry = firstCompressed(bytes)
      const host = Number(bytes.readBigUInt64BE(entry) & ((1n << 58n) - 1n))
      bytes.fill(0xff, host, host + 64)
    })
    const image = openImage(corrupt)
    try {
      expect(() => sha256OfSource(image.source)).toThrow(/compressed guest cluster 0 \(media offset 0\): \d+ bytes at \d+ do not decompress/)
    } finally {
      image.source.close()
    }
    const tooShort = damaged('gpt-v2c.qcow2', (bytes) => {
      // a cluster stored in several sectors said to fill one: too few bytes for a whole cluster
      const entry = firstCompressed(bytes, true)
      const value = bytes.readBigUInt64BE(entry)
      bytes.writeBigUInt64BE(value & ~(0xfn << 58n), entry)
    })
    const second = openImage(tooShort)
    try {
      expect(() => sha256OfSource(second.source)).toThrow(/compressed guest cluster \d+ \(media offset \d+\): \d+ bytes at \d+ (decompress to \d+ bytes, not the 4096 of a cluster|do not decompress)/)
    } finally {
      second.source.close()
    }
  })

  it('refuses encryption, an external data file, unknown incompatible features, QCOW version 1, each by name', () => {
    const header = readFileSync(virtualDisk('gpt.qcow2')).subarray(0, 65536)
    const patched = (change: (b: Buffer) => void) => {
      const b = Buffer.from(header)
      change(b)
      return b
    }
    expect(() => parseQcowHeader(patched((b) => b.writeUInt32BE(2, 32)), 'x.qcow2')).toThrow(UnsupportedFormatError)
    expect(() => parseQcowHeader(patched((b) => b.writeUInt32BE(2, 32)), 'x.qcow2')).toThrow('x.qcow2: QCOW2 image is encrypted (LUKS)')
    expect(() => parseQcowHeader(patched((b) => b.writeBigUInt64BE(1n << 2n, 72)), 'x.qcow2')).toThrow(/keeps its data in an external data file/)
    expect(() => parseQcowHeader(patched((b) => b.writeBigUInt64BE(1n << 9n, 72)), 'x.qcow2')).toThrow(/incompatible features trawl does not know \(bits 9\)/)
    expect(() => parseQcowHeader(patched((b) => b.writeUInt32BE(1, 4)), 'x.qcow2')).toThrow(/QCOW version 1 images are not read/)
    expect(() => parseQcowHeader(patched((b) => b.writeUInt32BE(22, 20)), 'x.qcow2')).toThrow(CorruptImageError)
    // the dirty bit is read through, with a warning
    const dirty = damaged('gpt.qcow2', (b) => b.writeBigUInt64BE(1n, 72))
    const image = QcowImage.open(dirty)
    try {
      expect(image.warnings.join('\n')).toMatch(/dirty flag is set/)
      expect(sha256OfSource(image)).toBe(virtualDiskGolden('gpt.qcow2.sha256').trim())
    } finally {
      image.close()
    }
  })
})

describeShared('QCOW2 images of the shared test data', () => {
  const golden = (name: string) => virtualDiskGolden(`shared/${name}`)

  it.each(['dfvfs_ext2.qcow2', 'dfvfs_windows_volume.qcow2', 'plaso_vsstest.qcow2'])('%s holds the bytes qemu-img convert -O raw gives', (name) => {
    const image = openImage(sharedFile(`disk/qcow/${name}`))
    try {
      expect(image.description.format).toBe('qcow2')
      expect(sha256OfSource(image.source, 4 << 20)).toBe(golden(`qcow_${name}.sha256`).trim())
    } finally {
      image.source.close()
    }
  })

  it('plaso_vsstest.qcow2 is QCOW2 v2 with compressed clusters, a bare NTFS volume "vsstest"', async () => {
    const info = await imageInfo(sharedFile('disk/qcow/plaso_vsstest.qcow2'))
    expect(info.virtualDisk).toEqual({diskType: 'QCOW2 v2', blockSize: 65536})
    expect(info.size).toBe(1073741824)
    expect(info.partitions).toEqual([expect.objectContaining({id: 'vol', fileSystem: 'ntfs', label: 'vsstest', serial: 'C45E30FD5E30EA36', readable: true})])
  })

  it.each([
    ['plaso_vsstest.qcow2', 'disk_qcow_plaso_vsstest.qcow2.tsk.txt'],
    ['dfvfs_windows_volume.qcow2', 'disk_qcow_dfvfs_windows_volume.qcow2.tsk.txt'],
  ])('%s lists what fls lists (observed_here, and fls of the qemu-img raw copy)', async (name, observedName) => {
    const ours = trawlKeys(await entriesOf(sharedFile(`disk/qcow/${name}`)))
    const observed = readFileSync(sharedFile(`observed_here/${observedName}`), 'utf8')
    const theirs = flsKeys(observed.slice(observed.indexOf('$ fls')), false)
    const full = flsKeys(golden(`qcow_${name}.fls.txt`), false)
    expect(theirs.size).toBeGreaterThan(15)
    expect([...theirs].filter((k) => !full.has(k))).toEqual([])
    expect([...full].filter((k) => !ours.has(k))).toEqual([])
  })

  it('plaso_vsstest.qcow2: $TxfLog.blf is 65536 bytes, created 2013-12-03T06:30:42.9779097Z (INDEX.md, from plaso)', async () => {
    const entries = await entriesOf(sharedFile('disk/qcow/plaso_vsstest.qcow2'))
    const blf = entries.find((e) => e.path === '$Extend/$RmMetadata/$TxfLog/$TxfLog.blf')!
    expect(blf.size).toBe(65536)
    expect(blf.times.created).toBe('2013-12-03T06:30:42.9779097Z')
    expect(blf.times.modified).toBe('2013-12-03T06:39:02.0207867Z')
  })
})
