/**
 * Chromium's IndexedDB key encoding on LevelDB (content/browser/indexed_db/
 * indexed_db_leveldb_coding.cc): every key starts with a KeyPrefix (database, object store and
 * index ids, their byte lengths packed in the first byte), then a type byte or an encoded IDB key.
 * Strings are UTF-16 big-endian; numbers and dates are little-endian doubles.
 */
export class IndexedDbFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message)
    this.name = 'IndexedDbFormatError'
  }
}

/** An IndexedDB key as JSON: numbers and strings as themselves, dates, binary and min as {$type}. */
export type IdbKeyJson = number | string | IdbKeyJson[] | {$type: 'date'; value: string | null} | {$type: 'binary'; hex: string} | {$type: 'number'; value: string} | {$type: 'min' | 'null'}

export class KeyReader {
  constructor(readonly bytes: Uint8Array, public pos = 0) {}

  get done(): boolean {
    return this.pos >= this.bytes.length
  }

  byte(what: string): number {
    if (this.pos >= this.bytes.length) throw new IndexedDbFormatError(`${what}: key is cut short`, this.pos)
    return this.bytes[this.pos++]
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.bytes.length - this.pos) throw new IndexedDbFormatError(`${what}: ${length} bytes wanted, ${this.bytes.length - this.pos} left`, this.pos)
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  varint(what: string): number {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (shift > 63) throw new IndexedDbFormatError(`${what}: varint longer than 10 bytes`, this.pos)
      const b = this.byte(what)
      value += (b & 0x7f) * 2 ** shift
      if (!(b & 0x80)) return value
    }
  }

  /** A little-endian integer of the given byte length (KeyPrefix ids). */
  intLE(length: number, what: string): number {
    const b = this.take(length, what)
    let value = 0
    for (let i = b.length - 1; i >= 0; i--) value = value * 256 + b[i]
    return value
  }

  double(what: string): number {
    const b = this.take(8, what)
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
  }

  /** UTF-16BE code units up to the end of the key. */
  stringToEnd(): string {
    return utf16be(this.take(this.bytes.length - this.pos, 'string'))
  }

  /** EncodeStringWithLength: varint count of UTF-16 code units, then the units big-endian. */
  stringWithLength(what: string): string {
    return utf16be(this.take(this.varint(what) * 2, what))
  }
}

export function utf16be(bytes: Uint8Array): string {
  const units = new Uint16Array(bytes.length >> 1)
  for (let i = 0; i < units.length; i++) units[i] = (bytes[2 * i] << 8) | bytes[2 * i + 1]
  let out = ''
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.subarray(i, i + 4096))
  return out
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

export function numberJson(n: number): number | {$type: 'number'; value: string} {
  if (Number.isNaN(n) || !Number.isFinite(n) || Object.is(n, -0)) return {$type: 'number', value: Object.is(n, -0) ? '-0' : String(n)}
  return n
}

export function dateJson(ms: number): {$type: 'date'; value: string | null} {
  const d = new Date(ms)
  return {$type: 'date', value: Number.isNaN(d.getTime()) ? null : d.toISOString()}
}

// Type bytes of an encoded IDB key (kIndexedDBKey*TypeByte).
const KEY_NULL = 0
const KEY_STRING = 1
const KEY_DATE = 2
const KEY_NUMBER = 3
const KEY_ARRAY = 4
const KEY_MIN = 5
const KEY_BINARY = 6

/** DecodeIDBKey. Nesting is bounded so a hostile key cannot exhaust the stack. */
export function readIdbKey(r: KeyReader, depth = 0): IdbKeyJson {
  if (depth > 2000) throw new IndexedDbFormatError('IDB key: arrays nested too deep', r.pos)
  const type = r.byte('IDB key type')
  switch (type) {
    case KEY_NULL:
      return {$type: 'null'}
    case KEY_STRING:
      return r.stringWithLength('IDB string key')
    case KEY_DATE:
      return dateJson(r.double('IDB date key'))
    case KEY_NUMBER:
      return numberJson(r.double('IDB number key'))
    case KEY_ARRAY: {
      const length = r.varint('IDB array key length')
      const out: IdbKeyJson[] = []
      for (let i = 0; i < length; i++) out.push(readIdbKey(r, depth + 1))
      return out
    }
    case KEY_MIN:
      return {$type: 'min'}
    case KEY_BINARY:
      return {$type: 'binary', hex: hex(r.take(r.varint('IDB binary key length'), 'IDB binary key'))}
    default:
      throw new IndexedDbFormatError(`IDB key: unknown type byte ${type}`, r.pos - 1)
  }
}

/** DecodeIDBKeyPath: null, a string, or an array of strings; older ones are a bare UTF-16 string. */
export function readKeyPath(bytes: Uint8Array): string | string[] | null {
  const r = new KeyReader(bytes)
  if (bytes.length < 3 || bytes[0] !== 0 || bytes[1] !== 0) return r.stringToEnd()
  r.pos = 2
  const type = r.byte('key path type')
  if (type === 0) return null
  if (type === 1) return r.stringWithLength('key path')
  if (type === 2) {
    const n = r.varint('key path array length')
    return Array.from({length: n}, () => r.stringWithLength('key path element'))
  }
  throw new IndexedDbFormatError(`key path: unknown type ${type}`, 2)
}

export interface KeyPrefix {
  databaseId: number
  objectStoreId: number
  indexId: number
}

/** KeyPrefix::Decode: lengths in the first byte (3, 3 and 2 bits, each stored minus one). */
export function readKeyPrefix(r: KeyReader): KeyPrefix {
  const first = r.byte('key prefix')
  const databaseId = r.intLE((first >> 5) + 1, 'database id')
  const objectStoreId = r.intLE(((first >> 2) & 7) + 1, 'object store id')
  const indexId = r.intLE((first & 3) + 1, 'index id')
  return {databaseId, objectStoreId, indexId}
}

/** IndexedDB's own ids of object-store rows (kObjectStoreDataIndexId and friends); indexes start at 30. */
export const OBJECT_STORE_DATA = 1
export const EXISTS_ENTRY = 2
export const BLOB_ENTRY = 3
export const MIN_INDEX_ID = 30
