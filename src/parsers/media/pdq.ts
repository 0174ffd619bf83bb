/**
 * PDQ, Meta's open perceptual hash for pictures (ThreatExchange, "The TMK+PDQF and
 * PDQ hashing algorithms", 2019): 256 bits that stay within a few bits of each other
 * when a picture is resized, re-compressed or converted, so a known picture is found
 * after a messenger has re-encoded it. Agencies exchange lists of PDQ hashes; PDQ's
 * documentation recommends a match threshold of 31 bits.
 *
 * The steps, as the specification gives them:
 *  1. luminance Y = 0.299 R + 0.587 G + 0.114 B of every pixel (Rec. 601);
 *  2. a tent filter (Jarosz, "Fast Image Convolutions", 2001: two passes of a box
 *     filter along rows, then columns) with a window of ceil(dimension / 128);
 *  3. decimation to 64 x 64 by sampling each block's centre;
 *  4. quality: the sum of quantised gradients of the 64 x 64 picture, / 90, at most 100;
 *  5. the 16 x 16 lowest frequencies of a 2-D DCT-II of it, without the DC row and column;
 *  6. one bit per coefficient: set when it is above the median of the 256.
 * The hex form lists the sixteen 16-bit words from the last to the first.
 *
 * This hashes the picture at its full resolution; the reference tools may shrink a
 * large one to 512 pixels first to save time, which moves a hash by a few bits at
 * most, well inside the threshold.
 */

const LUMA_R = 0.299
const LUMA_G = 0.587
const LUMA_B = 0.114
const WINDOW_DIVISOR = 128
const JAROSZ_PASSES = 2

/** PDQ's DCT basis: 16 rows (frequencies 1..16) of 64 samples. */
const DCT = (() => {
  const scale = Math.sqrt(2 / 64)
  const d = new Float64Array(16 * 64)
  for (let i = 0; i < 16; i++) for (let j = 0; j < 64; j++) d[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1))
  return d
})()

export interface PdqHash {
  /** 64 hex digits. */
  hash: string
  /** 0-100: below 50 the picture is too flat for its hash to be trusted (PDQ's guidance). */
  quality: number
}

/** Luminance of RGBA (or RGB, with `channels` 3) pixels, row by row; alpha is ignored, as the reference does. */
export function lumaOf(pixels: Uint8Array, width: number, height: number, channels = 4): Float64Array {
  const luma = new Float64Array(width * height)
  for (let p = 0, q = 0; p < luma.length; p++, q += channels) luma[p] = LUMA_R * pixels[q] + LUMA_G * pixels[q + 1] + LUMA_B * pixels[q + 2]
  return luma
}

/**
 * A box filter of `window` samples along one vector of `length` samples, `stride`
 * apart, centred, the window shrinking at both ends (so the mean is of the samples present).
 */
function box1d(input: Float64Array, output: Float64Array, start: number, length: number, stride: number, window: number): void {
  const half = Math.floor((window + 2) / 2)
  const lead = half - 1
  const fill = window - half + 1
  const run = length - window
  const tail = half - 1
  let li = start
  let ri = start
  let oi = start
  let sum = 0
  let count = 0
  for (let i = 0; i < lead; i++, ri += stride) {
    sum += input[ri]
    count++
  }
  for (let i = 0; i < fill; i++, ri += stride, oi += stride) {
    sum += input[ri]
    count++
    output[oi] = sum / count
  }
  for (let i = 0; i < run; i++, ri += stride, li += stride, oi += stride) {
    // added, then subtracted, in the reference's order: the float sums come out the same
    sum += input[ri]
    sum -= input[li]
    output[oi] = sum / count
  }
  for (let i = 0; i < tail; i++, li += stride, oi += stride) {
    sum -= input[li]
    count--
    output[oi] = sum / count
  }
}

/**
 * box1d down every column at once: the same four phases, a row at a time, with one
 * running sum per column, so the picture is read in memory order (a column at a time
 * would miss the cache on every sample of a large photograph). Same sums, same order
 * of additions per column, so the same values as box1d with a stride.
 */
function boxColumns(input: Float64Array, output: Float64Array, rows: number, cols: number, window: number): void {
  const half = Math.floor((window + 2) / 2)
  const lead = half - 1
  const fill = window - half + 1
  const run = rows - window
  const tail = half - 1
  const sums = new Float64Array(cols)
  let li = 0
  let ri = 0
  let oi = 0
  let count = 0
  for (let i = 0; i < lead; i++, ri++) {
    for (let c = 0, at = ri * cols; c < cols; c++) sums[c] += input[at + c]
    count++
  }
  for (let i = 0; i < fill; i++, ri++, oi++) {
    count++
    for (let c = 0, at = ri * cols, out = oi * cols; c < cols; c++) output[out + c] = (sums[c] += input[at + c]) / count
  }
  for (let i = 0; i < run; i++, ri++, li++, oi++) {
    for (let c = 0, add = ri * cols, sub = li * cols, out = oi * cols; c < cols; c++) {
      sums[c] += input[add + c]
      output[out + c] = (sums[c] -= input[sub + c]) / count
    }
  }
  for (let i = 0; i < tail; i++, li++, oi++) {
    count--
    for (let c = 0, sub = li * cols, out = oi * cols; c < cols; c++) output[out + c] = (sums[c] -= input[sub + c]) / count
  }
}

/** The PDQ hash and quality of a picture given as its luminance, `rows` x `cols`, row-major. */
export function pdqOfLuma(luma: Float64Array, rows: number, cols: number): PdqHash {
  if (rows < 1 || cols < 1 || luma.length < rows * cols) throw new RangeError(`pdq: a ${cols} x ${rows} picture needs ${rows * cols} samples`)
  const a = Float64Array.from(luma.subarray(0, rows * cols))
  const b = new Float64Array(rows * cols)
  const alongRows = Math.floor((cols + WINDOW_DIVISOR - 1) / WINDOW_DIVISOR)
  const alongCols = Math.floor((rows + WINDOW_DIVISOR - 1) / WINDOW_DIVISOR)
  for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
    for (let r = 0; r < rows; r++) box1d(a, b, r * cols, cols, 1, alongRows)
    boxColumns(b, a, rows, cols, alongCols)
  }
  // each 64 x 64 sample from the centre of its block of the filtered picture
  const small = new Float64Array(64 * 64)
  for (let i = 0; i < 64; i++) {
    const ri = Math.floor(((i + 0.5) * rows) / 64)
    for (let j = 0; j < 64; j++) small[i * 64 + j] = a[ri * cols + Math.floor(((j + 0.5) * cols) / 64)]
  }
  return {hash: hashOf(dct16(small)), quality: quality(small)}
}

/** Significant gradients of the 64 x 64 picture: differences quantised to percent of full scale. */
function quality(small: Float64Array): number {
  let sum = 0
  for (let i = 0; i < 63; i++) for (let j = 0; j < 64; j++) sum += Math.abs(Math.trunc(((small[i * 64 + j] - small[(i + 1) * 64 + j]) * 100) / 255))
  for (let i = 0; i < 64; i++) for (let j = 0; j < 63; j++) sum += Math.abs(Math.trunc(((small[i * 64 + j] - small[i * 64 + j + 1]) * 100) / 255))
  return Math.min(100, Math.trunc(sum / 90))
}

/** D A D^T, keeping frequencies 1..16 along each axis. */
function dct16(small: Float64Array): Float64Array {
  const t = new Float64Array(16 * 64)
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let s = 0
      for (let k = 0; k < 64; k++) s += DCT[i * 64 + k] * small[k * 64 + j]
      t[i * 64 + j] = s
    }
  }
  const out = new Float64Array(256)
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0
      for (let k = 0; k < 64; k++) s += t[i * 64 + k] * DCT[j * 64 + k]
      out[i * 16 + j] = s
    }
  }
  return out
}

/** One bit per coefficient above the median (the lower median: the 128th smallest of the 256). */
function hashOf(coefficients: Float64Array): string {
  const median = Float64Array.from(coefficients).sort()[127]
  const words = new Uint16Array(16)
  for (let k = 0; k < 256; k++) if (coefficients[k] > median) words[k >> 4] |= 1 << (k & 15)
  let hex = ''
  for (let w = 15; w >= 0; w--) hex += words[w].toString(16).padStart(4, '0')
  return hex
}
