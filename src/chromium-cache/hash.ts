/**
 * The 32-bit hash the blockfile cache keeps of each key and of its own structures
 * (base::PersistentHash: Paul Hsieh's SuperFastHash over the bytes, little-endian 16-bit
 * reads, the 1-3 trailing bytes read as signed chars). Written from the algorithm's
 * description; checked against entries real Chromium wrote (test/chromium-cache).
 */
export function persistentHash(data: Uint8Array): number {
  let len = data.length
  if (len === 0) return 0
  let hash = len >>> 0
  const rem = len & 3
  len >>>= 2
  let p = 0
  const u16 = (i: number) => data[i] | (data[i + 1] << 8)
  const s8 = (i: number) => (data[i] << 24) >> 24
  for (; len > 0; len--) {
    hash = (hash + u16(p)) >>> 0
    const tmp = ((u16(p + 2) << 11) ^ hash) >>> 0
    hash = ((hash << 16) ^ tmp) >>> 0
    p += 4
    hash = (hash + (hash >>> 11)) >>> 0
  }
  if (rem === 3) {
    hash = (hash + u16(p)) >>> 0
    hash = (hash ^ (hash << 16)) >>> 0
    hash = (hash ^ (s8(p + 2) << 18)) >>> 0
    hash = (hash + (hash >>> 11)) >>> 0
  } else if (rem === 2) {
    hash = (hash + u16(p)) >>> 0
    hash = (hash ^ (hash << 11)) >>> 0
    hash = (hash + (hash >>> 17)) >>> 0
  } else if (rem === 1) {
    hash = (hash + s8(p)) >>> 0
    hash = (hash ^ (hash << 10)) >>> 0
    hash = (hash + (hash >>> 1)) >>> 0
  }
  hash = (hash ^ (hash << 3)) >>> 0
  hash = (hash + (hash >>> 5)) >>> 0
  hash = (hash ^ (hash << 4)) >>> 0
  hash = (hash + (hash >>> 17)) >>> 0
  hash = (hash ^ (hash << 25)) >>> 0
  hash = (hash + (hash >>> 6)) >>> 0
  return hash
}
