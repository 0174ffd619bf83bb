import {existsSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {inflateSync} from 'node:zlib'
import {CorruptImageError, UnsupportedFormatError, errorMessage} from '../errors.js'
import {FileByteSource} from './byte-source.js'
import type {ByteSource} from './byte-source.js'
import {ZlibInflater} from './zlib-inflater.js'

/**
 * Expert Witness Compression Format (EWF-E01, EnCase 1 to 7, FTK Imager,
 * ewfacquire; and EWF-S01 SMART), read-only. Layout as documented in libyal's
 * "Expert Witness Compression Format (EWF)" specification (cited as [EWF] with
 * the section name below).
 *
 * An image is a set of segment files (.E01, .E02, ... .E99, .EAA, ...). Each
 * segment is a 13-byte file header and a chain of sections; the media data is
 * stored in chunks (64 sectors by default) listed by table sections, each chunk
 * zlib-compressed or stored with an Adler-32 checksum.
 */

/** [EWF] "File header": "EVF\x09\x0d\x0a\xff\x00". */
export const EWF_SIGNATURE = Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00])
/** EWF version 2 (.Ex01) starts "EVF2\r\n\x81\x00": a different format. */
const EWF2_SIGNATURE = Buffer.from([0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00])
/** Logical evidence (.L01) holds files, not media. */
const LVF_SIGNATURE = Buffer.from([0x4c, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00])

const FILE_HEADER_SIZE = 13
const SECTION_DESCRIPTOR_SIZE = 76

/** Logical evidence version 2 (.Lx01) starts "LEF2\r\n\x81\x00". */
const LEF2_SIGNATURE = Buffer.from([0x4c, 0x45, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00])

/**
 * The name of an EWF variant trawl recognises but does not read (Ex01, L01,
 * Lx01), from a file's first bytes; undefined for anything else.
 */
export function unreadEwfVariant(head: Buffer): string | undefined {
  const signature = head.subarray(0, 8)
  if (signature.equals(EWF2_SIGNATURE)) return 'EWF version 2 (Ex01)'
  if (signature.equals(LVF_SIGNATURE)) return 'EWF logical evidence (L01)'
  if (signature.equals(LEF2_SIGNATURE)) return 'EWF version 2 logical evidence (Lx01)'
  return undefined
}

/** True if these are the first bytes of an EWF (E01/S01) segment file. */
export function isEwf(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(EWF_SIGNATURE)
}

/**
 * Adler-32 ([EWF] "Adler-32 checksum"; RFC 1950). The modulo is deferred over
 * blocks short enough that the sums cannot pass 2^53 (they stay far below), and
 * the inner loop is unrolled: uncompressed chunks are checked with it, so it is
 * on the hot path of every read.
 */
export function adler32(data: Buffer, start = 0, end = data.length): number {
  let a = 1
  let b = 0
  let i = start
  while (i < end) {
    const stop = Math.min(end, i + 3800)
    const stop4 = stop - 3
    for (; i < stop4; i += 4) {
      a += data[i]
      b += a
      a += data[i + 1]
      b += a
      a += data[i + 2]
      b += a
      a += data[i + 3]
      b += a
    }
    for (; i < stop; i++) {
      a += data[i]
      b += a
    }
    a %= 65521
    b %= 65521
  }
  return ((b << 16) | a) >>> 0
}

export interface EwfSectionDescriptor {
  /** 'header2', 'volume', 'sectors', 'table', 'done', ... */
  type: string
  /** Offset of the descriptor in its segment file. */
  offset: number
  /** Offset of the next section in the same segment file. */
  nextOffset: number
  /** Size of the section including its 76-byte descriptor (0 in done/next sections). */
  size: number
}

/** [EWF] "Section descriptor": 76 bytes, Adler-32 over the first 72. */
export function parseSectionDescriptor(bytes: Buffer, offset: number, where: string): EwfSectionDescriptor {
  if (bytes.length < SECTION_DESCRIPTOR_SIZE) throw new CorruptImageError(`${where}: section descriptor truncated`, offset)
  const stored = bytes.readUInt32LE(72)
  if (adler32(bytes, 0, 72) !== stored) throw new CorruptImageError(`${where}: section descriptor checksum mismatch`, offset)
  const nul = bytes.indexOf(0, 0)
  const type = bytes.toString('latin1', 0, nul === -1 || nul > 16 ? 16 : nul)
  const nextOffset = Number(bytes.readBigUInt64LE(16))
  const size = Number(bytes.readBigUInt64LE(24))
  return {type, offset, nextOffset, size}
}

/**
 * [EWF] "Header2 section" / "Header section": zlib-compressed text of tab-separated
 * identifier and value lines. header2 is UTF-16 with a byte-order mark, header
 * is single-byte text. Returns the 'main' category as identifier -> value.
 */
export function parseHeaderText(text: string): Record<string, string> {
  const lines = text.split(/\r?\n/)
  const main = lines.findIndex((line) => line.trim() === 'main')
  if (main === -1 || main + 2 >= lines.length) return {}
  const keys = lines[main + 1].split('\t')
  const values = lines[main + 2].split('\t')
  const result: Record<string, string> = {}
  keys.forEach((key, i) => {
    const k = key.trim()
    if (k) result[k] = values[i] ?? ''
  })
  return result
}

function decodeHeaderSection(compressed: Buffer, unicode: boolean): string {
  const raw = inflateSync(compressed)
  if (!unicode) return raw.toString('latin1')
  if (raw.length >= 2 && raw[0] === 0xfe && raw[1] === 0xff) {
    const swapped = Buffer.from(raw.subarray(2))
    swapped.swap16()
    return swapped.toString('utf16le')
  }
  const body = raw.length >= 2 && raw[0] === 0xff && raw[1] === 0xfe ? raw.subarray(2) : raw
  return body.toString('utf16le', 0, body.length & ~1)
}

/** Header identifiers ([EWF] "Header2 values") in the examiner's words. */
const HEADER_NAMES: Record<string, string> = {
  a: 'description',
  c: 'caseNumber',
  n: 'evidenceNumber',
  e: 'examiner',
  t: 'notes',
  md: 'model',
  sn: 'serialNumber',
  l: 'deviceLabel',
  av: 'acquisitionSoftwareVersion',
  ov: 'acquisitionOs',
  m: 'acquisitionDate',
  u: 'systemDate',
  p: 'passwordHash',
  pid: 'processId',
  r: 'compressionLevel',
}

/**
 * header2 dates are Unix seconds; header (EnCase 1-3 style) dates are
 * "yyyy m d h m s" in the acquiring machine's local time, kept as written.
 */
function headerDate(value: string): string {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed) && trimmed !== '0') return new Date(Number(trimmed) * 1000).toISOString().replace('.000Z', 'Z')
  const parts = /^(\d{4}) (\d{1,2}) (\d{1,2}) (\d{1,2}) (\d{1,2}) (\d{1,2})$/.exec(trimmed)
  if (parts) {
    const [, y, mo, d, h, mi, s] = parts
    const p2 = (x: string) => x.padStart(2, '0')
    return `${y}-${p2(mo)}-${p2(d)} ${p2(h)}:${p2(mi)}:${p2(s)} (local time of the acquiring machine)`
  }
  return trimmed
}

export function ewfMetadataFromHeader(values: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value === '') continue
    const name = HEADER_NAMES[key] ?? `header.${key}`
    // "0" means no password was set ([EWF] "Header2 values").
    if (name === 'passwordHash' && value.trim() === '0') continue
    metadata[name] = name === 'acquisitionDate' || name === 'systemDate' ? headerDate(value) : value
  }
  return metadata
}

export interface EwfMedia {
  mediaType: number
  chunkCount: number
  sectorsPerChunk: number
  bytesPerSector: number
  sectorCount: number
  /** Only in EWF-E01 volume sections. */
  mediaFlags?: number
  compressionLevel?: number
  errorGranularity?: number
  guid?: string
}

/**
 * [EWF] "Volume section" / "Disk section" / "Data section": EWF-E01 has 1052 bytes
 * of data (64-bit sector count), EWF-S01 94 bytes (32-bit sector count).
 * Both end in an Adler-32 of the preceding bytes.
 */
export function parseVolumeSection(data: Buffer, offset: number, where: string): EwfMedia {
  if (data.length < 94) throw new CorruptImageError(`${where}: volume section of ${data.length} bytes is too small`, offset)
  const e01 = data.length >= 1052
  const checked = e01 ? 1048 : 90
  if (adler32(data, 0, checked) !== data.readUInt32LE(checked)) {
    throw new CorruptImageError(`${where}: volume section checksum mismatch`, offset)
  }
  const media: EwfMedia = {
    mediaType: data[0],
    chunkCount: data.readUInt32LE(4),
    sectorsPerChunk: data.readUInt32LE(8),
    bytesPerSector: data.readUInt32LE(12),
    sectorCount: e01 ? Number(data.readBigUInt64LE(16)) : data.readUInt32LE(16),
  }
  if (e01) {
    media.mediaFlags = data[36]
    media.compressionLevel = data[52]
    media.errorGranularity = data.readUInt32LE(56)
    media.guid = data.subarray(64, 80).toString('hex')
  }
  if (media.bytesPerSector === 0 || media.sectorsPerChunk === 0 || media.bytesPerSector > 65536 || media.sectorsPerChunk > 65536) {
    throw new CorruptImageError(`${where}: implausible geometry (${media.sectorsPerChunk} sectors of ${media.bytesPerSector} bytes per chunk)`, offset)
  }
  if (media.bytesPerSector * media.sectorsPerChunk > 64 * 1024 * 1024) {
    throw new CorruptImageError(`${where}: chunk size ${media.bytesPerSector * media.sectorsPerChunk} exceeds 64 MiB`, offset)
  }
  return media
}

/** Sectors the acquiring tool could not read (filled with zeros in the image). */
export interface EwfAcquisitionError {
  startSector: number
  sectorCount: number
}

/**
 * [EWF] "Error2 section": a 520-byte header (entry count, padding, Adler-32 of
 * the first 516 bytes), 8-byte entries (first sector, number of sectors), and
 * an Adler-32 of the entries.
 */
export function parseError2Section(data: Buffer, offset: number, where: string): EwfAcquisitionError[] {
  if (data.length < 520) throw new CorruptImageError(`${where}: error2 header truncated`, offset)
  if (adler32(data, 0, 516) !== data.readUInt32LE(516)) throw new CorruptImageError(`${where}: error2 header checksum mismatch`, offset)
  const count = data.readUInt32LE(0)
  const end = 520 + count * 8
  if (end > data.length) throw new CorruptImageError(`${where}: error2 lists ${count} entries but the section holds ${Math.floor((data.length - 520) / 8)}`, offset)
  if (data.length >= end + 4 && adler32(data, 520, end) !== data.readUInt32LE(end)) {
    throw new CorruptImageError(`${where}: error2 entries checksum mismatch`, offset + 520)
  }
  const errors: EwfAcquisitionError[] = []
  for (let at = 520; at < end; at += 8) errors.push({startSector: data.readUInt32LE(at), sectorCount: data.readUInt32LE(at + 4)})
  return errors
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export interface EwfTable {
  /** Chunk offsets are relative to this (0 in formats before EnCase 6). */
  baseOffset: number
  /** Raw 32-bit entries: most significant bit = compressed. */
  entries: Uint32Array
}

/**
 * [EWF] "Table section": 24-byte header (entry count, padding, 64-bit base
 * offset, padding, Adler-32), the 32-bit entries, and (EnCase 2 and later) an
 * Adler-32 of the entries. Throws CorruptImageError if a checksum fails.
 */
export function parseTableSection(data: Buffer, offset: number, where: string): EwfTable {
  if (data.length < 24) throw new CorruptImageError(`${where}: table header truncated`, offset)
  const count = data.readUInt32LE(0)
  if (adler32(data, 0, 20) !== data.readUInt32LE(20)) throw new CorruptImageError(`${where}: table header checksum mismatch`, offset)
  if (24 + count * 4 > data.length) {
    throw new CorruptImageError(`${where}: table lists ${count} chunks but the section holds ${Math.floor((data.length - 24) / 4)}`, offset)
  }
  const entries = new Uint32Array(count)
  // Entries are little-endian: on a little-endian host (nearly all) they are copied as they are.
  if (LITTLE_ENDIAN_HOST) new Uint8Array(entries.buffer).set(data.subarray(24, 24 + count * 4))
  else for (let i = 0; i < count; i++) entries[i] = data.readUInt32LE(24 + i * 4)
  const entriesEnd = 24 + count * 4
  // EnCase 1 and SMART have no checksum after the entries (the chunks follow directly).
  if (data.length >= entriesEnd + 4 && data.length <= entriesEnd + 4 + 16) {
    if (adler32(data, 24, entriesEnd) !== data.readUInt32LE(entriesEnd)) {
      throw new CorruptImageError(`${where}: table entries checksum mismatch`, offset + 24)
    }
  }
  const baseOffset = Number(data.readBigUInt64LE(8))
  return {baseOffset, entries}
}

/**
 * Segment file name number n (1-based) in the naming of `first` ([EWF]
 * "Segment file extensions"): .E01 ... .E99, .EAA ... .EZZ, .FAA ... .ZZZ and on.
 */
export function ewfSegmentName(first: string, n: number): string {
  const ext = first.slice(-3)
  const letter = ext.charCodeAt(0)
  const lower = ext[0] === ext[0].toLowerCase()
  let suffix: string
  if (n <= 99) {
    suffix = String.fromCharCode(letter) + String(n).padStart(2, '0')
  } else {
    const k = n - 100
    const a = lower ? 97 : 65
    suffix = String.fromCharCode(letter + Math.floor(k / 676), a + (Math.floor(k / 26) % 26), a + (k % 26))
  }
  return first.slice(0, -3) + suffix
}

/** The first segment's path for any segment's path (.E03 -> .E01, .EAB -> .E01). */
export function ewfFirstSegment(path: string): string {
  const name = basename(path)
  const m = /\.([A-Za-z])(\d\d|[A-Za-z]{2})$/.exec(name)
  if (!m) return path
  // .E01..E99 then .EAA..EZZ, .FAA..: a later first letter still belongs to the
  // E family (E..K), as L..R to L01 and S..Z to S01 (SMART).
  const code = m[1].toUpperCase().charCodeAt(0)
  const family = code < 0x45 ? m[1].toUpperCase() : code < 0x4c ? 'E' : code < 0x53 ? 'L' : 'S'
  const first = (m[1] === m[1].toLowerCase() ? family.toLowerCase() : family) + '01'
  return join(dirname(path), name.slice(0, -3) + first)
}

interface Segment {
  path: string
  file: FileByteSource
  number: number
}

export interface EwfOpenOptions {
  /** Bytes of decompressed chunks kept in memory (default 8 MiB: file-system metadata reads are local, and a small cache keeps the garbage collector out of streaming reads). */
  cacheBytes?: number
}

/** Stored hashes of the media data, hex; undefined where the image holds none. */
export interface EwfStoredHashes {
  md5?: string
  sha1?: string
}

/**
 * Where one table section's chunks are: enough to re-read the table on demand,
 * so the index held in memory is one small record per table (at most 16375
 * chunks each), not one per chunk, and stays small for a multi-terabyte image.
 */
interface ChunkTable {
  segment: number
  /** Offset and length of the table section's data (header, entries, checksum). */
  dataOffset: number
  dataLength: number
  /** Media chunk number of the table's first entry. */
  firstChunk: number
  count: number
  /** End of the last chunk: the end of the section holding it. */
  lastEnd: number
  /** 'disk.E02 table' or 'disk.E02 table2' when the table was damaged. */
  name: string
}

/** A loaded table: absolute start of every chunk, and its compressed flag. */
interface LoadedTable {
  starts: Float64Array
  compressed: Uint8Array
}

/** A compressed chunk this small is a run of one byte value; at most this many distinct ones are remembered. */
const SMALL_CHUNK_BYTES = 256
const SMALL_CHUNK_MEMO = 64

/** Tables kept parsed in memory (64 KiB each at most). */
const TABLE_CACHE = 16

/**
 * An EWF image opened read-only as one ByteSource of its media data. Opening
 * walks every section of every segment once, checking each table; chunk data
 * is read, checked and decompressed on demand, through a bounded LRU cache.
 */
export class EwfImage implements ByteSource {
  readonly format = 'ewf'
  readonly size: number
  readonly chunkSize: number
  readonly media: EwfMedia
  /** Case metadata from header2 (or header): caseNumber, examiner, acquisitionDate, ... */
  readonly metadata: Record<string, string>
  readonly storedHashes: EwfStoredHashes
  /** Problems found while opening that did not stop reading (e.g. table used from table2). */
  readonly warnings: string[]
  /** Sector ranges the acquiring tool could not read ([EWF] "Error2 section"); empty when there were none. */
  readonly acquisitionErrors: EwfAcquisitionError[]
  private readonly segmentFiles: Segment[]
  private readonly tables: ChunkTable[]
  private readonly chunksIndexed: number
  private readonly loadedTables = new Map<number, LoadedTable>()
  private lastTable: {index: number; loaded: LoadedTable} | undefined
  /** Decoded chunks keyed by their few compressed bytes (see readChunk). */
  private readonly smallChunks = new Map<string, Buffer>()
  private readonly cache = new Map<number, Buffer>()
  private readonly cacheLimit: number
  /** One zlib handle for every chunk (see ZlibInflater). */
  private readonly inflater = new ZlibInflater()
  /** A chunk's bytes as stored, read here rather than into a new buffer each time (see readChunk). */
  private scratch = Buffer.alloc(0)

  private constructor(init: {
    segments: Segment[]
    media: EwfMedia
    metadata: Record<string, string>
    storedHashes: EwfStoredHashes
    warnings: string[]
    acquisitionErrors: EwfAcquisitionError[]
    tables: ChunkTable[]
    cacheBytes: number
  }) {
    this.segmentFiles = init.segments
    this.media = init.media
    this.metadata = init.metadata
    this.storedHashes = init.storedHashes
    this.warnings = init.warnings
    this.acquisitionErrors = init.acquisitionErrors
    this.chunkSize = init.media.sectorsPerChunk * init.media.bytesPerSector
    this.size = init.media.sectorCount * init.media.bytesPerSector
    this.tables = init.tables
    const lastTable = init.tables[init.tables.length - 1]
    this.chunksIndexed = lastTable ? lastTable.firstChunk + lastTable.count : 0
    this.cacheLimit = Math.max(1, Math.floor(init.cacheBytes / Math.max(1, this.chunkSize)))
  }

  /** Segment file paths in order. */
  get segments(): string[] {
    return this.segmentFiles.map((s) => s.path)
  }

  /** Decompressed chunks held in the LRU cache now (bounded by the cacheBytes option). */
  get cachedChunks(): number {
    return this.cache.size
  }

  get chunkCount(): number {
    return Math.ceil(this.size / this.chunkSize)
  }

  /** Opens the EWF image that `path` (any of its segments) belongs to. */
  static open(path: string, options: EwfOpenOptions = {}): EwfImage {
    const first = ewfFirstSegment(path)
    if (first !== path && !existsSync(first)) {
      throw new CorruptImageError(`EWF image ${path}: its first segment ${basename(first)} is missing`)
    }
    const start = first
    const segments: Segment[] = []
    try {
      return EwfImage.build(start, segments, options)
    } catch (error) {
      for (const s of segments) s.file.close()
      throw error
    }
  }

  private static build(first: string, segments: Segment[], options: EwfOpenOptions): EwfImage {
    let media: EwfMedia | undefined
    let header2: Record<string, string> | undefined
    let header: Record<string, string> | undefined
    const storedHashes: EwfStoredHashes = {}
    const acquisitionErrors: EwfAcquisitionError[] = []
    const warnings: string[] = []
    const tables: ChunkTable[] = []
    let indexed = 0

    for (let n = 1; ; n++) {
      const path = n === 1 ? first : ewfSegmentName(first, n)
      if (!existsSync(path)) {
        throw new CorruptImageError(`EWF image ${first}: segment ${basename(path)} is missing (segment ${n - 1} ends with a "next" section)`)
      }
      const file = new FileByteSource(path)
      const segment: Segment = {path, file, number: n}
      segments.push(segment)
      const name = basename(path)
      const head = file.read(0, FILE_HEADER_SIZE)
      if (head.length < FILE_HEADER_SIZE) throw new CorruptImageError(`${name}: truncated EWF file header`, 0)
      if (head.subarray(0, 8).equals(EWF2_SIGNATURE)) throw new UnsupportedFormatError(`${name}: EWF version 2 (Ex01) images are not read by trawl`)
      if (head.subarray(0, 8).equals(LVF_SIGNATURE)) throw new UnsupportedFormatError(`${name}: EWF logical evidence (L01) holds files, not a disk image; not read by trawl`)
      if (!isEwf(head)) throw new CorruptImageError(`${name}: not an EWF segment file (no "EVF" signature)`, 0)
      const number = head.readUInt16LE(9)
      if (number !== n) {
        throw new CorruptImageError(`${name}: file header says segment ${number}, expected segment ${n} (segment files renamed or missing)`, 9)
      }

      // Sections seen in this segment, to bound the last chunk of each table.
      const sections: EwfSectionDescriptor[] = []
      let previousTableOk: boolean | undefined
      let offset = FILE_HEADER_SIZE
      let last: string | undefined
      for (let guard = 0; ; guard++) {
        if (offset + SECTION_DESCRIPTOR_SIZE > file.size) {
          throw new CorruptImageError(`${name}: segment ends without a "done" or "next" section (truncated image?)`, offset)
        }
        const section = parseSectionDescriptor(file.read(offset, SECTION_DESCRIPTOR_SIZE), offset, name)
        sections.push(section)
        last = section.type
        const dataStart = offset + SECTION_DESCRIPTOR_SIZE
        const end = section.size >= SECTION_DESCRIPTOR_SIZE ? offset + section.size : section.nextOffset
        const dataLength = Math.max(0, end - dataStart)
        if (end > file.size) {
          throw new CorruptImageError(`${name}: ${section.type} section runs past the end of the segment (${end} > ${file.size}; truncated image?)`, offset)
        }
        const readData = () => file.read(dataStart, dataLength)

        switch (section.type) {
          case 'header2':
            if (!header2) header2 = decodeHeader(readData(), true, name, offset)
            break
          case 'header':
            if (!header) header = decodeHeader(readData(), false, name, offset)
            break
          case 'volume':
          case 'disk':
            if (!media) media = parseVolumeSection(readData(), dataStart, name)
            break
          case 'data':
            // A copy of the volume section in later segments; checked, not needed.
            break
          case 'table': {
            if (!media) throw new CorruptImageError(`${name}: table section before any volume section`, offset)
            try {
              const table = parseTableSection(readData(), dataStart, `${name} table`)
              tables.push(indexTable(table, segment, sections, {dataStart, dataLength, firstChunk: indexed, name: `${name} table`, fileSize: file.size}))
              indexed += table.entries.length
              previousTableOk = true
            } catch (error) {
              if (!(error instanceof CorruptImageError)) throw error
              warnings.push(`${error.message}; using table2`)
              previousTableOk = false
            }
            break
          }
          case 'table2': {
            if (previousTableOk === false) {
              const table = parseTableSection(readData(), dataStart, `${name} table2`)
              tables.push(indexTable(table, segment, sections, {dataStart, dataLength, firstChunk: indexed, name: `${name} table2`, fileSize: file.size}))
              indexed += table.entries.length
              previousTableOk = true
            }
            break
          }
          case 'hash': {
            const data = readData()
            if (data.length >= 36 && adler32(data, 0, 32) === data.readUInt32LE(32)) {
              const md5 = data.subarray(0, 16)
              if (!storedHashes.md5 && md5.some((b) => b !== 0)) storedHashes.md5 = md5.toString('hex')
            } else {
              warnings.push(`${name}: hash section checksum mismatch (at offset ${offset}); stored MD5 ignored`)
            }
            break
          }
          case 'error2':
            try {
              acquisitionErrors.push(...parseError2Section(readData(), dataStart, name))
            } catch (error) {
              if (!(error instanceof CorruptImageError)) throw error
              warnings.push(`${error.message}; the list of unreadable sectors is lost`)
            }
            break
          case 'digest': {
            const data = readData()
            if (data.length >= 80 && adler32(data, 0, 76) === data.readUInt32LE(76)) {
              const md5 = data.subarray(0, 16)
              const sha1 = data.subarray(16, 36)
              if (md5.some((b) => b !== 0)) storedHashes.md5 = md5.toString('hex')
              if (sha1.some((b) => b !== 0)) storedHashes.sha1 = sha1.toString('hex')
            } else {
              warnings.push(`${name}: digest section checksum mismatch (at offset ${offset}); stored hashes ignored`)
            }
            break
          }
          default:
            // sectors (chunk data, indexed by the tables), error2, session, ltree: not needed to read media
            break
        }

        if (previousTableOk === false && section.type !== 'table') {
          if (section.type !== 'table2') {
            throw new CorruptImageError(`${name}: table section is damaged and no table2 copy follows it`, offset)
          }
        }
        if (section.type === 'done' || section.type === 'next') break
        if (section.nextOffset === offset) break
        if (section.nextOffset < offset + SECTION_DESCRIPTOR_SIZE) {
          throw new CorruptImageError(`${name}: ${section.type} section points back to offset ${section.nextOffset} (section chain loops)`, offset)
        }
        if (guard > 1_000_000) throw new CorruptImageError(`${name}: more than a million sections`, offset)
        offset = section.nextOffset
      }
      if (last === 'done') break
      if (last !== 'next') throw new CorruptImageError(`${name}: last section is "${last}", not "done" or "next"`)
    }

    if (!media) throw new CorruptImageError(`EWF image ${first}: no volume or disk section`)
    const mediaSize = media.sectorCount * media.bytesPerSector
    const chunkSize = media.sectorsPerChunk * media.bytesPerSector
    const expected = Math.ceil(mediaSize / chunkSize)
    if (indexed < expected) {
      warnings.push(`tables index ${indexed} of ${expected} chunks; the rest of the media cannot be read`)
    }
    const metadata = ewfMetadataFromHeader(header2 ?? header ?? {})
    return new EwfImage({segments, media, metadata, storedHashes, warnings, acquisitionErrors, tables, cacheBytes: options.cacheBytes ?? 8 * 1024 * 1024})

    function decodeHeader(data: Buffer, unicode: boolean, where: string, at: number): Record<string, string> | undefined {
      try {
        return parseHeaderText(decodeHeaderSection(data, unicode))
      } catch (error) {
        warnings.push(`${where}: ${unicode ? 'header2' : 'header'} section does not decompress (${errorMessage(error)}) at offset ${at}`)
        return undefined
      }
    }
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0) throw new CorruptImageError(`read of ${length} bytes at a negative offset`, offset)
    const end = Math.min(this.size, offset + length)
    if (offset >= end) return Buffer.alloc(0)
    const first = Math.floor(offset / this.chunkSize)
    const within = offset - first * this.chunkSize
    if (within + (end - offset) <= this.chunkSize) {
      const chunk = this.chunk(first)
      return chunk.subarray(within, within + (end - offset))
    }
    const out = Buffer.allocUnsafe(end - offset)
    let done = 0
    let position = offset
    while (position < end) {
      const index = Math.floor(position / this.chunkSize)
      const chunk = this.chunk(index)
      const at = position - index * this.chunkSize
      const n = Math.min(chunk.length - at, end - position)
      chunk.copy(out, done, at, at + n)
      done += n
      position += n
    }
    return out
  }

  /**
   * The media bytes of chunk `index` (chunkSize bytes, fewer for the last one),
   * checked: zlib's Adler-32 for compressed chunks, the stored Adler-32 for
   * uncompressed ones ([EWF] "Data chunk").
   */
  chunk(index: number): Buffer {
    const cached = this.cache.get(index)
    if (cached) {
      this.cache.delete(index)
      this.cache.set(index, cached)
      return cached
    }
    const data = this.readChunk(index)
    this.cache.set(index, data)
    if (this.cache.size > this.cacheLimit) {
      const oldest = this.cache.keys().next().value as number
      this.cache.delete(oldest)
    }
    return data
  }

  private readChunk(index: number): Buffer {
    const expected = Math.min(this.chunkSize, this.size - index * this.chunkSize)
    if (index < 0 || expected <= 0) throw new CorruptImageError(`chunk ${index} is outside the media`)
    if (index >= this.chunksIndexed) {
      throw new CorruptImageError(`chunk ${index} (media offset ${index * this.chunkSize}) is not listed in any table section`)
    }
    const {table, loaded, entry} = this.locate(index)
    const segment = this.segmentFiles[table.segment]
    const offset = loaded.starts[entry]
    const stored = (entry + 1 < table.count ? loaded.starts[entry + 1] : table.lastEnd) - offset
    // The chunk is named only in an error, not on every read.
    const where = () => `chunk ${index} (media offset ${index * this.chunkSize}) in ${basename(segment.path)}`
    if (stored > this.chunkSize * 2 + 4096) throw new CorruptImageError(`${where()}: table gives it ${stored} bytes for a ${this.chunkSize}-byte chunk`, offset)
    const file = segment.file
    if (loaded.compressed[entry]) {
      const raw = this.scratchOf(stored)
      const got = file.readInto(offset, raw, 0, stored)
      if (got < stored) throw new CorruptImageError(`${where()}: segment truncated, ${got} of ${stored} bytes`, offset)
      // A chunk that compresses to a few bytes (zero-filled or one repeated byte, common
      // on disks) decompresses the same way every time: decode each such stream once.
      const key = stored <= SMALL_CHUNK_BYTES ? `${expected}:${raw.toString('latin1', 0, stored)}` : undefined
      const known = key === undefined ? undefined : this.smallChunks.get(key)
      if (known) return known
      let data: Buffer
      try {
        data = this.inflater.inflate(raw.subarray(0, stored), expected)
      } catch (error) {
        throw new CorruptImageError(`${where()}: compressed data is corrupt (${errorMessage(error)})`, offset)
      }
      if (data.length < expected) throw new CorruptImageError(`${where()}: decompresses to ${data.length} bytes, expected ${expected}`, offset)
      const chunk = data.length === expected ? data : data.subarray(0, expected)
      if (key !== undefined && this.smallChunks.size < SMALL_CHUNK_MEMO) this.smallChunks.set(key, chunk)
      return chunk
    }
    if (stored >= expected + 4) {
      const checked = this.readStoredChunk(file, offset, stored, where)
      return checked.length === expected ? checked : checked.subarray(0, expected)
    }
    const raw = file.read(offset, stored)
    if (raw.length < stored) throw new CorruptImageError(`${where()}: segment truncated, ${raw.length} of ${stored} bytes`, offset)
    if (stored < expected) throw new CorruptImageError(`${where()}: holds ${stored} bytes, expected ${expected}`, offset)
    return raw.subarray(0, expected)
  }

  /**
   * An uncompressed chunk ([EWF] "Data chunk": its bytes, then their Adler-32,
   * little-endian), checked with zlib's native Adler-32: the bytes are read
   * straight into a zlib stream of stored deflate blocks (RFC 1950/1951) whose
   * trailer is that checksum, and inflated, which verifies it while copying
   * them out. Twice as fast as Adler-32 in JavaScript, and no copy in between.
   */
  private readStoredChunk(file: FileByteSource, offset: number, stored: number, where: () => string): Buffer {
    const length = stored - 4
    const blocks = Math.max(1, Math.ceil(length / 65535))
    const stream = this.scratchOf(2 + blocks * 5 + stored)
    stream[0] = 0x78 // CMF: deflate, 32 KiB window
    stream[1] = 0x01 // FLG: no dictionary, check bits
    let at = 2
    let done = 0
    let got = 0
    do {
      const n = Math.min(65535, length - done)
      const last = done + n >= length
      stream[at] = last ? 1 : 0 // BFINAL, BTYPE 00 (stored)
      stream.writeUInt16LE(n, at + 1)
      stream.writeUInt16LE(~n & 0xffff, at + 3)
      // The last block's read brings the checksum along, into the trailer's place.
      got += file.readInto(offset + done, stream, at + 5, last ? n + 4 : n)
      at += 5 + n
      done += n
    } while (done < length)
    if (got < stored) throw new CorruptImageError(`${where()}: segment truncated, ${got} of ${stored} bytes`, offset)
    stream.writeUInt32BE(stream.readUInt32LE(at), at) // RFC 1950 keeps it big-endian
    try {
      return this.inflater.inflate(stream.subarray(0, at + 4), length)
    } catch {
      throw new CorruptImageError(`${where()}: checksum mismatch`, offset)
    }
  }

  /** The reused read buffer, at least `size` bytes. */
  private scratchOf(size: number): Buffer {
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(size)
    return this.scratch
  }

  /** The table listing chunk `index` (binary search on first chunks), parsed again if not in memory. */
  private locate(index: number): {table: ChunkTable; loaded: LoadedTable; entry: number} {
    let lo = 0
    let hi = this.tables.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.tables[mid].firstChunk <= index) lo = mid
      else hi = mid - 1
    }
    const table = this.tables[lo]
    // Reading on within the table read last: it is already the most recent in the LRU.
    if (this.lastTable?.index === lo) return {table, loaded: this.lastTable.loaded, entry: index - table.firstChunk}
    let loaded = this.loadedTables.get(lo)
    if (loaded) {
      this.loadedTables.delete(lo)
    } else {
      const file = this.segmentFiles[table.segment].file
      const parsed = parseTableSection(file.read(table.dataOffset, table.dataLength), table.dataOffset, table.name)
      if (parsed.entries.length !== table.count) throw new CorruptImageError(`${table.name} changed since the image was opened`, table.dataOffset)
      loaded = loadTable(parsed)
      if (this.loadedTables.size >= TABLE_CACHE) this.loadedTables.delete(this.loadedTables.keys().next().value as number)
    }
    this.loadedTables.set(lo, loaded)
    this.lastTable = {index: lo, loaded}
    return {table, loaded, entry: index - table.firstChunk}
  }

  close(): void {
    for (const s of this.segmentFiles) s.file.close()
    this.cache.clear()
    this.loadedTables.clear()
    this.lastTable = undefined
    this.smallChunks.clear()
    this.inflater.close()
    this.scratch = Buffer.alloc(0)
  }
}

function loadTable(table: EwfTable): LoadedTable {
  const n = table.entries.length
  const starts = new Float64Array(n)
  const compressed = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    starts[i] = table.baseOffset + (table.entries[i] & 0x7fffffff)
    compressed[i] = table.entries[i] >>> 31
  }
  return {starts, compressed}
}

/**
 * Checks one table's chunk offsets and records where it is. A chunk's stored
 * size runs to the next entry; the last entry's runs to the end of the section
 * holding it (the sectors section in EnCase 2 and later, the table section
 * itself in EnCase 1 and SMART).
 */
function indexTable(
  table: EwfTable,
  segment: Segment,
  sections: EwfSectionDescriptor[],
  where: {dataStart: number; dataLength: number; firstChunk: number; name: string; fileSize: number},
): ChunkTable {
  const {starts} = loadTable(table)
  const n = starts.length
  let lastEnd = where.fileSize
  if (n > 0) {
    const holder = sections.find((s) => s.offset <= starts[n - 1] && starts[n - 1] < sectionEnd(s))
    lastEnd = holder ? sectionEnd(holder) : where.fileSize
  }
  for (let i = 0; i < n; i++) {
    const start = starts[i]
    const end = i + 1 < n ? starts[i + 1] : lastEnd
    if (start >= where.fileSize || end > where.fileSize || end <= start) {
      throw new CorruptImageError(`${where.name}: entry ${i} points to bytes ${start}-${end} outside the segment (${where.fileSize} bytes)`, start)
    }
  }
  return {segment: segment.number - 1, dataOffset: where.dataStart, dataLength: where.dataLength, firstChunk: where.firstChunk, count: n, lastEnd, name: where.name}
}

function sectionEnd(s: EwfSectionDescriptor): number {
  return s.size >= SECTION_DESCRIPTOR_SIZE ? s.offset + s.size : s.nextOffset
}
