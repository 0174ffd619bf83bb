import {closeSync, existsSync, openSync, readSync, realpathSync, statSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {CorruptImageError, MissingBackingFileError, SourceNotFoundError, TrawlError, UnsupportedFormatError, errorMessage} from '../errors.js'
import type {SourceDescription} from '../source/types.js'
import type {ByteSource} from './byte-source.js'
import {FileByteSource} from './byte-source.js'
import {DeviceByteSource, type DeviceKind} from './device.js'
import {parseWindowsDevicePath} from './device-path.js'
import {EwfImage, isEwf, unreadEwfVariant} from './ewf.js'
import {QcowImage, isQcow} from './qcow2.js'
import {RawImage} from './raw.js'
import {SplitRawImage, findSplitRawSegments} from './split-raw.js'
import {VmdkImage, isVmdk} from './vmdk.js'
import type {ParentImage, VirtualDiskInfo} from './virtual-disk.js'

/** An image file opened as the byte source of its media data. */
export interface OpenedImage {
  source: ByteSource
  /** kind 'image' with format, segments, size, stored hashes and EWF metadata. */
  description: SourceDescription
  /** Set for EWF images: media geometry and warnings found while opening. */
  ewf?: EwfImage
  /** Set for virtual disks (QCOW2, VMDK): the image and its parents, with their geometry and snapshots. */
  virtualDisk?: VirtualDiskInfo
  /** Problems found while opening that did not stop it (virtual disks; EWF keeps its own in `ewf`). */
  warnings?: string[]
}

/** The first bytes of a file (fewer if it is shorter). */
export function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    const n = readSync(fd, buffer, 0, length, 0)
    return buffer.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** Bytes read to recognise a virtual disk: a VMDK descriptor is text, recognised by its first lines. */
export const VIRTUAL_DISK_HEAD = 1024

/** The image format of `path` by its content (EWF signature), then by split naming, else raw. */
export function detectImageFormat(path: string): 'ewf' | 'qcow2' | 'vmdk' | 'split-raw' | 'raw' {
  const head = readHead(path, VIRTUAL_DISK_HEAD)
  if (isEwf(head)) return 'ewf'
  if (isQcow(head)) return 'qcow2'
  if (isVmdk(head)) return 'vmdk'
  return findSplitRawSegments(path) ? 'split-raw' : 'raw'
}

/**
 * Opens any image path as a ByteSource: an EWF segment (any of the set), a
 * segment of a split raw image, a single raw file, or a disk or volume read in
 * place (a Linux block device, a Windows `C:`, `\\.\PhysicalDrive0`). Throws
 * CorruptImageError for a damaged EWF set or a split set with a missing segment.
 */
export function openImage(path: string): OpenedImage {
  try {
    // a Windows device name is not a path: resolving `\\.\C:` would make it the folder `\\.\C:\`
    const windowsDevice = parseWindowsDevicePath(path)
    if (windowsDevice) {
      const {device, kind, name, driveLetter} = windowsDevice
      return openDevice(device, kind, name, driveLetter)
    }
    const absolute = resolve(path)
    if (isBlockDevice(absolute)) return openDevice(absolute, 'block-device', absolute)
    return openImageUnchecked(absolute)
  } catch (error) {
    // A segment that cannot be opened (permissions, vanished, a device in use) is an unreadable source.
    const code = (error as NodeJS.ErrnoException).code
    if (!(error instanceof TrawlError) && typeof code === 'string') {
      throw new SourceNotFoundError((error as NodeJS.ErrnoException).path ?? path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(error)})`)
    }
    throw error
  }
}

/** True for a block device (Linux /dev/sdb1); false for a file, and for a path stat cannot see (the open reports that). */
export function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice()
  } catch {
    return false
  }
}

function openDevice(path: string, kind: DeviceKind, name: string, driveLetter?: string): OpenedImage {
  let source: DeviceByteSource
  try {
    source = DeviceByteSource.open(path, {kind})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') throw error
    // reading a volume or disk raw needs elevation; say which, since the examiner can fix it
    const how = kind === 'block-device' ? 'run trawl as root' : 'run trawl from an elevated (Administrator) prompt'
    throw new SourceNotFoundError(path, `cannot be opened for reading (${code}): ${how}`)
  }
  return {
    source,
    description: {
      kind: 'image',
      path,
      format: 'device',
      segments: [path],
      size: source.size,
      device: {kind, name, ...(driveLetter ? {driveLetter} : {}), sectorSize: source.sectorSize, sizeFrom: source.sizeFrom},
    },
  }
}

function openImageUnchecked(absolute: string): OpenedImage {
  const head = readHead(absolute, VIRTUAL_DISK_HEAD)
  const variant = unreadEwfVariant(head)
  if (variant) throw new UnsupportedFormatError(`${absolute}: ${variant} images are not read by trawl (convert with ewfexport to raw or E01)`)
  if (isEwf(head)) {
    const ewf = EwfImage.open(absolute)
    const metadata: Record<string, string> = {...ewf.metadata}
    metadata.bytesPerSector = String(ewf.media.bytesPerSector)
    metadata.sectorCount = String(ewf.media.sectorCount)
    metadata.chunkSize = String(ewf.chunkSize)
    const storedHashes = {...ewf.storedHashes}
    return {
      source: ewf,
      ewf,
      description: {
        kind: 'image',
        path: absolute,
        format: 'ewf',
        segments: ewf.segments,
        size: ewf.size,
        ...(storedHashes.md5 || storedHashes.sha1 ? {storedHashes} : {}),
        metadata,
      },
    }
  }
  if (isQcow(head)) {
    const qcow = QcowImage.open(absolute, {openParent, chain: []})
    return {
      source: qcow,
      description: {kind: 'image', path: absolute, format: 'qcow2', segments: qcow.files, size: qcow.size},
      virtualDisk: {chain: qcow.chain},
      warnings: qcow.warnings,
    }
  }
  if (isVmdk(head)) {
    const vmdk = VmdkImage.open(absolute, {openParent, chain: []})
    return {
      source: vmdk,
      description: {kind: 'image', path: absolute, format: 'vmdk', segments: vmdk.files, size: vmdk.size},
      virtualDisk: {chain: vmdk.chain},
      warnings: vmdk.warnings,
    }
  }
  const segments = findSplitRawSegments(absolute)
  if (segments) {
    const split = new SplitRawImage(segments)
    return {source: split, description: {kind: 'image', path: absolute, format: 'split-raw', segments, size: split.size}}
  }
  const raw = new RawImage(absolute)
  return {source: raw, description: {kind: 'image', path: absolute, format: 'raw', segments: [absolute], size: raw.size}}
}

/** How deep a chain of parents may go before it is taken for a loop QEMU would also refuse. */
const MAX_CHAIN_DEPTH = 64

/**
 * Opens the parent of a virtual disk: a QCOW2 backing file, a VMDK parent. `format` is
 * what the child states ('raw', 'qcow2', ...); without it the parent is recognised by
 * content, as QEMU probes it. `chain` holds the images above it: a parent that is one of
 * them is a loop, refused. A parent not where the child names it is looked for beside
 * the child (images are copied from the machine that made them without their folders).
 */
export function openParent(path: string, format: string | undefined, chain: readonly string[]): ParentImage {
  const child = chain[chain.length - 1] ?? path
  let found = path
  if (!existsSync(found)) {
    const beside = join(dirname(child), basename(path))
    if (beside === path || !existsSync(beside)) throw new MissingBackingFileError(child, path)
    found = beside
  }
  const real = realpathSync(found)
  const above = chain.map((p) => {
    try {
      return realpathSync(p)
    } catch {
      return p
    }
  })
  if (above.includes(real)) throw new CorruptImageError(`${child}: its chain of backing files loops (${[...chain, found].join(' -> ')})`)
  if (chain.length >= MAX_CHAIN_DEPTH) throw new CorruptImageError(`${child}: chain of backing files deeper than ${MAX_CHAIN_DEPTH} images`)
  const head = readHead(found, VIRTUAL_DISK_HEAD)
  const stated = format?.toLowerCase()
  if (stated === 'qcow2' || (stated === undefined && isQcow(head))) {
    const qcow = QcowImage.open(found, {openParent, chain})
    return {source: qcow, chain: qcow.chain, files: qcow.files}
  }
  if (stated === 'vmdk' || (stated === undefined && isVmdk(head))) {
    const vmdk = VmdkImage.open(found, {openParent, chain})
    return {source: vmdk, chain: vmdk.chain, files: vmdk.files}
  }
  if (stated === undefined || stated === 'raw') {
    const raw = new FileByteSource(found)
    return {source: raw, chain: [{path: found, format: 'raw', size: raw.size}], files: [found]}
  }
  throw new UnsupportedFormatError(`${child}: backing file ${found} is stated to be ${format}, a format trawl does not read as a backing file`)
}
