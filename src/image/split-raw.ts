import {readdirSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {CorruptImageError} from '../errors.js'
import {FileByteSource} from './byte-source.js'
import type {ByteSource} from './byte-source.js'

/**
 * A raw image cut into segments, as `split` and imagers write it:
 * `disk.000, disk.001, ...`, `disk.001, disk.002, ...` or `diskaa, diskab, ...`.
 * Any one segment's name finds the whole set. A raw image has no signature, so
 * the set is recognised by its naming; a gap in the numbering is an error, never
 * silently a shorter disk.
 */

interface SegmentNaming {
  /** Everything before the segment suffix. */
  stem: string
  /** 'numeric': .000/.001; 'alpha': aa, ab. */
  kind: 'numeric' | 'alpha'
  /** Width of the numeric suffix (3 for .001). */
  width: number
  /** Upper-case letters (XAA) or lower-case (xaa). */
  upper: boolean
}

function namingOf(path: string): SegmentNaming | undefined {
  const name = basename(path)
  const numeric = /^(.+)\.(\d{2,4})$/.exec(name)
  if (numeric) return {stem: join(dirname(path), numeric[1] + '.'), kind: 'numeric', width: numeric[2].length, upper: false}
  const alpha = /^(.+?)([a-z]{2}|[A-Z]{2})$/.exec(name)
  if (alpha) return {stem: join(dirname(path), alpha[1]), kind: 'alpha', width: 2, upper: alpha[2] === alpha[2].toUpperCase()}
  return undefined
}

/** Position of a suffix in its sequence: '000' -> 0, '001' -> 1, 'aa' -> 0, 'ab' -> 1. */
function suffixNumber(suffix: string, naming: SegmentNaming): number | undefined {
  if (naming.kind === 'numeric') return /^\d+$/.test(suffix) && suffix.length === naming.width ? Number(suffix) : undefined
  const s = naming.upper ? suffix : suffix.toUpperCase()
  if (!/^[A-Z]{2}$/.test(s) || (naming.upper ? suffix !== suffix.toUpperCase() : suffix !== suffix.toLowerCase())) return undefined
  return (s.charCodeAt(0) - 65) * 26 + (s.charCodeAt(1) - 65)
}

function suffixFor(n: number, naming: SegmentNaming): string {
  if (naming.kind === 'numeric') return String(n).padStart(naming.width, '0')
  const s = String.fromCharCode(65 + Math.floor(n / 26), 65 + (n % 26))
  return naming.upper ? s : s.toLowerCase()
}

/**
 * The segment files of the split set `path` belongs to, in order, or undefined
 * when `path` is not part of a set of at least two segments. Throws
 * CorruptImageError when a segment in the middle (or the first) is missing.
 */
export function findSplitRawSegments(path: string): string[] | undefined {
  const naming = namingOf(path)
  if (!naming) return undefined
  const dir = dirname(naming.stem + 'x')
  const stemName = basename(naming.stem + 'x').slice(0, -1)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return undefined
  }
  const numbers = new Map<number, string>()
  for (const name of names) {
    if (!name.startsWith(stemName)) continue
    const n = suffixNumber(name.slice(stemName.length), naming)
    if (n === undefined) continue
    const full = join(dir, name)
    try {
      if (!statSync(full).isFile()) continue
    } catch {
      continue
    }
    numbers.set(n, full)
  }
  if (numbers.size < 2) return undefined
  const sorted = [...numbers.keys()].sort((a, b) => a - b)
  // Numeric sets start at .000 or .001; alphabetic sets at aa.
  const first = sorted[0]
  const expectedFirst = naming.kind === 'numeric' ? (first === 0 ? 0 : 1) : 0
  const segments: string[] = []
  for (let n = expectedFirst, i = 0; i < sorted.length; n++) {
    const file = numbers.get(n)
    if (file === undefined) {
      throw new CorruptImageError(`split raw image ${naming.stem}${suffixFor(expectedFirst, naming)}: segment ${naming.stem}${suffixFor(n, naming)} is missing (found ${sorted.length} segments up to ${naming.stem}${suffixFor(sorted[sorted.length - 1], naming)})`)
    }
    segments.push(file)
    i++
  }
  return segments
}

/** The segments of a split raw image, read as one contiguous disk. */
export class SplitRawImage implements ByteSource {
  readonly format = 'split-raw'
  readonly size: number
  private readonly files: FileByteSource[]
  /** Offset of each segment's first byte in the image. */
  private readonly starts: number[]

  constructor(readonly segments: string[]) {
    this.files = []
    this.starts = []
    let offset = 0
    try {
      for (const segment of segments) {
        const file = new FileByteSource(segment)
        this.files.push(file)
        this.starts.push(offset)
        offset += file.size
      }
    } catch (error) {
      this.close()
      throw error
    }
    this.size = offset
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const end = Math.min(this.size, offset + length)
    if (offset >= end) return Buffer.alloc(0)
    const parts: Buffer[] = []
    let position = offset
    let index = this.segmentAt(position)
    while (position < end && index < this.files.length) {
      const file = this.files[index]
      const within = position - this.starts[index]
      const part = file.read(within, Math.min(end - position, file.size - within))
      parts.push(part)
      position += part.length
      if (part.length === 0 || position >= this.starts[index] + file.size) index++
      if (part.length === 0 && index >= this.files.length) break
    }
    if (position < end) {
      throw new CorruptImageError(`split raw segment ${this.segments[Math.min(index, this.segments.length - 1)]} is shorter than when the image was opened`, position)
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }

  /** Index of the segment holding byte `offset` (binary search over segment starts). */
  private segmentAt(offset: number): number {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    // skip empty segments
    while (lo < this.files.length - 1 && this.files[lo].size === 0) lo++
    return lo
  }

  close(): void {
    for (const file of this.files) file.close()
  }
}
