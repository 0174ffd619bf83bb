import {copyFileSync, readFileSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CorruptImageError} from '../../src/errors.js'
import {FileByteSource} from '../../src/image/byte-source.js'
import {detectImageFormat, openImage} from '../../src/image/detect.js'
import {RawImage} from '../../src/image/raw.js'
import {SplitRawImage, findSplitRawSegments} from '../../src/image/split-raw.js'
import {verifyImage} from '../../src/image/verify.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {golden, imageFixture, imageFixtureDir, scratchDir} from './fixtures.js'

/** The "Split Information" rows of img_stat: [segment, first byte, last byte]. */
function imgStatSplits(text: string): Array<[string, number, number]> {
  return [...text.matchAll(/^(\S+)\s+\((\d+) to (\d+)\)$/gm)].map((m) => [m[1].split('/').pop()!, Number(m[2]), Number(m[3])])
}

describe('raw image', () => {
  it('reads the file as it is', () => {
    const raw = new RawImage(imageFixture('mbr.raw'))
    try {
      expect(raw.size).toBe(6 * 1024 * 1024)
      expect(raw.read(510, 2)).toEqual(Buffer.from([0x55, 0xaa]))
      expect(raw.read(raw.size - 1, 10).length).toBe(1)
    } finally {
      raw.close()
    }
  })

  it('reads into a buffer the caller owns, at an offset, fewer bytes at the end of the file, none past it', () => {
    const bytes = readFileSync(imageFixture('mbr.raw'))
    const file = new FileByteSource(imageFixture('mbr.raw'))
    try {
      const target = Buffer.alloc(16, 0xee)
      expect(file.readInto(508, target, 4, 8)).toBe(8)
      expect(target.subarray(4, 12).equals(bytes.subarray(508, 516))).toBe(true)
      expect(target.subarray(0, 4).equals(Buffer.alloc(4, 0xee))).toBe(true)
      expect(target.subarray(12).equals(Buffer.alloc(4, 0xee))).toBe(true)
      // the rest of the buffer by default
      expect(file.readInto(0, target, 10)).toBe(6)
      expect(target.subarray(10).equals(bytes.subarray(0, 6))).toBe(true)
      expect(file.readInto(file.size - 3, target)).toBe(3)
      expect(target.subarray(0, 3).equals(bytes.subarray(-3))).toBe(true)
      expect(file.readInto(file.size, target)).toBe(0)
      expect(file.readInto(file.size + 100, target)).toBe(0)
      expect(() => file.readInto(0, target, 10, 7)).toThrow(RangeError)
      expect(() => file.readInto(-1, target)).toThrow(CorruptImageError)
    } finally {
      file.close()
    }
  })

  it('verify prints the hashes md5sum and sha1sum compute, with nothing stored to compare', async () => {
    const result = await verifyImage(imageFixture('gpt.raw'))
    expect(result.format).toBe('raw')
    expect(result.computed.md5).toBe(golden('gpt.raw.md5sum.txt').split(' ')[0])
    expect(result.computed.sha1).toBe(golden('gpt.raw.sha1sum.txt').split(' ')[0])
    expect(result.verdict).toBe('no-stored-hash')
  })
})

describe('split raw image', () => {
  it('finds the .000/.001/.002 set from any segment, with the boundaries img_stat reports', () => {
    const splits = imgStatSplits(golden('mbr.raw.000.img_stat.txt'))
    expect(splits).toHaveLength(3)
    for (const name of ['mbr.raw.000', 'mbr.raw.001', 'mbr.raw.002']) {
      const segments = findSplitRawSegments(imageFixture(name))!
      expect(segments.map((s) => s.split('/').pop())).toEqual(splits.map((s) => s[0]))
    }
    const image = new SplitRawImage(findSplitRawSegments(imageFixture('mbr.raw.001'))!)
    try {
      expect(image.size).toBe(splits[2][2] + 1)
      const raw = readFileSync(imageFixture('mbr.raw'))
      // a read across each boundary
      for (const [, first] of splits.slice(1)) expect(image.read(first - 7, 14).equals(raw.subarray(first - 7, first + 7))).toBe(true)
      expect(image.read(0, image.size).equals(raw)).toBe(true)
    } finally {
      image.close()
    }
  })

  it('finds the aa/ab/ac/ad set and reads it as the whole disk', () => {
    const opened = openImage(imageFixture('gpt.split.ac'))
    try {
      expect(opened.description.format).toBe('split-raw')
      expect(opened.description.segments!.map((s) => s.split('/').pop())).toEqual(['gpt.split.aa', 'gpt.split.ab', 'gpt.split.ac', 'gpt.split.ad'])
      expect(opened.source.read(0, opened.source.size).equals(readFileSync(imageFixture('gpt.raw')))).toBe(true)
    } finally {
      opened.source.close()
    }
  })

  it('a missing middle segment is a CorruptImageError naming it', () => {
    const dir = scratchDir()
    for (const name of ['mbr.raw.000', 'mbr.raw.001', 'mbr.raw.002']) copyFileSync(imageFixture(name), join(dir, name))
    unlinkSync(join(dir, 'mbr.raw.001'))
    expect(() => findSplitRawSegments(join(dir, 'mbr.raw.000'))).toThrow(CorruptImageError)
    expect(() => openImage(join(dir, 'mbr.raw.002'))).toThrow(/segment .*mbr\.raw\.001 is missing/)
  })

  it('a single file with a numeric or two-letter suffix is raw, not split', () => {
    const dir = scratchDir()
    writeFileSync(join(dir, 'alone.001'), Buffer.alloc(1024))
    writeFileSync(join(dir, 'diskaa'), Buffer.alloc(1024))
    expect(detectImageFormat(join(dir, 'alone.001'))).toBe('raw')
    expect(detectImageFormat(join(dir, 'diskaa'))).toBe('raw')
    expect(detectImageFormat(imageFixture('mbr.E01'))).toBe('ewf')
    expect(imageFixtureDir()).toBeTruthy()
  })
})

describeShared('real split raw images', () => {
  it('dfvfs ext2.splitraw.000/.001: 2 x 2 MiB, MD5 of the data as img_stat reports for the E01 of the same disk', async () => {
    const result = await verifyImage(sharedFile('disk/raw/dfvfs_ext2_splitraw/ext2.splitraw.001'))
    expect(result.format).toBe('split-raw')
    expect(result.size).toBe(4194304)
    expect(result.segments).toHaveLength(2)
    expect(result.computed.md5).toBe('196066add11fb71c4c49cf1bb50d6d24')
  })
  it('dfvfs image.raw.000/.001: 2 x 50 KiB', () => {
    const opened = openImage(sharedFile('disk/raw/dfvfs_splitraw/image.raw.000'))
    try {
      expect(opened.description).toMatchObject({format: 'split-raw', size: 102400})
    } finally {
      opened.source.close()
    }
  })
})
