/**
 * Writes small ESE databases for tests (no Windows tool runs here): file header and
 * shadow, a catalog (MSysObjects) and one root leaf page per table, 4 KiB pages in the
 * original page format (XOR checksum from offset 4, page number at 4). Records carry
 * fixed, variable and tagged columns, the tagged ones optionally 7-bit compressed.
 * It follows the same libesedb description as the reader, so every database it writes is
 * also read with esedbexport (scripts/webcache-fixture.sh) as an independent check.
 */
import {xorChecksum} from '../../src/ese/header.js'

export interface ColumnSpec {
  id: number
  name: string
  type: number
  /** Fixed size for fixed columns. */
  size?: number
  codepage?: number
  /** Tagged values: store 7-bit compressed (ASCII text only). */
  compress?: boolean
}

export type CellValue = number | bigint | string | Buffer | null | undefined

export interface TableSpec {
  name: string
  columns: ColumnSpec[]
  rows: Array<Record<string, CellValue>>
}

const PAGE = 4096
const HEADER = 40

function fixedBytes(column: ColumnSpec, value: CellValue): Buffer {
  const b = Buffer.alloc(column.size ?? 0)
  switch (column.type) {
    case 1:
    case 2:
      b.writeUInt8(Number(value), 0)
      break
    case 3:
      b.writeInt16LE(Number(value), 0)
      break
    case 4:
      b.writeInt32LE(Number(value), 0)
      break
    case 14:
      b.writeUInt32LE(Number(value), 0)
      break
    case 5:
    case 15:
      b.writeBigInt64LE(BigInt(value as bigint | number), 0)
      break
    case 8:
      b.writeBigUInt64LE(BigInt(value as bigint | number), 0)
      break
    default:
      throw new Error(`fixed type ${column.type} not written`)
  }
  return b
}

function textBytes(column: ColumnSpec, value: string): Buffer {
  return column.codepage === 1200 ? Buffer.from(value, 'utf16le') : Buffer.from(value, 'latin1')
}

/** 7-bit compression (lead byte 0x08 ASCII or 0x10 Unicode, | bits used in the final byte - 1) of ASCII bytes. */
export function sevenBitCompress(ascii: Buffer, unicode = false): Buffer {
  const bits = ascii.length * 7
  const out = Buffer.alloc(1 + Math.ceil(bits / 8))
  let accumulator = 0
  let filled = 0
  let at = 1
  for (const byte of ascii) {
    accumulator |= (byte & 0x7f) << filled
    filled += 7
    while (filled >= 8) {
      out[at++] = accumulator & 0xff
      accumulator >>>= 8
      filled -= 8
    }
  }
  if (filled > 0) out[at++] = accumulator & 0xff
  const finalBits = bits % 8 === 0 ? 8 : bits % 8
  out[0] = (unicode ? 0x10 : 0x08) | (finalBits - 1)
  return out
}

export function encodeRecord(columns: ColumnSpec[], row: Record<string, CellValue>): Buffer {
  const sorted = [...columns].sort((a, b) => a.id - b.id)
  const fixed = sorted.filter((c) => c.id < 128)
  const variable = sorted.filter((c) => c.id >= 128 && c.id < 256)
  const tagged = sorted.filter((c) => c.id >= 256)
  const present = (c: ColumnSpec): boolean => row[c.name] !== undefined && row[c.name] !== null
  const lastFixed = Math.max(0, ...fixed.filter(present).map((c) => c.id))
  const lastVariable = Math.max(127, ...variable.filter(present).map((c) => c.id))
  const fixedParts: Buffer[] = []
  const nullBits = Buffer.alloc(Math.ceil(lastFixed / 8))
  for (const column of fixed.filter((c) => c.id <= lastFixed)) {
    if (present(column)) fixedParts.push(fixedBytes(column, row[column.name]))
    else {
      fixedParts.push(Buffer.alloc(column.size ?? 0))
      nullBits[(column.id - 1) >> 3]! |= 1 << ((column.id - 1) & 7)
    }
  }
  const fixedData = Buffer.concat([...fixedParts, nullBits])
  const offsets: Buffer[] = []
  const variableData: Buffer[] = []
  let end = 0
  for (let id = 128; id <= lastVariable; id++) {
    const column = variable.find((c) => c.id === id)
    const entry = Buffer.alloc(2)
    if (column && present(column)) {
      const value = row[column.name]
      const bytes = typeof value === 'string' ? textBytes(column, value) : (value as Buffer)
      variableData.push(bytes)
      end += bytes.length
      entry.writeUInt16LE(end, 0)
    } else entry.writeUInt16LE(0x8000 | end, 0)
    offsets.push(entry)
  }
  const taggedEntries: Array<{id: number; data: Buffer; flagged: boolean}> = []
  for (const column of tagged.filter(present)) {
    const value = row[column.name]
    const text = typeof value === 'string' ? value : undefined
    // Compressed the way Windows does it: 7-bit when the text is ASCII (7-bit Unicode for UTF-16 columns).
    if (column.compress && text !== undefined && /^[\x00-\x7f]*$/.test(text)) {
      const packed = sevenBitCompress(Buffer.from(text, 'latin1'), column.codepage === 1200)
      taggedEntries.push({id: column.id, data: Buffer.concat([Buffer.from([0x02]), packed]), flagged: true})
    } else {
      taggedEntries.push({id: column.id, data: text !== undefined ? textBytes(column, text) : (value as Buffer), flagged: false})
    }
  }
  const taggedArray = Buffer.alloc(4 * taggedEntries.length)
  let taggedOffset = taggedArray.length
  taggedEntries.forEach((entry, index) => {
    taggedArray.writeUInt16LE(entry.id, 4 * index)
    // 0x4000: the value starts with its flags byte
    taggedArray.writeUInt16LE(taggedOffset | (entry.flagged ? 0x4000 : 0), 4 * index + 2)
    taggedOffset += entry.data.length
  })
  const header = Buffer.alloc(4)
  header[0] = lastFixed
  header[1] = lastVariable
  header.writeUInt16LE(4 + fixedData.length, 2)
  return Buffer.concat([header, fixedData, ...offsets, ...variableData, taggedArray, ...taggedEntries.map((e) => e.data)])
}

interface PageValue {
  bytes: Buffer
}

/** A page of values (tag 0 first), flags and links, with its XOR checksum. */
function page(pageNumber: number, objectId: number, flags: number, values: PageValue[], links: {previous?: number; next?: number} = {}): Buffer {
  const out = Buffer.alloc(PAGE)
  let at = 0
  values.forEach((value, index) => {
    value.bytes.copy(out, HEADER + at)
    out.writeUInt16LE(value.bytes.length, PAGE - 4 * (index + 1))
    out.writeUInt16LE(at, PAGE - 4 * (index + 1) + 2)
    at += value.bytes.length
  })
  out.writeUInt32LE(pageNumber, 4)
  out.writeBigUInt64LE(1n, 8)
  out.writeUInt32LE(links.previous ?? 0, 16)
  out.writeUInt32LE(links.next ?? 0, 20)
  out.writeUInt32LE(objectId, 24)
  out.writeUInt16LE(PAGE - HEADER - at - 4 * values.length, 28)
  out.writeUInt16LE(at, 32)
  out.writeUInt16LE(values.length, 34)
  out.writeUInt32LE(flags, 36)
  out.writeUInt32LE(xorChecksum(out, 4, 0x89abcdef), 0)
  return out
}

function entryValue(key: Buffer, data: Buffer): PageValue {
  const size = Buffer.alloc(2)
  size.writeUInt16LE(key.length, 0)
  return {bytes: Buffer.concat([size, key, data])}
}

const ROOT_HEADER = (): PageValue => {
  const b = Buffer.alloc(16)
  b.writeUInt32LE(1, 0)
  return {bytes: b}
}

/**
 * A B+-tree of `entries` rooted at `rootPage`: one root leaf when they fit, else a root
 * branch page over leaf pages numbered from `allocate()`. Returns the pages by number.
 */
function tree(rootPage: number, objectId: number, entries: Array<{key: Buffer; data: Buffer}>, allocate: () => number): Map<number, Buffer> {
  const pages = new Map<number, Buffer>()
  const room = PAGE - HEADER - 64
  const chunks: Array<Array<{key: Buffer; data: Buffer}>> = [[]]
  let used = 0
  for (const e of entries) {
    const size = 2 + e.key.length + e.data.length + 4
    if (used + size > room && chunks.at(-1)!.length > 0) {
      chunks.push([])
      used = 0
    }
    chunks.at(-1)!.push(e)
    used += size
  }
  if (chunks.length === 1) {
    pages.set(rootPage, page(rootPage, objectId, 0x1 | 0x2, [ROOT_HEADER(), ...chunks[0]!.map((e) => entryValue(e.key, e.data))]))
    return pages
  }
  const numbers = chunks.map(() => allocate())
  chunks.forEach((chunk, index) => {
    pages.set(numbers[index]!, page(numbers[index]!, objectId, 0x2, [{bytes: Buffer.alloc(0)}, ...chunk.map((e) => entryValue(e.key, e.data))], {previous: numbers[index - 1], next: numbers[index + 1]}))
  })
  const branches = chunks.map((chunk, index) => {
    const child = Buffer.alloc(4)
    child.writeUInt32LE(numbers[index]!, 0)
    // each branch entry's key is the last key of its child; the last one is empty
    return entryValue(index === chunks.length - 1 ? Buffer.alloc(0) : chunk.at(-1)!.key, child)
  })
  pages.set(rootPage, page(rootPage, objectId, 0x1 | 0x4, [ROOT_HEADER(), ...branches]))
  return pages
}

const key32 = (...parts: number[]): Buffer => {
  const b = Buffer.alloc(4 * parts.length)
  parts.forEach((p, i) => b.writeUInt32BE(p, 4 * i))
  return b
}

const CATALOG: ColumnSpec[] = [
  {id: 1, name: 'ObjidTable', type: 4, size: 4},
  {id: 2, name: 'Type', type: 3, size: 2},
  {id: 3, name: 'Id', type: 4, size: 4},
  {id: 4, name: 'ColtypOrPgnoFDP', type: 4, size: 4},
  {id: 5, name: 'SpaceUsage', type: 4, size: 4},
  {id: 6, name: 'Flags', type: 4, size: 4},
  {id: 7, name: 'PagesOrLocale', type: 4, size: 4},
  {id: 8, name: 'RootFlag', type: 1, size: 1},
  {id: 9, name: 'RecordOffset', type: 3, size: 2},
  {id: 128, name: 'Name', type: 10, codepage: 1252},
]

/** A whole database file: header and its shadow, the catalog at page 4, its shadow at 24, tables from page 30, empty pages between. */
export function buildEseDatabase(tables: TableSpec[], options: {state?: number} = {}): Buffer {
  const header = Buffer.alloc(PAGE)
  header.writeUInt32LE(0x89abcdef, 4)
  header.writeUInt32LE(0x620, 8)
  header.writeUInt32LE(0, 12)
  header.writeUInt32LE(options.state ?? 3, 52)
  header.writeUInt32LE(0x14, 232)
  header.writeUInt32LE(PAGE, 236)
  header.writeUInt32LE(0x620, 340)
  header.writeUInt32LE(0x14, 344)
  header.writeUInt32LE(6, 216)
  header.writeUInt32LE(1, 220)
  header.writeUInt32LE(7601, 224)
  header.writeUInt32LE(xorChecksum(header, 4, 0x89abcdef), 0)
  const catalogRows: Array<{key: Buffer; data: Buffer}> = []
  const pages = new Map<number, Buffer>()
  // MSysObjects at page 4 and its shadow MSysObjectsShadow at page 24 (fixed by the format); tables from page 30
  let next = 30 + tables.length
  const allocate = (): number => next++
  tables.forEach((table, index) => {
    const objectId = 10 + index
    const rootPage = 30 + index
    catalogRows.push({key: key32(objectId, 1, objectId), data: encodeRecord(CATALOG, {ObjidTable: objectId, Type: 1, Id: objectId, ColtypOrPgnoFDP: rootPage, SpaceUsage: 1, Flags: 0, PagesOrLocale: 1, RootFlag: 1, RecordOffset: 0, Name: table.name})})
    for (const column of table.columns) {
      const flags = column.id < 128 ? 0x1 : column.id >= 256 ? 0x2 : 0
      catalogRows.push({key: key32(objectId, 2, column.id), data: encodeRecord(CATALOG, {ObjidTable: objectId, Type: 2, Id: column.id, ColtypOrPgnoFDP: column.type, SpaceUsage: column.size ?? 0, Flags: flags, PagesOrLocale: column.codepage ?? 1252, Name: column.name})})
    }
    for (const [n, p] of tree(rootPage, objectId, table.rows.map((row, at) => ({key: key32(at + 1), data: encodeRecord(table.columns, row)})), allocate)) pages.set(n, p)
  })
  catalogRows.sort((a, b) => Buffer.compare(a.key, b.key))
  for (const [n, p] of tree(4, 2, catalogRows, allocate)) pages.set(n, p)
  for (const [n, p] of tree(24, 3, catalogRows, allocate)) pages.set(n, p)
  const empty = (n: number): Buffer => page(n, 0, 0x8, [])
  const all: Buffer[] = [header, header]
  for (let n = 1; n < next; n++) all.push(pages.get(n) ?? empty(n))
  return Buffer.concat(all)
}
