import {beforeAll, expect, it} from 'vitest'
import type {ByteSource} from '../../src/image/byte-source.js'
import {openImage} from '../../src/image/detect.js'
import {attachFileSystem, shadowCopyVolumes} from '../../src/source/image.js'
import {describeShared} from '../helpers/shared.js'
import {VSSTEST_QCOW2} from './vsstest.js'

/** The image's bytes with a few of them changed in memory: the evidence file is never written. */
class PatchedByteSource implements ByteSource {
  private readonly patches: Array<{offset: number; bytes: Buffer}> = []
  constructor(private readonly inner: ByteSource) {}
  get size(): number {
    return this.inner.size
  }
  patch(offset: number, bytes: Buffer): this {
    this.patches.push({offset, bytes})
    return this
  }
  read(offset: number, length: number): Buffer {
    const data = Buffer.from(this.inner.read(offset, length))
    for (const p of this.patches) {
      const start = Math.max(offset, p.offset)
      const end = Math.min(offset + data.length, p.offset + p.bytes.length)
      if (start < end) p.bytes.copy(data, start - offset, start - p.offset, end - p.offset)
    }
    return data
  }
  close(): void {}
}

const u64 = (value: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(value))
  return b
}

/** Offsets in vsstest (read with src/vss/format.ts, and the same in vshadowinfo's libvshadow debug output). */
const FIRST_CATALOG_BLOCK = 0x6e30000
const SECOND_CATALOG_BLOCK = 0x6e34000
const STORE_2_BLOCK_LIST = 115621888
const STORE_1_BLOCK_LIST = 827736064

describeShared("plaso's vsstest with damaged shadow copy structures: the live volume and the intact snapshots read on", () => {
  let image: ByteSource
  beforeAll(async () => {
    const opened = openImage(VSSTEST_QCOW2)
    image = opened.source
    return () => opened.source.close()
  }, 120_000)

  const open = (bytes: ByteSource) => {
    const warnings: string[] = []
    const live = attachFileSystem('vol', bytes, {scheme: 'none', offset: 0, size: bytes.size})
    const snapshots = shadowCopyVolumes(live, bytes, 'all', warnings)
    return {live, snapshots, warnings}
  }

  it('a catalog that loops back to its first block: refused with where, the live volume lists as before', async () => {
    const {live, snapshots, warnings} = open(new PatchedByteSource(image).patch(SECOND_CATALOG_BLOCK + 40, u64(FIRST_CATALOG_BLOCK)))
    expect(snapshots).toEqual([])
    expect(live.description.shadowCopiesUnreadable).toBe(`VSS catalog chain loops back to the block at ${FIRST_CATALOG_BLOCK} (at offset ${FIRST_CATALOG_BLOCK})`)
    expect(warnings).toEqual([`vol: shadow copies not read: ${live.description.shadowCopiesUnreadable}`])
    expect((await live.fs!.list('')).map((e) => e.name)).toContain('password.txt')
  })

  it('the newest store pointing past the volume: both snapshots not read, each with why; the live volume reads', async () => {
    const bytes = new PatchedByteSource(image).patch(STORE_2_BLOCK_LIST + 128 + 16, u64(2 ** 40))
    const {live, snapshots, warnings} = open(bytes)
    expect(snapshots.map((v) => [v.id, v.fs === undefined])).toEqual([
      ['vol@vss1', true],
      ['vol@vss2', true],
    ])
    expect(snapshots[1]!.unreadable).toMatch(/^shadow copy 2 cannot be rebuilt: store of shadow copy 2: block descriptor for original offset \d+ points to 1099511627776, past the end of the volume/)
    expect(snapshots[0]!.unreadable).toMatch(/read through the store of shadow copy 2, which is damaged/)
    expect(warnings).toHaveLength(2)
    expect((await live.fs!.list('')).map((e) => e.name)).toContain('password.txt')
  })

  it('the oldest store cut short: only its snapshot is lost, the newer one lists its files', async () => {
    const bytes = new PatchedByteSource(image).patch(STORE_1_BLOCK_LIST + 40, u64(image.size - 4096))
    const {snapshots} = open(bytes)
    expect(snapshots[0]!.unreadable).toMatch(/store block list block at 1073737728 lies past the end of the volume/)
    expect((await snapshots[1]!.fs!.list('')).map((e) => e.name)).toContain('another_file')
  })
})
