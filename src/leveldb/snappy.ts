/**
 * Snappy decompression, after Google's format description (snappy/format_description.txt):
 * a varint of the uncompressed length, then elements whose tag byte's low two bits say
 * literal (00), copy with 1-byte offset (01), 2-byte offset (10) or 4-byte offset (11).
 * LevelDB compresses table blocks with it (block type 1). Written here so trawl needs no
 * native code; every length and offset is checked against the bytes that exist, so a
 * damaged block gives an error, never a read past the end or an endless loop.
 */
export class SnappyError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte ${offset} of the compressed block)`)
    this.name = 'SnappyError'
  }
}

/** Decompresses one raw (unframed) snappy buffer. */
export function snappyDecompress(input: Uint8Array): Uint8Array {
  let pos = 0
  // Preamble: uncompressed length, varint of at most 32 bits.
  let length = 0
  for (let shift = 0; ; shift += 7) {
    if (pos >= input.length) throw new SnappyError('snappy length preamble is cut short', pos)
    if (shift > 28) throw new SnappyError('snappy length preamble is longer than 5 bytes', pos)
    const byte = input[pos++]
    length += (byte & 0x7f) * 2 ** shift
    if (!(byte & 0x80)) break
  }
  if (length > 0xffffffff) throw new SnappyError('snappy uncompressed length is over 4 GiB', 0)
  // A literal or copy can produce at most 64 bytes per input byte; refuse a claimed length the input cannot make.
  if (length > input.length * 64 + 64) throw new SnappyError(`snappy claims ${length} bytes from ${input.length}`, 0)
  const out = new Uint8Array(length)
  let op = 0
  while (pos < input.length) {
    const tagAt = pos
    const tag = input[pos++]
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >>> 2
      if (len >= 60) {
        const extra = len - 59
        if (pos + extra > input.length) throw new SnappyError('snappy literal length is cut short', tagAt)
        len = 0
        for (let i = 0; i < extra; i++) len += input[pos + i] * 2 ** (8 * i)
        pos += extra
      }
      len += 1
      if (pos + len > input.length) throw new SnappyError(`snappy literal of ${len} bytes runs past the input`, tagAt)
      if (op + len > length) throw new SnappyError('snappy literal runs past the stated length', tagAt)
      out.set(input.subarray(pos, pos + len), op)
      pos += len
      op += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (pos + 1 > input.length) throw new SnappyError('snappy copy is cut short', tagAt)
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | input[pos++]
    } else {
      const width = kind === 2 ? 2 : 4
      if (pos + width > input.length) throw new SnappyError('snappy copy is cut short', tagAt)
      len = (tag >>> 2) + 1
      offset = 0
      for (let i = 0; i < width; i++) offset += input[pos + i] * 2 ** (8 * i)
      pos += width
    }
    if (offset === 0 || offset > op) throw new SnappyError(`snappy copy offset ${offset} points before the output`, tagAt)
    if (op + len > length) throw new SnappyError('snappy copy runs past the stated length', tagAt)
    // Byte by byte: a copy may overlap its own output (offset < len repeats a pattern).
    for (let i = 0; i < len; i++, op++) out[op] = out[op - offset]
  }
  if (op !== length) throw new SnappyError(`snappy gave ${op} bytes, the preamble says ${length}`, pos)
  return out
}
