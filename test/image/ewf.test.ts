import {copyFileSync, readFileSync, truncateSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, UnsupportedFormatError} from '../../src/errors.js'
import {EwfImage, adler32, ewfFirstSegment, ewfSegmentName, parseError2Section, parseSectionDescriptor, parseTableSection} from '../../src/image/ewf.js'
import {openImage} from '../../src/image/detect.js'
import {verifyImage} from '../../src/image/verify.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {golden, imageFixture, scratchDir} from './fixtures.js'

/** Reads a whole byte source in odd-sized steps (crossing chunk and segment boundaries). */
function readAll(image: EwfImage, step = 100_003): Buffer {
  const parts: Buffer[] = []
  for (let offset = 0; offset < image.size; offset += step) parts.push(image.read(offset, step))
  return Buffer.concat(parts)
}

/** "Key:\t\tvalue" lines of ewfinfo/ewfverify output. */
function ewfField(text: string, label: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${label}:`))
  return line?.slice(line.indexOf(':') + 1).trim()
}

/** ewfinfo prints dates as ctime in the build's TZ (UTC): 'Mon Nov 23 04:38:59 2026'. */
function ctimeToIso(text: string): string {
  const m = /^\w{3} (\w{3})\s+(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(text)
  if (!m) throw new Error(`not a ctime date: ${text}`)
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1]) + 1
  return `${m[6]}-${String(month).padStart(2, '0')}-${m[2].padStart(2, '0')}T${m[3]}:${m[4]}:${m[5]}Z`
}

describe('EWF segment naming', () => {
  it('names segments .E01 to .E99, then .EAA to .EZZ, then .FAA', () => {
    expect(ewfSegmentName('/x/disk.E01', 2)).toBe('/x/disk.E02')
    expect(ewfSegmentName('/x/disk.E01', 99)).toBe('/x/disk.E99')
    expect(ewfSegmentName('/x/disk.E01', 100)).toBe('/x/disk.EAA')
    expect(ewfSegmentName('/x/disk.E01', 101)).toBe('/x/disk.EAB')
    expect(ewfSegmentName('/x/disk.E01', 775)).toBe('/x/disk.EZZ')
    expect(ewfSegmentName('/x/disk.E01', 776)).toBe('/x/disk.FAA')
    expect(ewfSegmentName('/x/disk.e01', 100)).toBe('/x/disk.eaa')
  })
  it('finds the first segment from any segment', () => {
    expect(ewfFirstSegment('/x/disk.E07')).toBe('/x/disk.E01')
    expect(ewfFirstSegment('/x/disk.EAB')).toBe('/x/disk.E01')
    expect(ewfFirstSegment('/x/disk.FAA')).toBe('/x/disk.E01')
    expect(ewfFirstSegment('/x/disk.s03')).toBe('/x/disk.s01')
  })
  it('computes Adler-32 as zlib does', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398)
    const big = Buffer.alloc(100_000, 0xff)
    // reference value from zlib's adler32 over 100 000 bytes of 0xff
    let a = 1
    let b = 0
    for (const byte of big) {
      a = (a + byte) % 65521
      b = (b + a) % 65521
    }
    expect(adler32(big)).toBe(((b << 16) | a) >>> 0)
  })
})

describe('EWF table section', () => {
  it('gives the base offset and every 32-bit entry, the compressed bit included', () => {
    const offsets = [0x4c, 0x8010, 0x7fffffff, 0x80000000 | 0x1234, 0x80000000 | 0x7ffffffe]
    const data = Buffer.alloc(24 + offsets.length * 4 + 4)
    data.writeUInt32LE(offsets.length, 0)
    data.writeBigUInt64LE(0x1_0000_0000n, 8)
    data.writeUInt32LE(adler32(data, 0, 20), 20)
    offsets.forEach((entry, i) => data.writeUInt32LE(entry >>> 0, 24 + i * 4))
    data.writeUInt32LE(adler32(data, 24, 24 + offsets.length * 4), 24 + offsets.length * 4)
    // the section inside a larger buffer, as when read with its neighbours
    const table = parseTableSection(Buffer.concat([Buffer.alloc(3), data]).subarray(3), 0, 'x.E01 table')
    expect(table.baseOffset).toBe(0x1_0000_0000)
    expect([...table.entries]).toEqual(offsets.map((e) => e >>> 0))
  })
})

describe('EWF error2 section (sectors the acquiring tool could not read)', () => {
  /** An error2 section as [EWF] lays it out: header with count and checksum, entries, entries checksum. */
  function error2(entries: Array<[number, number]>): Buffer {
    const data = Buffer.alloc(520 + entries.length * 8 + 4)
    data.writeUInt32LE(entries.length, 0)
    data.writeUInt32LE(adler32(data, 0, 516), 516)
    entries.forEach(([start, count], i) => {
      data.writeUInt32LE(start, 520 + i * 8)
      data.writeUInt32LE(count, 524 + i * 8)
    })
    data.writeUInt32LE(adler32(data, 520, 520 + entries.length * 8), 520 + entries.length * 8)
    return data
  }

  it('lists the unreadable sector ranges', () => {
    expect(parseError2Section(error2([[100, 8], [4096, 64]]), 0, 'x.E01')).toEqual([
      {startSector: 100, sectorCount: 8},
      {startSector: 4096, sectorCount: 64},
    ])
    expect(parseError2Section(error2([]), 0, 'x.E01')).toEqual([])
  })

  it('a damaged list is a CorruptImageError', () => {
    const bad = error2([[100, 8]])
    bad[524] ^= 1
    expect(() => parseError2Section(bad, 2000, 'x.E01')).toThrow(/x\.E01: error2 entries checksum mismatch \(at offset 2520\)/)
    const lying = error2([[100, 8]])
    lying.writeUInt32LE(1000, 0)
    lying.writeUInt32LE(adler32(lying, 0, 516), 516)
    expect(() => parseError2Section(lying, 0, 'x.E01')).toThrow(CorruptImageError)
  })

  it('an image acquired without read errors reports none', () => {
    const image = EwfImage.open(imageFixture('mbr.E01'))
    try {
      expect(image.acquisitionErrors).toEqual([])
    } finally {
      image.close()
    }
  })
})

describe('EWF fixture mbr.E01 (ewfacquire -c best, one segment)', () => {
  it('reads byte-identical to the raw disk it was acquired from', () => {
    const image = EwfImage.open(imageFixture('mbr.E01'))
    try {
      const raw = readFileSync(imageFixture('mbr.raw'))
      expect(image.size).toBe(raw.length)
      expect(readAll(image).equals(raw)).toBe(true)
      // a read inside one chunk and one across a chunk boundary
      expect(image.read(32768 - 10, 20).equals(raw.subarray(32768 - 10, 32768 + 10))).toBe(true)
      expect(image.read(raw.length - 5, 100).length).toBe(5)
      expect(image.read(raw.length, 100).length).toBe(0)
    } finally {
      image.close()
    }
  })

  it('has the case metadata ewfinfo shows', () => {
    const info = golden('mbr.E01.ewfinfo.txt')
    const image = EwfImage.open(imageFixture('mbr.E01'))
    try {
      expect(image.metadata.caseNumber).toBe(ewfField(info, 'Case number'))
      expect(image.metadata.caseNumber).toBe('CASE-2026-0042')
      expect(image.metadata.description).toBe(ewfField(info, 'Description'))
      expect(image.metadata.examiner).toBe(ewfField(info, 'Examiner name'))
      expect(image.metadata.evidenceNumber).toBe(ewfField(info, 'Evidence number'))
      expect(image.metadata.notes).toBe(ewfField(info, 'Notes'))
      expect(image.metadata.acquisitionDate).toBe(ctimeToIso(ewfField(info, 'Acquisition date')!))
      expect(image.metadata.systemDate).toBe(ctimeToIso(ewfField(info, 'System date')!))
      expect(image.metadata.acquisitionOs).toBe(ewfField(info, 'Operating system used'))
      expect(image.metadata.acquisitionSoftwareVersion).toBe(ewfField(info, 'Software version used'))
      expect(image.media.bytesPerSector).toBe(Number(ewfField(info, 'Bytes per sector')))
      expect(image.media.sectorCount).toBe(Number(ewfField(info, 'Number of sectors')))
      expect(image.chunkSize).toBe(Number(ewfField(info, 'Sectors per chunk')) * image.media.bytesPerSector)
      expect(image.size).toBe(Number(/\((\d+) bytes\)/.exec(ewfField(info, 'Media size')!)![1]))
    } finally {
      image.close()
    }
  })

  it('stores the MD5 and SHA-1 that ewfverify reads, and trawl recomputes the same', async () => {
    const verify = golden('mbr.E01.ewfverify.txt')
    const result = await verifyImage(imageFixture('mbr.E01'))
    expect(result.stored.md5).toBe(ewfField(verify, 'MD5 hash stored in file'))
    expect(result.stored.sha1).toBe(ewfField(verify, 'SHA1 hash stored in file'))
    expect(result.computed.md5).toBe(ewfField(verify, 'MD5 hash calculated over data'))
    expect(result.computed.sha1).toBe(ewfField(verify, 'SHA1 hash calculated over data'))
    expect(result.computed.md5).toBe(golden('mbr.raw.md5sum.txt').split(' ')[0])
    expect(result.verdict).toBe('verified')
  })

  it('keeps the chunk cache within its bound', () => {
    const image = EwfImage.open(imageFixture('mbr.E01'), {cacheBytes: 4 * 32768})
    try {
      readAll(image)
      expect(image.cachedChunks).toBe(4)
    } finally {
      image.close()
    }
  })
})

describe('EWF fixture gpt-u.E01..E05 (uncompressed, 1 MiB segments)', () => {
  it('finds all five segments from the third and reads byte-identical to the raw disk', () => {
    const opened = openImage(imageFixture('gpt-u.E03'))
    try {
      expect(opened.description.format).toBe('ewf')
      expect(opened.description.segments!.map((s) => s.split('/').pop())).toEqual(['gpt-u.E01', 'gpt-u.E02', 'gpt-u.E03', 'gpt-u.E04', 'gpt-u.E05'])
      const raw = readFileSync(imageFixture('gpt.raw'))
      expect(readAll(opened.ewf!).equals(raw)).toBe(true)
    } finally {
      opened.source.close()
    }
  })

  it('reads chunks in any order, jumping between segments and their tables, the same as the raw disk', () => {
    const raw = readFileSync(imageFixture('gpt.raw'))
    // A one-chunk cache, so every read goes to the segment files.
    const image = EwfImage.open(imageFixture('gpt-u.E01'), {cacheBytes: 1})
    try {
      const n = image.chunkCount
      const order = [0, n - 1, 1, Math.floor(n / 2), 2, n - 2, Math.floor(n / 3), 3, Math.floor(n / 2) + 1, 0]
      for (const i of order) expect(image.chunk(i).equals(raw.subarray(i * image.chunkSize, (i + 1) * image.chunkSize))).toBe(true)
    } finally {
      image.close()
    }
  })

  it('matches ewfinfo and ewfverify', async () => {
    const info = golden('gpt-u.E01.ewfinfo.txt')
    const verify = golden('gpt-u.E01.ewfverify.txt')
    const result = await verifyImage(imageFixture('gpt-u.E01'))
    expect(result.size).toBe(Number(/\((\d+) bytes\)/.exec(ewfField(info, 'Media size')!)![1]))
    expect(result.stored).toEqual({md5: ewfField(verify, 'MD5 hash stored in file'), sha1: ewfField(verify, 'SHA1 hash stored in file')})
    expect(result.computed).toEqual({md5: ewfField(verify, 'MD5 hash calculated over data'), sha1: ewfField(verify, 'SHA1 hash calculated over data')})
    expect(result.computed.sha1).toBe(golden('gpt.raw.sha1sum.txt').split(' ')[0])
  })
})

describe('EWF formats ewfacquire writes (SMART, FTK, EnCase 2-6, linen 5-6, EWF-X) and chunk geometries', () => {
  const formats = ['fmt-smart.s01', 'fmt-ftk.E01', 'fmt-encase2.E01', 'fmt-encase3.E01', 'fmt-encase4.E01', 'fmt-encase5.E01', 'fmt-linen5.E01', 'fmt-linen6.E01', 'fmt-ewfx.e01', 'fmt-b16.E01', 'fmt-p4096.E01']
  for (const name of formats) {
    it(`${name}: the same bytes as the raw disk, and what ewfinfo reports`, () => {
      const info = golden(`${name}.ewfinfo.txt`)
      const image = EwfImage.open(imageFixture(name))
      try {
        expect(readAll(image, 77_777).equals(readFileSync(imageFixture('formats.raw')))).toBe(true)
        expect(image.metadata.caseNumber).toBe(ewfField(info, 'Case number'))
        expect(image.metadata.examiner).toBe(ewfField(info, 'Examiner name'))
        expect(image.metadata.evidenceNumber).toBe(ewfField(info, 'Evidence number'))
        expect(image.media.bytesPerSector).toBe(Number(ewfField(info, 'Bytes per sector')))
        expect(image.media.sectorCount).toBe(Number(ewfField(info, 'Number of sectors')))
        expect(image.media.sectorsPerChunk).toBe(Number(ewfField(info, 'Sectors per chunk')))
        expect(image.storedHashes.md5).toBe(ewfField(info, 'MD5'))
        expect(image.storedHashes.md5).toBe(golden('formats.raw.md5sum.txt').split(' ')[0])
        expect(image.warnings).toEqual([])
      } finally {
        image.close()
      }
    })
  }
})

/** Copies a fixture set into a scratch folder to damage it. */
function copySet(names: string[]): string {
  const dir = scratchDir()
  for (const name of names) copyFileSync(imageFixture(name), join(dir, name))
  return dir
}

/** Offsets of the sections of one segment, by walking the descriptors. */
function sectionsOf(path: string): Array<{type: string; offset: number; size: number}> {
  const bytes = readFileSync(path)
  const result: Array<{type: string; offset: number; size: number}> = []
  let offset = 13
  for (;;) {
    const s = parseSectionDescriptor(bytes.subarray(offset, offset + 76), offset, path)
    result.push({type: s.type, offset, size: s.size})
    if (s.type === 'done' || s.type === 'next') return result
    offset = s.nextOffset
  }
}

/** The chunks listed by a segment's first table section: where each starts, its stored size, whether it is compressed. */
function chunksOf(path: string): Array<{start: number; size: number; compressed: boolean}> {
  const table = sectionsOf(path).find((s) => s.type === 'table')!
  const bytes = readFileSync(path)
  const {baseOffset, entries} = parseTableSection(bytes.subarray(table.offset + 76, table.offset + table.size), table.offset + 76, path)
  const starts = [...entries].map((e) => baseOffset + (e & 0x7fffffff))
  // the last chunk's size needs the section holding it; the others run to the next chunk
  return starts.slice(0, -1).map((start, i) => ({start, size: starts[i + 1] - start, compressed: entries[i] >>> 31 === 1}))
}

describe('damaged EWF images', () => {
  const gptSet = ['gpt-u.E01', 'gpt-u.E02', 'gpt-u.E03', 'gpt-u.E04', 'gpt-u.E05']

  it('a missing middle segment is a CorruptImageError naming it', () => {
    const dir = copySet(gptSet)
    unlinkSync(join(dir, 'gpt-u.E03'))
    expect(() => EwfImage.open(join(dir, 'gpt-u.E01'))).toThrow(CorruptImageError)
    expect(() => EwfImage.open(join(dir, 'gpt-u.E01'))).toThrow(/segment gpt-u\.E03 is missing/)
  })

  it('a missing first segment is named when another segment is opened', () => {
    const dir = copySet(gptSet)
    unlinkSync(join(dir, 'gpt-u.E01'))
    expect(() => EwfImage.open(join(dir, 'gpt-u.E03'))).toThrow(/its first segment gpt-u\.E01 is missing/)
  })

  it('a truncated last segment is a CorruptImageError, not a hang', () => {
    const dir = copySet(gptSet)
    truncateSync(join(dir, 'gpt-u.E05'), 300)
    expect(() => EwfImage.open(join(dir, 'gpt-u.E01'))).toThrow(CorruptImageError)
  })

  it('a corrupt uncompressed chunk names the chunk and its offset', () => {
    const dir = copySet(gptSet)
    const path = join(dir, 'gpt-u.E02')
    const sectors = sectionsOf(path).find((s) => s.type === 'sectors')!
    const bytes = readFileSync(path)
    const at = sectors.offset + 76 + 100
    bytes[at] ^= 0xff
    writeFileSync(path, bytes)
    const image = EwfImage.open(join(dir, 'gpt-u.E01'))
    try {
      // The first chunk of segment 2 follows the chunks of segment 1.
      const first = Math.floor((1 << 20) / (32768 + 4)) // chunks that fit segment 1, roughly
      let error: unknown
      for (let i = first - 2; i < first + 4 && !error; i++) {
        try {
          image.chunk(i)
        } catch (e) {
          error = e
        }
      }
      expect(error).toBeInstanceOf(CorruptImageError)
      expect((error as Error).message).toMatch(/^chunk \d+ \(media offset \d+\) in gpt-u\.E02: checksum mismatch \(at offset \d+\)$/)
      expect((error as CorruptImageError).offset).toBe(sectors.offset + 76)
    } finally {
      image.close()
    }
  })

  it('a corrupt compressed chunk names the chunk', () => {
    const dir = copySet(['mbr.E01'])
    const path = join(dir, 'mbr.E01')
    const sectors = sectionsOf(path).find((s) => s.type === 'sectors')!
    const bytes = readFileSync(path)
    for (let i = 0; i < 16; i++) bytes[sectors.offset + 76 + 2 + i] ^= 0x5a
    writeFileSync(path, bytes)
    const image = EwfImage.open(path)
    try {
      expect(() => image.chunk(0)).toThrow(CorruptImageError)
      expect(() => image.chunk(0)).toThrow(/^chunk 0 \(media offset 0\) in mbr\.E01: compressed data is corrupt/)
      // the other chunks still read
      expect(image.chunk(1).length).toBe(32768)
    } finally {
      image.close()
    }
  })

  it('a corrupt compressed chunk among good ones is named, and the chunks after it still read', () => {
    const dir = copySet(['mbr.E01'])
    const path = join(dir, 'mbr.E01')
    // A chunk in the middle of the disk that compresses to more than a few bytes (not a zero run).
    const chunks = chunksOf(path)
    const bad = chunks.findIndex((c, i) => i > 2 && c.compressed && c.size > 1024)
    expect(bad).toBeGreaterThan(2)
    const bytes = readFileSync(path)
    for (let i = 0; i < 16; i++) bytes[chunks[bad].start + 100 + i] ^= 0x5a
    writeFileSync(path, bytes)
    const raw = readFileSync(imageFixture('mbr.raw'))
    const image = EwfImage.open(path)
    try {
      for (let i = 0; i < image.chunkCount; i++) {
        const expected = raw.subarray(i * image.chunkSize, (i + 1) * image.chunkSize)
        if (i === bad) {
          expect(() => image.chunk(i)).toThrow(CorruptImageError)
          expect(() => image.chunk(i)).toThrow(new RegExp(`^chunk ${i} \\(media offset ${i * 32768}\\) in mbr\\.E01: compressed data is corrupt`))
        } else {
          expect(image.chunk(i).equals(expected)).toBe(true)
        }
      }
    } finally {
      image.close()
    }
  })

  it('an uncompressed 64 KiB chunk (two stored deflate blocks when checked) with a wrong checksum is named, and the next chunk still reads', () => {
    const dir = copySet(['fmt-p4096.E01'])
    const path = join(dir, 'fmt-p4096.E01')
    const chunks = chunksOf(path)
    expect(chunks[0]).toMatchObject({compressed: false, size: 65536 + 4})
    const bytes = readFileSync(path)
    bytes[chunks[0].start + 65536] ^= 0x01 // the stored Adler-32, not the data
    writeFileSync(path, bytes)
    const raw = readFileSync(imageFixture('formats.raw'))
    const image = EwfImage.open(path)
    try {
      expect(() => image.chunk(0)).toThrow(CorruptImageError)
      expect(() => image.chunk(0)).toThrow(/^chunk 0 \(media offset 0\) in fmt-p4096\.E01: checksum mismatch \(at offset \d+\)$/)
      expect(image.chunk(1).equals(raw.subarray(65536, 2 * 65536))).toBe(true)
      expect(() => image.read(0, 10)).toThrow(/chunk 0 .*checksum mismatch/)
    } finally {
      image.close()
    }
  })

  it('a damaged table section is read from table2, with a warning', () => {
    const dir = copySet(['mbr.E01'])
    const path = join(dir, 'mbr.E01')
    const table = sectionsOf(path).find((s) => s.type === 'table')!
    const bytes = readFileSync(path)
    bytes[table.offset + 76 + 24 + 8] ^= 0xff // an entry: the entries checksum fails
    writeFileSync(path, bytes)
    const image = EwfImage.open(path)
    try {
      expect(image.warnings.join('\n')).toMatch(/table entries checksum mismatch.*using table2/)
      expect(readAll(image).equals(readFileSync(imageFixture('mbr.raw')))).toBe(true)
    } finally {
      image.close()
    }
  })

  it('table and table2 both damaged is a CorruptImageError', () => {
    const dir = copySet(['mbr.E01'])
    const path = join(dir, 'mbr.E01')
    const sections = sectionsOf(path)
    const bytes = readFileSync(path)
    for (const s of sections.filter((x) => x.type === 'table' || x.type === 'table2')) bytes[s.offset + 76 + 24 + 8] ^= 0xff
    writeFileSync(path, bytes)
    expect(() => EwfImage.open(path)).toThrow(CorruptImageError)
  })

  it('a section descriptor with a bad checksum is a CorruptImageError naming its offset', () => {
    const dir = copySet(['mbr.E01'])
    const path = join(dir, 'mbr.E01')
    const bytes = readFileSync(path)
    bytes[13 + 40] ^= 0x01
    writeFileSync(path, bytes)
    expect(() => EwfImage.open(path)).toThrow(/mbr\.E01: section descriptor checksum mismatch \(at offset 13\)/)
  })

  it('an EWF2 (Ex01) segment named .E01 is an UnsupportedFormatError; a bare EVF header a CorruptImageError', () => {
    const dir = scratchDir()
    const ex01 = join(dir, 'v2.E01')
    const header = Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 1, 1, 0, 0, 0])
    // EWF2 files start "EVF2\r\n\x81\x00"; give it the v1 signature check a v2 body by hand
    writeFileSync(ex01, Buffer.concat([Buffer.from([0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00]), Buffer.alloc(100)]))
    expect(() => EwfImage.open(ex01)).toThrow(UnsupportedFormatError)
    expect(() => openImage(ex01)).toThrow(/EWF version 2 \(Ex01\) images are not read by trawl/)
    const bare = join(dir, 'bare.E01')
    writeFileSync(bare, Buffer.concat([header, Buffer.alloc(10)]))
    expect(() => EwfImage.open(bare)).toThrow(CorruptImageError)
    expect(() => EwfImage.open(bare)).toThrow(/segment ends without a "done" or "next" section/)
  })
})

describeShared('real EWF images (../shared/testdata/disk/ewf)', () => {
  const cases: Array<[string, number, string, number]> = [
    // path, media size, stored MD5 (INDEX.md / img_stat), segments
    ['disk/ewf/dfvfs_ext2.E01', 4194304, '196066add11fb71c4c49cf1bb50d6d24', 1],
    ['disk/ewf/plaso_image.E01', 102400, 'd73c51f10c7ee6a681b7b619ccc6f1c4', 1],
    ['disk/ewf/plaso_split/image-split.E02', 1474560, '38ea5af8a80e16e46c095c9110242fc0', 2],
  ]
  for (const [path, size, md5, segments] of cases) {
    it(`${path}: ${size} bytes, ${segments} segment(s), stored MD5 ${md5} matches the data`, async () => {
      const result = await verifyImage(sharedFile(path))
      expect(result.size).toBe(size)
      expect(result.segments).toHaveLength(segments)
      expect(result.stored.md5).toBe(md5)
      expect(result.computed.md5).toBe(md5)
      expect(result.verdict).toBe('verified')
    })
  }

  it('plaso_split reads the same bytes as the raw disk it was acquired from', () => {
    const image = EwfImage.open(sharedFile('disk/ewf/plaso_split/image-split.E01'))
    try {
      const raw = readFileSync(sharedFile('disk/raw/plaso_tsk_volume_system.raw'))
      expect(createHash('md5').update(readAll(image)).digest('hex')).toBe(createHash('md5').update(raw).digest('hex'))
    } finally {
      image.close()
    }
  })

  it('plaso_image.E01 has the case metadata of its header2 section', () => {
    const image = EwfImage.open(sharedFile('disk/ewf/plaso_image.E01'))
    try {
      expect(image.metadata).toMatchObject({
        caseNumber: 'PyVFS',
        evidenceNumber: 'image.dd',
        examiner: 'John Doe',
        description: 'Test image for PyVFS',
        notes: 'Notes on test image for PyVFS',
        acquisitionOs: 'Linux',
        acquisitionSoftwareVersion: '20131210',
        acquisitionDate: '2013-12-10T11:28:38Z',
      })
    } finally {
      image.close()
    }
  })
})
