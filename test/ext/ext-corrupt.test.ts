import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, TrawlError, UnsupportedFormatError} from '../../src/errors.js'
import {ExtFileSystem, parseDirectoryBlock, parseInode, parseSuperblock} from '../../src/ext/index.js'
import {attachFileSystem} from '../../src/source/image.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, sha256Of, walk} from './ext-fixtures.js'

/** Reads everything a walk reaches; returns the typed errors met, rethrows anything else. */
async function readEverything(fs: ExtFileSystem): Promise<TrawlError[]> {
  const errors: TrawlError[] = []
  let entries: Awaited<ReturnType<typeof walk>> = []
  try {
    entries = await walk(fs, '', true)
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
    errors.push(error)
  }
  for (const entry of entries) {
    if (entry.kind !== 'file') continue
    try {
      // a damaged size can claim terabytes of holes: those are opened (the map checked), not read
      if (entry.size < 64 * 1024 * 1024) await sha256Of(fs, entry.path)
      else (await fs.open(entry.path)).destroy()
    } catch (error) {
      if (!(error instanceof TrawlError)) throw error
      errors.push(error)
    }
  }
  return errors
}

describe('ext: damaged volumes give typed errors, the rest still reads', () => {
  it('an extent tree that loops back on itself is a CorruptImageError for that file only', async () => {
    const bytes = fixtureImage('ext4')
    const fs0 = new ExtFileSystem(new MemoryByteSource(bytes))
    const root = fs0.inodeOffset(29) + 0x28 // fragments.bin: 12 extents, a depth-1 tree
    expect(bytes.readUInt16LE(root + 6)).toBe(1)
    const child = bytes.readUInt32LE(root + 12 + 4)
    const at = child * 4096
    bytes.writeUInt16LE(2, root + 6) // the root now claims depth 2 ...
    bytes.writeUInt16LE(1, at + 2) // ... and its child is an index node of one entry pointing at itself
    bytes.writeUInt16LE(1, at + 6)
    bytes.writeUInt32LE(0, at + 12)
    bytes.writeUInt32LE(child, at + 16)
    bytes.writeUInt16LE(0, at + 20)
    const fs = new ExtFileSystem(new MemoryByteSource(bytes))
    await expect(fs.open('fragments.bin')).rejects.toThrow(CorruptImageError)
    await expect(fs.open('fragments.bin')).rejects.toThrow(/ext inode 29: extent tree loop: index block \d+ is reached twice/)
    const entries = await walk(fs)
    expect(entries.find((e) => e.path === 'fragments.bin')?.attributes).toContain('unreadable-block-map')
    expect(entries.length).toBe((await walk(fs0)).length)
    expect(await sha256Of(fs, 'hello.txt')).toBe(await sha256Of(fs0, 'hello.txt'))
    expect(fs.problems.map((p) => p.message).join('\n')).toMatch(/extent tree loop/)
  })

  it('an extent pointing past the volume is named with its inode and logical block', async () => {
    const bytes = fixtureImage('ext4')
    const fs0 = new ExtFileSystem(new MemoryByteSource(bytes))
    const root = fs0.inodeOffset(12) + 0x28 // hello.txt: one extent in the inode
    bytes.writeUInt32LE(0x7fffffff, root + 12 + 8)
    const fs = new ExtFileSystem(new MemoryByteSource(bytes))
    await expect(fs.open('hello.txt')).rejects.toThrow(/ext inode 12: extent at logical block 0 names blocks 2147483647\.\.2147483647, outside the volume's 4096 blocks/)
    expect(await sha256Of(fs, 'docs/big.bin')).toBe(await sha256Of(fs0, 'docs/big.bin'))
  })

  it('a directory entry with an impossible record length: the names before it listed, the damage recorded', async () => {
    const bytes = fixtureImage('ext2')
    const fs0 = new ExtFileSystem(new MemoryByteSource(bytes))
    const before = (await fs0.list('docs')).map((e) => e.name)
    const root = fs0.inodeOffset(13) + 0x28 // docs: its first block
    const block = bytes.readUInt32LE(root) * 1024
    // '.' (12) and '..' (12), then the first name: its rec_len made 3
    bytes.writeUInt16LE(3, block + 24 + 4)
    const fs = new ExtFileSystem(new MemoryByteSource(bytes))
    expect(await fs.list('docs')).toEqual([])
    expect(before.length).toBeGreaterThan(1)
    expect(fs.problems.map((p) => p.message)).toEqual(['ext directory inode 13 block 0: directory entry with record length 3 and name length 61 at byte 24; the rest of that block is not read'])
    expect((await fs.list('')).length).toBe((await fs0.list('')).length)
  })

  it('an unknown incompatible feature is refused by name, and the volume named unreadable with the reason', () => {
    const bytes = fixtureImage('ext4')
    bytes.writeUInt32LE(bytes.readUInt32LE(1024 + 0x60) | 0x8000000, 1024 + 0x60)
    expect(() => new ExtFileSystem(new MemoryByteSource(bytes))).toThrow(UnsupportedFormatError)
    const volume = attachFileSystem('vol', new MemoryByteSource(bytes), {scheme: 'none', offset: 0, size: bytes.length})
    expect(volume.fs).toBeUndefined()
    expect(volume.description.fileSystem).toBe('ext')
    expect(volume.unreadable).toBe('file system ext cannot be read: ext superblock: unknown incompatible feature bits 0x8000000; trawl does not guess at their layout')
  })

  it('an inode table placed outside the volume: typed error naming the group', async () => {
    const bytes = fixtureImage('ext3')
    // the one group descriptor of this 1 KiB-block volume is in block 2: bg_inode_table at +8
    bytes.writeUInt32LE(0xfffffff0, 2 * 1024 + 8)
    const fs = new ExtFileSystem(new MemoryByteSource(bytes))
    await expect(fs.list('')).rejects.toThrow(/ext group 0: inode table at block 4294967280 is outside the volume/)
  })

  it('random damage to the inode table and directory blocks never hangs and never throws untyped errors', async () => {
    const clean = fixtureImage('ext4')
    const fs0 = new ExtFileSystem(new MemoryByteSource(clean))
    const table = fs0.inodeOffset(1)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({at: fc.integer({min: 0, max: 64 * 256}), value: fc.integer({min: 0, max: 255})}), {minLength: 1, maxLength: 40}), async (flips) => {
        const bytes = Buffer.from(clean)
        for (const flip of flips) bytes[table + flip.at] = flip.value
        const fs = new ExtFileSystem(new MemoryByteSource(bytes))
        await readEverything(fs)
      }),
      {numRuns: 40},
    )
  })
})

describe('ext parsers on arbitrary bytes', () => {
  it('parseSuperblock returns a superblock or throws a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 1024, maxLength: 1024}), fc.boolean(), (body, magic) => {
        const raw = Buffer.from(body)
        if (magic) raw.writeUInt16LE(0xef53, 0x38)
        try {
          const sb = parseSuperblock(raw)
          expect(sb.blockSize).toBeGreaterThanOrEqual(1024)
          expect(sb.groupCount).toBeGreaterThan(0)
          expect(sb.inodeCount).toBeLessThanOrEqual(sb.groupCount * sb.inodesPerGroup)
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
        }
      }),
      {numRuns: 500},
    )
  })

  it('parseDirectoryBlock never throws and every name lies inside the block', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 0, maxLength: 4096}), fc.boolean(), fc.boolean(), (body, fileTypes, deleted) => {
        const block = Buffer.from(body)
        const {names} = parseDirectoryBlock(block, {fileTypes, inodeCount: 1 << 20, deleted})
        for (const n of names) {
          expect(n.offset + 8).toBeLessThanOrEqual(block.length)
          expect(n.name.length).toBeGreaterThan(0)
        }
      }),
      {numRuns: 500},
    )
  })

  it('parseInode reads any 128 or 256 bytes into an inode with valid times', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({minLength: 128, maxLength: 128}), fc.uint8Array({minLength: 256, maxLength: 256})), (body) => {
        const inode = parseInode(Buffer.from(body), 12, 0)
        for (const time of Object.values(inode.times)) expect(time).toMatch(/^-?\+?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z$/)
        expect(inode.blockField.length).toBe(60)
      }),
      {numRuns: 500},
    )
  })
})
