import {describe, expect, it} from 'vitest'
import {makerNoteSerial} from '../../src/parsers/media/makernote.js'

/** A MakerNote IFD (little-endian) with one ASCII entry, the value placed right after the IFD. */
function ifdWithAscii(tag: number, text: string, ifdAt: number, base: number): Buffer {
  const value = Buffer.from(`${text}\0`, 'latin1')
  const ifd = Buffer.alloc(2 + 12 + 4)
  ifd.writeUInt16LE(1, 0)
  ifd.writeUInt16LE(tag, 2)
  ifd.writeUInt16LE(2, 4)
  ifd.writeUInt32LE(value.length, 6)
  ifd.writeUInt32LE(ifdAt - base + ifd.length, 10)
  return Buffer.concat([ifd, value])
}

describe('MakerNote serial numbers', () => {
  it('Nikon type 3: TIFF header at byte 10, offsets from it', () => {
    const head = Buffer.from('Nikon\0\x02\x10\0\0II*\0\x08\0\0\0', 'latin1')
    const note = Buffer.concat([head, ifdWithAscii(0x001d, '1234567', 18, 10)])
    expect(makerNoteSerial(new Uint8Array(note))).toEqual({serial: '1234567', source: 'Nikon MakerNote SerialNumber (0x001D)'})
  })

  it('OM System: Equipment IFD (0x2010) then SerialNumber (0x0101)', () => {
    const head = Buffer.from('OM SYSTEM\0\0\0II\x04\0', 'latin1')
    const main = Buffer.alloc(18)
    main.writeUInt16LE(1, 0)
    main.writeUInt16LE(0x2010, 2)
    main.writeUInt16LE(13, 4)
    main.writeUInt32LE(1, 6)
    main.writeUInt32LE(16 + 18, 10)
    const note = Buffer.concat([head, main, ifdWithAscii(0x0101, 'BHY201234', 34, 0)])
    expect(makerNoteSerial(note)?.serial).toBe('BHY201234')
  })

  it('damaged or unknown MakerNotes give nothing, never throw', () => {
    const nikon = Buffer.from('Nikon\0\x02\x10\0\0II*\0\xff\xff\xff\x7f', 'latin1')
    expect(makerNoteSerial(nikon)).toBeUndefined()
    const olympus = Buffer.from('OLYMPUS\0II\x03\0\x01\0\x10\x20\x0d\0\x01\0\0\0\xff\xff\0\0', 'latin1')
    expect(makerNoteSerial(olympus)).toBeUndefined()
    expect(makerNoteSerial(Buffer.from('Apple iOS\0'))).toBeUndefined()
    expect(makerNoteSerial('Nikon')).toBeUndefined()
    expect(makerNoteSerial(new Uint8Array(0))).toBeUndefined()
  })
})
