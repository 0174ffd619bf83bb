/**
 * Property lists as iTunes writes them beside a backup: Info.plist (XML) and
 * Manifest.plist / Status.plist (binary 'bplist00' or XML).
 *
 * Binary format (Apple CFBinaryPList.c): 'bplist00' header, objects, an offset table,
 * and a 32-byte trailer: 6 unused bytes, offset int size, object ref size,
 * number of objects (u64), top object (u64), offset table offset (u64), all big-endian.
 * Every offset and count is checked against the buffer, and an object that refers back
 * to one being decoded (a loop) is an error, so a hostile file cannot hang or crash us.
 */
import {XMLParser} from 'fast-xml-parser'
import {ParseError} from '../../errors.js'

export type PlistValue = string | number | bigint | boolean | null | Buffer | PlistDate | PlistValue[] | {[key: string]: PlistValue}

/** A plist date, kept as ISO 8601 UTC. */
export class PlistDate {
  constructor(readonly iso: string) {}
  toJSON(): string {
    return this.iso
  }
}

const SECONDS_1970_TO_2001 = 978_307_200
const MAX_DEPTH = 512
const MAX_DECODED = 200_000

export function parsePlist(data: Buffer, location: string): PlistValue {
  if (data.subarray(0, 6).toString('latin1') === 'bplist') return parseBinaryPlist(data, location)
  const head = data.subarray(0, 512).toString('utf8').trimStart()
  if (head.startsWith('<?xml') || head.startsWith('<plist') || head.startsWith('<!DOCTYPE')) return parseXmlPlist(data.toString('utf8'), location)
  throw new ParseError('not a property list (neither bplist00 nor XML)', location)
}

export function parseBinaryPlist(data: Buffer, location: string): PlistValue {
  const fail = (message: string, offset?: number): never => {
    throw new ParseError(`binary plist: ${message}${offset === undefined ? '' : ` at offset ${offset}`}`, location)
  }
  if (data.length < 8 + 32 || data.subarray(0, 8).toString('latin1') !== 'bplist00') fail('bad header or too short')
  const t = data.length - 32
  const offsetSize = data[t + 6]
  const refSize = data[t + 7]
  const count = data.readBigUInt64BE(t + 8)
  const top = data.readBigUInt64BE(t + 16)
  const tableAt = data.readBigUInt64BE(t + 24)
  if (![1, 2, 4, 8].includes(offsetSize) || ![1, 2, 4, 8].includes(refSize)) fail('bad trailer sizes', t)
  if (count === 0n || top >= count || tableAt < 8n || tableAt + count * BigInt(offsetSize) > BigInt(t)) fail('trailer points outside the file', t)
  const objectCount = Number(count)
  const tableOffset = Number(tableAt)

  const readUInt = (at: number, size: number): number => {
    if (at < 0 || at + size > t) fail('read past the object area', at)
    let v = 0n
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(data[at + i])
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('offset too large', at)
    return Number(v)
  }
  const offsetOf = (ref: number): number => {
    if (ref < 0 || ref >= objectCount) fail(`object reference ${ref} out of range`)
    const at = readUInt(tableOffset + ref * offsetSize, offsetSize)
    if (at < 8 || at >= tableOffset) fail(`object ${ref} offset out of range`, at)
    return at
  }

  const active = new Set<number>()
  // shared sub-objects are decoded once per reference: a budget stops a small file that fans out exponentially
  let budget = Math.max(MAX_DECODED, objectCount * 4)
  const decode = (ref: number, depth: number): PlistValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep')
    if (--budget < 0) fail('too many object references (shared objects fan out)')
    if (active.has(ref)) fail(`object ${ref} contains itself`)
    const at = offsetOf(ref)
    const marker = data[at]
    const high = marker >> 4
    const low = marker & 0x0f
    // length of data/strings/collections: low nibble, or an int object after the marker when 0xF
    const lengthAndStart = (): [number, number] => {
      if (low !== 0x0f) return [low, at + 1]
      const intMarker = data[at + 1]
      if (intMarker >> 4 !== 0x1) fail('bad length marker', at + 1)
      const size = 1 << (intMarker & 0x0f)
      if (size > 8) fail('length too large', at + 1)
      return [readUInt(at + 2, size), at + 2 + size]
    }
    switch (high) {
      case 0x0:
        if (marker === 0x00) return null
        if (marker === 0x08) return false
        if (marker === 0x09) return true
        return fail(`unknown marker 0x${marker.toString(16)}`, at)
      case 0x1: {
        const size = 1 << low
        if (size > 16 || at + 1 + size > t) fail('bad integer', at)
        if (size === 16) {
          // 128-bit: the low 64 bits hold the value for everything CF writes
          return data.readBigInt64BE(at + 9)
        }
        if (size === 8) {
          const v = data.readBigInt64BE(at + 1)
          return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
        }
        return readUInt(at + 1, size)
      }
      case 0x2: {
        if (low === 2 && at + 5 <= t) return data.readFloatBE(at + 1)
        if (low === 3 && at + 9 <= t) return data.readDoubleBE(at + 1)
        return fail('bad real', at)
      }
      case 0x3: {
        if (marker !== 0x33 || at + 9 > t) fail('bad date', at)
        const seconds = data.readDoubleBE(at + 1)
        const ms = Math.round((seconds + SECONDS_1970_TO_2001) * 1000)
        const date = new Date(ms)
        if (Number.isNaN(date.getTime())) fail('date out of range', at)
        return new PlistDate(ms % 1000 === 0 ? `${date.toISOString().slice(0, 19)}Z` : date.toISOString())
      }
      case 0x4: {
        const [length, start] = lengthAndStart()
        if (start + length > t) fail('data runs past the object area', at)
        return Buffer.from(data.subarray(start, start + length))
      }
      case 0x5: {
        const [length, start] = lengthAndStart()
        if (start + length > t) fail('string runs past the object area', at)
        return data.subarray(start, start + length).toString('latin1')
      }
      case 0x6: {
        const [length, start] = lengthAndStart()
        if (start + length * 2 > t) fail('string runs past the object area', at)
        const bytes = Buffer.from(data.subarray(start, start + length * 2))
        bytes.swap16()
        return bytes.toString('utf16le')
      }
      case 0x8:
        // UID (NSKeyedArchiver references): kept as the number
        return readUInt(at + 1, low + 1)
      case 0xa:
      case 0xc: {
        const [length, start] = lengthAndStart()
        if (start + length * refSize > t) fail('array runs past the object area', at)
        active.add(ref)
        const out: PlistValue[] = []
        for (let i = 0; i < length; i++) out.push(decode(readUInt(start + i * refSize, refSize), depth + 1))
        active.delete(ref)
        return out
      }
      case 0xd: {
        const [length, start] = lengthAndStart()
        if (start + 2 * length * refSize > t) fail('dictionary runs past the object area', at)
        active.add(ref)
        const out: {[key: string]: PlistValue} = {}
        for (let i = 0; i < length; i++) {
          const key = decode(readUInt(start + i * refSize, refSize), depth + 1)
          if (typeof key !== 'string') fail('dictionary key is not a string', at)
          out[key as string] = decode(readUInt(start + (length + i) * refSize, refSize), depth + 1)
        }
        active.delete(ref)
        return out
      }
      default:
        return fail(`unknown marker 0x${marker.toString(16)}`, at)
    }
  }
  return decode(Number(top), 0)
}

type XmlNode = {[tag: string]: XmlNode[] | string} & {'#text'?: string}

export function parseXmlPlist(xml: string, location: string): PlistValue {
  let nodes: XmlNode[]
  try {
    nodes = new XMLParser({preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true}).parse(xml) as XmlNode[]
  } catch (error) {
    throw new ParseError(`XML plist: ${(error as Error).message}`, location)
  }
  const plist = nodes.find((n) => 'plist' in n)
  if (!plist) throw new ParseError('XML plist: no <plist> element', location)
  const children = elements(plist.plist as XmlNode[])
  if (children.length === 0) throw new ParseError('XML plist: empty <plist>', location)
  return xmlValue(children[0], location, 0)
}

function elements(nodes: XmlNode[]): XmlNode[] {
  return nodes.filter((n) => !('#text' in n))
}

function nodeText(nodes: XmlNode[] | string): string {
  if (typeof nodes === 'string') return nodes
  return nodes.map((n) => (typeof n['#text'] === 'string' ? n['#text'] : '')).join('')
}

function xmlValue(node: XmlNode, location: string, depth: number): PlistValue {
  if (depth > MAX_DEPTH) throw new ParseError('XML plist: nesting too deep', location)
  const tag = Object.keys(node).find((k) => k !== ':@')
  if (tag === undefined) throw new ParseError('XML plist: empty element', location)
  const content = node[tag] as XmlNode[]
  switch (tag) {
    case 'string':
      return nodeText(content)
    case 'integer': {
      const s = nodeText(content).trim()
      if (!/^-?\d+$/.test(s)) throw new ParseError(`XML plist: bad integer '${s}'`, location)
      const big = BigInt(s)
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
    }
    case 'real':
      return Number(nodeText(content).trim())
    case 'true':
      return true
    case 'false':
      return false
    case 'date':
      return new PlistDate(nodeText(content).trim())
    case 'data':
      return Buffer.from(nodeText(content).replace(/\s+/g, ''), 'base64')
    case 'array':
      return elements(content).map((c) => xmlValue(c, location, depth + 1))
    case 'dict': {
      const out: {[key: string]: PlistValue} = {}
      const items = elements(content)
      for (let i = 0; i + 1 < items.length; i += 2) {
        if (!('key' in items[i])) throw new ParseError('XML plist: <dict> entry without <key>', location)
        out[nodeText(items[i].key as XmlNode[])] = xmlValue(items[i + 1], location, depth + 1)
      }
      return out
    }
    default:
      throw new ParseError(`XML plist: unknown element <${tag}>`, location)
  }
}
