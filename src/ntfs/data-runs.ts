import {CorruptImageError} from '../errors.js'

/**
 * One data run: `length` clusters starting at virtual cluster `vcn`, stored at
 * logical cluster `lcn`, or sparse (never written, reads as zeros) when lcn is null.
 */
export interface DataRun {
  vcn: number
  length: number
  lcn: number | null
}

/**
 * Decodes a mapping-pairs (data runs) array, libfsntfs "Data runs": each run is a
 * header byte (low nibble: size of the length field, high nibble: size of the
 * signed LCN delta), then the length, then the delta from the previous run's LCN.
 * A zero-size delta marks a sparse run. A 0 header byte ends the list.
 *
 * `where` names the attribute for the error message; `base` is the absolute offset
 * of `bytes[start]` in the image, for the error offset.
 */
export function decodeDataRuns(
  bytes: Buffer,
  start: number,
  end: number,
  firstVcn: number,
  where: string,
  base = 0,
): DataRun[] {
  const runs: DataRun[] = []
  let pos = start
  let vcn = firstVcn
  let lcn = 0
  if (end > bytes.length) end = bytes.length
  while (pos < end) {
    const header = bytes[pos]
    if (header === 0) break
    const lengthSize = header & 0x0f
    const offsetSize = header >> 4
    if (lengthSize === 0 || lengthSize > 8 || offsetSize > 8) {
      throw new CorruptImageError(`${where}: invalid data run header 0x${header.toString(16)}`, base + pos)
    }
    if (pos + 1 + lengthSize + offsetSize > end) {
      throw new CorruptImageError(`${where}: data run overruns the attribute`, base + pos)
    }
    let length = 0
    for (let i = lengthSize - 1; i >= 0; i--) length = length * 256 + bytes[pos + 1 + i]
    if (length <= 0 || !Number.isSafeInteger(length) || lengthSize > 6) {
      throw new CorruptImageError(`${where}: invalid data run length`, base + pos)
    }
    let lcnValue: number | null = null
    if (offsetSize > 0) {
      if (offsetSize > 6) throw new CorruptImageError(`${where}: data run cluster offset too large`, base + pos)
      let delta = 0
      const deltaStart = pos + 1 + lengthSize
      for (let i = offsetSize - 1; i >= 0; i--) delta = delta * 256 + bytes[deltaStart + i]
      // sign-extend the most significant byte
      if (bytes[deltaStart + offsetSize - 1] & 0x80) delta -= 2 ** (8 * offsetSize)
      lcn += delta
      if (lcn < 0) throw new CorruptImageError(`${where}: data run points before the start of the volume`, base + pos)
      lcnValue = lcn
    }
    runs.push({vcn, length, lcn: lcnValue})
    vcn += length
    if (!Number.isSafeInteger(vcn)) throw new CorruptImageError(`${where}: data runs overflow`, base + pos)
    pos += 1 + lengthSize + offsetSize
  }
  return runs
}
