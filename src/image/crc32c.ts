/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every VHDX
 * header, region table and log entry ([MS-VHDX] 2.2.2, 2.2.3.1, 2.3.1.1). Node has no
 * CRC-32C of its own; the structures it covers are small (4 KiB to 64 KiB), so one
 * table lookup per byte is enough.
 */
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/**
 * CRC-32C of `data`, with the 4 bytes at `skipAt` (the stored checksum field) counted
 * as zeros, as the specification computes it.
 */
export function crc32c(data: Uint8Array, skipAt = -1): number {
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) {
    const byte = skipAt >= 0 && i >= skipAt && i < skipAt + 4 ? 0 : data[i]
    crc = TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}
