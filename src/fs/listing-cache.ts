import type {Readable} from 'node:stream'
import type {FileEntry, ListOptions, ReadOnlyFileSystem} from './types.js'

/**
 * Remembers directory listings for the length of one collection run, so that the
 * many definitions that walk the same user profile (`Users/{user}/**`) list each
 * directory once. Bounded by the number of entries kept; past the bound it simply
 * stops remembering.
 */
export class ListingCache implements ReadOnlyFileSystem {
  private readonly listings = new Map<string, FileEntry[]>()
  private kept = 0
  /** The inner source's whole-file read, where it has one (not cached: bytes are read every time). */
  readonly readSmall?: (path: string, maxBytes: number) => Promise<Buffer | undefined>

  constructor(
    private readonly inner: ReadOnlyFileSystem,
    private readonly maxEntries = 200_000,
  ) {
    if (inner.readSmall) this.readSmall = inner.readSmall.bind(inner)
  }

  get kind(): string {
    return this.inner.kind
  }

  get problems(): readonly Error[] | undefined {
    return this.inner.problems
  }

  get problemCount(): number | undefined {
    return this.inner.problemCount
  }

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    if (options?.deleted || options?.brief) return this.inner.list(dirPath, options)
    const cached = this.listings.get(dirPath)
    if (cached) return cached
    const entries = await this.inner.list(dirPath, options)
    if (this.kept + entries.length <= this.maxEntries) {
      this.listings.set(dirPath, entries)
      this.kept += entries.length
    }
    return entries
  }

  stat(path: string): Promise<FileEntry> {
    return this.inner.stat(path)
  }

  open(path: string, options?: {stream?: string}): Promise<Readable> {
    return this.inner.open(path, options)
  }
}
