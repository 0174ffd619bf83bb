import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {CorruptImageError} from '../errors.js'

/**
 * The interface between layers: read N bytes at an offset. An image format
 * (raw, split, EWF), a partition inside it, or a raw device on a live Windows
 * machine (\\.\C:) are all byte sources; whoever reads one never knows which.
 * Reads are synchronous: evidence is read with pread, and the layers above parse
 * structures that are small and many.
 */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number
  /**
   * Reads up to `length` bytes at `offset`. Returns fewer only at the end of the
   * source; reading at or past the end returns an empty buffer.
   */
  read(offset: number, length: number): Buffer
  /**
   * Where a source can, reads up to `length` bytes at `offset` straight into `target` at
   * `targetOffset` and returns how many (fewer only at the end): no buffer per read.
   */
  readInto?(offset: number, target: Uint8Array, targetOffset?: number, length?: number): number
  close(): void
}

/**
 * `read` for a source that can read into a caller's buffer: a buffer of the bytes there are
 * (up to the end of the source), filled by `readInto`, cut to what it returned.
 */
export function readThroughInto(source: {readonly size: number; readInto(offset: number, target: Uint8Array): number}, offset: number, length: number): Buffer {
  if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
  const wanted = Math.max(0, Math.min(length, source.size - offset))
  const buffer = Buffer.allocUnsafe(wanted)
  const done = source.readInto(offset, buffer)
  return done === wanted ? buffer : buffer.subarray(0, done)
}

/**
 * Splits the virtual range [offset, end) at the blocks of a block-mapped disk image
 * (VHD, VHDX): `read` gets each block's number, the offset within it, where the piece
 * goes in the output (from `offset`), and its length.
 */
export function forEachBlockPiece(offset: number, end: number, blockSize: number, read: (block: number, within: number, at: number, take: number) => void): void {
  for (let position = offset; position < end; ) {
    const block = Math.floor(position / blockSize)
    const within = position - block * blockSize
    const take = Math.min(blockSize - within, end - position)
    read(block, within, position - offset, take)
    position += take
  }
}

/** A single file opened read-only ('r': never created, never written). */
export class FileByteSource implements ByteSource {
  /**
   * Bytes read from image files by this process, all sources together: the triage bench
   * (scripts/bench/triage.mjs) reports it against the image size. Nothing else reads it.
   */
  static bytesRead = 0
  readonly size: number
  private fd: number | undefined

  constructor(readonly path: string, size?: number) {
    this.fd = openSync(path, 'r')
    this.size = size ?? fstatSync(this.fd).size
  }

  read(offset: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`)
    return readThroughInto(this, offset, length)
  }

  /**
   * Reads up to `length` bytes at `offset` into `target` at `targetOffset`
   * (default: to the end of `target`), for callers that reuse one buffer over
   * many reads. Returns the number of bytes read: fewer only at the end of the
   * file, 0 at or past it.
   */
  readInto(offset: number, target: Uint8Array, targetOffset = 0, length = target.length - targetOffset): number {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`)
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    if (targetOffset < 0 || targetOffset + length > target.length) {
      throw new RangeError(`${length} bytes at ${targetOffset} do not fit a buffer of ${target.length}`)
    }
    const wanted = Math.max(0, Math.min(length, this.size - offset))
    let done = 0
    while (done < wanted) {
      const n = readSync(this.fd, target, targetOffset + done, wanted - done, offset + done)
      if (n === 0) break
      done += n
    }
    FileByteSource.bytesRead += done
    return done
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

/** A window of another source: a partition, a volume inside an image. */
export class SliceByteSource implements ByteSource {
  constructor(private readonly parent: ByteSource, readonly offset: number, readonly size: number) {
    if (offset < 0 || size < 0) throw new CorruptImageError(`slice of ${size} bytes at a negative offset`, offset)
    const into = parent.readInto?.bind(parent)
    if (into) {
      this.readInto = (at, target, targetOffset = 0, length = target.length - targetOffset) => {
        if (at < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, at)
        return at >= this.size ? 0 : into(this.offset + at, target, targetOffset, Math.min(length, this.size - at))
      }
    }
  }

  readonly readInto?: (offset: number, target: Uint8Array, targetOffset?: number, length?: number) => number

  read(offset: number, length: number): Buffer {
    if (offset >= this.size) return Buffer.alloc(0)
    return this.parent.read(this.offset + offset, Math.min(length, this.size - offset))
  }

  close(): void {
    // the parent owns the file handle
  }
}
