import {CorruptImageError} from '../errors.js'

/**
 * LZNT1 decompression (libfsntfs "Compression", MS-XCA 2.5): the data is a series of
 * chunks, each with a 16-bit header (bits 0-11: chunk data size - 1, bit 15: compressed).
 * An uncompressed chunk holds its bytes as they are; a compressed one is groups of a
 * flag byte and eight tokens: a literal byte (flag bit 0) or a 16-bit back-reference
 * (flag bit 1) whose split between offset and length bits depends on how far into the
 * 4096-byte chunk the output is. Decodes at most `out.length` bytes into `out` and
 * returns how many were written. `where` names the stream for the error message.
 */
export function decompressLznt1(input: Buffer, out: Buffer, where: string): number {
  let ip = 0
  let op = 0
  const end = input.length
  while (ip + 2 <= end && op < out.length) {
    const header = input[ip] | (input[ip + 1] << 8)
    if (header === 0) break // end of compressed data
    const chunkEnd = ip + 2 + (header & 0x0fff) + 1
    if (chunkEnd > end) throw new CorruptImageError(`${where}: LZNT1 chunk runs past the compressed data`, ip)
    ip += 2
    const chunkStart = op
    if ((header & 0x8000) === 0) {
      // stored chunk: the bytes as they are
      const n = Math.min(chunkEnd - ip, out.length - op)
      input.copy(out, op, ip, ip + n)
      op += n
      ip = chunkEnd
      continue
    }
    const chunkLimit = Math.min(out.length, chunkStart + 4096)
    while (ip < chunkEnd && op < chunkLimit) {
      const flags = input[ip++]
      for (let bit = 0; bit < 8 && ip < chunkEnd && op < chunkLimit; bit++) {
        if ((flags & (1 << bit)) === 0) {
          out[op++] = input[ip++]
          continue
        }
        if (ip + 2 > chunkEnd) throw new CorruptImageError(`${where}: LZNT1 back-reference cut short`, ip)
        const token = input[ip] | (input[ip + 1] << 8)
        ip += 2
        // The offset field widens as the output grows: 4 bits up to 16 bytes, 5 up to 32, ...
        let offsetBits = 4
        for (let p = op - chunkStart - 1; p >= 0x10; p >>= 1) offsetBits++
        const lengthBits = 16 - offsetBits
        const distance = (token >>> lengthBits) + 1
        let length = (token & ((1 << lengthBits) - 1)) + 3
        if (distance > op - chunkStart) {
          throw new CorruptImageError(`${where}: LZNT1 back-reference before the start of the chunk`, ip - 2)
        }
        if (op + length > chunkLimit) length = chunkLimit - op
        // byte by byte: the source may overlap what is being written (run-length repeats)
        for (let i = 0; i < length; i++, op++) out[op] = out[op - distance]
      }
    }
    ip = chunkEnd
    // a compressed chunk that decodes to less than 4096 bytes ends the data only at the
    // end of the unit; the next chunk starts a new 4096-byte window
    if (op < chunkStart + 4096 && ip < end && op < out.length) {
      const next = input[ip] | ((input[ip + 1] ?? 0) << 8)
      if (next !== 0) {
        out.fill(0, op, Math.min(out.length, chunkStart + 4096))
        op = Math.min(out.length, chunkStart + 4096)
      }
    }
  }
  return op
}
