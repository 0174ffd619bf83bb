import {closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readSync, type BigIntStats, type Dirent} from 'node:fs'
import {lstat, open, readdir, readlink} from 'node:fs/promises'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {FileNotFoundError, errorMessage, TrawlError, ExitCode} from '../errors.js'
import {unixNanosToIso} from '../time.js'
import type {FileEntry, FileKind, ListOptions, ReadOnlyFileSystem, Timestamps} from './types.js'

const READ_BYTES = 1 << 20
const MIN_READ_BYTES = 16 * 1024

/** O_NOATIME keeps reads from touching access times on Linux; not every platform has it. */
const O_NOATIME: number = (constants as Record<string, number>).O_NOATIME ?? 0

/**
 * A plain directory as an evidence volume: a mounted image, or a live system
 * drive. Opened read-only; symbolic links are reported, never followed.
 */
export class DirectoryFileSystem implements ReadOnlyFileSystem {
  readonly kind = 'directory'

  constructor(readonly root: string) {}

  async list(dirPath: string, _options?: ListOptions): Promise<FileEntry[]> {
    const dir = await this.resolve(dirPath)
    const dirents = await readdir(join(this.root, dir), {withFileTypes: true})
    const entries: FileEntry[] = []
    for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const name = dirent.name
      const path = dir === '' ? name : `${dir}/${name}`
      try {
        entries.push(await this.entry(path))
      } catch (error) {
        // gone between readdir and lstat (a live system), or not stat-able: listed by its name and
        // the kind the directory gives, with why, so that a definition naming it reports it
        const why = error instanceof FileNotFoundError ? 'gone between the directory listing and its lstat (deleted or moved during the run)' : errorMessage(error)
        entries.push({path, name, kind: direntKind(dirent), size: 0, times: {}, unreadable: why})
      }
    }
    return entries
  }

  async stat(path: string): Promise<FileEntry> {
    // a path spelled as the listing spells it is found with one lstat (resolve's, reused)
    const exact = exactPath(path)
    if (exact !== undefined) {
      let stats: BigIntStats | undefined
      try {
        stats = lstatSync(join(this.root, exact), {bigint: true, throwIfNoEntry: false})
      } catch {
        // not readable as spelled: resolve and report it as before
      }
      if (stats) return this.entryOf(exact, stats)
    }
    return this.entry(await this.resolve(path))
  }

  /**
   * The whole file in one synchronous open, fstat, read and close, without a trip through
   * libuv's thread pool for each (eight awaited calls per file made collecting 100 000
   * small files mostly waiting). The bytes are those open() would stream: the same file,
   * read from offset 0 to end of file.
   */
  async readSmall(path: string, maxBytes: number): Promise<Buffer | undefined> {
    const exact = exactPath(path)
    const full = join(this.root, exact ?? (await this.resolve(path)))
    let fd: number
    try {
      fd = openNoAtimeSync(full)
    } catch (error) {
      // not as spelled (a case-insensitive path): resolve it as open() does
      if (exact === undefined || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      fd = openNoAtimeSync(join(this.root, await this.resolve(path)))
    }
    try {
      const stats = fstatSync(fd)
      if (!stats.isFile() || stats.size > maxBytes) return undefined
      // one byte more than the size, so that a file that grew is seen to have grown
      let buffer = Buffer.allocUnsafe(stats.size + 1)
      let filled = 0
      for (;;) {
        if (filled === buffer.length) {
          if (filled > maxBytes) return undefined
          const larger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2))
          buffer.copy(larger)
          buffer = larger
        }
        const read = readSync(fd, buffer, filled, buffer.length - filled, filled)
        if (read === 0) break
        filled += read
      }
      return filled > maxBytes ? undefined : buffer.subarray(0, filled)
    } finally {
      closeSync(fd)
    }
  }

  async open(path: string, options?: {stream?: string}): Promise<Readable> {
    if (options?.stream) throw new FileNotFoundError(`${path}:${options.stream}`)
    const resolved = await this.resolve(path)
    const full = join(this.root, resolved)
    let handle: Awaited<ReturnType<typeof openNoAtime>>
    try {
      handle = await openNoAtime(full)
    } catch (error) {
      // listed a moment ago, gone now (a live system): the caller says so in its own words
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(path)
      throw error
    }
    // reads of up to 1 MiB, but no larger than the file needs: every read allocates its
    // buffer, and 1 MiB for each of 100 000 small files kept the collector busy collecting garbage
    let size = READ_BYTES
    try {
      size = (await handle.stat()).size
    } catch {
      // the size only sizes the reads
    }
    return createReadStream('', {fd: handle, autoClose: true, highWaterMark: Math.min(READ_BYTES, Math.max(MIN_READ_BYTES, size + 1))})
  }

  /**
   * Resolves a path case-insensitively, segment by segment, preferring an exact match.
   * A path that exists exactly as spelled (as every path taken from a listing does) is
   * that file, found with one lstat: listing each folder on the way for every file made
   * collecting a folder of n files cost n listings of it.
   */
  private async resolve(path: string): Promise<string> {
    const segments = splitPath(path)
    const exact = exactPath(path)
    if (exact !== undefined) {
      try {
        await lstat(join(this.root, exact))
        return exact
      } catch {
        // not as spelled: look for it case-insensitively below
      }
    }
    let current = ''
    for (const segment of segments) {
      let names: string[]
      try {
        names = await readdir(join(this.root, current))
      } catch {
        throw new FileNotFoundError(path)
      }
      let match = names.find((n) => n === segment)
      if (match === undefined) {
        const lower = segment.toLowerCase()
        match = names.find((n) => n.toLowerCase() === lower)
      }
      if (match === undefined) throw new FileNotFoundError(path)
      current = current === '' ? match : `${current}/${match}`
    }
    return current
  }

  private async entry(path: string): Promise<FileEntry> {
    const full = join(this.root, path)
    let stats: BigIntStats
    try {
      // synchronous: a listing of n files awaited n lstats one after another, each a round trip
      stats = lstatSync(full, {bigint: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(path)
      throw new TrawlError(`cannot stat ${path}: ${errorMessage(error)}`, ExitCode.source)
    }
    return this.entryOf(path, stats)
  }

  private async entryOf(path: string, stats: BigIntStats): Promise<FileEntry> {
    const full = join(this.root, path)
    const kind = kindOf(stats)
    const entry: FileEntry = {
      path,
      name: path.split('/').pop() ?? '',
      kind,
      size: kind === 'file' ? Number(stats.size) : 0,
      times: timesOf(stats),
      inode: stats.ino.toString(),
    }
    if (kind === 'symlink') entry.linkTarget = await readlink(full).catch(() => undefined)
    // what an 'other' entry is, for the examiner: nothing is read from it
    const special = stats.isFIFO() ? 'fifo' : stats.isSocket() ? 'socket' : stats.isCharacterDevice() ? 'character-device' : stats.isBlockDevice() ? 'block-device' : undefined
    if (special) entry.attributes = [special]
    return entry
  }
}

/** The path as spelled, when it may be tried as is: '..' never names an entry of a listing (it stays outside the fast path, and is not found case-insensitively either). */
function exactPath(path: string): string | undefined {
  const segments = splitPath(path)
  return segments.length === 0 || segments.includes('..') ? undefined : segments.join('/')
}

/** O_NONBLOCK: a file swapped for a FIFO after it was listed must not hold the process in open() (regular files ignore it). */
const O_NONBLOCK: number = (constants as Record<string, number>).O_NONBLOCK ?? 0

function openNoAtimeSync(full: string): number {
  if (O_NOATIME !== 0) {
    try {
      return openSync(full, constants.O_RDONLY | O_NOATIME | O_NONBLOCK)
    } catch (error) {
      // EPERM: O_NOATIME needs the file's owner or root; fall back to a plain read-only open
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error
    }
  }
  return openSync(full, constants.O_RDONLY | O_NONBLOCK)
}

async function openNoAtime(full: string) {
  if (O_NOATIME !== 0) {
    try {
      return await open(full, constants.O_RDONLY | O_NOATIME)
    } catch (error) {
      // EPERM: O_NOATIME needs the file's owner or root; fall back to a plain read-only open
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error
    }
  }
  return open(full, constants.O_RDONLY)
}

function direntKind(dirent: Dirent): FileKind {
  if (dirent.isFile()) return 'file'
  if (dirent.isDirectory()) return 'directory'
  if (dirent.isSymbolicLink()) return 'symlink'
  return 'other'
}

function kindOf(stats: BigIntStats): FileKind {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isSymbolicLink()) return 'symlink'
  return 'other'
}

function timesOf(stats: BigIntStats): Timestamps {
  const times: Timestamps = {
    modified: unixNanosToIso(stats.mtimeNs),
    accessed: unixNanosToIso(stats.atimeNs),
    changed: unixNanosToIso(stats.ctimeNs),
  }
  // birth time is 0 where the platform or file system does not record it
  if (stats.birthtimeNs > 0n) times.created = unixNanosToIso(stats.birthtimeNs)
  return times
}

/** Paths are '/'-separated: a backslash is an ordinary character in a POSIX file name. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.')
}
