/**
 * Binary XML (BinXml) as EVTX chunks hold it: a token stream whose element and
 * attribute names live in the chunk (by chunk-relative offset) and whose templates
 * are defined once per chunk and instantiated by each record with an array of typed
 * substitution values. Spec: libyal/libevtx "Windows XML Event Log (EVTX)" section 4
 * (Binary XML) and MS-EVEN6 section 3.1.4.7. Nothing here knows about files or parsers.
 */
import {filetimeToIso} from '../time.js'

/** A typed value as the record holds it (BinXml value types, libevtx 4.3). */
export type EvtxValue =
  | {type: 'null'}
  | {type: 'string'; value: string}
  | {type: 'ansi'; value: string}
  | {type: 'int'; bits: 8 | 16 | 32 | 64; signed: boolean; value: number | bigint}
  | {type: 'float' | 'double'; value: number}
  | {type: 'bool'; value: boolean}
  | {type: 'binary'; value: Buffer}
  | {type: 'guid'; value: string}
  | {type: 'size'; value: bigint}
  | {type: 'filetime'; value: bigint}
  | {type: 'systemtime'; value: string | null}
  | {type: 'sid'; value: string}
  | {type: 'hex32' | 'hex64'; value: bigint}
  | {type: 'array'; of: string; values: EvtxValue[]}

/** Content of an element or attribute: literal text, a typed value, or a reference. */
export type XmlContent =
  | {kind: 'value'; value: EvtxValue}
  | {kind: 'cdata'; text: string}
  | {kind: 'charref'; code: number}
  | {kind: 'entity'; name: string}

export interface XmlAttribute {
  name: string
  content: XmlContent[]
}

export interface XmlElement {
  kind: 'element'
  name: string
  attributes: XmlAttribute[]
  children: XmlNode[]
}

export type XmlNode = XmlElement | XmlContent | {kind: 'pi'; target: string; data: string}

/** A defect in the BinXml of one record: carries the chunk-relative offset that was wrong. */
export class BinXmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at chunk offset ${offset})`)
    this.name = 'BinXmlError'
  }
}

/** The chunk a BinXml stream lives in: names and templates are resolved against it, and cached per chunk. */
export interface ChunkContext {
  /** The 64 KiB chunk. */
  data: Buffer
  names: Map<number, string>
  templates: Map<number, TemplateDefinition>
}

/** A template definition: its fragment parsed once with substitution placeholders (libevtx 4.2.13). */
export interface TemplateDefinition {
  offset: number
  guid: string
  /** Nodes of the template; substitutions appear as {kind: 'sub'}. */
  nodes: TemplateNode[]
}

type Sub = {kind: 'sub'; index: number; optional: boolean; valueType: number}
type TemplateContent = XmlContent | Sub
interface TemplateElement {
  kind: 'element'
  name: string
  attributes: Array<{name: string; content: TemplateContent[]}>
  children: TemplateNode[]
}
type TemplateNode = TemplateElement | TemplateContent | {kind: 'pi'; target: string; data: string} | {kind: 'instance'; template: TemplateDefinition; values: EvtxValue[]}

const TOKEN = {
  eof: 0x00,
  openStart: 0x01,
  closeStart: 0x02,
  closeEmpty: 0x03,
  end: 0x04,
  value: 0x05,
  attribute: 0x06,
  cdata: 0x07,
  charRef: 0x08,
  entityRef: 0x09,
  piTarget: 0x0a,
  piData: 0x0b,
  templateInstance: 0x0c,
  normalSub: 0x0d,
  optionalSub: 0x0e,
  fragmentHeader: 0x0f,
} as const

/** Deep nesting guard: BinXml substitutions can nest BinXml; a crafted record must not exhaust the stack. */
const MAX_DEPTH = 64

function utf16(buf: Buffer, start: number, chars: number, at: number): string {
  const end = start + chars * 2
  if (chars < 0 || end > buf.length) throw new BinXmlError(`string of ${chars} characters runs past the chunk`, at)
  return buf.toString('utf16le', start, end)
}

export function guidText(buf: Buffer, at: number): string {
  const h = (s: number, e: number) => buf.subarray(s, e).toString('hex')
  const le = (s: number, n: number) => Buffer.from(buf.subarray(s, s + n)).reverse().toString('hex')
  return `{${le(at, 4)}-${le(at + 4, 2)}-${le(at + 6, 2)}-${h(at + 8, at + 10)}-${h(at + 10, at + 16)}}`.toUpperCase()
}

/** Security identifier: revision, sub-authority count, 48-bit big-endian authority, 32-bit little-endian sub-authorities. */
export function sidText(buf: Buffer, at: number, size: number): string {
  if (size < 8) throw new BinXmlError('SID shorter than 8 bytes', at)
  const count = buf[at + 1]!
  if (8 + count * 4 > size) throw new BinXmlError(`SID declares ${count} sub-authorities in ${size} bytes`, at)
  const authority = buf.readUIntBE(at + 2, 6)
  let text = `S-${buf[at]}-${authority}`
  for (let i = 0; i < count; i++) text += `-${buf.readUInt32LE(at + 8 + i * 4)}`
  return text
}

/** SYSTEMTIME (UTC in event logs): year, month, weekday, day, hour, minute, second, milliseconds. */
function systemtimeText(buf: Buffer, at: number): string | null {
  const [y, mo, , d, h, mi, s, ms] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => buf.readUInt16LE(at + i * 2)) as number[]
  if (y === 0 && mo === 0) return null
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(y!, 4)}-${p(mo!)}-${p(d!)}T${p(h!)}:${p(mi!)}:${p(s!)}.${p(ms!, 3)}Z`
}

/** Fixed sizes of the value types that have one (libevtx 4.3); 0 = sized by the substitution descriptor. */
const FIXED_SIZE: Record<number, number> = {0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8, 0x0b: 4, 0x0c: 8, 0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8}

/** Reads a value of `type` occupying exactly `size` bytes at `at` (a substitution value, libevtx 4.2.14). */
export function readValue(buf: Buffer, at: number, size: number, type: number, depth = 0, chunk?: ChunkContext): EvtxValue | {type: 'binxml'; nodes: XmlNode[]} {
  if (at + size > buf.length) throw new BinXmlError(`value of ${size} bytes runs past the data`, at)
  if (type & 0x80) return readArray(buf, at, size, type & 0x7f)
  const fixed = FIXED_SIZE[type]
  if (fixed !== undefined && size < fixed) throw new BinXmlError(`value of type 0x${type.toString(16)} needs ${fixed} bytes, has ${size}`, at)
  switch (type) {
    case 0x00:
      return {type: 'null'}
    case 0x01:
      return {type: 'string', value: utf16(buf, at, Math.floor(size / 2), at).replace(/\0+$/, '')}
    case 0x02:
      return {type: 'ansi', value: buf.toString('latin1', at, at + size).replace(/\0+$/, '')}
    case 0x03:
      return {type: 'int', bits: 8, signed: true, value: buf.readInt8(at)}
    case 0x04:
      return {type: 'int', bits: 8, signed: false, value: buf.readUInt8(at)}
    case 0x05:
      return {type: 'int', bits: 16, signed: true, value: buf.readInt16LE(at)}
    case 0x06:
      return {type: 'int', bits: 16, signed: false, value: buf.readUInt16LE(at)}
    case 0x07:
      return {type: 'int', bits: 32, signed: true, value: buf.readInt32LE(at)}
    case 0x08:
      return {type: 'int', bits: 32, signed: false, value: buf.readUInt32LE(at)}
    case 0x09:
      return {type: 'int', bits: 64, signed: true, value: buf.readBigInt64LE(at)}
    case 0x0a:
      return {type: 'int', bits: 64, signed: false, value: buf.readBigUInt64LE(at)}
    case 0x0b:
      return {type: 'float', value: buf.readFloatLE(at)}
    case 0x0c:
      return {type: 'double', value: buf.readDoubleLE(at)}
    case 0x0d:
      return {type: 'bool', value: buf.readUInt32LE(at) !== 0}
    case 0x0e:
      return {type: 'binary', value: Buffer.from(buf.subarray(at, at + size))}
    case 0x0f:
      return {type: 'guid', value: guidText(buf, at)}
    case 0x10:
      // size_t: 4 or 8 bytes, whichever the writer's platform used (the descriptor says)
      return {type: 'size', value: size === 4 ? BigInt(buf.readUInt32LE(at)) : size >= 8 ? buf.readBigUInt64LE(at) : 0n}
    case 0x11:
      return {type: 'filetime', value: buf.readBigUInt64LE(at)}
    case 0x12:
      return {type: 'systemtime', value: systemtimeText(buf, at)}
    case 0x13:
      return {type: 'sid', value: sidText(buf, at, size)}
    case 0x14:
      return {type: 'hex32', value: BigInt(buf.readUInt32LE(at))}
    case 0x15:
      return {type: 'hex64', value: buf.readBigUInt64LE(at)}
    case 0x21: {
      if (!chunk) throw new BinXmlError('nested BinXml outside a chunk', at)
      const reader = new BinXmlReader(chunk, at, at + size, depth + 1)
      return {type: 'binxml', nodes: reader.fragment()}
    }
    default:
      // EvtHandle (0x20), EvtXml (0x23) and unknown types: kept as bytes, never guessed
      return {type: 'binary', value: Buffer.from(buf.subarray(at, at + size))}
  }
}

const TYPE_NAMES: Record<number, string> = {0x01: 'string', 0x02: 'ansi', 0x03: 'int8', 0x04: 'uint8', 0x05: 'int16', 0x06: 'uint16', 0x07: 'int32', 0x08: 'uint32', 0x09: 'int64', 0x0a: 'uint64', 0x0b: 'float', 0x0c: 'double', 0x0d: 'bool', 0x0e: 'binary', 0x0f: 'guid', 0x10: 'size', 0x11: 'filetime', 0x12: 'systemtime', 0x13: 'sid', 0x14: 'hex32', 0x15: 'hex64'}

/** Arrays: strings are NUL-terminated one after another; fixed-size types are packed (libevtx 4.3, array types). */
function readArray(buf: Buffer, at: number, size: number, type: number): EvtxValue {
  const values: EvtxValue[] = []
  const name = TYPE_NAMES[type] ?? `0x${type.toString(16)}`
  if (type === 0x01) {
    const text = buf.toString('utf16le', at, at + (size & ~1))
    const parts = text.split('\0')
    if (parts.at(-1) === '') parts.pop()
    for (const p of parts) values.push({type: 'string', value: p})
  } else if (type === 0x02) {
    const parts = buf.toString('latin1', at, at + size).split('\0')
    if (parts.at(-1) === '') parts.pop()
    for (const p of parts) values.push({type: 'ansi', value: p})
  } else {
    const width = FIXED_SIZE[type] ?? (type === 0x10 ? 8 : 0)
    if (width === 0) return {type: 'binary', value: Buffer.from(buf.subarray(at, at + size))}
    for (let o = at; o + width <= at + size; o += width) values.push(readValue(buf, o, width, type) as EvtxValue)
  }
  return {type: 'array', of: name, values}
}

/**
 * Reads one BinXml stream inside a chunk. Offsets are chunk-relative: names and template
 * definitions are either at an earlier offset (shared, cached) or inline right where the
 * reader stands (first use), in which case the reader steps over them.
 */
export class BinXmlReader {
  private pos: number

  constructor(private readonly chunk: ChunkContext, start: number, private readonly end: number, private readonly depth = 0) {
    if (depth > MAX_DEPTH) throw new BinXmlError('BinXml nested too deeply', start)
    if (end > chunk.data.length) throw new BinXmlError('BinXml stream runs past the chunk', start)
    this.pos = start
  }

  /** Reads a whole fragment (to end of stream or end of data) and resolves it into XML nodes. */
  fragment(): XmlNode[] {
    const nodes = this.nodes(false)
    const out: XmlNode[] = []
    resolveInto(nodes, [], this.depth, out)
    return out
  }

  private get buf(): Buffer {
    return this.chunk.data
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new BinXmlError(`BinXml token needs ${n} bytes past the end of the stream`, this.pos)
  }

  private u8(): number {
    this.need(1)
    return this.buf[this.pos++]!
  }

  private u16(): number {
    this.need(2)
    const v = this.buf.readUInt16LE(this.pos)
    this.pos += 2
    return v
  }

  private u32(): number {
    this.need(4)
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }

  /** A name: next-string offset (4), hash (2), character count (2), UTF-16 characters, NUL (libevtx 4.2.3). */
  private name(offset: number): string {
    const inline = offset === this.pos
    let name = this.chunk.names.get(offset)
    if (name === undefined) {
      if (offset + 8 > this.buf.length) throw new BinXmlError(`name offset ${offset} outside the chunk`, this.pos)
      const chars = this.buf.readUInt16LE(offset + 6)
      name = utf16(this.buf, offset + 8, chars, offset)
      this.chunk.names.set(offset, name)
    }
    if (inline) {
      this.pos = offset + 8 + name.length * 2 + 2
      if (this.pos > this.end) throw new BinXmlError('inline name runs past the stream', offset)
    }
    return name
  }

  /** Reads nodes until end of stream, or (inside an element) its end token. */
  private nodes(inElement: boolean): TemplateNode[] {
    const out: TemplateNode[] = []
    while (this.pos < this.end) {
      const start = this.pos
      const token = this.u8()
      const base = token & 0x0f
      const more = (token & 0x40) !== 0
      switch (base) {
        case TOKEN.eof:
          if (inElement) throw new BinXmlError('end of stream inside an element', start)
          return out
        case TOKEN.fragmentHeader:
          this.need(3)
          this.pos += 3
          break
        case TOKEN.openStart:
          out.push(this.element(more))
          break
        case TOKEN.end:
          if (!inElement) throw new BinXmlError('end-element token outside an element', start)
          return out
        case TOKEN.value:
        case TOKEN.cdata:
        case TOKEN.charRef:
        case TOKEN.entityRef:
        case TOKEN.normalSub:
        case TOKEN.optionalSub:
          this.pos = start
          out.push(this.content())
          break
        case TOKEN.piTarget: {
          const target = this.name(this.u32())
          let data = ''
          if (this.pos < this.end && (this.buf[this.pos]! & 0x0f) === TOKEN.piData) {
            this.pos++
            const chars = this.u16()
            this.need(chars * 2)
            data = utf16(this.buf, this.pos, chars, this.pos)
            this.pos += chars * 2
          }
          out.push({kind: 'pi', target, data})
          break
        }
        case TOKEN.templateInstance:
          out.push(this.templateInstance())
          break
        default:
          throw new BinXmlError(`unexpected BinXml token 0x${token.toString(16)}`, start)
      }
    }
    if (inElement) throw new BinXmlError('element not closed before the end of the stream', this.pos)
    return out
  }

  /** Open start element (libevtx 4.2.4): dependency id (2), data size (4), name offset (4), [attribute list size (4)]. */
  private element(hasAttributes: boolean): TemplateElement {
    this.u16()
    this.u32()
    const name = this.name(this.u32())
    if (hasAttributes) this.u32()
    const attributes: TemplateElement['attributes'] = []
    for (;;) {
      const at = this.pos
      const token = this.u8()
      const base = token & 0x0f
      if (base === TOKEN.attribute) {
        const attrName = this.name(this.u32())
        const content: TemplateContent[] = []
        // an attribute's value: one or more value/substitution/reference tokens
        while (this.pos < this.end) {
          const next = this.buf[this.pos]! & 0x0f
          if (next !== TOKEN.value && next !== TOKEN.normalSub && next !== TOKEN.optionalSub && next !== TOKEN.charRef && next !== TOKEN.entityRef) break
          content.push(this.content())
        }
        attributes.push({name: attrName, content})
      } else if (base === TOKEN.closeEmpty) {
        return {kind: 'element', name, attributes, children: []}
      } else if (base === TOKEN.closeStart) {
        return {kind: 'element', name, attributes, children: this.nodes(true)}
      } else {
        throw new BinXmlError(`unexpected token 0x${token.toString(16)} in the attributes of <${name}>`, at)
      }
    }
  }

  private content(): TemplateContent {
    const start = this.pos
    const token = this.u8()
    switch (token & 0x0f) {
      case TOKEN.value: {
        const type = this.u8()
        // a value token holds a string (UTF-16 with a character count) in practice; other types are read by their size
        if (type === 0x01) {
          const chars = this.u16()
          this.need(chars * 2)
          const text = utf16(this.buf, this.pos, chars, this.pos)
          this.pos += chars * 2
          return {kind: 'value', value: {type: 'string', value: text}}
        }
        const size = FIXED_SIZE[type]
        if (size === undefined) throw new BinXmlError(`value token of unsized type 0x${type.toString(16)}`, start)
        this.need(size)
        const value = readValue(this.buf, this.pos, size, type) as EvtxValue
        this.pos += size
        return {kind: 'value', value}
      }
      case TOKEN.cdata: {
        const chars = this.u16()
        this.need(chars * 2)
        const text = utf16(this.buf, this.pos, chars, this.pos)
        this.pos += chars * 2
        return {kind: 'cdata', text}
      }
      case TOKEN.charRef:
        return {kind: 'charref', code: this.u16()}
      case TOKEN.entityRef:
        return {kind: 'entity', name: this.name(this.u32())}
      case TOKEN.normalSub:
      case TOKEN.optionalSub: {
        const index = this.u16()
        const valueType = this.u8()
        return {kind: 'sub', index, optional: (token & 0x0f) === TOKEN.optionalSub, valueType}
      }
      default:
        throw new BinXmlError(`unexpected token 0x${token.toString(16)} where a value belongs`, start)
    }
  }

  /**
   * Template instance (libevtx 4.2.12): unknown (1), template id (4), definition offset (4);
   * the definition follows inline on first use (next offset 4, GUID 16, data size 4, fragment);
   * then the substitution array: count (4), count x (size 2, type 1, unknown 1), the values.
   */
  private templateInstance(): TemplateNode {
    this.u8()
    this.u32()
    const defOffset = this.u32()
    let template = this.chunk.templates.get(defOffset)
    if (defOffset === this.pos) {
      this.need(24)
      const size = this.buf.readUInt32LE(defOffset + 20)
      const fragmentStart = defOffset + 24
      if (fragmentStart + size > this.end) throw new BinXmlError(`template definition of ${size} bytes runs past the stream`, defOffset)
      if (!template) template = this.defineTemplate(defOffset, size)
      this.pos = fragmentStart + size
    } else if (!template) {
      if (defOffset + 24 > this.buf.length || defOffset < 512) throw new BinXmlError(`template definition offset ${defOffset} outside the chunk`, this.pos)
      template = this.defineTemplate(defOffset, this.buf.readUInt32LE(defOffset + 20))
    }
    const count = this.u32()
    if (count * 4 > this.end - this.pos) throw new BinXmlError(`${count} substitution descriptors do not fit the record`, this.pos)
    const descriptors: Array<{size: number; type: number}> = []
    for (let i = 0; i < count; i++) {
      const size = this.u16()
      const type = this.u8()
      this.u8()
      descriptors.push({size, type})
    }
    const values: EvtxValue[] = []
    for (const d of descriptors) {
      this.need(d.size)
      const v = d.size === 0 ? {type: 'null' as const} : readValue(this.buf, this.pos, d.size, d.type, this.depth, this.chunk)
      values.push(v.type === 'binxml' ? ({type: 'binxml', nodes: v.nodes} as unknown as EvtxValue) : v)
      this.pos += d.size
    }
    return {kind: 'instance', template, values}
  }

  private defineTemplate(offset: number, size: number): TemplateDefinition {
    const start = offset + 24
    if (start + size > this.buf.length) throw new BinXmlError(`template definition of ${size} bytes runs past the chunk`, offset)
    const reader = new BinXmlReader(this.chunk, start, start + size, this.depth + 1)
    const template: TemplateDefinition = {offset, guid: guidText(this.buf, offset + 4), nodes: []}
    // cached before its body is read so that a (malformed) self-reference cannot recurse forever
    this.chunk.templates.set(offset, template)
    template.nodes = reader.nodes(false)
    return template
  }
}

type ResolvedValue = EvtxValue | {type: 'binxml'; nodes: XmlNode[]}

/** Substitutes values into template nodes; nested template instances are resolved with their own values. */
function resolveInto(nodes: TemplateNode[], values: ResolvedValue[], depth: number, out: XmlNode[]): void {
  if (depth > MAX_DEPTH) throw new BinXmlError('templates nested too deeply', 0)
  for (const node of nodes) {
    if (node.kind === 'instance') {
      resolveInto(node.template.nodes, node.values as ResolvedValue[], depth + 1, out)
    } else if (node.kind === 'element') {
      const attributes: XmlAttribute[] = []
      for (const a of node.attributes) {
        const content = resolveContent(a.content, values)
        // an optional substitution that is empty removes its attribute (MS-EVEN6 3.1.4.7.3)
        if (content.length === 0 && a.content.some((c) => c.kind === 'sub' && c.optional)) continue
        attributes.push({name: a.name, content})
      }
      // an element whose whole content is one substitution: an empty optional one removes the
      // element, and an array repeats it once per item (MS-EVEN6 3.1.4.7.3; as evtxexport renders)
      const [only] = node.children
      if (node.children.length === 1 && only?.kind === 'sub') {
        const v = values[only.index]
        if (only.optional && (v === undefined || v.type === 'null' || (v.type === 'array' && v.values.length === 0))) continue
        if (v?.type === 'array') {
          for (const item of v.values) out.push({kind: 'element', name: node.name, attributes, children: [{kind: 'value', value: item}]})
          continue
        }
      }
      const children: XmlNode[] = []
      resolveInto(node.children, values, depth, children)
      out.push({kind: 'element', name: node.name, attributes, children})
    } else if (node.kind === 'sub') {
      const v = values[node.index]
      if (v === undefined || v.type === 'null') continue
      if (v.type === 'binxml') out.push(...v.nodes)
      else out.push({kind: 'value', value: v})
    } else {
      out.push(node)
    }
  }
}

function resolveContent(content: TemplateContent[], values: ResolvedValue[]): XmlContent[] {
  const out: XmlContent[] = []
  for (const c of content) {
    if (c.kind !== 'sub') {
      out.push(c)
      continue
    }
    const v = values[c.index]
    if (v === undefined || v.type === 'null' || v.type === 'binxml') continue
    out.push({kind: 'value', value: v})
  }
  return out
}

/** A value as text, in the notation Windows' Event Viewer uses in its XML view (times in ISO 8601 UTC). */
export function valueText(value: EvtxValue): string {
  switch (value.type) {
    case 'null':
      return ''
    case 'string':
    case 'ansi':
    case 'guid':
    case 'sid':
      return value.value
    case 'int':
    case 'size':
      return String(value.value)
    case 'float':
    case 'double':
      return String(value.value)
    case 'bool':
      return value.value ? 'true' : 'false'
    case 'binary':
      return value.value.toString('hex').toUpperCase()
    case 'filetime':
      return filetimeToIso(value.value) ?? ''
    case 'systemtime':
      return value.value ?? ''
    case 'hex32':
    case 'hex64':
      return `0x${value.value.toString(16)}`
    case 'array':
      return value.values.map(valueText).join(', ')
  }
}

/** Text of an element's content (values, CDATA, character references) without markup. */
export function contentText(content: XmlContent[] | XmlNode[]): string {
  let text = ''
  for (const c of content) {
    if (c.kind === 'value') text += valueText(c.value)
    else if (c.kind === 'cdata') text += c.text
    else if (c.kind === 'charref') text += String.fromCodePoint(c.code)
    else if (c.kind === 'entity') text += ENTITIES[c.name] ?? `&${c.name};`
    else if (c.kind === 'element') text += contentText(c.children)
  }
  return text
}

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}

const NEEDS_ESCAPE = /[&<>"]/

function escapeXml(text: string, attribute: boolean): string {
  if (!NEEDS_ESCAPE.test(text)) return text
  let out = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  if (attribute) out = out.replaceAll('"', '&quot;')
  return out
}

function renderContent(content: XmlContent, attribute: boolean): string {
  switch (content.kind) {
    case 'value':
      return escapeXml(valueText(content.value), attribute)
    case 'cdata':
      return attribute ? escapeXml(content.text, true) : `<![CDATA[${content.text}]]>`
    case 'charref':
      return `&#${content.code};`
    case 'entity':
      return `&${content.name};`
  }
}

/** Renders nodes as XML text (the record's event as Event Viewer's XML view shows it). */
export function renderXml(nodes: XmlNode[]): string {
  let out = ''
  for (const node of nodes) {
    if (node.kind === 'element') {
      out += `<${node.name}`
      for (const a of node.attributes) out += ` ${a.name}="${a.content.map((c) => renderContent(c, true)).join('')}"`
      out += node.children.length === 0 ? '/>' : `>${renderXml(node.children)}</${node.name}>`
    } else if (node.kind === 'pi') {
      out += `<?${node.target}${node.data ? ` ${node.data}` : ''}?>`
    } else {
      out += renderContent(node, false)
    }
  }
  return out
}
