import type {ReadOnlyFileSystem} from '../fs/types.js'

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
}

export interface EvidenceVolume {
  /** Short id used in bundle paths and records: 'dir', 'p1', 'p2', 'vol'. */
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
}

export interface EvidenceSource {
  description: SourceDescription
  volumes: EvidenceVolume[]
  /** Non-fatal problems found while opening (a partition running past the image end, a bad GPT copy). */
  warnings?: string[]
  close(): Promise<void>
}

/** Opens one kind of source. Detection is by content, next to the format it detects. */
export interface SourceOpener {
  readonly name: string
  /** True if this opener recognises `path` (read a few bytes, never write). */
  detect(path: string): Promise<boolean>
  open(path: string): Promise<EvidenceSource>
}
