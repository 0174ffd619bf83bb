/**
 * A sorted table of fixed-width binary digests in one Buffer, searched by
 * bisection. Millions of digests cost their raw size (16/20/32 bytes each) and
 * no per-entry JS object, unlike a Set of hex strings (~100 bytes each).
 */

/**
 * Compares `width` bytes of `a` at `aAt` with `b` at `bAt`. A plain loop: digests
 * differ in their first bytes, and Buffer#compare's argument checks cost more
 * than the comparison itself.
 */
function compareAt(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, width: number): number {
  for (let k = 0; k < width; k++) {
    const diff = a[aAt + k] - b[bAt + k]
    if (diff !== 0) return diff
  }
  return 0
}

export class DigestTable {
  private constructor(
    /** Digest width in bytes. */
    readonly width: number,
    private readonly data: Buffer,
    /** Number of distinct digests. */
    readonly size: number,
  ) {}

  static empty(width: number): DigestTable {
    return new DigestTable(width, Buffer.alloc(0), 0)
  }

  /** Builds from `count` digests packed in `packed` (any order, duplicates allowed). */
  static fromPacked(width: number, packed: Buffer, count: number): DigestTable {
    if (count === 0) return DigestTable.empty(width)
    if (width < 4) throw new RangeError(`digest width ${width} is below 4 bytes`)
    // One native numeric sort of doubles: the digest's leading bits in the high part,
    // the entry index in the low bits, kept within the 53 exact bits of a double.
    const indexBits = Math.max(1, Math.ceil(Math.log2(count + 1)))
    const prefixBits = Math.min(32, 53 - indexBits)
    const indexScale = 2 ** indexBits
    const prefixShift = 2 ** (32 - prefixBits)
    const keys = new Float64Array(count)
    for (let i = 0, o = 0; i < count; i++, o += width) {
      // leading 32 bits, big-endian (digests are at least 4 bytes wide)
      const leading = packed[o] * 0x1000000 + ((packed[o + 1] << 16) | (packed[o + 2] << 8) | packed[o + 3])
      keys[i] = Math.floor(leading / prefixShift) * indexScale + i
    }
    keys.sort()
    const order = new Uint32Array(count)
    for (let i = 0; i < count; i++) order[i] = keys[i] % indexScale
    // Entries sharing their leading bits (rare for hashes) are ordered by the whole digest.
    const bucket = (i: number) => Math.floor(keys[i] / indexScale)
    for (let start = 0; start < count; ) {
      let end = start + 1
      while (end < count && bucket(end) === bucket(start)) end++
      if (end - start > 1) {
        const run = Array.from(order.subarray(start, end)).sort((a, b) => compareAt(packed, a * width, packed, b * width, width))
        order.set(run, start)
      }
      start = end
    }
    const data = Buffer.allocUnsafe(count * width)
    let size = 0
    for (let i = 0; i < count; i++) {
      const from = order[i] * width
      if (size > 0 && compareAt(packed, from, data, (size - 1) * width, width) === 0) continue
      // a plain loop: Buffer#copy's per-call overhead dominates for 16-32 bytes
      for (let k = 0, to = size * width; k < width; k++) data[to + k] = packed[from + k]
      size++
    }
    return new DigestTable(width, data.subarray(0, size * width), size)
  }

  has(digest: Buffer): boolean {
    if (digest.length !== this.width) return false
    let low = 0
    let high = this.size - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const at = mid * this.width
      const order = compareAt(digest, 0, this.data, at, this.width)
      if (order === 0) return true
      if (order < 0) high = mid - 1
      else low = mid + 1
    }
    return false
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.data.length
  }
}

/** Value of each ASCII hex digit, -1 for anything else. */
const HEX_VALUE = new Int8Array(256).fill(-1)
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c
for (let c = 0; c < 6; c++) {
  HEX_VALUE[65 + c] = 10 + c
  HEX_VALUE[97 + c] = 10 + c
}

/** Decodes `2 * target.length` hex characters into `target`; false if any is not a hex digit. */
export function decodeHexInto(hex: string, target: Uint8Array, start = 0): boolean {
  if (hex.length - start < target.length * 2) return false
  for (let k = 0; k < target.length; k++) {
    const a = hex.charCodeAt(start + 2 * k)
    const b = hex.charCodeAt(start + 2 * k + 1)
    const high = a < 256 ? HEX_VALUE[a] : -1
    const low = b < 256 ? HEX_VALUE[b] : -1
    if (high < 0 || low < 0) return false
    target[k] = (high << 4) | low
  }
  return true
}

/** Collects digests into a growing Buffer, then builds a DigestTable. */
export class DigestTableBuilder {
  private packed: Buffer
  private count = 0

  constructor(readonly width: number) {
    this.packed = Buffer.allocUnsafe(width * 4096)
  }

  /**
   * Adds a digest given as hex text of exactly 2 * width characters starting at `start`.
   * Returns false, adding nothing, if any of them is not a hex digit.
   */
  addHex(hex: string, start = 0): boolean {
    if ((this.count + 1) * this.width > this.packed.length) {
      const grown = Buffer.allocUnsafe(this.packed.length * 2)
      this.packed.copy(grown, 0, 0, this.count * this.width)
      this.packed = grown
    }
    const at = this.count * this.width
    if (!decodeHexInto(hex, this.packed.subarray(at, at + this.width), start)) return false
    this.count++
    return true
  }

  build(): DigestTable {
    const table = DigestTable.fromPacked(this.width, this.packed, this.count)
    this.packed = Buffer.alloc(0)
    return table
  }
}
