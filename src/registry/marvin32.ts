/**
 * Marvin32, the keyed hash Windows uses to check transaction log entries of
 * registry hives (Suhanov, "New format", "Log entries", notes 1-3). The result is
 * 64 bits: the second state word in the high half, the first in the low half, which
 * is how a log entry stores it (little-endian, 8 bytes).
 */

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0
}

export function marvin32(data: Uint8Array, seed: bigint): bigint {
  let lo = Number(seed & 0xffffffffn) >>> 0
  let hi = Number((seed >> 32n) & 0xffffffffn) >>> 0
  const mix = (word: number): void => {
    lo = (lo + word) >>> 0
    hi = (hi ^ lo) >>> 0
    lo = rotl(lo, 20)
    lo = (lo + hi) >>> 0
    hi = rotl(hi, 9)
    hi = (hi ^ lo) >>> 0
    lo = rotl(lo, 27)
    lo = (lo + hi) >>> 0
    hi = rotl(hi, 19)
  }
  const whole = data.length - (data.length % 4)
  for (let i = 0; i < whole; i += 4) {
    mix((data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0)
  }
  // the last 0-3 bytes, followed by a 0x80 byte
  let last = 0x80
  for (let i = data.length - 1; i >= whole; i--) last = ((last << 8) | data[i]) >>> 0
  mix(last)
  mix(0)
  return (BigInt(hi) << 32n) | BigInt(lo)
}

/** Seed of registry log entry hashes: bytes 82 EF 4D 88 7A 4E 55 C5 read little-endian. */
export const REGISTRY_LOG_SEED = 0xc5554e7a884def82n
