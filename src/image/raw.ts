import {FileByteSource} from './byte-source.js'
import type {ByteSource} from './byte-source.js'

/**
 * A raw (dd) image: the media bytes as they are, in one file (.dd, .raw, .img,
 * .bin). It has no signature; it is what an image is when nothing else claims
 * it. A disk or volume read in place is a DeviceByteSource (device.ts).
 */
export class RawImage implements ByteSource {
  readonly format = 'raw'
  private readonly file: FileByteSource

  constructor(readonly path: string) {
    this.file = new FileByteSource(path)
  }

  get size(): number {
    return this.file.size
  }

  get segments(): string[] {
    return [this.path]
  }

  read(offset: number, length: number): Buffer {
    return this.file.read(offset, length)
  }

  readInto(offset: number, target: Uint8Array, targetOffset = 0, length = target.length - targetOffset): number {
    return this.file.readInto(offset, target, targetOffset, length)
  }

  close(): void {
    this.file.close()
  }
}
