import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, TrawlError} from '../../src/errors.js'
import {
  VSS_BLOCK_SIZE,
  VSS_IDENTIFIER,
  parseBlockDescriptors,
  parseBlockHeader,
  parseCatalogEntries,
  parseStoreInformation,
  parseVolumeHeader,
} from '../../src/vss/format.js'
import {ShadowCopies} from '../../src/vss/shadow-copies.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {CATALOG_BLOCK, SYNTHETIC_BLOCKS, buildVssVolume, firstLine, storeBlocks, type SyntheticStore} from './synthetic.js'

const BS = VSS_BLOCK_SIZE
/** 2013-12-03T06:35:09.7363787Z and 2013-12-03T06:37:48.9190583Z, the times of plaso's vsstest snapshots. */
const OLDER = 130305261097363787n
const NEWER = 130305262689190583n

/**
 * Two stores over a 1 MiB volume, each case of section "Reading snapshot data" once:
 * - block 10 changed after both snapshots: each store keeps its own old copy (40, 41);
 * - block 12 changed only after snapshot 2: snapshot 1 reads it through store 2 (42);
 * - block 14 has an overlay of its first sector in store 2 (43): only snapshot 2 sees it;
 * - block 15 of store 1 forwards to block 16 of store 2 (44);
 * - block 20 was not in use at snapshot 2 (current bitmap): snapshot 2 reads zeros.
 */
const stores: SyntheticStore[] = [
  {created: OLDER, descriptors: [{original: 10, data: 40}, {original: 15, forwardTo: 16, flags: 1}]},
  {
    created: NEWER,
    descriptors: [{original: 10, data: 41}, {original: 12, data: 42}, {original: 14, data: 43, flags: 2, bitmap: 0b1}, {original: 16, data: 44}],
    unused: [20],
  },
]

function open(volume: Buffer) {
  const source = new MemoryByteSource(volume)
  return {source, shadowCopies: ShadowCopies.open(source)!}
}

describe('Volume Shadow Copies rebuilt block by block (synthetic volume, libvshadow documentation cases)', () => {
  const volume = buildVssVolume(stores)
  const {source, shadowCopies} = open(volume)
  const block = (snapshot: number, n: number) => firstLine(shadowCopies.snapshot(snapshot).read(n * BS, BS))

  it('lists both snapshots oldest first, with their FILETIME creation times at 100 ns', () => {
    expect(shadowCopies.catalog.shadowCopies.map((c) => [c.number, c.createdAt, c.operatingMachine])).toEqual([
      [1, '2013-12-03T06:35:09.7363787Z', 'examiner-pc'],
      [2, '2013-12-03T06:37:48.9190583Z', 'examiner-pc'],
    ])
    expect(shadowCopies.catalog.warnings).toEqual([])
  })

  it('reads a block each store saved from that store, the newer store for the older snapshot only when its own has none', () => {
    expect([block(1, 10), block(2, 10)]).toEqual(['data block 40', 'data block 41'])
    expect([block(1, 12), block(2, 12)]).toEqual(['data block 42', 'data block 42'])
    expect([block(1, 13), block(2, 13)]).toEqual(['live block 13', 'live block 13'])
  })

  it('applies an overlay sector by sector, and only to the snapshot of its own store', () => {
    const snapshot2 = shadowCopies.snapshot(2).read(14 * BS, 1024)
    expect(snapshot2.subarray(0, 512)).toEqual(source.read(43 * BS, 512))
    expect(snapshot2.subarray(512)).toEqual(source.read(14 * BS + 512, 512))
    expect(shadowCopies.snapshot(1).read(14 * BS, 1024)).toEqual(source.read(14 * BS, 1024))
  })

  it('follows a forwarder into the next store', () => {
    expect([block(1, 15), block(2, 15), block(2, 16)]).toEqual(['data block 44', 'live block 15', 'data block 44'])
  })

  it('reads a block the newest snapshot did not have in use as zeros, and the older one from the volume', () => {
    expect(shadowCopies.snapshot(2).read(20 * BS, BS).every((b) => b === 0)).toBe(true)
    expect(block(1, 20)).toBe('live block 20')
  })

  it('reads across block boundaries as one range', () => {
    const range = shadowCopies.snapshot(1).read(10 * BS - 100, BS + 200)
    expect(range.subarray(0, 100)).toEqual(source.read(10 * BS - 100, 100))
    expect(range.subarray(100, 100 + BS)).toEqual(source.read(40 * BS, BS))
    expect(range.subarray(100 + BS)).toEqual(source.read(11 * BS, 100))
  })

  it('says none when VSS was never enabled, and no snapshot when the catalog is empty', () => {
    const plain = Buffer.from(volume)
    plain.fill(0, 0x1e00, 0x2000)
    expect(ShadowCopies.open(new MemoryByteSource(plain))).toBeUndefined()
    const enabled = Buffer.from(volume)
    enabled.writeBigUInt64LE(0n, 0x1e00 + 48)
    expect(ShadowCopies.open(new MemoryByteSource(enabled))!.catalog.shadowCopies).toEqual([])
  })
})

describe('damaged shadow copy structures give typed errors, and what is intact still reads', () => {
  it('a catalog whose next block is itself is a loop, refused', () => {
    const volume = buildVssVolume(stores)
    volume.writeBigUInt64LE(BigInt(CATALOG_BLOCK * BS), CATALOG_BLOCK * BS + 40)
    expect(() => ShadowCopies.open(new MemoryByteSource(volume))).toThrow(/catalog chain loops back to the block at 16384/)
  })

  it('a block list of the newest store pointing past the volume loses both snapshots (the older is read through it), nothing else', () => {
    const volume = buildVssVolume(stores)
    volume.writeBigUInt64LE(BigInt(SYNTHETIC_BLOCKS * BS), storeBlocks(1).blockList * BS + 128 + 16)
    const {shadowCopies} = open(volume)
    expect(shadowCopies.check(2)).toBe(false)
    expect(shadowCopies.check(1)).toBe(false)
    expect(shadowCopies.catalog.shadowCopies[1]!.unreadable).toMatch(/store of shadow copy 2: block descriptor for original offset 163840 points to 1048576, past the end of the volume/)
    expect(shadowCopies.catalog.shadowCopies[0]!.unreadable).toMatch(/read through the store of shadow copy 2, which is damaged/)
    expect(() => shadowCopies.snapshot(1)).toThrow(CorruptImageError)
  })

  it('a damaged older store loses only its own snapshot', () => {
    const volume = buildVssVolume(stores)
    // the block list's next offset points to a block cut off the end: a truncated store
    volume.writeBigUInt64LE(BigInt((SYNTHETIC_BLOCKS - 1) * BS + 4096), storeBlocks(0).blockList * BS + 40)
    const {shadowCopies} = open(volume)
    expect(shadowCopies.check(1)).toBe(false)
    expect(shadowCopies.catalog.shadowCopies[0]!.unreadable).toMatch(/store block list block at 1036288 lies past the end of the volume/)
    expect(shadowCopies.check(2)).toBe(true)
    expect(firstLine(shadowCopies.snapshot(2).read(10 * BS, BS))).toBe('data block 41')
  })

  it('a store list that loops is refused, not followed round', () => {
    const volume = buildVssVolume(stores)
    const list = storeBlocks(1).blockList * BS
    volume.writeBigUInt64LE(BigInt(list), list + 40)
    const {shadowCopies} = open(volume)
    expect(shadowCopies.check(2)).toBe(false)
    expect(shadowCopies.catalog.shadowCopies[1]!.unreadable).toMatch(/store block list chain loops back/)
  })

  it('stores kept on another volume are listed, not read from this one', () => {
    const volume = buildVssVolume(stores)
    volume.fill(0x11, 0x1e00 + 80, 0x1e00 + 96)
    const {shadowCopies} = open(volume)
    expect(shadowCopies.catalog.warnings).toEqual(['the shadow copies of this volume are stored on another volume (11111111-1111-1111-1111-111111111111): not read'])
    expect(shadowCopies.catalog.shadowCopies).toHaveLength(2)
    expect([shadowCopies.check(1), shadowCopies.check(2)]).toEqual([false, false])
  })

  it('a store entry without its shadow copy entry is named in the warnings', () => {
    const volume = buildVssVolume(stores)
    volume.writeBigUInt64LE(1n, CATALOG_BLOCK * BS + 128) // store 1's type 0x02 entry marked unused
    const {shadowCopies} = open(volume)
    expect(shadowCopies.catalog.shadowCopies).toHaveLength(1)
    expect(shadowCopies.catalog.warnings).toEqual([expect.stringMatching(/without its shadow copy entry/)])
  })
})

/** Random and mutated bytes: the parsers may refuse them, but only with trawl's typed errors, and never hang. */
function onlyTypedErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
  }
}

const bytes = (min: number, max: number) => fc.uint8Array({minLength: min, maxLength: max}).map((a) => Buffer.from(a))
const withIdentifier = (data: Buffer, type?: number) => {
  const copy = Buffer.from(data)
  if (copy.length >= 16) VSS_IDENTIFIER.copy(copy)
  if (type !== undefined && copy.length >= 24) copy.writeUInt32LE(type, 20)
  return copy
}

describe('VSS parsers on random bytes', () => {
  it('volume header', () => {
    fc.assert(fc.property(bytes(0, 600), fc.boolean(), (data, mark) => onlyTypedErrors(() => parseVolumeHeader(mark ? withIdentifier(data, 1) : data))))
  })
  it('block header', () => {
    fc.assert(fc.property(bytes(0, 256), fc.integer({min: 0, max: 7}), (data, type) => onlyTypedErrors(() => parseBlockHeader(withIdentifier(data, type), 0, type, 'catalog'))))
  })
  it('catalog entries', () => {
    const entry = fc.tuple(fc.constantFrom(0n, 1n, 2n, 3n, 4n, 0xffffffffffffffffn), bytes(120, 120)).map(([type, rest]) => {
      const e = Buffer.alloc(128)
      e.writeBigUInt64LE(type)
      rest.copy(e, 8)
      return e
    })
    fc.assert(fc.property(fc.array(entry, {maxLength: 20}), (entries) => onlyTypedErrors(() => parseCatalogEntries(Buffer.concat([Buffer.alloc(128), ...entries]), 0))))
  })
  it('store information', () => {
    fc.assert(fc.property(bytes(0, 400), fc.integer({min: 0, max: 1000}), (data, size) => onlyTypedErrors(() => parseStoreInformation(Buffer.concat([Buffer.alloc(128), data]), 0, size))))
  })
  it('block descriptors', () => {
    fc.assert(fc.property(bytes(0, 2048), (data) => onlyTypedErrors(() => parseBlockDescriptors(Buffer.concat([Buffer.alloc(128), data]), 0))))
  })

  it('a whole volume with its catalog and stores mutated: every snapshot is read or refused with a typed error', () => {
    const original = buildVssVolume(stores)
    // the bytes that matter: the volume header, the catalog and the first store blocks' headers and entries
    const places = [0x1e00, CATALOG_BLOCK * BS, ...[0, 1].flatMap((i) => Object.values(storeBlocks(i)).map((b) => b * BS))]
    const mutation = fc.record({place: fc.constantFrom(...places), at: fc.integer({min: 0, max: 511}), value: fc.integer({min: 0, max: 255})})
    fc.assert(
      fc.property(fc.array(mutation, {minLength: 1, maxLength: 24}), (mutations) => {
        const volume = Buffer.from(original)
        for (const m of mutations) volume[m.place + m.at] = m.value
        onlyTypedErrors(() => {
          const shadowCopies = ShadowCopies.open(new MemoryByteSource(volume))
          for (const copy of shadowCopies?.catalog.shadowCopies ?? []) {
            if (!shadowCopies!.check(copy.number)) continue
            const snapshot = shadowCopies!.snapshot(copy.number)
            for (let offset = 0; offset < snapshot.size; offset += 4 * BS) snapshot.read(offset, 4 * BS)
          }
        })
      }),
      {numRuns: 300},
    )
  })
})
