import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, it} from 'vitest'
import {TrawlError} from '../../src/errors.js'
import {openParent} from '../../src/image/detect.js'
import {VmdkImage, looksLikeDescriptor, parseSparseExtentHeader, parseVmdkDescriptor} from '../../src/image/vmdk.js'
import {copiesOf, sha256OfSource, virtualDisk} from './virtual-disk-fixtures.js'

/**
 * Random and mutated bytes thrown at the VMDK sparse extent header and descriptor parsers,
 * and at whole disks with damaged grain directories, grain tables and markers: they may
 * refuse the input, but only with trawl's own typed errors, never a TypeError, RangeError or a hang.
 */
function onlyTypedErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
  }
}

const bytes = (min: number, max: number) => fc.uint8Array({minLength: min, maxLength: max}).map((a) => Buffer.from(a))

describe('VMDK parsers on random bytes', () => {
  it('sparse extent header', () => {
    const kdmv = fc.tuple(bytes(0, 600), fc.integer({min: 1, max: 3})).map(([rest, version]) => {
      const head = Buffer.alloc(Math.max(8, rest.length))
      rest.copy(head)
      head.write('KDMV', 0, 'latin1')
      head.writeUInt32LE(version, 4)
      return head
    })
    fc.assert(fc.property(kdmv, (head) => onlyTypedErrors(() => parseSparseExtentHeader(head, 'x.vmdk'))), {numRuns: 3000})
  })

  it('descriptor text', () => {
    const line = fc.oneof(
      fc.string({maxLength: 60}),
      fc.constantFrom('version=1', 'CID=fffffffe', 'parentCID=ffffffff', 'createType="monolithicFlat"', 'parentFileNameHint="p.vmdk"', '# c', ''),
      fc.tuple(fc.constantFrom('RW', 'RDONLY', 'NOACCESS'), fc.nat(), fc.constantFrom('FLAT', 'SPARSE', 'ZERO', 'VMFS', 'X'), fc.string({maxLength: 12}), fc.nat()).map(
        ([a, n, t, f, o]) => `${a} ${n} ${t} "${f}" ${o}`,
      ),
    )
    fc.assert(
      fc.property(fc.array(line, {maxLength: 20}), (lines) => {
        const text = lines.join('\n')
        onlyTypedErrors(() => parseVmdkDescriptor(text, 'x.vmdk'))
        looksLikeDescriptor(Buffer.from(text))
      }),
      {numRuns: 3000},
    )
  })

  it('header of a real disk with bytes changed', () => {
    const real = readFileSync(virtualDisk('child.vmdk')).subarray(0, 512)
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: 511}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}), (changes) => {
        const head = Buffer.from(real)
        for (const [at, value] of changes) head[at] = value
        onlyTypedErrors(() => parseSparseExtentHeader(head, 'x.vmdk'))
      }),
      {numRuns: 3000},
    )
  })
})

describe('VMDK disks with damaged tables', () => {
  /** Byte ranges of a sparse extent's metadata: header, embedded descriptor, grain directories, grain tables, and the first grains (markers). */
  function metadataRanges(bytes: Buffer): Array<[number, number]> {
    const h = parseSparseExtentHeader(bytes.subarray(0, 512), 'x')
    const ranges: Array<[number, number]> = [[0, 512]]
    if (h.descriptorOffset) ranges.push([h.descriptorOffset * 512, (h.descriptorOffset + h.descriptorSize) * 512])
    const gdEntries = Math.ceil(h.capacity / h.grainSize / h.gtesPerGt)
    for (const gd of [h.gdOffset, h.rgdOffset]) {
      if (!gd) continue
      ranges.push([gd * 512, gd * 512 + gdEntries * 4])
      const gt = bytes.readUInt32LE(gd * 512) * 512
      if (gt) ranges.push([gt, gt + h.gtesPerGt * 4])
      const grain = gt ? bytes.readUInt32LE(gt + 4 * 3) * 512 : 0
      if (grain) ranges.push([grain, grain + 64])
    }
    return ranges
  }

  it.each([
    ['gpt-stream.vmdk', []],
    ['child.vmdk', ['gpt-sparse.vmdk']],
  ] as Array<[string, string[]]>)('%s: reading every byte ends or stops with a typed error', (name, others) => {
    const dir = copiesOf(name, ...others)
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
          const image = VmdkImage.open(path, {openParent, chain: []})
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
