import {closeSync, openSync, readFileSync, readSync, readdirSync, statSync} from 'node:fs'
import {CorruptImageError, errorMessage} from '../errors.js'
import {readThroughInto, type ByteSource} from './byte-source.js'

/**
 * A disk or volume read in place: a Windows volume (`\\.\C:`, a shadow copy), a Windows disk
 * (`\\.\PhysicalDrive0`) or a Linux block device (`/dev/sdb1`, `/dev/loop0p1`). On a running
 * Windows machine this is how locked files (registry hives, in-use databases, `$MFT`) are
 * read: the volume's bytes, under the file system, through the NTFS reader.
 *
 * Opened with flags 'r' only. On Windows libuv (src/win/fs.c, fs__open) maps that to
 * CreateFileW(FILE_GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
 * OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS): read access only, and sharing that lets the open
 * succeed while Windows has the volume mounted and in use. Reads are ReadFile at an explicit
 * offset; ERROR_HANDLE_EOF reads as 0 bytes, any other failure as an error.
 *
 * Windows reads a volume or disk handle only in whole sectors ("CreateFile: Physical Disks and
 * Volumes": offsets and lengths must be multiples of the sector size), so every request is
 * widened to the sectors that hold it and sliced; aligned requests go straight into the
 * caller's buffer. Linux block devices take any request; they are read the same way so that
 * the code path a Windows volume takes is the one the tests run.
 */

/** pread(2): the seam through which tests make a device as strict as a Windows volume handle. */
export type PositionalRead = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number

export type DeviceKind = 'volume' | 'disk' | 'block-device'

/**
 * How the size was found, since fstat gives a device a size of 0:
 * 'sysfs' (Linux: /sys/dev/block/MAJ:MIN/size), 'ntfs-boot-sector' (an NTFS volume: its
 * total-sectors field plus the backup boot sector behind it), 'probe' (the last sector that
 * can be read, by bisection).
 */
export type DeviceSizeMethod = 'sysfs' | 'ntfs-boot-sector' | 'probe'

export interface DeviceGeometry {
  size: number
  /** The unit every read is widened to. */
  sectorSize: number
  sizeFrom: DeviceSizeMethod
}

export interface DeviceOpenOptions {
  kind: DeviceKind
  read?: PositionalRead
}

/** Longest single pread: a multiple of every sector size, far below the 2 GiB a read may ask. */
const MAX_READ = 64 * 1024 * 1024
/** Widened requests up to this size are read in one call through the scratch buffer (a multiple of every sector size). */
const SMALL_SPAN = 64 * 1024
/** The sector sizes disks use (512 native or emulated, 4096 native), tried in this order. */
const SECTOR_SIZES = [512, 4096] as const

export class DeviceByteSource implements ByteSource {
  readonly size: number
  readonly sectorSize: number
  readonly sizeFrom: DeviceSizeMethod
  private fd: number | undefined
  private readonly pread: PositionalRead
  private readonly scratch: Buffer

  private constructor(readonly path: string, fd: number, geometry: DeviceGeometry, pread: PositionalRead) {
    if (geometry.size % geometry.sectorSize !== 0) {
      throw new CorruptImageError(`${path}: size ${geometry.size} is not a whole number of ${geometry.sectorSize}-byte sectors`)
    }
    this.fd = fd
    this.size = geometry.size
    this.sectorSize = geometry.sectorSize
    this.sizeFrom = geometry.sizeFrom
    this.pread = pread
    this.scratch = Buffer.alloc(Math.max(SMALL_SPAN, geometry.sectorSize))
  }

  /**
   * Opens `path` read-only and finds its geometry: from sysfs for a Linux block device, from
   * the boot sector for an NTFS volume, else by probing. Throws the open's own error
   * (ENOENT, EACCES, EPERM) for the caller to word.
   */
  static open(path: string, options: DeviceOpenOptions): DeviceByteSource {
    const fd = openSync(path, 'r')
    try {
      const pread = options.read ?? readSync
      const geometry =
        (options.kind === 'block-device' ? sysfsGeometry(path) : undefined) ??
        (options.kind === 'volume' ? ntfsVolumeGeometry(path, fd, pread) : undefined) ??
        probeGeometry(path, fd, pread)
      return new DeviceByteSource(path, fd, geometry, pread)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /** Opens `path` with a geometry already known (tests; a size another tool reported). */
  static withGeometry(path: string, geometry: DeviceGeometry, read: PositionalRead = readSync): DeviceByteSource {
    const fd = openSync(path, 'r')
    try {
      return new DeviceByteSource(path, fd, geometry, read)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  read(offset: number, length: number): Buffer {
    return readThroughInto(this, offset, length)
  }

  /**
   * Reads up to `length` bytes at `offset` into `target` at `targetOffset`. Whole sectors go
   * straight into `target`. A request that starts or ends inside a sector is widened to whole
   * sectors: when small (the many small reads of file-system metadata), in one read into a
   * scratch buffer, sliced; when large, its whole sectors straight into `target` and only its
   * first and last sector through the scratch buffer. Returns the bytes read: fewer only at the end.
   */
  readInto(offset: number, target: Uint8Array, targetOffset = 0, length = target.length - targetOffset): number {
    const fd = this.openFd()
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    if (targetOffset < 0 || targetOffset + length > target.length) {
      throw new RangeError(`${length} bytes at ${targetOffset} do not fit a buffer of ${target.length}`)
    }
    const end = offset + Math.max(0, Math.min(length, this.size - offset))
    const unit = this.sectorSize
    const spanStart = offset - (offset % unit)
    const spanEnd = Math.min(this.size, Math.ceil(end / unit) * unit)
    if (end > offset && (spanStart !== offset || spanEnd !== end) && spanEnd - spanStart <= SMALL_SPAN) {
      const n = this.readSectors(fd, this.scratch, 0, spanEnd - spanStart, spanStart)
      const take = Math.max(0, Math.min(end, spanStart + n) - offset)
      target.set(this.scratch.subarray(offset - spanStart, offset - spanStart + take), targetOffset)
      return take
    }
    let position = offset
    while (position < end) {
      const sectorStart = position - (position % unit)
      const at = targetOffset + (position - offset)
      if (position === sectorStart && end - position >= unit) {
        const run = end - position - ((end - position) % unit)
        const n = this.readSectors(fd, target, at, run, position)
        position += n
        if (n < run) break
      } else {
        const n = this.readSectors(fd, this.scratch, 0, unit, sectorStart)
        const take = Math.min(end, sectorStart + n) - position
        if (take <= 0) break
        target.set(this.scratch.subarray(position - sectorStart, position - sectorStart + take), at)
        position += take
        if (n < unit) break
      }
    }
    return position - offset
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`)
    return this.fd
  }

  /** Whole sectors at an aligned position; stops at the end of the device or at a read that is not whole sectors. */
  private readSectors(fd: number, buffer: Uint8Array, at: number, length: number, position: number): number {
    let done = 0
    while (done < length) {
      let n: number
      try {
        n = this.pread(fd, buffer, at + done, Math.min(MAX_READ, length - done), position + done)
      } catch (error) {
        throw new CorruptImageError(`${this.path}: ${Math.min(MAX_READ, length - done)} bytes cannot be read (${errorMessage(error)})`, position + done, {cause: error})
      }
      done += n
      // a short read that is not whole sectors would leave the next one unaligned: treat it as the end
      if (n === 0 || n % this.sectorSize !== 0) break
    }
    return done
  }
}

/** The major and minor number of a device number, as Linux encodes dev_t (new_encode_dev). */
export function majorMinor(dev: number): string {
  const major = Math.floor(dev / 256) & 0xfff
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00)
  return `${major}:${minor}`
}

/**
 * Linux: a block device's size is in /sys/dev/block/MAJ:MIN/size, always in 512-byte units
 * (include/linux/blkdev.h, "sector" is 512 bytes), and its logical block size in
 * queue/logical_block_size (a partition has no queue/: its disk's one applies).
 * Undefined where sysfs is absent or the path is not a block device.
 */
export function sysfsGeometry(path: string): DeviceGeometry | undefined {
  try {
    const info = statSync(path)
    if (!info.isBlockDevice()) return undefined
    const dir = `/sys/dev/block/${majorMinor(info.rdev)}`
    const sectors = Number(readFileSync(`${dir}/size`, 'utf8').trim())
    if (!Number.isSafeInteger(sectors * 512) || sectors <= 0) return undefined
    const queue = readdirSync(dir).includes('queue') ? `${dir}/queue` : `${dir}/../queue`
    let sectorSize = 512
    try {
      const logical = Number(readFileSync(`${queue}/logical_block_size`, 'utf8').trim())
      if ([512, 1024, 2048, 4096].includes(logical)) sectorSize = logical
    } catch {
      // older kernels without the file: 512, the unit sysfs counts in
    }
    return {size: sectors * 512, sectorSize, sizeFrom: 'sysfs'}
  } catch {
    return undefined
  }
}

/** One read of `length` bytes at `position`: the bytes read, or -1 when the device refuses it (past the end, a bad sector). */
function tryRead(fd: number, pread: PositionalRead, buffer: Buffer, position: number, length: number): number {
  try {
    return pread(fd, buffer, 0, length, position)
  } catch {
    return -1
  }
}

/**
 * An NTFS volume states its size in its boot sector: total sectors at offset 0x28 (8 bytes)
 * of bytes-per-sector at 0x0B (libfsntfs, "The volume header"). The backup boot sector sits in
 * the sector after the last one counted (mkntfs and Windows format both put it there), so the
 * volume is one sector more; that sector must be readable, else the size is probed. Bytes of a
 * partition beyond that backup sector, if any, are not read: the file system never refers to
 * them. The first 4096 bytes are read, a whole number of sectors for every sector size; a volume
 * refusing that is read as 512-byte sectors.
 */
function ntfsVolumeGeometry(path: string, fd: number, pread: PositionalRead): DeviceGeometry | undefined {
  const head = Buffer.alloc(4096)
  let n = tryRead(fd, pread, head, 0, 4096)
  if (n < 512) n = tryRead(fd, pread, head, 0, 512)
  if (n < 512 || head.toString('latin1', 3, 11) !== 'NTFS    ') return undefined
  const bytesPerSector = head.readUInt16LE(0x0b)
  const totalSectors = head.readBigUInt64LE(0x28)
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return undefined
  const size = (Number(totalSectors) + 1) * bytesPerSector
  if (totalSectors === 0n || !Number.isSafeInteger(size)) {
    throw new CorruptImageError(`${path}: NTFS boot sector states ${totalSectors} sectors`, 0x28)
  }
  // the backup boot sector must be readable where the size puts it; a boot sector that claims more than the device holds is not trusted
  if (tryRead(fd, pread, head, size - bytesPerSector, bytesPerSector) !== bytesPerSector) return undefined
  return {size, sectorSize: bytesPerSector, sizeFrom: 'ntfs-boot-sector'}
}

/**
 * The size of a device that states none (a Windows disk, a volume that is not NTFS): the
 * sector size is the first of 512 and 4096 that the device reads at offset 0; the size is
 * found by doubling, then bisecting, the count of sectors until the last readable one. A
 * device answers a read past its end with 0 bytes (Linux, Windows volumes) or an error
 * (Windows disks: ERROR_SECTOR_NOT_FOUND); both end the probe. About 2 x log2(sectors) reads.
 * Its limit: an unreadable sector met while probing is taken for the end, so a failing disk
 * may be read shorter than it is (its partitions then say how much of them is missing).
 */
export function probeGeometry(path: string, fd: number, pread: PositionalRead): DeviceGeometry {
  const sectorSize = SECTOR_SIZES.find((size) => tryRead(fd, pread, Buffer.alloc(size), 0, size) === size)
  if (sectorSize === undefined) throw new CorruptImageError(`${path}: its first sector cannot be read`, 0)
  const sector = Buffer.alloc(sectorSize)
  const readable = (count: number): boolean => tryRead(fd, pread, sector, (count - 1) * sectorSize, sectorSize) === sectorSize
  // invariant: the first `low` sectors are readable, sector `high - 1` is not
  let low = 1
  let high = 2048
  while (readable(high)) {
    low = high
    high *= 2
    if (!Number.isSafeInteger(high * sectorSize)) throw new CorruptImageError(`${path}: no end found below ${low * sectorSize} bytes`)
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2)
    if (readable(middle)) low = middle
    else high = middle
  }
  return {size: low * sectorSize, sectorSize, sizeFrom: 'probe'}
}
