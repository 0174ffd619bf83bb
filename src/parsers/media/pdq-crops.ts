/**
 * Crops, which PDQ alone does not survive: a picture cut by 5% lands 24 to 64 bits from
 * its original (docs/pdq.md), over the threshold of 31. Two sets of extra hashes close
 * the gap, both of the picture's own pixels, so nothing about PDQ changes:
 *
 *  - companions, on the side of the list of known pictures (`trawl phashset make
 *    --crops`): the PDQ hashes of the known picture cut by 0, 2.5 or 5% at each edge,
 *    at most 5% along each axis, 36 in all (the uncut one is the plain hash);
 *  - probes, on the side of the collected picture, when a list carries companions: the
 *    PDQ hashes of the collected picture cut by 1.25% at any set of its edges (15).
 *
 * A cut of up to 5% at each axis then lies within about 0.6% of a companion cut
 * followed by a probe cut, which PDQ forgives (measured: docs/pdq.md). Both are hashed
 * from the picture shrunk by an integer factor to at most 512 pixels along its longer
 * side, as Meta's own tools shrink pictures before hashing, so 36 hashes of an
 * 8-megapixel photograph cost a few milliseconds each.
 */
import {pdqOfLuma, type PdqHash} from './pdq.js'

/** The share of the width or height cut at each edge, 0 to 1. */
export interface Crop {
  left: number
  right: number
  top: number
  bottom: number
}

export interface CroppedHash extends PdqHash {
  crop: Crop
}

/** Companion cuts along one axis: 0, 2.5 or 5% at either end, at most 5% in all. */
const COMPANION_AXIS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0.025, 0],
  [0, 0.025],
  [0.025, 0.025],
  [0.05, 0],
  [0, 0.05],
]

/** The probe cut at an edge. */
const PROBE_CUT = 0.0125

/** The longer side of the shrunk picture the cut hashes are taken from. */
const SHRUNK_SIDE = 512

interface Luma {
  samples: Float64Array
  rows: number
  cols: number
}

/** The picture shrunk by the smallest integer factor that brings its longer side to 512 or less, each sample the mean of its block. */
function shrink(luma: Float64Array, rows: number, cols: number): Luma {
  const factor = Math.ceil(Math.max(rows, cols) / SHRUNK_SIDE)
  if (factor <= 1) return {samples: luma, rows, cols}
  const r = Math.floor(rows / factor)
  const c = Math.floor(cols / factor)
  const out = new Float64Array(r * c)
  for (let y = 0; y < r * factor; y++) {
    const row = Math.floor(y / factor) * c
    for (let x = 0, at = y * cols; x < c * factor; x++) out[row + Math.floor(x / factor)] += luma[at + x]
  }
  const area = factor * factor
  for (let i = 0; i < out.length; i++) out[i] /= area
  return {samples: out, rows: r, cols: c}
}

/** PDQ of the picture cut by `crop`; undefined when the cut would leave it empty. */
function hashOfCrop(picture: Luma, crop: Crop): CroppedHash | undefined {
  const x0 = Math.round(crop.left * picture.cols)
  const x1 = picture.cols - Math.round(crop.right * picture.cols)
  const y0 = Math.round(crop.top * picture.rows)
  const y1 = picture.rows - Math.round(crop.bottom * picture.rows)
  if (x1 <= x0 || y1 <= y0) return undefined
  const cols = x1 - x0
  const cut = new Float64Array(cols * (y1 - y0))
  for (let y = y0; y < y1; y++) cut.set(picture.samples.subarray(y * picture.cols + x0, y * picture.cols + x1), (y - y0) * cols)
  return {...pdqOfLuma(cut, y1 - y0, cols), crop}
}

const isUncut = (c: Crop) => c.left === 0 && c.right === 0 && c.top === 0 && c.bottom === 0

/** The 35 companion hashes of a known picture (every companion cut but the uncut one), from its luminance. */
export function cropCompanions(luma: Float64Array, rows: number, cols: number): CroppedHash[] {
  const picture = shrink(luma, rows, cols)
  const out: CroppedHash[] = []
  for (const [left, right] of COMPANION_AXIS) {
    for (const [top, bottom] of COMPANION_AXIS) {
      const crop = {left, right, top, bottom}
      if (isUncut(crop)) continue
      const hash = hashOfCrop(picture, crop)
      if (hash) out.push(hash)
    }
  }
  return out
}

/** The 15 probe hashes of a collected picture (1.25% cut at every non-empty set of edges), from its luminance. */
export function cropProbes(luma: Float64Array, rows: number, cols: number): CroppedHash[] {
  const picture = shrink(luma, rows, cols)
  const out: CroppedHash[] = []
  for (let edges = 1; edges < 16; edges++) {
    const crop = {left: edges & 1 ? PROBE_CUT : 0, right: edges & 2 ? PROBE_CUT : 0, top: edges & 4 ? PROBE_CUT : 0, bottom: edges & 8 ? PROBE_CUT : 0}
    const hash = hashOfCrop(picture, crop)
    if (hash) out.push(hash)
  }
  return out
}

const percent = (share: number) => `${Math.round(share * 10000) / 100}%`

/** The cut as a list label gives it: "crop l2.5% r0% t0% b5%". */
export function cropLabel(crop: Crop): string {
  return `crop l${percent(crop.left)} r${percent(crop.right)} t${percent(crop.top)} b${percent(crop.bottom)}`
}

const LABEL = /\[crop l(\d+(?:\.\d+)?)% r(\d+(?:\.\d+)?)% t(\d+(?:\.\d+)?)% b(\d+(?:\.\d+)?)%\]\s*$/

/** A list label's cut, when it ends "[crop l..% r..% t..% b..%]" (as `phashset make --crops` writes); the label before it. */
export function parseCropLabel(label: string): {label: string; crop: Crop} | undefined {
  const m = LABEL.exec(label)
  if (!m) return undefined
  const [left, right, top, bottom] = m.slice(1, 5).map((v) => Number(v) / 100)
  return {label: label.slice(0, m.index).trim(), crop: {left, right, top, bottom}}
}
