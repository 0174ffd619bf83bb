/**
 * Near-neighbour search over 256-bit perceptual hashes (PDQ) by Hamming distance,
 * for lists of millions of hashes: a multi-index hash (Norouzi, Punjani and Fleet,
 * "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
 *
 * Each hash is cut into 16 chunks of 16 bits and filed under each chunk's value.
 * Two hashes within distance d differ, by the pigeonhole principle, in at most
 * floor(d / 16) bits of at least one chunk; so a query looks up, in each of the 16
 * tables, every chunk value within that many bits of its own (1 + 16 values for the
 * recommended threshold of 31), and checks only those candidates in full. Beyond a
 * threshold of 47 the probes outnumber a linear scan's work, and a scan is used.
 */

const CHUNKS = 16
const HASH_BYTES = 32

/** Bits set in each byte value. */
const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0
  for (let v = i; v; v >>= 1) n += v & 1
  return n
})

/** Hamming distance of two 32-byte hashes. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0
  for (let i = 0; i < HASH_BYTES; i++) d += POPCOUNT[a[i] ^ b[i]]
  return d
}

/** A PDQ hash from its 64 hex digits; undefined for anything else. */
export function parsePdqHex(hex: string): Buffer | undefined {
  return /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : undefined
}

/** Every 16-bit value within `radius` bits of `value` (itself first). */
function probes(value: number, radius: number): number[] {
  const out = [value]
  if (radius >= 1) for (let i = 0; i < 16; i++) out.push(value ^ (1 << i))
  if (radius >= 2) for (let i = 0; i < 16; i++) for (let j = i + 1; j < 16; j++) out.push(value ^ (1 << i) ^ (1 << j))
  return out
}

export interface NearHash {
  /** The id given to add(). */
  id: number
  distance: number
}

/**
 * Build once (add every hash, then build()), query many times. Memory: 32 bytes per
 * hash plus 64 bytes per hash of chunk tables, and 4 MiB of bucket offsets.
 */
export class PdqIndex {
  private hashes = new Uint8Array(1024 * HASH_BYTES)
  private ids: number[] = []
  private built = false
  /** Per chunk: bucket start offsets into `members` (65 537 entries), and the hash slots sorted by chunk value. */
  private offsets: Uint32Array[] = []
  private members: Uint32Array[] = []
  /** Per query: the slot last seen in this query, so a candidate is checked once. */
  private seen = new Uint32Array(0)
  private query = 0

  get size(): number {
    return this.ids.length
  }

  add(hash: Uint8Array, id: number): void {
    if (this.built) throw new Error('PdqIndex: add() after build()')
    if (hash.length !== HASH_BYTES) throw new Error(`PdqIndex: a PDQ hash is ${HASH_BYTES} bytes, not ${hash.length}`)
    const slot = this.ids.length
    if ((slot + 1) * HASH_BYTES > this.hashes.length) {
      const grown = new Uint8Array(this.hashes.length * 2)
      grown.set(this.hashes)
      this.hashes = grown
    }
    this.hashes.set(hash, slot * HASH_BYTES)
    this.ids.push(id)
  }

  build(): this {
    const n = this.ids.length
    for (let c = 0; c < CHUNKS; c++) {
      // counting sort of the slots by this chunk's value
      const offsets = new Uint32Array(65_537)
      for (let s = 0; s < n; s++) offsets[this.chunk(s, c) + 1]++
      for (let v = 0; v < 65_536; v++) offsets[v + 1] += offsets[v]
      const fill = offsets.slice(0, 65_536)
      const members = new Uint32Array(n)
      for (let s = 0; s < n; s++) members[fill[this.chunk(s, c)]++] = s
      this.offsets.push(offsets)
      this.members.push(members)
    }
    this.seen = new Uint32Array(n)
    this.built = true
    return this
  }

  /** The hashes within `threshold` bits of `hash`, nearest first. */
  near(hash: Uint8Array, threshold: number): NearHash[] {
    if (!this.built) throw new Error('PdqIndex: near() before build()')
    const found: NearHash[] = []
    const radius = Math.floor(threshold / CHUNKS)
    if (radius > 2) {
      for (let s = 0; s < this.ids.length; s++) this.check(hash, s, threshold, found)
    } else {
      if (++this.query === 0xffffffff) {
        this.seen.fill(0)
        this.query = 1
      }
      for (let c = 0; c < CHUNKS; c++) {
        const value = (hash[c * 2] << 8) | hash[c * 2 + 1]
        const offsets = this.offsets[c]
        const members = this.members[c]
        for (const probe of probes(value, radius)) {
          for (let i = offsets[probe]; i < offsets[probe + 1]; i++) {
            const s = members[i]
            if (this.seen[s] === this.query) continue
            this.seen[s] = this.query
            this.check(hash, s, threshold, found)
          }
        }
      }
    }
    return found.sort((a, b) => a.distance - b.distance || a.id - b.id)
  }

  private chunk(slot: number, c: number): number {
    const at = slot * HASH_BYTES + c * 2
    return (this.hashes[at] << 8) | this.hashes[at + 1]
  }

  private check(hash: Uint8Array, slot: number, threshold: number, found: NearHash[]): void {
    let d = 0
    const base = slot * HASH_BYTES
    for (let i = 0; i < HASH_BYTES && d <= threshold; i++) d += POPCOUNT[hash[i] ^ this.hashes[base + i]]
    if (d <= threshold) found.push({id: this.ids[slot], distance: d})
  }
}
