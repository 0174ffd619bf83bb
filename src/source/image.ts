import {stat} from 'node:fs/promises'
import {CorruptImageError, TrawlError, errorMessage} from '../errors.js'
import {fileSystemDrivers, type FileSystemOptions} from '../fs/drivers.js'
import type {ByteSource} from '../image/byte-source.js'
import {SliceByteSource} from '../image/byte-source.js'
import {detectVirtualDisk, openImage, readHead} from '../image/detect.js'
import type {OpenedImage} from '../image/detect.js'
import {isEwf, unreadEwfVariant} from '../image/ewf.js'
import {RawImage} from '../image/raw.js'
import {findSplitRawSegments} from '../image/split-raw.js'
import {readVolumeSystem} from '../volume/detect.js'
import {sniffFileSystem} from '../volume/fs-sniff.js'
import type {Partition, VolumeSystem} from '../volume/types.js'
import {ShadowCopies} from '../vss/shadow-copies.js'
import {deviceOutputConflict, deviceWarnings} from './device.js'
import type {EvidenceSource, EvidenceVolume, OpenOptions, SnapshotSelection, SourceOpener, VolumeDescription} from './types.js'

/**
 * A disk image (raw, split raw, EWF) as an evidence source: its volume system
 * is read, and every partition (or the bare volume) becomes a volume whose file
 * system is opened by the first driver that recognises it. A volume no driver
 * reads stays listed, with its file system named and the reason it is not read.
 */

export interface ImageEvidenceSource extends EvidenceSource {
  image: OpenedImage
  volumeSystem: VolumeSystem
  /** Problems met while opening that did not stop it (EWF table2 used, partition beyond the image end). */
  warnings: string[]
}

/** The bytes of one partition, cut to what the image holds (a truncated image holds less than the table declares). */
function partitionBytes(image: ByteSource, partition: Partition, warnings: string[]): ByteSource {
  const available = Math.max(0, Math.min(partition.size, image.size - partition.offset))
  if (available < partition.size) {
    warnings.push(`partition ${partition.index} (slot ${partition.slot}) declares ${partition.size} bytes, the image holds ${available} of them`)
  }
  return new SliceByteSource(image, Math.min(partition.offset, image.size), available)
}

/** Opens the file system of one volume with the first driver that detects it. */
export function attachFileSystem(id: string, bytes: ByteSource, description: VolumeDescription, options: FileSystemOptions = {}): EvidenceVolume {
  const sniffed = bytes.size > 0 ? sniffFileSystem(bytes) : {name: 'unknown' as const}
  const volume: EvidenceVolume = {id, description: {...description, fileSystem: sniffed.name}}
  if (sniffed.label) volume.description.label = sniffed.label
  if (sniffed.serial) volume.description.serial = sniffed.serial
  for (const driver of fileSystemDrivers) {
    let detected = false
    try {
      detected = driver.detect(bytes)
    } catch {
      detected = false
    }
    if (!detected) continue
    volume.description.fileSystem = driver.name
    try {
      const fs = driver.open(bytes, options)
      volume.fs = fs
      // a driver reading a family names the member it found (ext2, ext3, ext4)
      volume.description.fileSystem = fs.kind
      if (fs.label !== undefined) volume.description.label = fs.label
      if (fs.serial !== undefined) volume.description.serial = fs.serial
      if (fs.notes && fs.notes.length > 0) volume.description.notes = [...fs.notes]
    } catch (error) {
      if (!(error instanceof TrawlError)) throw error
      volume.unreadable = `file system ${driver.name} cannot be read: ${error.message}`
    }
    return volume
  }
  volume.unreadable =
    sniffed.name === 'unknown'
      ? `no file system trawl recognises${description.partitionType ? ` (partition type ${description.partitionType})` : ''}`
      : `file system ${sniffed.name} is not read by trawl`
  return volume
}

/**
 * The Volume Shadow Copies of an NTFS volume: listed in its description, and those the
 * selection names opened as volumes of their own (`p2@vss1`), each with its file system.
 * A catalog too damaged to read leaves the live volume as it is, with why; a snapshot
 * that cannot be rebuilt stays listed as a volume not read, with why.
 */
export function shadowCopyVolumes(live: EvidenceVolume, bytes: ByteSource, selection: SnapshotSelection, warnings: string[]): EvidenceVolume[] {
  if (live.description.fileSystem !== 'ntfs') return []
  let shadowCopies: ShadowCopies | undefined
  try {
    shadowCopies = ShadowCopies.open(bytes)
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
    live.description.shadowCopiesUnreadable = error.message
    warnings.push(`${live.id}: shadow copies not read: ${error.message}`)
    return []
  }
  if (!shadowCopies) return []
  const {catalog} = shadowCopies
  live.description.shadowCopies = catalog.shadowCopies
  for (const warning of catalog.warnings) warnings.push(`${live.id}: ${warning}`)
  const wanted = catalog.shadowCopies.filter((copy) => selection === 'all' || (Array.isArray(selection) && selection.includes(copy.number)))
  return wanted.map((copy) => {
    const description: VolumeDescription = {
      ...live.description,
      size: Math.min(copy.volumeSize, bytes.size),
      snapshot: {
        of: live.id,
        number: copy.number,
        createdAt: copy.createdAt,
        storeId: copy.storeId,
        ...(copy.shadowCopyId ? {shadowCopyId: copy.shadowCopyId} : {}),
        ...(copy.shadowCopySetId ? {shadowCopySetId: copy.shadowCopySetId} : {}),
      },
    }
    delete description.shadowCopies
    delete description.label
    delete description.serial
    const id = `${live.id}@vss${copy.number}`
    if (!shadowCopies.check(copy.number)) {
      warnings.push(`${id}: shadow copy ${copy.number} not read: ${copy.unreadable}`)
      return {id, description, unreadable: `shadow copy ${copy.number} cannot be rebuilt: ${copy.unreadable}`}
    }
    return attachFileSystem(id, shadowCopies.snapshot(copy.number), description)
  })
}

/** Opens an image path (any segment of it) as an evidence source. */
export function openImageSource(path: string, options: OpenOptions = {}): ImageEvidenceSource {
  const selection = options.snapshots ?? 'none'
  const fsOptions = {directoryIndexes: options.directoryIndexes}
  const image = openImage(path)
  const warnings: string[] = [...(image.ewf?.warnings ?? []), ...(image.warnings ?? []), ...deviceWarnings(image.description)]
  try {
    const volumeSystem = readVolumeSystem(image.source)
    warnings.push(...volumeSystem.warnings)
    const volumes: EvidenceVolume[] = []
    if (volumeSystem.scheme === 'none') {
      // a Windows volume read in place is named by its drive letter, as the examiner knows it (files/C/...)
      const id = image.description.device?.driveLetter ?? 'vol'
      const live = attachFileSystem(id, image.source, {scheme: 'none', offset: 0, size: image.source.size}, fsOptions)
      volumes.push(live, ...shadowCopyVolumes(live, image.source, selection, warnings))
    } else {
      for (const partition of volumeSystem.partitions) {
        const bytes = partitionBytes(image.source, partition, warnings)
        const live = attachFileSystem(`p${partition.index}`, bytes, {
          scheme: partition.scheme,
          index: partition.index,
          offset: partition.offset,
          size: partition.size,
          partitionType: partition.scheme === 'mbr' ? partition.type : partition.description,
        }, fsOptions)
        volumes.push(live, ...shadowCopyVolumes(live, bytes, selection, warnings))
      }
    }
    return {
      description: image.description,
      volumes,
      image,
      volumeSystem,
      warnings,
      outputConflict: (directory) => deviceOutputConflict(image.description, directory),
      async close() {
        for (const volume of volumes) await volume.fs?.close?.()
        image.source.close()
      },
    }
  } catch (error) {
    image.source.close()
    throw error
  }
}

/**
 * Recognises an image by content: an EWF signature, a split raw set, or a raw
 * disk whose first sectors hold a partition table or a file system trawl can
 * name. Anything else is not claimed, so an unknown file is reported as such.
 */
export const imageOpener: SourceOpener = {
  name: 'image',
  async detect(path) {
    const info = await stat(path)
    // a block device is read as a disk whatever it holds: open() says what it finds there
    if (info.isBlockDevice()) return true
    if (!info.isFile()) return false
    const head = readHead(path, 8)
    // EWF (E01) and its variants trawl names but does not read: claimed, so open() says which.
    if (isEwf(head) || unreadEwfVariant(head)) return true
    if (detectVirtualDisk(path)) return true
    try {
      if (findSplitRawSegments(path)) return true
    } catch (error) {
      // A split set with a gap is an image; open() reports the gap.
      if (error instanceof CorruptImageError) return true
      throw error
    }
    let raw: RawImage | undefined
    try {
      raw = new RawImage(path)
      if (raw.size === 0) return false
      if (readVolumeSystem(raw).scheme !== 'none') return true
      return sniffFileSystem(raw).name !== 'unknown'
    } catch (error) {
      if (error instanceof TrawlError) return true
      throw new CorruptImageError(`${path}: cannot be read as an image (${errorMessage(error)})`)
    } finally {
      raw?.close()
    }
  },
  async open(path, options) {
    return openImageSource(path, options)
  },
}
