import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, FileNotFoundError} from '../../src/errors.js'
import type {FileEntry} from '../../src/fs/types.js'
import {NtfsFileSystem, ntfsDriver} from '../../src/ntfs/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, golden, sha256Of, walk} from './ntfs-fixtures.js'

/** Offset (in the image) of the first attribute of `type` in MFT entry `entry`. */
function attributeOffset(image: Buffer, fs: NtfsFileSystem, entry: number, type: number, nth = 0): number {
  const record = fs.mftEntryOffset(entry)
  let pos = record + image.readUInt16LE(record + 20)
  let seen = 0
  while (image.readUInt32LE(pos) !== 0xffffffff) {
    if (image.readUInt32LE(pos) === type && seen++ === nth) return pos
    pos += image.readUInt32LE(pos + 4)
  }
  throw new Error(`no attribute 0x${type.toString(16)} in record ${entry}`)
}

/** Fix-ups guard the last two bytes of every 512-byte stride: an edit there would be undone. */
function notAStrideEnd(fs: NtfsFileSystem, entry: number, offset: number): number {
  const inRecord = offset - fs.mftEntryOffset(entry)
  expect(inRecord % 512 < 510, `byte ${inRecord} of record ${entry} is a fix-up position`).toBe(true)
  return offset
}

function entryOf(inode: string | undefined): number {
  return Number(inode?.split('-')[0])
}

const goldenSha = (path: string): string => golden('main.sha256.txt').split('\n').find((l) => l.endsWith(`\t${path}`))!.slice(0, 64)

async function damaged(edit: (image: Buffer, fs: NtfsFileSystem) => Promise<void> | void): Promise<NtfsFileSystem> {
  const image = fixtureImage('main')
  await edit(image, new NtfsFileSystem(new MemoryByteSource(image)))
  return new NtfsFileSystem(new MemoryByteSource(image))
}

describe('NTFS reader on damaged volumes: typed errors naming the record, the rest still read', () => {
  it('lists an MFT record with a bad fix-up as damaged, by the name salvaged from it, and names it', async () => {
    let pristine: FileEntry[] = []
    const fs = await damaged(async (image, fs) => {
      pristine = await walk(fs)
      const entry = entryOf((await fs.stat('resident.txt')).inode)
      image[fs.mftEntryOffset(entry) + 510] ^= 0xff
    })
    const all = await walk(fs)
    // the same paths as before the damage: nothing drops out of the listing in silence
    expect(all.map((e) => e.path)).toEqual(pristine.map((e) => e.path))
    const listed = all.find((e) => e.path === 'resident.txt')!
    expect(listed).toMatchObject({kind: 'file', size: 0, times: {}, inode: '64-1', unreadable: expect.stringMatching(/^MFT record 64: update sequence mismatch in sector 0 \(bad fix-up\)/)})
    expect(all.filter((e) => e.unreadable)).toHaveLength(1)
    expect(fs.problems).toHaveLength(1)
    expect(fs.problems[0]).toBeInstanceOf(CorruptImageError)
    expect(fs.problems[0].message).toMatch(/^MFT record 64: update sequence mismatch in sector 0 \(bad fix-up\) \(at offset \d+\); listed as damaged, by the name read from it \(unverified\): "resident.txt" in MFT record 5$/)
    expect((await fs.stat('resident.txt')).unreadable).toBe(listed.unreadable)
    await expect(fs.open('resident.txt')).rejects.toThrow(/^its MFT record is damaged and its contents are not read: MFT record 64: update sequence mismatch/)
    expect(await sha256Of(fs, 'nonresident.bin')).toBe(goldenSha('nonresident.bin'))
  })

  it('keeps the children of a damaged directory in their place', async () => {
    let pristine: FileEntry[] = []
    let dir = ''
    const fs = await damaged(async (image, fs) => {
      pristine = await walk(fs)
      const directory = pristine.find((e) => e.kind === 'directory' && !e.path.startsWith('$') && pristine.some((c) => c.path.startsWith(`${e.path}/`)))!
      dir = directory.path
      image[fs.mftEntryOffset(entryOf(directory.inode)) + 1022] ^= 0xff // the fix-up of its second sector
    })
    const all = await walk(fs)
    expect(all.map((e) => e.path)).toEqual(pristine.map((e) => e.path))
    expect(all.find((e) => e.path === dir)).toMatchObject({kind: 'directory', unreadable: expect.stringMatching(/update sequence mismatch in sector 1/)})
    expect(all.filter((e) => e.path.startsWith(`${dir}/`)).every((e) => e.unreadable === undefined)).toBe(true)
  })

  it('names a damaged record from which no name can be read, and lists the rest', async () => {
    const fs = await damaged(async (image, fs) => {
      const entry = entryOf((await fs.stat('resident.txt')).inode)
      const record = fs.mftEntryOffset(entry)
      image.writeUInt16LE(8, record + 20) // first attribute offset inside the header
    })
    const all = await walk(fs)
    expect(all.map((e) => e.path)).not.toContain('resident.txt')
    expect(fs.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^MFT record 64: first attribute offset 8 out of bounds \(at offset \d+\)$/)])
    await expect(fs.stat('resident.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('refuses a data run pointing past the end of the volume when the file is read', async () => {
    let entry = 0
    const fs = await damaged(async (image, fs) => {
      entry = entryOf((await fs.stat('nonresident.bin')).inode)
      const attribute = attributeOffset(image, fs, entry, 0x80)
      const runs = attribute + image.readUInt16LE(attribute + 32)
      const header = image[runs]
      const lengthSize = header & 0x0f
      const offsetSize = header >> 4
      // the top byte of the (signed) LCN: a large positive cluster number
      image[notAStrideEnd(fs, entry, runs + lengthSize + offsetSize)] = 0x7f
    })
    const entryInfo = await fs.stat('nonresident.bin')
    expect(entryInfo.size).toBe(20000)
    const error = await sha256Of(fs, 'nonresident.bin').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptImageError)
    expect((error as Error).message).toMatch(new RegExp(`^MFT record ${entry} \\$DATA: data run at cluster \\d+ points past the end of the volume \\(6143 clusters\\)`))
    expect(await sha256Of(fs, 'adsbig.txt')).toBe(goldenSha('adsbig.txt'))
  })

  it('refuses a $DATA size larger than what its runs map', async () => {
    let entry = 0
    const fs = await damaged(async (image, fs) => {
      entry = entryOf((await fs.stat('nonresident.bin')).inode)
      const attribute = attributeOffset(image, fs, entry, 0x80)
      image.writeUInt32LE(10_000_000, notAStrideEnd(fs, entry, attribute + 48)) // data size
      image.writeUInt32LE(10_000_000, notAStrideEnd(fs, entry, attribute + 56)) // initialized size
    })
    expect((await fs.stat('nonresident.bin')).size).toBe(10_000_000)
    await expect(fs.open('nonresident.bin')).rejects.toThrow(new RegExp(`^MFT record ${entry} \\$DATA: size 10000000 exceeds the 20480 bytes its data runs map`))
  })

  it('skips a record whose attribute length runs out of the record', async () => {
    const fs = await damaged(async (image, fs) => {
      const entry = entryOf((await fs.stat('empty.txt')).inode)
      image.writeUInt32LE(0x10000, notAStrideEnd(fs, entry, attributeOffset(image, fs, entry, 0x10) + 4))
    })
    const root = await fs.list('')
    expect(root.map((e) => e.name)).not.toContain('empty.txt')
    expect(root.map((e) => e.name)).toContain('resident.txt')
    expect(fs.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^MFT record 66: attribute 0x10 length 65536 out of bounds \(at offset \d+\)$/)])
    await expect(fs.open('empty.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('detects a directory listed inside itself and ends the walk', async () => {
    const fs = await damaged(async (image, fs) => {
      const entry = entryOf((await fs.stat('hardlink-a.txt')).inode)
      const record = fs.mftEntryOffset(entry)
      image.writeUInt16LE(image.readUInt16LE(record + 22) | 0x0002, record + 22) // now a "directory"
      // its $FILE_NAME in links/ now names the entry itself as parent
      for (let nth = 0; nth < 3; nth++) {
        const value = attributeOffset(image, fs, entry, 0x30, nth)
        const start = value + image.readUInt16LE(value + 20)
        if (image.readUInt32LE(start) === 5) continue
        image.writeUInt32LE(entry, notAStrideEnd(fs, entry, start))
        image.writeUInt16LE(image.readUInt16LE(record + 16), notAStrideEnd(fs, entry, start + 6))
        break
      }
    })
    const all = await walk(fs, '', true)
    expect(all.filter((e) => e.path.startsWith('hardlink-a.txt/'))).toEqual([])
    expect(fs.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^directory cycle: MFT record 80 \("hardlink-[bc].txt"\) is listed inside its own descendant, MFT record 80/))
  })

  it('survives two directories that are each other\'s parent (unreachable from the root)', async () => {
    const fs = await damaged(async (image, fs) => {
      const deep = await fs.stat('deep')
      const level1 = (await fs.list('deep'))[0]
      const entry = entryOf(deep.inode)
      const value = attributeOffset(image, fs, entry, 0x30)
      const start = value + image.readUInt16LE(value + 20)
      image.writeUInt32LE(entryOf(level1.inode), notAStrideEnd(fs, entry, start))
      image.writeUInt16LE(Number(level1.inode!.split('-')[1]), notAStrideEnd(fs, entry, start + 6))
    })
    const all = await walk(fs, '', true)
    expect(all.some((e) => e.path.startsWith('deep'))).toBe(false)
    expect(all.length).toBeGreaterThan(3000)
  })

  it('rejects a boot sector that is not NTFS or has an impossible geometry', () => {
    const image = fixtureImage('main')
    const notNtfs = Buffer.from(image)
    notNtfs.write('MSDOS5.0', 3, 'latin1')
    expect(ntfsDriver.detect(new MemoryByteSource(notNtfs))).toBe(false)
    const badCluster = Buffer.from(image)
    badCluster[13] = 200
    expect(() => ntfsDriver.open(new MemoryByteSource(badCluster))).toThrow(/sectors per cluster value 200 \(at offset 13\)/)
    const badMft = Buffer.from(image)
    badMft.writeBigUInt64LE(10n ** 12n, 48)
    expect(() => ntfsDriver.open(new MemoryByteSource(badMft))).toThrow(CorruptImageError)
    expect(() => ntfsDriver.open(new MemoryByteSource(image.subarray(0, 100)))).toThrow(CorruptImageError)
  })
})

describe('NTFS reader when $MFT entry 0 itself is damaged', () => {
  it('falls back to the copy in $MFTMirr and says so', async () => {
    const image = fixtureImage('c512')
    const pristine = new NtfsFileSystem(new MemoryByteSource(image))
    const expected = (await walk(pristine)).map((e) => e.path)
    image[pristine.mftEntryOffset(0) + 510] ^= 0xff // bad fix-up in entry 0
    const fs = new NtfsFileSystem(new MemoryByteSource(image))
    expect(fs.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^MFT record 0: update sequence mismatch in sector 0 \(bad fix-up\) \(at offset \d+\); read its copy in \$MFTMirr instead$/))
    // entry 0 itself is listed as damaged, by its salvaged name
    const all = await walk(fs)
    expect(all.map((e) => e.path)).toEqual(expected)
    expect(all.find((e) => e.path === '$MFT')?.unreadable).toMatch(/^MFT record 0: update sequence mismatch in sector 0/)
  })
})

describe('NTFS entries whose parent directory is gone', () => {
  it('lists them under the virtual $OrphanFiles directory, as The Sleuth Kit does', async () => {
    const fs = await damaged(async (image, fs) => {
      // deldir2 (deleted) now carries another sequence number: inner.txt no longer reaches it
      const deldir = (await fs.list('', {deleted: true})).find((e) => e.name === 'deldir2')!
      const record = fs.mftEntryOffset(entryOf(deldir.inode))
      image.writeUInt16LE(image.readUInt16LE(record + 16) + 5, record + 16)
      // resident.txt (allocated) now names a file as its parent
      const entry = entryOf((await fs.stat('resident.txt')).inode)
      const value = attributeOffset(image, fs, entry, 0x30)
      const start = value + image.readUInt16LE(value + 20)
      image.writeUInt32LE(entryOf((await fs.stat('nonresident.bin')).inode), notAStrideEnd(fs, entry, start))
    })
    const root = await fs.list('')
    expect(root.map((e) => e.name)).not.toContain('resident.txt')
    expect(root.find((e) => e.name === '$OrphanFiles')).toMatchObject({kind: 'directory', attributes: ['virtual']})
    expect((await fs.list('$OrphanFiles')).map((e) => [e.path, e.deleted])).toEqual([['$OrphanFiles/resident.txt', undefined]])
    const withDeleted = await fs.list('$orphanfiles', {deleted: true})
    expect(withDeleted.map((e) => [e.path, e.deleted ?? false]).sort()).toEqual([
      ['$OrphanFiles/inner.txt', true],
      ['$OrphanFiles/resident.txt', false],
    ])
    expect(await sha256Of(fs, '$OrphanFiles/resident.txt')).toBe(goldenSha('resident.txt'))
    expect(await sha256Of(fs, '$OrphanFiles/inner.txt')).toBe(createHash('sha256').update('in deleted dir\n').digest('hex'))
  })

  it('has no $OrphanFiles on an intact volume', async () => {
    const fs = new NtfsFileSystem(new MemoryByteSource(fixtureImage('main')))
    expect((await fs.list('', {deleted: true})).map((e) => e.name)).not.toContain('$OrphanFiles')
    await expect(fs.stat('$OrphanFiles')).rejects.toBeInstanceOf(FileNotFoundError)
  })
})
