import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, it} from 'vitest'
import {TrawlError} from '../../src/errors.js'
import {crc32c} from '../../src/image/crc32c.js'
import {parseVhdDynamicHeader, parseVhdFooter, VhdImage, vhdChecksum} from '../../src/image/vhd.js'
import {findActiveSequence, parseLogEntry, parseMetadataRegion, parseParentLocator, parseRegionTable, parseVhdxHeader, VhdxImage} from '../../src/image/vhdx.js'
import {imageFixture, scratchDir} from './fixtures.js'

/**
 * Random and mutated bytes thrown at the VHD and VHDX header, BAT, metadata and log
 * parsers, and at whole disks: they may refuse the input, but only with trawl's own
 * typed errors, never a TypeError, RangeError or a hang.
 */
function onlyTypedErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
  }
}

const bytes = (min: number, max: number) => fc.uint8Array({minLength: min, maxLength: max}).map((a) => Buffer.from(a))

/** Random bytes that start with `signature` and carry a valid checksum, so the parser gets past both. */
function signed(data: Buffer, size: number, signature: string, checksumAt: number, kind: 'vhd' | 'crc32c'): Buffer {
  const copy = Buffer.alloc(size)
  data.copy(copy)
  copy.write(signature, 0, 'latin1')
  if (kind === 'vhd') copy.writeUInt32BE(vhdChecksum(copy, checksumAt), checksumAt)
  else copy.writeUInt32LE(crc32c(copy, checksumAt), checksumAt)
  return copy
}

describe('VHD parsers on random bytes', () => {
  it('footer', () => {
    fc.assert(
      fc.property(bytes(0, 512), fc.boolean(), fc.integer({min: 0, max: 6}), (data, sign, type) => {
        const footer = sign ? signed(data, 512, 'conectix', 64, 'vhd') : data
        if (sign) footer.writeUInt32BE(type, 60)
        onlyTypedErrors(() => parseVhdFooter(footer, 'x.vhd', 0))
      }),
      {numRuns: 2000},
    )
  })

  it('dynamic disk header', () => {
    fc.assert(
      fc.property(bytes(0, 1024), fc.boolean(), (data, sign) => {
        onlyTypedErrors(() => parseVhdDynamicHeader(sign ? signed(data, 1024, 'cxsparse', 36, 'vhd') : data, 'x.vhd', 512))
      }),
      {numRuns: 2000},
    )
  })
})

describe('VHDX parsers on random bytes', () => {
  it('header', () => {
    fc.assert(
      fc.property(bytes(0, 4096), fc.boolean(), (data, sign) => {
        onlyTypedErrors(() => parseVhdxHeader(sign ? signed(data, 4096, 'head', 4, 'crc32c') : data, 'x.vhdx', 65536))
      }),
      {numRuns: 500},
    )
  })

  it('region table', () => {
    fc.assert(
      fc.property(bytes(0, 2048), fc.boolean(), (data, sign) => {
        onlyTypedErrors(() => parseRegionTable(sign ? signed(data, 65536, 'regi', 4, 'crc32c') : data, 'x.vhdx', 196608))
      }),
      {numRuns: 200},
    )
  })

  it('metadata region and parent locator', () => {
    fc.assert(
      fc.property(bytes(0, 4096), fc.boolean(), (data, sign) => {
        const region = Buffer.from(data)
        if (sign && region.length >= 8) region.write('metadata', 0, 'latin1')
        onlyTypedErrors(() => parseMetadataRegion(region, 'x.vhdx', 2097152))
        onlyTypedErrors(() => parseParentLocator(data, 'x.vhdx'))
      }),
      {numRuns: 2000},
    )
  })

  it('log entries and the search for the active sequence end on any log', () => {
    fc.assert(
      fc.property(bytes(0, 16384), fc.integer({min: 0, max: 4}), (data, at) => {
        // a log of whole 4 KiB sectors, some starting "loge"
        const log = Buffer.alloc(Math.ceil(data.length / 4096) * 4096)
        data.copy(log)
        for (let s = 0; s < log.length; s += 4096) if ((s / 4096) % 2 === 0) log.write('loge', s, 'latin1')
        onlyTypedErrors(() => parseLogEntry(log, at * 4096, '00000000-0000-0000-0000-000000000000'))
        onlyTypedErrors(() => findActiveSequence(log, '00000000-0000-0000-0000-000000000000'))
      }),
      {numRuns: 500},
    )
  })
})

describe('whole VHD and VHDX disks with mutated structures: opened and read to the end, or refused with a typed error', () => {
  const dir = scratchDir()
  for (const [name, open, structures] of [
    // VHD: footer copy, dynamic header, BAT, the first block's bitmap and the footer
    ['gpt-child.vhd', (p: string) => VhdImage.open(p), [[0, 3584]]],
    ['gpt-dynamic.vhd', (p: string) => VhdImage.open(p), [[0, 2048]]],
    // VHDX: header section (identifier, headers, region tables), log, BAT and metadata table
    ['gpt-child.vhdx', (p: string) => VhdxImage.open(p), [[0, 320 * 1024], [2 * 1048576, 2 * 1048576 + 4096], [3 * 1048576, 3 * 1048576 + 64]]],
    ['gpt-dirty.vhdx', (p: string) => VhdxImage.open(p), [[1048576, 1048576 + 8192], [2 * 1048576, 2 * 1048576 + 64]]],
  ] as const) {
    it(name, () => {
      const original = readFileSync(imageFixture(name))
      // the parent beside the mutated child
      for (const parent of ['gpt-dynamic.vhd', 'gpt-dynamic.vhdx']) writeFileSync(join(dir, parent), readFileSync(imageFixture(parent)))
      const ranges = structures as ReadonlyArray<readonly [number, number]>
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}), (flips) => {
          const copy = Buffer.from(original)
          for (const [where, value] of flips) {
            const [start, end] = ranges[where % ranges.length]
            copy[start + (where % (end - start))] = value
          }
          const path = join(dir, `mutated-${name}`)
          writeFileSync(path, copy)
          onlyTypedErrors(() => {
            const image = open(path)
            try {
              // the whole fixture, or of a size made huge the first 8 MiB and the last
              for (let offset = 0; offset < Math.min(image.size, 8 << 20); offset += 1 << 20) image.read(offset, 1 << 20)
              image.read(Math.max(0, image.size - (1 << 20)), 1 << 20)
            } finally {
              image.close()
            }
          })
        }),
        {numRuns: 60},
      )
    })
  }
})
