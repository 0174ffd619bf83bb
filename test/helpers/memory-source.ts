import type {ByteSource} from '../../src/image/byte-source.js'

/** An image held in memory: a fixture, or a deliberately damaged copy of one. */
export class MemoryByteSource implements ByteSource {
  constructor(readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length
  }
  read(offset: number, length: number): Buffer {
    if (offset >= this.bytes.length) return Buffer.alloc(0)
    return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + length))
  }
  close(): void {}
}
