/**
 * V8's ValueSerializer format (v8/src/objects/value-serializer.cc), the structured clone of
 * IndexedDB values, rendered as JSON: strings, finite numbers, booleans, null, objects and dense
 * arrays as themselves; everything JSON cannot say as {"$type": ...} (undefined, NaN, bigint,
 * dates, regexps, maps, sets, buffers and views, sparse arrays, wrappers, errors), and Blink's
 * host objects (Blob, File, FileList in IndexedDB) by the index into the record's blob list.
 * A tag this reader does not know stops the value with a V8ValueError naming tag and offset.
 */
import {dateJson, numberJson} from './key-coding.js'

export class V8ValueError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message)
    this.name = 'V8ValueError'
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue}

const VIEW_TYPES: Record<string, string> = {
  b: 'Int8Array', B: 'Uint8Array', C: 'Uint8ClampedArray', w: 'Int16Array', W: 'Uint16Array', d: 'Int32Array', D: 'Uint32Array',
  h: 'Float16Array', f: 'Float32Array', F: 'Float64Array', q: 'BigInt64Array', Q: 'BigUint64Array', '?': 'DataView',
}
const ERROR_PROTOTYPES: Record<string, string> = {E: 'EvalError', R: 'RangeError', F: 'ReferenceError', S: 'SyntaxError', T: 'TypeError', U: 'URIError'}
// JSRegExp::Flags bits, and the order RegExp.prototype.flags lists them in.
const REGEXP_FLAGS: [number, string][] = [[128, 'd'], [1, 'g'], [2, 'i'], [4, 'm'], [64, 's'], [32, 'u'], [256, 'v'], [16, 'y']]
const MAX_DEPTH = 1000

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex')
const tagName = (t: number) => (t >= 0x20 && t < 0x7f ? `'${String.fromCharCode(t)}'` : `0x${t.toString(16).padStart(2, '0')}`)

export class V8Deserializer {
  pos: number
  version = 0
  private readonly objects = new Map<number, JsonValue>()
  private readonly building = new Set<number>()
  private nextId = 0

  constructor(readonly bytes: Uint8Array, start = 0, readonly base = 0) {
    this.pos = start
  }

  private fail(message: string, at = this.pos): never {
    throw new V8ValueError(message, this.base + at)
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) this.fail('value is cut short')
    return this.bytes[this.pos++]
  }

  private peek(): number | undefined {
    while (this.bytes[this.pos] === 0x00) this.pos++ // kPadding
    return this.bytes[this.pos]
  }

  private take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) this.fail(`${n} bytes wanted, ${this.bytes.length - this.pos} left`)
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  varint(): number {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (shift > 63) this.fail('varint longer than 10 bytes')
      const b = this.byte()
      value += (b & 0x7f) * 2 ** shift
      if (!(b & 0x80)) return value
    }
  }

  private zigzag(): number {
    const v = this.varint()
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2
  }

  private double(): number {
    const b = this.take(8)
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
  }

  /** The header: kVersion (0xFF) and the format version. */
  readHeader(): void {
    if (this.peek() !== 0xff) this.fail(`no V8 version tag (found ${tagName(this.bytes[this.pos] ?? 0)})`)
    this.pos++
    this.version = this.varint()
  }

  readValue(depth = 0): JsonValue {
    if (depth > MAX_DEPTH) this.fail('values nested too deep')
    const value = this.readOne(depth)
    // An ArrayBuffer directly followed by a view tag is the view's backing store.
    if (value && typeof value === 'object' && !Array.isArray(value) && value.$type === 'ArrayBuffer' && this.peek() === 0x56) {
      this.pos++
      return this.readView(value.hex as string)
    }
    return value
  }

  private newId(): number {
    return this.nextId++
  }

  private register<T extends JsonValue>(id: number, value: T): T {
    this.objects.set(id, value)
    return value
  }

  private readOne(depth: number): JsonValue {
    this.peek()
    const at = this.pos
    const tag = this.byte()
    switch (String.fromCharCode(tag)) {
      case '?': // kVerifyObjectCount
        this.varint()
        return this.readOne(depth)
      case '_':
        return {$type: 'undefined'}
      case '0':
        return null
      case 'T':
        return true
      case 'F':
        return false
      case '-':
        return {$type: 'hole'}
      case 'I':
        return this.zigzag()
      case 'U':
        return this.varint()
      case 'N':
        return numberJson(this.double()) as JsonValue
      case 'Z':
        return {$type: 'bigint', value: this.bigint()}
      case 'S':
        return Buffer.from(this.take(this.varint())).toString('utf8')
      case '"':
        return Buffer.from(this.take(this.varint())).toString('latin1')
      case 'c':
        return this.twoByte()
      case '^': {
        const id = this.varint()
        if (this.building.has(id)) return {$type: 'ref', id}
        if (!this.objects.has(id)) this.fail(`reference to unknown object ${id}`, at)
        return this.objects.get(id)!
      }
      case 'o':
        return this.readObject(depth)
      case 'A':
        return this.readDenseArray(depth)
      case 'a':
        return this.readSparseArray(depth)
      case 'D':
        return this.register(this.newId(), dateJson(this.double()) as JsonValue)
      case 'y':
        return this.register(this.newId(), {$type: 'Boolean', value: true})
      case 'x':
        return this.register(this.newId(), {$type: 'Boolean', value: false})
      case 'n':
        return this.register(this.newId(), {$type: 'Number', value: numberJson(this.double()) as JsonValue})
      case 'z':
        return this.register(this.newId(), {$type: 'BigInt', value: this.bigint()})
      case 's': {
        const id = this.newId()
        return this.register(id, {$type: 'String', value: this.readString()})
      }
      case 'R': {
        const id = this.newId()
        const source = this.readString()
        const bits = this.varint()
        return this.register(id, {$type: 'regexp', source, flags: REGEXP_FLAGS.filter(([b]) => bits & b).map(([, f]) => f).join('')})
      }
      case ';':
        return this.readCollection(depth, ':', 'map')
      case "'":
        return this.readCollection(depth, ',', 'set')
      case 'B': {
        const id = this.newId()
        return this.register(id, {$type: 'ArrayBuffer', hex: hexOf(this.take(this.varint()))})
      }
      case '~': {
        const id = this.newId()
        const length = this.varint()
        const maxByteLength = this.varint()
        return this.register(id, {$type: 'ArrayBuffer', hex: hexOf(this.take(length)), maxByteLength})
      }
      case 'r':
        return this.readError(depth)
      case '\\':
        return this.readHostObject()
      default:
        return this.fail(`V8 tag ${tagName(tag)} is not decoded by trawl`, at)
    }
  }

  private bigint(): string {
    const bitfield = this.varint()
    const digits = this.take(Math.floor(bitfield / 2) & 0x3fffffff)
    let value = 0n
    for (let i = digits.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(digits[i])
    return (bitfield & 1 ? -value : value).toString()
  }

  private twoByte(): string {
    const b = this.take(this.varint())
    if (b.length % 2) this.fail('two-byte string of odd length')
    return Buffer.from(b).toString('utf16le')
  }

  /** A string value inside another (RegExp source, String object, Error message). */
  private readString(): string {
    const value = this.readOne(0)
    if (typeof value !== 'string') this.fail('a string was expected')
    return value
  }

  private readProperties(target: {[key: string]: JsonValue}, end: number, depth: number): number {
    let count = 0
    for (;;) {
      if (this.peek() === end) {
        this.pos++
        return count
      }
      const key = this.readValue(depth + 1)
      if (typeof key !== 'string' && typeof key !== 'number') this.fail('object key is neither string nor number')
      target[String(key)] = this.readValue(depth + 1)
      count++
    }
  }

  private readObject(depth: number): JsonValue {
    const id = this.newId()
    const out = this.register(id, {} as {[key: string]: JsonValue})
    this.building.add(id)
    const count = this.readProperties(out, 0x7b, depth)
    if (this.varint() !== count) this.fail('object property count does not match')
    this.building.delete(id)
    return out
  }

  private readDenseArray(depth: number): JsonValue {
    const id = this.newId()
    const length = this.varint()
    if (length > this.bytes.length - this.pos) this.fail(`dense array of ${length} elements in ${this.bytes.length - this.pos} bytes`)
    const out = this.register(id, [] as JsonValue[])
    this.building.add(id)
    for (let i = 0; i < length; i++) out.push(this.readValue(depth + 1))
    const extra: {[key: string]: JsonValue} = {}
    this.readProperties(extra, 0x24, depth)
    this.varint()
    this.varint()
    this.building.delete(id)
    const isHole = (v: JsonValue) => v !== null && typeof v === 'object' && !Array.isArray(v) && v.$type === 'hole'
    if (Object.keys(extra).length === 0 && !out.some(isHole)) return out
    // Holes or named properties: written as a sparse array (what JavaScript sees), nothing dropped.
    const elements: {[key: string]: JsonValue} = {}
    out.forEach((v, i) => {
      if (!isHole(v)) elements[i] = v
    })
    return this.register(id, {$type: 'sparse-array', length, elements: {...elements, ...extra}})
  }

  private readSparseArray(depth: number): JsonValue {
    const id = this.newId()
    const length = this.varint()
    const elements: {[key: string]: JsonValue} = {}
    const out = this.register(id, {$type: 'sparse-array', length, elements} as {[key: string]: JsonValue})
    this.building.add(id)
    this.readProperties(elements, 0x40, depth)
    this.varint()
    this.varint()
    this.building.delete(id)
    return out
  }

  private readCollection(depth: number, end: string, kind: 'map' | 'set'): JsonValue {
    const id = this.newId()
    const items: JsonValue[] = []
    const out = this.register(id, kind === 'map' ? {$type: 'map', entries: items} : {$type: 'set', values: items})
    this.building.add(id)
    const endTag = end.charCodeAt(0)
    while (this.peek() !== endTag) {
      if (kind === 'map') items.push([this.readValue(depth + 1), this.readValue(depth + 1)])
      else items.push(this.readValue(depth + 1))
    }
    this.pos++
    this.varint()
    this.building.delete(id)
    return out
  }

  private readView(bufferHex: string): JsonValue {
    const id = this.newId()
    const sub = String.fromCharCode(this.byte())
    const offset = this.varint()
    const length = this.varint()
    if (this.version >= 14) this.varint() // flags (length-tracking, backed by resizable buffer)
    const name = VIEW_TYPES[sub]
    if (!name) this.fail(`array buffer view subtag ${tagName(sub.charCodeAt(0))} is not known`)
    if (2 * (offset + length) > bufferHex.length) this.fail('array buffer view outside its buffer')
    return this.register(id, {$type: name, hex: bufferHex.slice(2 * offset, 2 * (offset + length))})
  }

  private readError(depth: number): JsonValue {
    const id = this.newId()
    const out: {[key: string]: JsonValue} = {$type: 'Error', name: 'Error'}
    this.register(id, out)
    for (;;) {
      const sub = String.fromCharCode(this.byte())
      if (sub === '.') return out
      if (ERROR_PROTOTYPES[sub]) out.name = ERROR_PROTOTYPES[sub]
      else if (sub === 'm') out.message = this.readString()
      else if (sub === 's') out.stack = this.readString()
      else if (sub === 'c') out.cause = this.readValue(depth + 1)
      else this.fail(`error subtag ${tagName(sub.charCodeAt(0))} is not known`)
    }
  }

  private blinkString(): string {
    return Buffer.from(this.take(this.varint())).toString('utf8')
  }

  /**
   * Blink's host objects (third_party/blink/.../serialization/serialization_tag.h). IndexedDB
   * writes Blobs and Files as an index into the value's blob list, kept beside it in LevelDB.
   */
  private readHostObject(): JsonValue {
    const id = this.newId()
    const at = this.pos
    const tag = String.fromCharCode(this.byte())
    if (tag === 'i') return this.register(id, {$type: 'Blob', blobIndex: this.varint()})
    if (tag === 'e') return this.register(id, {$type: 'File', blobIndex: this.varint()})
    if (tag === 'L') {
      const n = this.varint()
      return this.register(id, {$type: 'FileList', blobIndexes: Array.from({length: n}, () => this.varint())})
    }
    if (tag === 'b') {
      const uuid = this.blinkString()
      const type = this.blinkString()
      return this.register(id, {$type: 'Blob', uuid, type, size: this.varint()})
    }
    return this.fail(`Blink host object tag ${tagName(tag.charCodeAt(0))} is not decoded by trawl`, at)
  }
}
