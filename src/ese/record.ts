/**
 * Table records (libesedb "Data definitions"): a 4-byte header (last fixed column id,
 * last variable column id, offset of the variable-size offsets), the fixed columns in
 * id order followed by a bitmap of which of them are NULL, the variable columns (one
 * 16-bit end offset each, 0x8000 = NULL), then the tagged columns (4-byte id/offset
 * pairs, each value optionally led by a flags byte: 0x02 compressed, 0x04 stored in
 * the long value tree, 0x08 multi-valued, 0x10 two values, 0x20 NULL).
 */
import type {EseColumn, EseTable} from './catalog.js'
import {COLUMN_TYPES, EseDateTime} from './columns.js'
import {decompressColumn} from './compression.js'
import {isLargePage, type PageLayout} from './page.js'

export type EseValue = null | boolean | number | bigint | string | Buffer | EseDateTime | EseValue[]

export interface LongValueStore {
  /** Long value id (key, hex) -> declared size. */
  headers: Map<string, number>
  /** Long value id (key, hex) -> its segments (offset in the value, bytes). */
  segments: Map<string, {offset: number; data: Buffer}[]>
}

export interface EseRow {
  /** Column name -> value; a column without a value in the row is absent. */
  values: Record<string, EseValue>
  /** Page and tag the record was read from, and its position in the walk (0-based). */
  page: number
  tag: number
  index: number
  /** Values that could not be decoded (named column and why); the row is kept. */
  problems: string[]
  /**
   * Fixed columns the record's NULL bitmap marks NULL, with the bytes left in their
   * slot (other readers, esedbexport among them, ignore the bitmap and show these).
   */
  nullFixed: Record<string, Buffer>
}

export const TAGGED_FLAGS = {
  compressed: 0x02,
  separated: 0x04,
  multiValues: 0x08,
  twoValues: 0x10,
  null: 0x20,
} as const

export function decodeRecord(data: Buffer, table: EseTable, layout: PageLayout, store: LongValueStore | undefined): EseRow {
  if (data.length < 4) throw new Error(`record of ${data.length} bytes is shorter than its header`)
  const lastFixed = data[0]!
  const lastVariable = data[1]!
  const variableOffset = data.readUInt16LE(2)
  if (variableOffset > data.length) throw new Error(`variable data offset ${variableOffset} is past the record's ${data.length} bytes`)
  const values: Record<string, EseValue> = {}
  const problems: string[] = []
  const put = (column: EseColumn, raw: Buffer, flags = 0): void => {
    try {
      values[column.name] = convert(column, raw, flags, store)
    } catch (error) {
      problems.push(`column ${column.name}: ${(error as Error).message}`)
    }
  }

  // Fixed columns, then the NULL bitmap (one bit per fixed column up to the last one present).
  let offset = 4
  const fixed: {column: EseColumn; at: number}[] = []
  for (const column of table.fixedColumns) {
    if (column.id > lastFixed) break
    fixed.push({column, at: offset})
    offset += column.size
  }
  const bitmap = offset
  const nullFixed: Record<string, Buffer> = {}
  for (const {column, at} of fixed) {
    const bit = column.id - 1
    const isNull = bitmap + (bit >> 3) < data.length && (data[bitmap + (bit >> 3)]! & (1 << (bit & 7))) !== 0
    if (isNull) {
      nullFixed[column.name] = data.subarray(at, Math.min(at + column.size, data.length))
      continue
    }
    if (at + column.size > variableOffset) {
      problems.push(`column ${column.name}: fixed value runs past the fixed data`)
      continue
    }
    put(column, data.subarray(at, at + column.size))
  }

  // Variable columns: end offsets relative to the data after the offsets array.
  const variableCount = lastVariable >= 128 ? lastVariable - 127 : 0
  const variableData = variableOffset + 2 * variableCount
  if (variableData > data.length) throw new Error(`${variableCount} variable column offsets run past the record`)
  const byId = table.variableById
  let previousEnd = 0
  for (let index = 0; index < variableCount; index++) {
    const entry = data.readUInt16LE(variableOffset + 2 * index)
    const end = entry & 0x7fff
    const column = byId.get(128 + index)
    if ((entry & 0x8000) === 0 && column) {
      if (variableData + end > data.length || end < previousEnd) problems.push(`column ${column.name}: variable value runs past the record`)
      else put(column, data.subarray(variableData + previousEnd, variableData + end))
    }
    if ((entry & 0x8000) === 0 || end >= previousEnd) previousEnd = Math.max(previousEnd, end)
  }

  // Tagged columns.
  const taggedStart = variableData + previousEnd
  if (taggedStart < data.length) readTagged(data.subarray(taggedStart), table, layout, put, problems)
  return {values, page: 0, tag: 0, index: 0, problems, nullFixed}
}

function readTagged(area: Buffer, table: EseTable, layout: PageLayout, put: (column: EseColumn, raw: Buffer, flags?: number) => void, problems: string[]): void {
  const large = isLargePage(layout)
  const mask = large ? 0x7fff : 0x1fff
  if (area.length < 4) return
  const count = (area.readUInt16LE(2) & mask) / 4
  if (!Number.isInteger(count) || count * 4 > area.length) {
    problems.push(`tagged column array of ${area.length} bytes does not parse`)
    return
  }
  for (let index = 0; index < count; index++) {
    const id = area.readUInt16LE(4 * index)
    const rawOffset = area.readUInt16LE(4 * index + 2)
    const start = rawOffset & mask
    const end = index + 1 < count ? area.readUInt16LE(4 * (index + 1) + 2) & mask : area.length
    const column = table.taggedById.get(id)
    if (!column) {
      problems.push(`tagged column ${id} is not in the catalog: its ${Math.max(0, end - start)} bytes are not read`)
      continue
    }
    if (start > end || end > area.length) {
      problems.push(`column ${column.name}: tagged value runs past the record`)
      continue
    }
    let value = area.subarray(start, end)
    // A flags byte leads the value in large pages always, in small pages when bit 0x4000 says so.
    let flags = 0
    if (large || rawOffset & 0x4000) {
      if (value.length === 0) continue
      flags = value[0]!
      value = value.subarray(1)
    }
    if (!large && rawOffset & 0x2000) continue
    if (flags & TAGGED_FLAGS.null) continue
    put(column, value, flags)
  }
}

function convert(column: EseColumn, raw: Buffer, flags: number, store: LongValueStore | undefined): EseValue {
  if (flags & TAGGED_FLAGS.multiValues) {
    if (raw.length < 2) return []
    const count = (raw.readUInt16LE(0) & 0x7fff) / 2
    if (!Number.isInteger(count) || count * 2 > raw.length) throw new Error('multi-value offsets do not parse')
    const items: EseValue[] = []
    for (let index = 0; index < count; index++) {
      const entry = raw.readUInt16LE(2 * index)
      const start = entry & 0x7fff
      const end = index + 1 < count ? raw.readUInt16LE(2 * (index + 1)) & 0x7fff : raw.length
      if (start > end || end > raw.length) throw new Error(`multi-value ${index + 1} runs past the value`)
      let part: Buffer = raw.subarray(start, end)
      // Only the first of several values is compressed (libesedb, "Tagged data type flags" notes).
      if (index === 0 && flags & TAGGED_FLAGS.compressed) part = decompressColumn(part)
      if (entry & 0x8000) part = longValue(part, store, column)
      items.push(scalar(column, part))
    }
    return items
  }
  if (flags & TAGGED_FLAGS.twoValues) {
    if (raw.length < 1) return []
    const firstSize = raw[0]!
    if (1 + firstSize > raw.length) throw new Error('first of two values runs past the value')
    return [scalar(column, raw.subarray(1, 1 + firstSize)), scalar(column, raw.subarray(1 + firstSize))]
  }
  let bytes = raw
  if (flags & TAGGED_FLAGS.separated) bytes = longValue(bytes, store, column)
  else if (flags & TAGGED_FLAGS.compressed) bytes = decompressColumn(bytes)
  return scalar(column, bytes)
}

/** The bytes of a separated long value: its id is stored little-endian, its key in the LV tree big-endian. */
function longValue(id: Buffer, store: LongValueStore | undefined, column: EseColumn): Buffer {
  if (!store) throw new Error('long value referenced but the table has no long value tree')
  const key = Buffer.from(id).reverse().toString('hex')
  const size = store.headers.get(key)
  const segments = store.segments.get(key)
  if (size === undefined && !segments) throw new Error(`long value ${key} is not in the long value tree`)
  const parts = [...(segments ?? [])].sort((a, b) => a.offset - b.offset)
  const chunks: Buffer[] = []
  let length = 0
  for (const part of parts) {
    let data = part.data
    if (column.flags & 0x80000 && data.length > 0 && data[0]! >> 3 >= 1 && data[0]! >> 3 <= 3) data = decompressColumn(data)
    chunks.push(data)
    length += data.length
  }
  const joined = Buffer.concat(chunks, length)
  if (size !== undefined && joined.length < size) throw new Error(`long value ${key} has ${joined.length} of its ${size} bytes`)
  return size === undefined ? joined : joined.subarray(0, size)
}

/** A single value of the column's type from its bytes. */
export function scalar(column: EseColumn, bytes: Buffer): EseValue {
  const need = COLUMN_TYPES[column.type]?.size
  if (need !== undefined && bytes.length < need) throw new Error(`${bytes.length} bytes for a ${COLUMN_TYPES[column.type]!.name} value`)
  switch (column.type) {
    case 1:
      return bytes[0] !== 0
    case 2:
      return bytes[0]!
    case 3:
      return bytes.readInt16LE(0)
    case 4:
      return bytes.readInt32LE(0)
    case 5:
    case 15:
      return bytes.readBigInt64LE(0)
    case 6:
      return bytes.readFloatLE(0)
    case 7:
      return bytes.readDoubleLE(0)
    case 8:
      return new EseDateTime(Buffer.from(bytes.subarray(0, 8)))
    case 14:
      return bytes.readUInt32LE(0)
    case 16:
      return guidString(bytes)
    case 17:
      return bytes.readUInt16LE(0)
    case 10:
    case 12:
      return decodeText(bytes, column.codepage)
    default:
      return Buffer.from(bytes)
  }
}

/** GUID in its registry form, {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: the first three groups little-endian. */
export function guidString(bytes: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to))
    return (reverse ? part.reverse() : part).toString('hex')
  }
  return `{${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}}`.toUpperCase()
}

const WINDOWS_1252 = new TextDecoder('windows-1252')

/** Text by the column's code page: 1200 is UTF-16 little-endian, anything else one byte a character (Windows-1252). Trailing NULs are not part of the text. */
export function decodeText(bytes: Buffer, codepage: number): string {
  const text = codepage === 1200 ? bytes.subarray(0, bytes.length - (bytes.length % 2)).toString('utf16le') : codepage === 65001 ? bytes.toString('utf8') : WINDOWS_1252.decode(bytes)
  return text.replace(/\0+$/, '')
}
