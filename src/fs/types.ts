import type {Readable} from 'node:stream'

/**
 * The one read-only file-system interface every evidence source implements:
 * a plain directory (a mounted volume or a live drive) and NTFS inside an image.
 * Nothing here can write. Paths are '/'-separated, relative to the volume root,
 * without a leading slash ('' is the root), and are resolved case-insensitively,
 * as Windows resolves them.
 */

export type FileKind = 'file' | 'directory' | 'symlink' | 'other'

/**
 * Timestamps as ISO 8601 UTC strings at the source's full precision
 * (FILETIME: 7 fractional digits; POSIX stat: 9). Absent when the source has none.
 */
export interface Timestamps {
  modified?: string
  accessed?: string
  /** Metadata change: POSIX ctime, NTFS "MFT entry modified". */
  changed?: string
  created?: string
}

export interface DataStream {
  /** '' is the default (unnamed) stream; anything else is an alternate data stream. */
  name: string
  size: number
}

export interface FileEntry {
  /** Path from the volume root, as the volume spells it (original case). */
  path: string
  name: string
  kind: FileKind
  /** Size of the default data stream in bytes (0 for directories). */
  size: number
  /** Primary times: stat on a directory source, $STANDARD_INFORMATION on NTFS. */
  times: Timestamps
  /** NTFS: the times of each $FILE_NAME attribute, with its namespace. */
  fileNameTimes?: Array<Timestamps & {name: string; namespace?: string}>
  /** A stable file identity: inode number, or NTFS MFT reference "entry-sequence". */
  inode?: string
  /** NTFS: an unallocated MFT record whose data is still addressable. */
  deleted?: boolean
  /** Alternate data streams (the default stream is described by size). */
  streams?: DataStream[]
  /** Symbolic link or reparse-point target: reported, never followed. */
  linkTarget?: string
  /** Source-specific flags, e.g. 'hidden', 'system', 'compressed', 'sparse', 'reparse-point'. */
  attributes?: string[]
  /**
   * The entry's own metadata could not be read: why (an NTFS MFT record that is damaged, a
   * file that vanished between a directory's listing and its lstat). It is listed by what
   * could be read (its name, unverified), and reading it fails with the reason.
   */
  unreadable?: string
}

export interface ListOptions {
  /** Also list deleted entries where the source can (NTFS). */
  deleted?: boolean
  /**
   * Only what a line listing prints (path, name, kind, size, inode, deleted, streams, link
   * target): a source may then leave out the times and attributes, which cost most of a
   * listing's work. Sources that cannot tell the difference ignore it.
   */
  brief?: boolean
}

export interface ReadOnlyFileSystem {
  /** 'directory', 'ntfs', ... */
  readonly kind: string
  /** Children of a directory. Throws FileNotFoundError if it does not exist. */
  list(dirPath: string, options?: ListOptions): Promise<FileEntry[]>
  /** Resolves `path` case-insensitively. Throws FileNotFoundError if it does not exist. */
  stat(path: string): Promise<FileEntry>
  /** Streams the bytes of a file's default stream, or of the named alternate stream. */
  open(path: string, options?: {stream?: string}): Promise<Readable>
  /**
   * The whole default stream of a small regular file in one call, or undefined when it is
   * not a regular file or holds more than `maxBytes` (open() streams those). The bytes are
   * the ones open() would stream; a source offers it when it can answer without the
   * per-call round trips of a stream (a directory: one open, read and close, no thread
   * pool). Throws where open() would; callers then take open() for its exact error.
   */
  readSmall?(path: string, maxBytes: number): Promise<Buffer | undefined>
  close?(): Promise<void>
  /**
   * What the reader found damaged so far (records, directories, tables), each a typed error
   * naming where; the first ones are kept, `problemCount` counts them all. A listing that
   * leaves something out because of damage says so here. Readers of images keep it.
   */
  readonly problems?: readonly Error[]
  readonly problemCount?: number
}
