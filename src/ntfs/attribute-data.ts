import {Readable} from 'node:stream'
import {CorruptImageError} from '../errors.js'
import type {ByteSource} from '../image/byte-source.js'
import type {DataRun} from './data-runs.js'
import {decompressLznt1} from './lznt1.js'

/** Bytes handed to a stream consumer per read: large enough to keep pread calls few. */
const STREAM_CHUNK = 4 * 1024 * 1024
/** Bytes asked of the byte source per read. */
const VOLUME_READ = 1024 * 1024

/** Where a non-resident attribute's clusters are, and how big its value is. */
/** Index of the last run starting at or before `vcn` (runs are sorted by vcn); binary search. */
export function findRunIndex(runs: ReadonlyArray<{vcn: number}>, vcn: number): number {
  let lo = 0
  let hi = runs.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (runs[mid].vcn <= vcn) lo = mid
    else hi = mid - 1
  }
  return lo
}

export interface NonResidentLayout {
  runs: DataRun[]
  dataSize: number
  initializedSize: number
  /** log2 of the compression unit in clusters; 0 when the attribute is not compressed. */
  compressionUnit: number
}

/**
 * The value of a non-resident attribute (a file's $DATA, the $MFT itself, an
 * $ATTRIBUTE_LIST), read through its data runs: sparse runs read as zeros, bytes
 * past the initialized size (valid data length) read as zeros, LZNT1 compression
 * units are decompressed. A run pointing past the volume, or into a part of the
 * image that is missing, is a CorruptImageError naming the attribute and cluster.
 */
export class AttributeData {
  private readonly unitClusters: number
  private cachedUnit = -1
  private cachedUnitData: Buffer | undefined

  constructor(
    private readonly volume: ByteSource,
    private readonly clusterSize: number,
    private readonly clusterCount: number,
    readonly layout: NonResidentLayout,
    /** Names the attribute in error messages, e.g. 'MFT record 64 $DATA'. */
    readonly where: string,
  ) {
    this.unitClusters = layout.compressionUnit > 0 ? 2 ** layout.compressionUnit : 0
  }

  get size(): number {
    return this.layout.dataSize
  }

  /** Reads `length` bytes at `offset` of the value (fewer at its end). Always a fresh buffer. */
  read(offset: number, length: number): Buffer {
    const end = Math.min(this.layout.dataSize, offset + length)
    if (offset >= end) return Buffer.alloc(0)
    // not zero-filled: readInto writes every byte (data, sparse zeros, or zeros past valid data)
    const out = Buffer.allocUnsafe(end - offset)
    this.readInto(offset, out)
    return out
  }

  /**
   * Fills `out` with the value's bytes from `offset` (a listing pass reuses one buffer
   * for the whole $MFT). Returns how many bytes the value had there.
   */
  readInto(offset: number, out: Buffer): number {
    const end = Math.min(this.layout.dataSize, offset + out.length)
    if (offset >= end) return 0
    const validEnd = Math.max(offset, Math.min(end, this.layout.initializedSize))
    if (validEnd > offset) {
      if (this.unitClusters > 0) this.readCompressed(offset, validEnd, out)
      else this.readPlain(offset, validEnd, out)
    }
    out.fill(0, validEnd - offset, end - offset)
    return end - offset
  }

  /** The value as a stream of large chunks; an unreadable part ends it with a typed error. */
  stream(): Readable {
    const size = this.layout.dataSize
    const read = (offset: number): Buffer => this.read(offset, STREAM_CHUNK)
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < size; offset += STREAM_CHUNK) yield read(offset)
    }
    return Readable.from(chunks(), {objectMode: false})
  }

  /** Copies bytes [offset, end) of an uncompressed value into out[0..]. */
  private readPlain(offset: number, end: number, out: Buffer): void {
    const cs = this.clusterSize
    let position = offset
    let runIndex = this.findRun(Math.floor(offset / cs))
    while (position < end) {
      const vcn = Math.floor(position / cs)
      while (runIndex < this.layout.runs.length && this.layout.runs[runIndex].vcn + this.layout.runs[runIndex].length <= vcn) runIndex++
      const run = this.layout.runs[runIndex]
      if (run === undefined || run.vcn > vcn) {
        // No run maps this cluster. Past the initialized size that is harmless (zeros);
        // inside it the attribute is incomplete.
        throw new CorruptImageError(`${this.where}: no data run maps cluster ${vcn} (byte ${position} of the stream)`)
      }
      const runEnd = Math.min(end, (run.vcn + run.length) * cs)
      const n = runEnd - position
      if (run.lcn !== null) {
        this.readVolume((run.lcn + vcn - run.vcn) * cs + (position % cs), n, out, position - offset, run.lcn)
      } else {
        out.fill(0, position - offset, runEnd - offset) // sparse: never written, reads as zeros
      }
      position = runEnd
    }
  }

  private readVolume(volumeOffset: number, length: number, out: Buffer, outOffset: number, runLcn: number): void {
    const lastCluster = Math.floor((volumeOffset + length - 1) / this.clusterSize)
    if (lastCluster >= this.clusterCount) {
      throw new CorruptImageError(`${this.where}: data run at cluster ${runLcn} points past the end of the volume (${this.clusterCount} clusters)`, volumeOffset)
    }
    if (this.volume.readInto) {
      // straight into the caller's buffer: no buffer per read, no copy
      const done = this.volume.readInto(volumeOffset, out, outOffset, length)
      if (done < length) {
        throw new CorruptImageError(`${this.where}: the image ends before cluster ${Math.floor((volumeOffset + done) / this.clusterSize)} (truncated image)`, volumeOffset + done)
      }
      return
    }
    // in pieces: each read is a fresh buffer from the source, and many small ones are
    // reclaimed sooner than a few large ones
    for (let done = 0; done < length; ) {
      const want = Math.min(VOLUME_READ, length - done)
      const bytes = this.volume.read(volumeOffset + done, want)
      bytes.copy(out, outOffset + done)
      done += bytes.length
      if (bytes.length < want) {
        throw new CorruptImageError(`${this.where}: the image ends before cluster ${Math.floor((volumeOffset + done) / this.clusterSize)} (truncated image)`, volumeOffset + done)
      }
    }
  }

  private findRun(vcn: number): number {
    return findRunIndex(this.layout.runs, vcn)
  }

  /**
   * Compressed values (libfsntfs "Compressed data"): the value is cut into compression
   * units of 2^n clusters (16 by default). A unit whose clusters are all allocated is
   * stored as is; one that is all sparse is zeros; otherwise its allocated clusters
   * hold LZNT1 data and the rest of the unit is sparse.
   */
  private readCompressed(offset: number, end: number, out: Buffer): void {
    const unitBytes = this.unitClusters * this.clusterSize
    for (let unit = Math.floor(offset / unitBytes); unit * unitBytes < end; unit++) {
      const data = this.unitData(unit)
      const from = Math.max(offset, unit * unitBytes)
      const to = Math.min(end, (unit + 1) * unitBytes)
      data.copy(out, from - offset, from - unit * unitBytes, to - unit * unitBytes)
    }
  }

  private unitData(unit: number): Buffer {
    if (unit === this.cachedUnit && this.cachedUnitData) return this.cachedUnitData
    const cs = this.clusterSize
    const unitBytes = this.unitClusters * cs
    const firstVcn = unit * this.unitClusters
    // the extents of this unit: which clusters are allocated, in order
    const extents: Array<{lcn: number; count: number}> = []
    let allocated = 0
    let runIndex = this.findRun(firstVcn)
    for (let vcn = firstVcn; vcn < firstVcn + this.unitClusters; ) {
      while (runIndex < this.layout.runs.length && this.layout.runs[runIndex].vcn + this.layout.runs[runIndex].length <= vcn) runIndex++
      const run = this.layout.runs[runIndex]
      if (run === undefined || run.vcn > vcn) break // unmapped tail: treated as sparse
      const count = Math.min(run.vcn + run.length, firstVcn + this.unitClusters) - vcn
      if (run.lcn !== null) {
        extents.push({lcn: run.lcn + vcn - run.vcn, count})
        allocated += count
      }
      vcn += count
    }
    const data = Buffer.alloc(unitBytes)
    if (allocated > 0) {
      const stored = Buffer.alloc(allocated * cs)
      let at = 0
      for (const extent of extents) {
        this.readVolume(extent.lcn * cs, extent.count * cs, stored, at, extent.lcn)
        at += extent.count * cs
      }
      if (allocated >= this.unitClusters) stored.copy(data, 0, 0, unitBytes)
      else decompressLznt1(stored, data, `${this.where} compression unit ${unit}`)
    }
    this.cachedUnit = unit
    this.cachedUnitData = data
    return data
  }
}
