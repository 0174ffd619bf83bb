import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {TrawlError} from '../../src/errors.js'
import {decodeDataRuns} from '../../src/ntfs/data-runs.js'
import {filetimeHalvesToIso} from '../../src/ntfs/filetime.js'
import {decompressLznt1} from '../../src/ntfs/lznt1.js'
import {summarizeRecord} from '../../src/ntfs/mft-entry.js'
import {MftTree} from '../../src/ntfs/mft-tree.js'
import {applyFixups, parseAttributeList, parseMftRecord, parseReparsePoint} from '../../src/ntfs/mft-record.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {filetimeToIso} from '../../src/time.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, walk} from './ntfs-fixtures.js'

/** Runs `body`; anything it throws must be one of trawl's typed errors. */
function onlyTypedErrors(body: () => void): void {
  try {
    body()
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
  }
}

/**
 * A damaged volume opens or is refused with a typed error; every file of it that can be listed
 * is read to the end or fails with one; every problem the reader keeps is one.
 */
async function listsAndReads(image: Buffer, options: {directoryIndexes?: boolean}, deleted: boolean): Promise<void> {
  let fs: NtfsFileSystem
  try {
    fs = new NtfsFileSystem(new MemoryByteSource(image), options)
  } catch (error) {
    expect(error).toBeInstanceOf(TrawlError)
    return
  }
  try {
    for (const entry of await walk(fs, '', deleted)) {
      // a damaged size may claim terabytes of sparse zeros: read only what could be real
      if (entry.kind !== 'file' || entry.size > image.length) continue
      try {
        for await (const chunk of await fs.open(entry.path)) void chunk
      } catch (error) {
        expect(error).toBeInstanceOf(TrawlError)
      }
    }
  } catch (error) {
    expect(error).toBeInstanceOf(TrawlError)
  }
  for (const problem of fs.problems) expect(problem).toBeInstanceOf(TrawlError)
}

/** A 1024-byte MFT record: "FILE", a sane-looking header, then random attribute bytes. */
const mftRecordBytes = fc
  .record({
    body: fc.uint8Array({minLength: 1024, maxLength: 1024}),
    firstAttribute: fc.oneof(fc.constant(56), fc.integer({min: 0, max: 1100})),
    usedSize: fc.oneof(fc.constant(1024), fc.integer({min: 0, max: 2000})),
    attributes: fc.array(
      fc.record({type: fc.constantFrom(0x10, 0x20, 0x30, 0x80, 0x90, 0xc0, 0xffffffff), length: fc.integer({min: 0, max: 600}), nonResident: fc.boolean()}),
      {maxLength: 6},
    ),
  })
  .map(({body, firstAttribute, usedSize, attributes}) => {
    const buf = Buffer.from(body)
    buf.write('FILE', 0, 'latin1')
    buf.writeUInt16LE(firstAttribute, 20)
    buf.writeUInt32LE(usedSize, 24)
    let pos = 56
    for (const a of attributes) {
      if (pos + 16 > 1024) break
      buf.writeUInt32LE(a.type, pos)
      buf.writeUInt32LE(a.length, pos + 4)
      buf[pos + 8] = a.nonResident ? 1 : 0
      pos += Math.max(8, a.length & ~7)
    }
    return buf
  })

describe('NTFS parsers on random bytes: only typed errors, in bounded time', () => {
  it('MFT record parser', () => {
    fc.assert(
      fc.property(mftRecordBytes, (buf) => {
        onlyTypedErrors(() => parseMftRecord(buf, 0, 1024, 7, 0))
        let accepted = true
        try {
          new MftTree(8).add(buf, 0, 1024, 7, 0)
        } catch (error) {
          if (!(error instanceof TrawlError)) throw error
          accepted = false
        }
        // a listing reads a record the pass accepted again: it must summarize without error
        if (accepted) summarizeRecord(buf, 0, 1024, 7, 0)
      }),
      {numRuns: 3000},
    )
  })

  it('update sequence (fix-up) check', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 1024, maxLength: 1024}), fc.integer({min: 0, max: 1100}), fc.integer({min: 0, max: 8}), (body, usaOffset, usaCount) => {
        const buf = Buffer.from(body)
        buf.writeUInt16LE(usaOffset, 4)
        buf.writeUInt16LE(usaCount, 6)
        onlyTypedErrors(() => applyFixups(buf, 0, 1024, 9, 0))
      }),
      {numRuns: 3000},
    )
  })

  it('data-run decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 200}), fc.integer({min: 0, max: 1000}), (bytes, vcn) => {
        onlyTypedErrors(() => {
          const runs = decodeDataRuns(Buffer.from(bytes), 0, bytes.length, vcn, 'random runs')
          let next = vcn
          for (const run of runs) {
            expect(run.vcn).toBe(next)
            expect(run.length).toBeGreaterThan(0)
            if (run.lcn !== null) expect(run.lcn).toBeGreaterThanOrEqual(0)
            next += run.length
          }
        })
      }),
      {numRuns: 5000},
    )
  })

  it('LZNT1 decompressor', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 5000}), fc.integer({min: 0, max: 70000}), (bytes, outSize) => {
        const out = Buffer.alloc(outSize)
        onlyTypedErrors(() => expect(decompressLznt1(Buffer.from(bytes), out, 'random')).toBeLessThanOrEqual(outSize))
      }),
      {numRuns: 3000},
    )
  })

  it('attribute list and reparse point parsers', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 400}), (bytes) => {
        onlyTypedErrors(() => parseAttributeList(Buffer.from(bytes), 3))
        onlyTypedErrors(() => parseReparsePoint(Buffer.from(bytes)))
      }),
      {numRuns: 3000},
    )
  })

  it('a whole volume with random bytes written into its MFT still lists and reads', async () => {
    const pristine = fixtureImage('c512')
    const probe = new NtfsFileSystem(new MemoryByteSource(pristine))
    const mftStart = probe.mftEntryOffset(0)
    const mftLength = probe.mftEntryCount * probe.boot.mftRecordSize
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({at: fc.integer({min: 0, max: mftLength - 1}), value: fc.integer({min: 0, max: 255})}), {minLength: 1, maxLength: 40}),
        async (edits) => {
          const image = Buffer.from(pristine)
          for (const {at, value} of edits) image[mftStart + at] = value
          await listsAndReads(image, {}, true)
        },
      ),
      {numRuns: 60},
    )
  })
})

describe('NTFS directories read through damaged $I30 indexes (collect --triage)', () => {
  it('random bytes written into the index records and the MFT: listing and reading go on, with typed errors only', async () => {
    const pristine = fixtureImage('main')
    // every INDX record of the volume, and the $MFT
    const indexRecords: number[] = []
    for (let at = pristine.indexOf('INDX'); at !== -1; at = pristine.indexOf('INDX', at + 4)) if (at % 512 === 0) indexRecords.push(at)
    expect(indexRecords.length).toBeGreaterThan(3)
    const probe = new NtfsFileSystem(new MemoryByteSource(pristine))
    const mftStart = probe.mftEntryOffset(0)
    const mftLength = probe.mftEntryCount * probe.boot.mftRecordSize
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({record: fc.constantFrom(...indexRecords), within: fc.integer({min: 0, max: 4095}), value: fc.integer({min: 0, max: 255})}).map(({record, within, value}) => ({at: record + within, value})),
            fc.record({at: fc.integer({min: mftStart, max: mftStart + mftLength - 1}), value: fc.integer({min: 0, max: 255})}),
          ),
          {minLength: 1, maxLength: 30},
        ),
        async (edits) => {
          const image = Buffer.from(pristine)
          for (const {at, value} of edits) image[at] = value
          await listsAndReads(image, {directoryIndexes: true}, false)
        },
      ),
      {numRuns: 40},
    )
  })
})

describe('NTFS $ATTRIBUTE_LIST with damaged extension records', () => {
  it('reads attrlist.txt and its streams or raises typed errors only', async () => {
    const pristine = fixtureImage('main')
    const probe = new NtfsFileSystem(new MemoryByteSource(pristine))
    const base = Number((await probe.stat('attrlist.txt')).inode!.split('-')[0])
    const recordSize = probe.boot.mftRecordSize
    // the base record and its extension records (76..79 in this image)
    const offsets = [0, 1, 2, 3, 4].map((i) => probe.mftEntryOffset(base + i))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({record: fc.integer({min: 0, max: 4}), at: fc.integer({min: 0, max: recordSize - 1}), value: fc.integer({min: 0, max: 255})}), {minLength: 1, maxLength: 12}),
        async (edits) => {
          const image = Buffer.from(pristine)
          for (const {record, at, value} of edits) image[offsets[record] + at] = value
          const fs = new NtfsFileSystem(new MemoryByteSource(image))
          let streams: string[] = ['']
          try {
            const entry = await fs.stat('attrlist.txt')
            streams = ['', ...(entry.streams ?? []).map((s) => s.name)]
          } catch (error) {
            expect(error).toBeInstanceOf(TrawlError)
            return
          }
          for (const stream of streams) {
            try {
              for await (const chunk of await fs.open('attrlist.txt', stream ? {stream} : undefined)) void chunk
            } catch (error) {
              expect(error).toBeInstanceOf(TrawlError)
            }
          }
        },
      ),
      {numRuns: 50},
    )
  })
})

describe('LZNT1 and FILETIME, exactly', () => {
  it('decodes a hand-made LZNT1 chunk with a back-reference', () => {
    // "abc" as literals, then a back-reference of distance 3, length 6 (token 0x2003)
    const chunk = Buffer.from([0x05, 0xb0, 0x08, 0x61, 0x62, 0x63, 0x03, 0x20])
    const out = Buffer.alloc(9)
    expect(decompressLznt1(chunk, out, 'test')).toBe(9)
    expect(out.toString()).toBe('abcabcabc')
    // an uncompressed chunk (bit 15 clear) is copied as is
    const stored = Buffer.concat([Buffer.from([0x02, 0x30]), Buffer.from('xyz')])
    const out2 = Buffer.alloc(3)
    expect(decompressLznt1(stored, out2, 'test')).toBe(3)
    expect(out2.toString()).toBe('xyz')
  })

  it('formats every FILETIME exactly as filetimeToIso does', () => {
    fc.assert(
      fc.property(fc.bigInt({min: 1n, max: 2n ** 63n - 1n}), (value) => {
        let expected: string | null
        try {
          expected = filetimeToIso(value)
        } catch {
          expected = null
        }
        expect(filetimeHalvesToIso(Number(value & 0xffffffffn), Number(value >> 32n))).toBe(expected)
      }),
      {numRuns: 20000},
    )
    // runs of times within one second (the formatter reuses the second's text)
    fc.assert(
      fc.property(fc.bigInt({min: 1n, max: 2n ** 57n}), fc.array(fc.integer({min: 0, max: 9_999_999}), {minLength: 2, maxLength: 6}), (base, fractions) => {
        const second = base - (base % 10_000_000n)
        for (const f of fractions) {
          const value = second + BigInt(f)
          if (value === 0n) continue
          expect(filetimeHalvesToIso(Number(value & 0xffffffffn), Number(value >> 32n))).toBe(filetimeToIso(value))
        }
      }),
      {numRuns: 5000},
    )
    expect(filetimeHalvesToIso(0, 0)).toBeNull()
    expect(filetimeHalvesToIso(0xd53e8000, 0x01a8e79f)).toBe(filetimeToIso(0x01a8e79fd53e8000n))
  })
})
