/**
 * LevelDB's primitive encodings (util/coding.h in the reference implementation): little-endian
 * fixed-width integers, base-128 varints, length-prefixed byte strings, and the masked CRC-32C
 * every log record and table block carries.
 */
import {crc32c} from '../image/crc32c.js'

export class LevelDbFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message)
    this.name = 'LevelDbFormatError'
  }
}

/** A reader over one buffer; every read is bounds-checked and throws LevelDbFormatError. */
export class Cursor {
  constructor(readonly bytes: Uint8Array, public pos = 0, readonly end = bytes.length, readonly base = 0) {}

  get remaining(): number {
    return this.end - this.pos
  }

  varint(what: string): number {
    const at = this.pos
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) throw new LevelDbFormatError(`${what}: varint is cut short`, this.base + at)
      if (shift > 63) throw new LevelDbFormatError(`${what}: varint is longer than 10 bytes`, this.base + at)
      const byte = this.bytes[this.pos++]
      value += (byte & 0x7f) * 2 ** shift
      if (!(byte & 0x80)) return value
    }
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.remaining) throw new LevelDbFormatError(`${what}: ${length} bytes wanted, ${this.remaining} left`, this.base + this.pos)
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  lengthPrefixed(what: string): Uint8Array {
    return this.take(this.varint(what), what)
  }

  fixed32(what: string): number {
    const b = this.take(4, what)
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000
  }

  /** A 64-bit integer as a number (exact below 2^53, which any real sequence number is). */
  fixed64(what: string): number {
    const low = this.fixed32(what)
    return low + this.fixed32(what) * 0x100000000
  }
}

export function readFixed32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000
}

/** Unmasks a stored checksum (util/crc32c.h: rotate right 15 bits after adding 0xa282ead8). */
export function unmaskCrc(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

export {crc32c}
