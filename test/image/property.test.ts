import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {TrawlError} from '../../src/errors.js'
import {EwfImage, adler32, parseError2Section, parseHeaderText, parseSectionDescriptor, parseTableSection, parseVolumeSection} from '../../src/image/ewf.js'
import {readVolumeSystem} from '../../src/volume/detect.js'
import {sniffFileSystem} from '../../src/volume/fs-sniff.js'
import {readGpt} from '../../src/volume/gpt.js'
import {readMbr} from '../../src/volume/mbr.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {imageFixture, scratchDir} from './fixtures.js'

/**
 * Random and mutated bytes thrown at the EWF section parsers and the partition
 * table parsers: they may refuse the input, but only with trawl's own typed
 * errors, never a TypeError, RangeError or a hang.
 */
function onlyTypedErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
  }
}

const bytes = (min: number, max: number) => fc.uint8Array({minLength: min, maxLength: max}).map((a) => Buffer.from(a))

/** Bytes with a valid checksum over the first `checked` bytes, so the parser gets past it. */
function withAdler(data: Buffer, checked: number): Buffer {
  const copy = Buffer.from(data)
  if (copy.length >= checked + 4) copy.writeUInt32LE(adler32(copy, 0, checked), checked)
  return copy
}

describe('EWF parsers on random bytes', () => {
  it('section descriptor', () => {
    fc.assert(
      fc.property(bytes(0, 100), fc.boolean(), (data, fixChecksum) => {
        onlyTypedErrors(() => parseSectionDescriptor(fixChecksum ? withAdler(data, 72) : data, 13, 'x.E01'))
      }),
      {numRuns: 2000},
    )
  })

  it('table section', () => {
    fc.assert(
      fc.property(bytes(0, 400), fc.boolean(), (data, fixChecksum) => {
        onlyTypedErrors(() => parseTableSection(fixChecksum ? withAdler(data, 20) : data, 0, 'x.E01 table'))
      }),
      {numRuns: 2000},
    )
  })

  it('volume section', () => {
    fc.assert(
      fc.property(bytes(0, 1100), fc.boolean(), (data, fixChecksum) => {
        const checked = data.length >= 1052 ? 1048 : 90
        onlyTypedErrors(() => parseVolumeSection(fixChecksum ? withAdler(data, checked) : data, 0, 'x.E01'))
      }),
      {numRuns: 1000},
    )
  })

  it('error2 section', () => {
    fc.assert(
      fc.property(bytes(0, 700), fc.boolean(), (data, fixChecksum) => {
        onlyTypedErrors(() => parseError2Section(fixChecksum ? withAdler(data, 516) : data, 0, 'x.E01'))
      }),
      {numRuns: 1000},
    )
  })

  it('header text', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 300}), (text) => {
        onlyTypedErrors(() => parseHeaderText(text))
      }),
      {numRuns: 1000},
    )
  })

  it('a whole segment file: random sections after a valid file header', () => {
    const dir = scratchDir()
    const header = Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 1, 1, 0, 0, 0])
    let n = 0
    fc.assert(
      fc.property(bytes(0, 3000), (body) => {
        const path = join(dir, `r${n++}.E01`)
        writeFileSync(path, Buffer.concat([header, body]))
        onlyTypedErrors(() => EwfImage.open(path).close())
      }),
      {numRuns: 300},
    )
  })

  it('mutations of a real E01: open and read everything, typed errors only', () => {
    const original = readFileSync(imageFixture('mbr.E01'))
    const dir = scratchDir()
    let n = 0
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({max: original.length - 1}), fc.integer({min: 1, max: 255})), {minLength: 1, maxLength: 8}), (mutations) => {
        const copy = Buffer.from(original)
        for (const [at, xor] of mutations) copy[at] ^= xor
        const path = join(dir, `m${n++}.E01`)
        writeFileSync(path, copy)
        onlyTypedErrors(() => {
          const image = EwfImage.open(path)
          try {
            for (let i = 0; i < image.chunkCount; i++) onlyTypedErrors(() => image.chunk(i))
          } finally {
            image.close()
          }
        })
      }),
      {numRuns: 150},
    )
  })
})

describe('partition table parsers on random bytes', () => {
  /** A random disk with the 0x55AA signature, optionally a protective or extended entry, to reach deeper code. */
  const disk = fc
    .tuple(bytes(512, 8192), fc.constantFrom(0x00, 0x05, 0x0f, 0x85, 0xee, 0x07), fc.boolean())
    .map(([data, type, efi]) => {
      const d = Buffer.alloc(Math.max(data.length, 1024))
      data.copy(d)
      d[510] = 0x55
      d[511] = 0xaa
      d[446 + 4] = type
      d[446] = 0
      if (efi) d.write('EFI PART', 512, 'latin1')
      return d
    })

  it('MBR, GPT and detection', () => {
    fc.assert(
      fc.property(disk, (d) => {
        const source = new MemoryByteSource(d)
        onlyTypedErrors(() => readMbr(source))
        onlyTypedErrors(() => readGpt(source))
        onlyTypedErrors(() => readVolumeSystem(source))
        onlyTypedErrors(() => sniffFileSystem(source))
      }),
      {numRuns: 2000},
    )
  })

  it('mutations of the real GPT disk: the table reads, falls back to the backup, or is a CorruptImageError', () => {
    const original = readFileSync(imageFixture('gpt.raw'))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({max: 34 * 512 - 1}), fc.integer({min: 1, max: 255})), {minLength: 1, maxLength: 6}), (mutations) => {
        const copy = Buffer.from(original)
        for (const [at, xor] of mutations) copy[at] ^= xor
        onlyTypedErrors(() => {
          const vs = readVolumeSystem(new MemoryByteSource(copy))
          if (vs.scheme === 'gpt') expect(vs.partitions.length).toBe(5)
        })
      }),
      {numRuns: 500},
    )
  })

  it('mutations of the real MBR disk with extended partitions', () => {
    const original = readFileSync(imageFixture('mbr.raw'))
    const tables = [0, 5632, 6271, 6847].map((s) => s * 512 + 446)
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...tables), fc.nat({max: 65}), fc.integer({min: 1, max: 255})), {minLength: 1, maxLength: 6}), (mutations) => {
        const copy = Buffer.from(original)
        for (const [table, at, xor] of mutations) copy[table + at] ^= xor
        onlyTypedErrors(() => readVolumeSystem(new MemoryByteSource(copy)))
      }),
      {numRuns: 300},
    )
  })
})
