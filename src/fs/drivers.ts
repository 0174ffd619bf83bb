import type {ByteSource} from '../image/byte-source.js'
import {exfatDriver} from '../exfat/index.js'
import {extDriver} from '../ext/index.js'
import {fatDriver} from '../fat/index.js'
import {ntfsDriver} from '../ntfs/index.js'
import type {ReadOnlyFileSystem} from './types.js'

/** How a file system is read, where its driver offers a choice. */
export interface FileSystemOptions {
  /**
   * Triage: read directories through their own indexes (NTFS $I30) instead of a pass over
   * the whole $MFT, so only the paths walked are read. Deleted and orphan files are then not
   * looked for; a driver without such indexes ignores it.
   */
  directoryIndexes?: boolean
}

/** A file system trawl reads natively from a volume's bytes. */
export interface FileSystemDriver {
  /** 'ntfs' */
  readonly name: string
  /** True if the volume's first bytes hold this file system (boot sector signature). */
  detect(volume: ByteSource): boolean
  /** Opens the volume read-only. Throws CorruptImageError for a file system too damaged to read. */
  open(volume: ByteSource, options?: FileSystemOptions): ReadOnlyFileSystem & {readonly label?: string; readonly serial?: string; readonly notes?: readonly string[]}
}

/**
 * File-system drivers, tried in order on every volume. A new file system adds
 * its driver here; volumes it does not read are named, not guessed.
 */
export const fileSystemDrivers: FileSystemDriver[] = [ntfsDriver, extDriver, fatDriver, exfatDriver]
