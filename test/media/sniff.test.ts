import {openSync, readSync, closeSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {exifParser} from '../../src/parsers/media/exif.js'
import {sniffPicture} from '../../src/parsers/media/sniff.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {FIXTURES, loadGolden} from './golden.js'

/** The first 4096 bytes, as the engine passes them to accepts(). */
function head(path: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(4096)
    return buffer.subarray(0, readSync(fd, buffer, 0, 4096, 0))
  } finally {
    closeSync(fd)
  }
}

/** A little-endian TIFF header with one IFD0 entry (tag, ASCII value). */
function tiffWith(magic: number, tag: number, text = ''): Buffer {
  const b = Buffer.alloc(64)
  b.write('II', 0, 'latin1')
  b.writeUInt16LE(magic, 2)
  b.writeUInt32LE(8, 4)
  b.writeUInt16LE(1, 8)
  b.writeUInt16LE(tag, 10)
  b.writeUInt16LE(2, 12)
  b.writeUInt32LE(text.length + 1, 14)
  b.writeUInt32LE(40, 18)
  b.write(`${text}\0`, 40, 'latin1')
  return b
}

function ftyp(major: string, ...compatible: string[]): Buffer {
  const size = 16 + compatible.length * 4
  const b = Buffer.alloc(size + 16)
  b.writeUInt32BE(size, 0)
  b.write(`ftyp${major}\0\0\0\0${compatible.join('')}`, 4, 'latin1')
  return b
}

describe('picture detection by content signature', () => {
  it('own fixtures: JPEG, PNG and TIFF whatever their names', () => {
    expect(sniffPicture(head(join(FIXTURES, 'gps-offset.jpg')))).toBe('jpeg')
    expect(sniffPicture(head(join(FIXTURES, 'local-time.png')))).toBe('png')
    expect(sniffPicture(head(join(FIXTURES, 'plain.tif')))).toBe('tiff')
  })

  it('HEIF family by ftyp brand', () => {
    expect(sniffPicture(ftyp('heic', 'mif1', 'heic'))).toBe('heic')
    expect(sniffPicture(ftyp('mif1', 'mif1', 'heic'))).toBe('heic')
    expect(sniffPicture(ftyp('mif1', 'mif1', 'miaf'))).toBe('heif')
    expect(sniffPicture(ftyp('avif', 'mif1', 'miaf'))).toBe('avif')
    expect(sniffPicture(ftyp('mif1', 'avif'))).toBe('avif')
    expect(sniffPicture(ftyp('crx ', 'isom'))).toBe('cr3')
    // an MP4 video is not a picture
    expect(sniffPicture(ftyp('isom', 'isom', 'mp42'))).toBeUndefined()
    expect(sniffPicture(ftyp('qt  '))).toBeUndefined()
  })

  it('camera RAW formats', () => {
    expect(sniffPicture(Buffer.concat([Buffer.from('II*\0\x10\0\0\0CR\x02\0', 'latin1'), Buffer.alloc(32)]))).toBe('cr2')
    expect(sniffPicture(tiffWith(42, 0xc612))).toBe('dng')
    expect(sniffPicture(tiffWith(42, 0x010f, 'NIKON CORPORATION'))).toBe('nef')
    expect(sniffPicture(tiffWith(42, 0x010f, 'SONY'))).toBe('arw')
    expect(sniffPicture(tiffWith(42, 0x010f, 'PENTAX'))).toBe('pef')
    expect(sniffPicture(tiffWith(42, 0x010f, 'SAMSUNG'))).toBe('srw')
    expect(sniffPicture(tiffWith(42, 0x010f, 'Canon'))).toBe('tiff')
    expect(sniffPicture(tiffWith(0x4f52, 0x010f))).toBe('orf')
    expect(sniffPicture(tiffWith(0x0055, 0x010f))).toBe('rw2')
    expect(sniffPicture(Buffer.from('FUJIFILMCCD-RAW 0201FF383501', 'latin1'))).toBe('raf')
    expect(sniffPicture(Buffer.from('II\x1a\0\0\0HEAPCCDR', 'latin1'))).toBe('crw')
    expect(sniffPicture(Buffer.from('FOVb\0\0\0\0', 'latin1'))).toBe('x3f')
    expect(sniffPicture(Buffer.from('\0MRM\0\0\0\0', 'latin1'))).toBe('mrw')
  })

  it('WebP, and things that are not pictures', () => {
    expect(sniffPicture(Buffer.from('RIFF\x24\0\0\0WEBPVP8 ', 'latin1'))).toBe('webp')
    expect(sniffPicture(Buffer.from('RIFF\x24\0\0\0WAVEfmt ', 'latin1'))).toBeUndefined()
    expect(sniffPicture(Buffer.from('PK\x03\x04\x14\0\0\0', 'latin1'))).toBeUndefined()
    expect(sniffPicture(Buffer.from('%PDF-1.7\n', 'latin1'))).toBeUndefined()
    expect(sniffPicture(Buffer.from('II*\0', 'latin1'))).toBeUndefined()
    expect(sniffPicture(Buffer.alloc(0))).toBeUndefined()
    expect(sniffPicture(Buffer.from([0xff, 0xd8]))).toBeUndefined()
    // a TIFF whose IFD0 offset points past the head is still a TIFF
    expect(sniffPicture(Buffer.from('II*\0\xff\xff\0\0', 'latin1'))).toBe('tiff')
  })
})

describeShared('the exif parser accepts every shared picture and nothing else', () => {
  const golden = loadGolden('shared')
  const expected: Record<string, string> = {jpg: 'jpeg', JPG: 'jpeg', heic: 'heic', heif: 'heic', tiff: 'tiff'}
  it('sniffs each by content', () => {
    for (const relative of Object.keys(golden)) {
      const format = sniffPicture(head(sharedFile(relative)))
      expect([relative, format]).toEqual([relative, expected[relative.split('.').pop()!]])
      expect(exifParser.accepts!(head(sharedFile(relative)))).toBe(true)
    }
    expect(exifParser.accepts!(head(sharedFile('exif/README_exif-py_jpg.txt')))).toBe(false)
  })
})
