import {readFileSync, statSync} from 'node:fs'
import {FileByteSource} from './byte-source.js'
import type {ByteSource} from './byte-source.js'

/**
 * A raw (dd) image: the media bytes as they are, in one file (.dd, .raw, .img,
 * .bin), or a raw device read in place. It has no signature; it is what an
 * image is when nothing else claims it.
 */
export class RawImage implements ByteSource {
  readonly format = 'raw'
  private readonly file: FileByteSource

  constructor(readonly path: string) {
    this.file = new FileByteSource(path, blockDeviceSize(path))
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

  close(): void {
    this.file.close()
  }
}

/**
 * fstat gives a block device (/dev/sdb) a size of 0; on Linux its size in
 * 512-byte units is in /sys/dev/block/MAJOR:MINOR/size. Undefined for a file
 * (or where sysfs is absent), so the file's own size is used.
 */
function blockDeviceSize(path: string): number | undefined {
  try {
    const info = statSync(path)
    if (!info.isBlockDevice()) return undefined
    const major = Math.floor(info.rdev / 256) & 0xfff
    const minor = (info.rdev & 0xff) | (Math.floor(info.rdev / 4096) & 0xfff00)
    const sectors = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim())
    return Number.isFinite(sectors) && sectors > 0 ? sectors * 512 : undefined
  } catch {
    return undefined
  }
}
