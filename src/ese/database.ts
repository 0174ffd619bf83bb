/**
 * A read-only ESE database: header, page B+-trees, catalog, tables and their rows.
 * Format: libyal/libesedb "Extensible Storage Engine (ESE) Database File (EDB) format".
 *
 * The file is opened read-only and read a page at a time. Trees are walked depth
 * first in key order with a visited set, so a damaged or looping tree ends instead of
 * hanging; every page that cannot be used (bad checksum, wrong tree, out of the file)
 * and every value that cannot be decoded becomes an EseProblem, and the rest is read.
 * A database whose header says "dirty shutdown" is read as it is on disk (no log
 * replay): `dirty` is set so the caller can say the content may be incomplete.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {CorruptImageError, FileNotFoundError} from '../errors.js'
import {type EseCatalog, readCatalog} from './catalog.js'
import {type EseHeader, readEseHeader} from './header.js'
import {type EsePage, PAGE_FLAGS, type PageEntry, type PageLayout, parseEntry, parsePage, TAG_FLAGS, tagValue} from './page.js'
import {decodeRecord, type EseRow, type LongValueStore} from './record.js'
import type {EseTable} from './catalog.js'

export interface EseProblem {
  /** Page number, when the problem is a page's. */
  page?: number
  table?: string
  message: string
}

export interface ByteReader {
  readonly size: number
  read(offset: number, length: number): Buffer
  close(): void
}

/** Reads a local file opened read-only ('r'): evidence copies are never opened for writing. */
export function openReadOnlyFile(path: string): ByteReader {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(path)
    throw error
  }
  const size = fstatSync(fd).size
  return {
    size,
    read(offset, length) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)))
      let done = 0
      while (done < buffer.length) {
        const got = readSync(fd, buffer, done, buffer.length - done, offset + done)
        if (got === 0) break
        done += got
      }
      return buffer.subarray(0, done)
    },
    close() {
      closeSync(fd)
    },
  }
}

export function bufferReader(bytes: Buffer): ByteReader {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)),
    close() {},
  }
}

/** Root page of the catalog (MSysObjects): fixed by the format. */
export const CATALOG_ROOT_PAGE = 4

export class EseDatabase {
  readonly header: EseHeader
  readonly layout: PageLayout
  readonly pageCount: number
  readonly problems: EseProblem[] = []
  readonly catalog: EseCatalog
  private readonly longValues = new Map<string, LongValueStore>()

  constructor(private readonly reader: ByteReader, readonly name: string) {
    this.header = readEseHeader((offset, length) => reader.read(offset, length), reader.size, name)
    if (this.header.fileType !== 0) throw new CorruptImageError(`${name}: an ESE streaming file, not a database`, 12)
    this.layout = {pageSize: this.header.pageSize, formatRevision: this.header.formatRevision}
    this.pageCount = Math.floor(reader.size / this.header.pageSize) - 1
    for (const problem of this.header.problems) this.problems.push({message: problem})
    if (reader.size % this.header.pageSize !== 0) {
      this.problems.push({message: `file size ${reader.size} is not a whole number of ${this.header.pageSize}-byte pages: the last page is cut short`})
    }
    this.catalog = readCatalog(this)
  }

  static open(path: string): EseDatabase {
    const reader = openReadOnlyFile(path)
    try {
      return new EseDatabase(reader, path)
    } catch (error) {
      reader.close()
      throw error
    }
  }

  /** True when the header records a dirty shutdown: pages may be newer or older than each other. */
  get dirty(): boolean {
    return this.header.state === 2
  }

  close(): void {
    this.reader.close()
  }

  /** Reads page N (file offset (N + 1) x page size); undefined, with a problem noted, when it is outside the file. */
  readPage(pageNumber: number): EsePage | undefined {
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) {
      this.problems.push({page: pageNumber, message: `page ${pageNumber} is outside the file (${this.pageCount} pages)`})
      return undefined
    }
    const bytes = this.reader.read((pageNumber + 1) * this.layout.pageSize, this.layout.pageSize)
    if (bytes.length < this.layout.pageSize) {
      this.problems.push({page: pageNumber, message: `page ${pageNumber} is cut short`})
      return undefined
    }
    return parsePage(bytes, pageNumber, this.layout)
  }

  /**
   * The leaf entries of the B+-tree rooted at `rootPage`, in key order. Pages of
   * another tree (by their FDP object id), pages seen before, and branch entries
   * that do not parse are skipped with a problem noted.
   */
  *walk(rootPage: number, objectId: number | undefined, label: string): Generator<PageEntry & {page: number}> {
    const visited = new Set<number>()
    const stack: number[] = [rootPage]
    while (stack.length > 0) {
      const number = stack.pop()!
      if (visited.has(number)) {
        this.problems.push({page: number, table: label, message: `page ${number} is reached twice in the tree of ${label}: skipped the second time`})
        continue
      }
      visited.add(number)
      const page = this.readPage(number)
      if (!page) continue
      if (page.checksumProblem) this.problems.push({page: number, table: label, message: `page ${number}: ${page.checksumProblem} (read anyway)`})
      if (objectId !== undefined && page.fdpObjectId !== objectId) {
        this.problems.push({page: number, table: label, message: `page ${number} belongs to object ${page.fdpObjectId}, not ${objectId} (${label}): skipped`})
        continue
      }
      if (page.flags & PAGE_FLAGS.empty) continue
      const isRoot = (page.flags & PAGE_FLAGS.root) !== 0
      const first = page.tags[0]
      // Tag 0 of a non-root page is the key prefix its entries share; of a root page, the space header.
      const commonKey = !isRoot && first ? tagValue(page, first, this.layout) : Buffer.alloc(0)
      const isLeaf = (page.flags & PAGE_FLAGS.leaf) !== 0
      const children: number[] = []
      for (const tag of page.tags.slice(1)) {
        if (tag.size === 0 || tag.flags & TAG_FLAGS.defunct) continue
        const entry = parseEntry(tagValue(page, tag, this.layout), tag, commonKey)
        if (!entry) {
          this.problems.push({page: number, table: label, message: `page ${number} tag ${tag.index} does not parse as an entry: skipped`})
          continue
        }
        if (isLeaf) {
          yield {...entry, page: number}
        } else if (entry.data.length >= 4) {
          children.push(entry.data.readUInt32LE(0))
        } else {
          this.problems.push({page: number, table: label, message: `page ${number} tag ${tag.index}: branch entry without a child page`})
        }
      }
      // Depth first, leftmost child first: push in reverse.
      for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]!)
    }
  }

  tables(): EseTable[] {
    return this.catalog.tables
  }

  table(name: string): EseTable | undefined {
    return this.catalog.tables.find((table) => table.name === name) ?? this.catalog.tables.find((table) => table.name.toLowerCase() === name.toLowerCase())
  }

  /** The long values of a table, read once (its LV tree keyed by long value id). */
  longValueStore(table: EseTable): LongValueStore {
    const cached = this.longValues.get(table.name)
    if (cached) return cached
    const store: LongValueStore = {headers: new Map(), segments: new Map()}
    if (table.longValueRoot !== undefined) {
      for (const entry of this.walk(table.longValueRoot, table.objectId, `${table.name} long values`)) {
        // A 4- or 8-byte key is a long value's header (reference count, size); 4 more bytes of key give a segment's offset.
        if (entry.key.length === 4 || entry.key.length === 8) {
          const size = entry.data.length >= 8 ? entry.data.readUInt32LE(4) : 0
          store.headers.set(entry.key.toString('hex'), size)
        } else if (entry.key.length === 8 + 4 || entry.key.length === 4 + 4) {
          const id = entry.key.subarray(0, entry.key.length - 4).toString('hex')
          const list = store.segments.get(id) ?? []
          list.push({offset: entry.key.readUInt32BE(entry.key.length - 4), data: entry.data})
          store.segments.set(id, list)
        }
      }
    }
    this.longValues.set(table.name, store)
    return store
  }

  /** The rows of a table in primary-key order. Rows that do not decode are noted as problems and skipped. */
  *rows(table: EseTable): Generator<EseRow> {
    const store = table.longValueRoot === undefined ? undefined : this.longValueStore(table)
    let index = 0
    for (const entry of this.walk(table.rootPage, table.objectId, table.name)) {
      try {
        const row = decodeRecord(entry.data, table, this.layout, store)
        row.page = entry.page
        row.tag = entry.tag.index
        row.index = index++
        for (const message of row.problems) this.problems.push({page: entry.page, table: table.name, message})
        yield row
      } catch (error) {
        this.problems.push({page: entry.page, table: table.name, message: `page ${entry.page} tag ${entry.tag.index}: record does not decode: ${(error as Error).message}`})
      }
    }
  }
}
