/**
 * Column compression (Windows 7 and later; libesedb "Compression"). The first byte
 * of a compressed value names the scheme in its upper 5 bits: 1 = 7-bit ASCII,
 * 2 = 7-bit Unicode (each 7-bit value is one UTF-16 code unit), 3 = Xpress (MS-XCA
 * "plain LZ77", with a 16-bit uncompressed size after the lead byte). For the 7-bit
 * schemes the low 3 bits give the number of bits used in the final byte, less one.
 * Other schemes (Xpress9, Xpress10) are reported, not guessed at.
 */

export class UnsupportedCompressionError extends Error {}

export function decompressColumn(data: Buffer): Buffer {
  if (data.length === 0) return data
  const scheme = data[0]! >> 3
  if (scheme === 1) return sevenBit(data)
  if (scheme === 2) {
    const narrow = sevenBit(data)
    const wide = Buffer.alloc(narrow.length * 2)
    for (let index = 0; index < narrow.length; index++) wide[2 * index] = narrow[index]!
    return wide
  }
  if (scheme === 3) {
    if (data.length < 3) throw new UnsupportedCompressionError('Xpress value shorter than its header')
    return lzxpressPlain(data.subarray(3), data.readUInt16LE(1))
  }
  throw new UnsupportedCompressionError(`compression scheme ${scheme} (lead byte 0x${data[0]!.toString(16)}) is not one trawl decodes`)
}

/** A continuous little-endian stream of 7-bit values after the lead byte. */
function sevenBit(data: Buffer): Buffer {
  const payload = data.length - 1
  const finalBits = (data[0]! & 7) + 1
  const count = payload === 0 ? 0 : Math.floor(((payload - 1) * 8 + finalBits) / 7)
  const out = Buffer.alloc(count)
  let accumulator = 0
  let bits = 0
  let at = 1
  for (let index = 0; index < count; index++) {
    while (bits < 7 && at < data.length) {
      accumulator |= data[at++]! << bits
      bits += 8
    }
    out[index] = accumulator & 0x7f
    accumulator >>>= 7
    bits -= 7
  }
  return out
}

/**
 * MS-XCA 2.4 "LZ77 decompression" (plain LZ77, the format ESE calls Xpress): 32-bit
 * flag words, a set bit meaning a 16-bit match (13-bit offset, 3-bit length with
 * nibble/byte/word/dword extensions), a clear bit a literal byte.
 */
export function lzxpressPlain(input: Buffer, expectedSize: number): Buffer {
  const out = Buffer.alloc(expectedSize)
  let written = 0
  let at = 0
  let flags = 0
  let flagCount = 0
  let halfByteAt = -1
  while (written < expectedSize) {
    if (flagCount === 0) {
      if (at + 4 > input.length) break
      flags = input.readUInt32LE(at)
      at += 4
      flagCount = 32
    }
    flagCount--
    if (((flags >>> flagCount) & 1) === 0) {
      if (at >= input.length) break
      out[written++] = input[at++]!
      continue
    }
    if (at + 2 > input.length) break
    const match = input.readUInt16LE(at)
    at += 2
    let length = match & 7
    const distance = (match >> 3) + 1
    if (length === 7) {
      if (halfByteAt < 0) {
        if (at >= input.length) break
        halfByteAt = at
        length = input[at++]! & 0xf
      } else {
        length = input[halfByteAt]! >> 4
        halfByteAt = -1
      }
      if (length === 15) {
        if (at >= input.length) break
        length = input[at++]!
        if (length === 255) {
          if (at + 2 > input.length) break
          length = input.readUInt16LE(at)
          at += 2
          if (length === 0) {
            if (at + 4 > input.length) break
            length = input.readUInt32LE(at)
            at += 4
          }
          if (length < 15 + 7) throw new UnsupportedCompressionError('Xpress match length underflows')
          length -= 15 + 7
        }
        length += 15
      }
      length += 7
    }
    length += 3
    if (distance > written) throw new UnsupportedCompressionError(`Xpress match reaches ${distance} bytes back from byte ${written}`)
    for (let index = 0; index < length && written < expectedSize; index++) {
      out[written] = out[written - distance]!
      written++
    }
  }
  if (written < expectedSize) throw new UnsupportedCompressionError(`Xpress data ends after ${written} of ${expectedSize} bytes`)
  return out
}
