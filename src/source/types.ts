import type {ReadOnlyFileSystem} from '../fs/types.js'
import type {DeviceKind, DeviceSizeMethod} from '../image/device.js'
import type {VirtualDiskDescription} from '../image/parent-image.js'
import type {ShadowCopy} from '../vss/shadow-copies.js'

/**
 * An evidence source: a directory, or an image holding one or more volumes.
 * Collection walks every volume that has a readable file system.
 */

export interface VolumeDescription {
  /** Partition scheme the volume came from: 'mbr', 'gpt', 'none' (bare volume), 'directory'. */
  scheme: string
  /** Partition index as mmls/the partition table numbers it (absent for a bare volume). */
  index?: number
  /** Byte offset in the image, and size in bytes. */
  offset?: number
  size?: number
  /** Partition type as the table states it, e.g. '0x07', 'Basic data partition'. */
  partitionType?: string
  /** The file system found: 'ntfs', 'directory', or the name of one trawl does not read, e.g. 'ext2'. */
  fileSystem?: string
  label?: string
  serial?: string
  /** How the file system was read where the examiner must know it (an ext journal not replayed; FAT times in local time). */
  notes?: string[]
  /** In a source of several volumes: the device or path this volume was read from (`\\.\C:`). */
  device?: string
  /**
   * NTFS volume with Volume Shadow Copies enabled: every snapshot its catalog lists, oldest
   * first, whether or not this run reads it ([] when VSS is enabled but none is stored).
   */
  shadowCopies?: ShadowCopy[]
  /** Why the shadow copy catalog of this volume could not be read (the volume itself reads on). */
  shadowCopiesUnreadable?: string
  /** A snapshot volume (`p2@vss1`): which shadow copy of which volume it is. */
  snapshot?: SnapshotDescription
}

/** A volume as it was when a Volume Shadow Copy was made. */
export interface SnapshotDescription {
  /** The id of the live volume it is a snapshot of ('p2'). */
  of: string
  /** 1-based, oldest first. */
  number: number
  /** UTC, 100 ns precision. */
  createdAt: string | null
  storeId: string
  shadowCopyId?: string
  shadowCopySetId?: string
}

/** Which shadow copies a source opens as volumes: every one, none (listed only), or these numbers. */
export type SnapshotSelection = 'all' | 'none' | number[]

export interface OpenOptions {
  /** Default 'none': each volume's shadow copies are listed in its description, not opened. */
  snapshots?: SnapshotSelection
  /** Triage: file systems read only along the paths walked (FileSystemOptions.directoryIndexes). */
  directoryIndexes?: boolean
}

export interface EvidenceVolume {
  /**
   * Short id used in bundle paths and records: 'dir', 'p1', 'p2', 'vol', or a drive letter 'C' for a Windows
   * volume read in place; a snapshot of one adds '@vss' and its number ('p2@vss1').
   */
  id: string
  description: VolumeDescription
  /** Present when trawl reads the volume's file system. */
  fs?: ReadOnlyFileSystem
  /** Why the volume is not read (unsupported or corrupt file system). */
  unreadable?: string
}

export interface SourceDescription {
  kind: 'directory' | 'image' | 'live'
  path: string
  /** Image format: 'raw', 'split-raw', 'ewf'. */
  format?: string
  segments?: string[]
  /** Media size in bytes. */
  size?: number
  /** Hashes stored inside the image (EWF), hex. */
  storedHashes?: {md5?: string; sha1?: string}
  /** EWF header metadata (case number, examiner, acquisition date, ...). */
  metadata?: Record<string, string>
  /** A disk or volume read in place (format 'device'): what it is and how its size was found. */
  device?: DeviceDescription
  /** A virtual disk (VHD, VHDX): its disk type, identifier, block size and, for a differencing disk, its parents. */
  virtualDisk?: VirtualDiskDescription
  /** A source of several (the fixed volumes of a live machine): each one's own description. */
  sources?: SourceDescription[]
}

export interface DeviceDescription {
  /** 'volume' (Windows `\\.\C:`, a shadow copy), 'disk' (Windows `\\.\PhysicalDriveN`), 'block-device' (Linux). */
  kind: DeviceKind
  /** As the examiner knows it: 'C:', 'PhysicalDrive0', '/dev/sdb1'. */
  name: string
  driveLetter?: string
  sectorSize: number
  /** 'sysfs', 'ntfs-boot-sector' or 'probe' (see src/image/device.ts). */
  sizeFrom: DeviceSizeMethod
}

export interface EvidenceSource {
  description: SourceDescription
  volumes: EvidenceVolume[]
  /** Non-fatal problems found while opening (a partition running past the image end, a bad GPT copy). */
  warnings?: string[]
  /**
   * Why writing a file in `directory` (an absolute, real path) would write on this evidence
   * (it is inside the directory source, on the volume or disk read), or undefined when it
   * would not. Collection refuses such an output.
   */
  outputConflict?(directory: string): string | undefined
  /**
   * Why writing in `directory` (an existing, real path) would write on the file system a
   * directory source lies on, whose free space may hold deleted files; undefined when it
   * would not. Unlike outputConflict, an examiner may accept it for a copy of the evidence
   * on their own disk (collect --allow-same-volume).
   */
  sharedFileSystem?(directory: string): string | undefined
  close(): Promise<void>
}

/** Opens one kind of source. Detection is by content, next to the format it detects. */
export interface SourceOpener {
  readonly name: string
  /** True if this opener recognises `path` (read a few bytes, never write). */
  detect(path: string): Promise<boolean>
  open(path: string, options?: OpenOptions): Promise<EvidenceSource>
}
