import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'
import {resolve} from 'node:path'
import {SourceNotFoundError, TrawlError, UnsupportedFormatError, errorMessage} from '../errors.js'
import type {SourceDescription} from '../source/types.js'
import type {ByteSource} from './byte-source.js'
import {FileByteSource} from './byte-source.js'
import {DeviceByteSource, type DeviceKind} from './device.js'
import {parseWindowsDevicePath} from './device-path.js'
import {EwfImage, isEwf, unreadEwfVariant} from './ewf.js'
import {checkChain, findParentImage} from './parent-image.js'
import {QcowImage, isQcow} from './qcow2.js'
import {RawImage} from './raw.js'
import {SplitRawImage, findSplitRawSegments} from './split-raw.js'
import {VhdImage, isVhd} from './vhd.js'
import {VhdxImage, isVhdx} from './vhdx.js'
import {asLayerSource} from './virtual-disk.js'
import type {ParentImage} from './virtual-disk.js'
import {VmdkImage, isVmdk} from './vmdk.js'

/** An image file opened as the byte source of its media data. */
export interface OpenedImage {
  source: ByteSource
  /** kind 'image' with format, segments, size, stored hashes and EWF metadata. */
  description: SourceDescription
  /** Set for EWF images: media geometry and warnings found while opening. */
  ewf?: EwfImage
  /** Problems found while opening that did not stop it (VHD, VHDX: a checksum that fails, a replayed log). */
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

/** The last bytes of a file (fewer if it is shorter): where a VHD keeps its footer. */
export function readTail(path: string, length: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const buffer = Buffer.alloc(Math.min(length, size))
    const n = readSync(fd, buffer, 0, buffer.length, size - buffer.length)
    return buffer.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** Bytes read to recognise a virtual disk: a VMDK descriptor is text, recognised by its first lines. */
export const VIRTUAL_DISK_HEAD = 1024

/**
 * The container format of `path` by its content alone (VHDX file identifier, QCOW2 signature,
 * VMDK sparse extent signature or descriptor text, VHD footer or its copy), if it is one.
 */
export function detectVirtualDisk(path: string): 'vhd' | 'vhdx' | 'qcow2' | 'vmdk' | undefined {
  const head = readHead(path, VIRTUAL_DISK_HEAD)
  if (isVhdx(head)) return 'vhdx'
  if (isQcow(head)) return 'qcow2'
  if (isVmdk(head)) return 'vmdk'
  if (isVhd(head.subarray(0, 512), readTail(path, 512))) return 'vhd'
  return undefined
}

/** The image format of `path` by its content (EWF signature, VHDX, QCOW2, VMDK, VHD), then by split naming, else raw. */
export function detectImageFormat(path: string): 'ewf' | 'vhd' | 'vhdx' | 'qcow2' | 'vmdk' | 'split-raw' | 'raw' {
  if (isEwf(readHead(path, 8))) return 'ewf'
  const virtualDisk = detectVirtualDisk(path)
  if (virtualDisk) return virtualDisk
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
  const head = readHead(absolute, 8)
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
  const virtualDisk = detectVirtualDisk(absolute)
  if (virtualDisk === 'vhd') return openedVirtualDisk(absolute, VhdImage.open(absolute))
  if (virtualDisk === 'vhdx') return openedVirtualDisk(absolute, VhdxImage.open(absolute))
  if (virtualDisk === 'qcow2') return openedVirtualDisk(absolute, QcowImage.open(absolute, {openParent, chain: []}))
  if (virtualDisk === 'vmdk') return openedVirtualDisk(absolute, VmdkImage.open(absolute, {openParent, chain: []}))
  const segments = findSplitRawSegments(absolute)
  if (segments) {
    const split = new SplitRawImage(segments)
    return {source: split, description: {kind: 'image', path: absolute, format: 'split-raw', segments, size: split.size}}
  }
  const raw = new RawImage(absolute)
  return {source: raw, description: {kind: 'image', path: absolute, format: 'raw', segments: [absolute], size: raw.size}}
}

/** A VHD, VHDX, QCOW2 or VMDK (and its parents) as an opened image: its disk type, identifiers and parent chain described. */
function openedVirtualDisk(absolute: string, disk: VhdImage | VhdxImage | QcowImage | VmdkImage): OpenedImage {
  return {
    source: disk,
    warnings: disk.allWarnings,
    description: {
      kind: 'image',
      path: absolute,
      format: disk.format,
      // QCOW2, VMDK: every file read (extents, backing files), so the examiner knows what the disk is made of
      segments: 'files' in disk ? disk.files : [absolute],
      size: disk.size,
      virtualDisk: disk.description,
    },
  }
}

/**
 * Opens the parent of a QCOW2 or VMDK disk (a backing file, a snapshot's parent) named
 * `recorded` in `child`: found as written (relative names from the child's folder, as QEMU
 * resolves them) or by its name beside the child (findParentImage), refused when it is one
 * of `chain` (the real paths of the disks above it). `format` is what the child states
 * ('raw', 'qcow2', 'vmdk', ...); without it the parent is recognised by content, as QEMU probes it.
 */
export function openParent(child: string, recorded: {how: string; path: string}, format: string | undefined, chain: readonly string[]): ParentImage {
  const {path, foundBy} = findParentImage(child, [recorded])
  checkChain(child, path, chain)
  // `chain` already holds the child: it is the chain above the parent
  const above = chain
  const kind = format?.toLowerCase() ?? detectVirtualDisk(path) ?? 'raw'
  if (kind === 'qcow2') return {...parentOf(QcowImage.open(path, {openParent, chain: above})), foundBy}
  if (kind === 'vmdk') return {...parentOf(VmdkImage.open(path, {openParent, chain: above})), foundBy}
  if (kind === 'vhdx' || kind === 'vhd' || kind === 'vpc') {
    const disk = kind === 'vhdx' ? VhdxImage.open(path, {chain: above}) : VhdImage.open(path, {chain: above})
    return {source: asLayerSource(disk), description: disk.description, files: [path], warnings: disk.allWarnings, format: disk.format, foundBy}
  }
  if (kind === 'raw') {
    const raw = new FileByteSource(path)
    return {source: raw, files: [path], warnings: [], format: 'raw', foundBy}
  }
  throw new UnsupportedFormatError(`${child}: its parent ${path} is stated to be ${format}, a format trawl does not read as a parent`)
}

function parentOf(disk: QcowImage | VmdkImage): Omit<ParentImage, 'foundBy'> {
  return {source: disk, description: disk.description, files: disk.files, warnings: disk.allWarnings, format: disk.format}
}
