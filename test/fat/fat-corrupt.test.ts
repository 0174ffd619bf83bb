import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, TrawlError} from '../../src/errors.js'
import {FatFileSystem, parseBootSector, parseDirectory} from '../../src/fat/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fatImage, walk} from './fat-fixtures.js'

async function drain(fs: FatFileSystem, path: string): Promise<number> {
  let n = 0
  for await (const chunk of await fs.open(path)) n += (chunk as Buffer).length
  return n
}

describe('FAT: damaged chains and tables give typed errors, the rest still reads', () => {
  it('a cluster chain that loops is a CorruptImageError naming the file and cluster', async () => {
    const bytes = fatImage('fat16')
    const fs0 = new FatFileSystem(new MemoryByteSource(bytes))
    const first = fs0.directoryEntry('Documents/big.bin')!.firstCluster
    const fat = fs0.boot.fatOffset(0)
    const second = bytes.readUInt16LE(fat + first * 2)
    bytes.writeUInt16LE(first, fat + second * 2) // the second cluster links back to the first
    const fs = new FatFileSystem(new MemoryByteSource(bytes))
    await expect(fs.open('Documents/big.bin')).rejects.toThrow(CorruptImageError)
    await expect(fs.open('Documents/big.bin')).rejects.toThrow(`FAT file "Documents/big.bin": cluster chain loops back to cluster ${first} after 2 clusters`)
    expect(await drain(fs, 'HELLO.TXT')).toBe(17)
    expect(fs.notes).toContain('FAT 2 disagrees with FAT 1 in 1 cluster entries: FAT 1 used')
    expect((await walk(fs)).length).toBe((await walk(fs0)).length)
  })

  it('a link out of the data area and a chain shorter than the size are named', async () => {
    const bytes = fatImage('fat32')
    const fs0 = new FatFileSystem(new MemoryByteSource(bytes))
    const first = fs0.directoryEntry('Documents/big.bin')!.firstCluster
    const fat = fs0.boot.fatOffset(0)
    bytes.writeUInt32LE(0x0ffffff0, fat + first * 4)
    const fs = new FatFileSystem(new MemoryByteSource(bytes))
    await expect(fs.open('Documents/big.bin')).rejects.toThrow(/cluster chain links to cluster 268435440, outside the data area/)
    bytes.writeUInt32LE(0x0fffffff, fat + first * 4) // end of chain after one cluster
    const short = new FatFileSystem(new MemoryByteSource(bytes))
    await expect(short.open('Documents/big.bin')).rejects.toThrow(/1000000 bytes need 1954 clusters, the chain ends after 1/)
  })

  it('a directory whose chain loops is a typed error for that directory; its siblings list', async () => {
    const bytes = fatImage('fat12')
    const fs0 = new FatFileSystem(new MemoryByteSource(bytes))
    const first = fs0.directoryEntry('deep')!.firstCluster
    const fat = fs0.boot.fatOffset(0)
    // FAT12: 12-bit entries, two per three bytes
    const at = fat + first + (first >> 1)
    const pair = bytes.readUInt16LE(at)
    bytes.writeUInt16LE(first & 1 ? (pair & 0x000f) | (first << 4) : (pair & 0xf000) | first, at)
    const fs = new FatFileSystem(new MemoryByteSource(bytes))
    await expect(fs.list('deep')).rejects.toThrow(/FAT directory "deep": cluster chain loops back/)
    expect((await fs.list('Documents')).length).toBe((await fs0.list('Documents')).length)
  })
})

describe('FAT parsers on arbitrary bytes', () => {
  it('parseBootSector returns a consistent BPB or throws a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 512, maxLength: 512}), (body) => {
        const boot = Buffer.from(body)
        boot[510] = 0x55
        boot[511] = 0xaa
        try {
          const bpb = parseBootSector(boot)
          expect(bpb.clusterCount).toBeGreaterThanOrEqual(0)
          expect(bpb.dataOffset).toBeLessThan(bpb.totalSectors * bpb.bytesPerSector)
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
        }
      }),
      {numRuns: 1000},
    )
  })

  it('parseDirectory never throws, and every entry lies inside its piece', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({minLength: 0, maxLength: 2048}), {maxLength: 4}), (pieces) => {
        let offset = 0
        const input = pieces.map((p) => {
          const piece = {bytes: Buffer.from(p), offset}
          offset += p.length + 4096
          return piece
        })
        const {entries} = parseDirectory(input)
        for (const e of entries) expect(input.some((p) => e.offset >= p.offset && e.offset + 32 <= p.offset + p.bytes.length)).toBe(true)
      }),
      {numRuns: 500},
    )
  })

  it('a randomly damaged FAT and root directory never hang and never throw untyped errors', async () => {
    const clean = fatImage('fat16')
    const fs0 = new FatFileSystem(new MemoryByteSource(clean))
    const fat = fs0.boot.fatOffset(0)
    const root = fs0.boot.rootDirOffset
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({root: fc.boolean(), at: fc.integer({min: 0, max: 4095}), value: fc.integer({min: 0, max: 255})}), {minLength: 1, maxLength: 30}), async (flips) => {
        const bytes = Buffer.from(clean)
        for (const f of flips) bytes[(f.root ? root : fat) + f.at] = f.value
        let fs: FatFileSystem
        try {
          fs = new FatFileSystem(new MemoryByteSource(bytes))
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
          return
        }
        let entries: Awaited<ReturnType<typeof walk>> = []
        try {
          entries = await walk(fs, '', true)
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
        }
        for (const e of entries.filter((x) => x.kind === 'file')) {
          try {
            await drain(fs, e.path)
          } catch (error) {
            expect(error).toBeInstanceOf(TrawlError)
          }
        }
      }),
      {numRuns: 30},
    )
  })
})
