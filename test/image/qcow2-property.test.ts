import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, it} from 'vitest'
import {TrawlError} from '../../src/errors.js'
import {openParent} from '../../src/image/detect.js'
import {QCOW_MAGIC, QcowImage, parseL1Table, parseQcowHeader, parseQcowSnapshots} from '../../src/image/qcow2.js'
import {copiesOf, sha256OfSource, virtualDisk} from './virtual-disk-fixtures.js'

/**
 * Random and mutated bytes thrown at the QCOW2 header, snapshot table and L1 parsers, and at
 * whole images with damaged tables: they may refuse the input, but only with trawl's own typed
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

/** Random bytes after the signature and a version trawl reads, so the parser gets past both. */
const headerLike = fc.tuple(bytes(0, 600), fc.constantFrom(2, 3), fc.integer({min: 9, max: 21})).map(([rest, version, bits]) => {
  const head = Buffer.alloc(Math.max(8 + rest.length, 24))
  QCOW_MAGIC.copy(head, 0)
  head.writeUInt32BE(version, 4)
  rest.copy(head, 8)
  head.writeUInt32BE(bits, 20)
  return head
})

describe('QCOW2 parsers on random bytes', () => {
  it('header and header extensions', () => {
    fc.assert(
      fc.property(headerLike, (head) => onlyTypedErrors(() => parseQcowHeader(head, 'x.qcow2'))),
      {numRuns: 3000},
    )
  })

  it('header of a real image with bytes changed', () => {
    const real = readFileSync(virtualDisk('top.qcow2')).subarray(0, 1024)
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: 1023}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}), (changes) => {
        const head = Buffer.from(real)
        for (const [at, value] of changes) head[at] = value
        onlyTypedErrors(() => parseQcowHeader(head, 'x.qcow2'))
      }),
      {numRuns: 3000},
    )
  })

  it('snapshot table', () => {
    fc.assert(
      fc.property(bytes(0, 400), fc.integer({min: 0, max: 70000}), (table, count) => onlyTypedErrors(() => parseQcowSnapshots(table, count, 'x.qcow2'))),
      {numRuns: 2000},
    )
  })

  it('L1 table', () => {
    fc.assert(
      fc.property(bytes(0, 256), fc.integer({min: 0, max: 64}), fc.integer({min: 9, max: 21}), (table, l1Size, bits) =>
        onlyTypedErrors(() => parseL1Table(table, {l1Size, clusterSize: 2 ** bits, l1TableOffset: 0}, 'x.qcow2')),
      ),
      {numRuns: 2000},
    )
  })
})

describe('QCOW2 images with damaged tables', () => {
  /** Byte ranges of an image's metadata: header cluster, L1 table, L2 tables (what a damaged image gets wrong). */
  function metadataRanges(bytes: Buffer): Array<[number, number]> {
    const header = parseQcowHeader(bytes.subarray(0, 65536), 'x')
    const ranges: Array<[number, number]> = [[0, 512], [header.l1TableOffset, header.l1TableOffset + header.l1Size * 8]]
    for (let i = 0; i < header.l1Size; i++) {
      const l2 = Number(bytes.readBigUInt64BE(header.l1TableOffset + i * 8) & 0x00fffffffffffe00n)
      if (l2) ranges.push([l2, l2 + header.clusterSize])
    }
    return ranges
  }

  it.each(['gpt-v2c.qcow2', 'top.qcow2', 'zero.qcow2'])('%s: reading every byte ends or stops with a typed error', (name) => {
    const dir = copiesOf(name, ...(name === 'gpt-v2c.qcow2' ? [] : ['mid.qcow2', 'gpt.raw']))
    const path = join(dir, name)
    const original = readFileSync(path)
    const ranges = metadataRanges(original)
    const change = fc.tuple(fc.integer({min: 0, max: ranges.length - 1}), fc.nat(), fc.integer({min: 0, max: 255}))
    fc.assert(
      fc.property(fc.array(change, {minLength: 1, maxLength: 6}), (changes) => {
        const bytes = Buffer.from(original)
        for (const [range, at, value] of changes) {
          const [start, end] = ranges[range]
          bytes[start + (at % (end - start))] = value
        }
        writeFileSync(path, bytes)
        onlyTypedErrors(() => {
          const image = QcowImage.open(path, {openParent, chain: []})
          try {
            sha256OfSource(image, 1 << 20)
          } finally {
            image.close()
          }
        })
      }),
      {numRuns: 150},
    )
  })
})
