/**
 * A minimal EVTX writer, written for the tests from libevtx's format description (not from
 * trawl's reader): one file header, one chunk, records whose Binary XML spells every element
 * out through a template (names inline, values substituted). Files it writes are
 * synthetic and named so; they stand in for channels no licensed real log was found for.
 * Each record defines its own template inline and instantiates it with its values, as the
 * first record of a template in a chunk does in logs Windows writes.
 * evtxexport reads them (checked by hand when this was written).
 */
import {crc32} from 'node:zlib'

export interface SyntheticEvent {
  provider: string
  eventId: number
  recordId: number
  /** ISO 8601 UTC with up to 7 fractional digits. */
  time: string
  channel: string
  computer: string
  data: Record<string, string>
}

function filetime(iso: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,7}))?Z$/.exec(iso)!
  const seconds = BigInt(Date.parse(`${m[1]}Z`) / 1000)
  const ticks = BigInt((m[2] ?? '').padEnd(7, '0') || '0')
  return (seconds + 11_644_473_600n) * 10_000_000n + ticks
}

type Value = {type: 'string'; value: string} | {type: 'uint16'; value: number} | {type: 'uint64'; value: bigint} | {type: 'filetime'; value: bigint}

const VALUE_TYPES = {string: 0x01, uint16: 0x06, uint64: 0x0a, filetime: 0x11} as const

function valueBytes(v: Value): Buffer {
  if (v.type === 'string') return Buffer.from(v.value, 'utf16le')
  const b = Buffer.alloc(v.type === 'uint16' ? 2 : 8)
  if (v.type === 'uint16') b.writeUInt16LE(v.value)
  else b.writeBigUInt64LE(v.value)
  return b
}

/** Writes tokens at a known chunk offset, so inline names and definitions can point at themselves. */
class BinXmlWriter {
  private readonly parts: Buffer[] = []
  private length = 0

  constructor(private readonly base: number) {}

  get position(): number {
    return this.base + this.length
  }

  push(b: Buffer): void {
    this.parts.push(b)
    this.length += b.length
  }

  u8(v: number): void {
    this.push(Buffer.from([v]))
  }

  u16(v: number): void {
    const b = Buffer.alloc(2)
    b.writeUInt16LE(v)
    this.push(b)
  }

  /** A 32-bit field filled in later (sizes known only once what they measure is written). */
  u32(v = 0): Buffer {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.push(b)
    return b
  }

  /** A name written where it is first used: its offset field points at the name structure right after it. */
  inlineName(name: string): void {
    this.u32(this.position + 4)
    this.u32(0) // next string offset
    this.u16(0) // hash (readers resolve names by offset)
    this.u16(name.length)
    this.push(Buffer.from(`${name}\0`, 'utf16le'))
  }

  text(value: string): void {
    this.u8(0x05)
    this.u8(0x01)
    this.u16(value.length)
    this.push(Buffer.from(value, 'utf16le'))
  }

  substitution(index: number, type: number): void {
    this.u8(0x0d)
    this.u16(index)
    this.u8(type)
  }

  /** An element; attribute and content values are literal text or a substitution index with its type. */
  element(name: string, attributes: Record<string, string | [number, number]>, body: (() => void) | string | [number, number] | null): void {
    const names = Object.keys(attributes)
    this.u8(names.length > 0 ? 0x41 : 0x01)
    this.u16(0xffff) // dependency identifier: none
    const size = this.u32()
    const from = this.length
    this.inlineName(name)
    const listSize = names.length > 0 ? this.u32() : undefined
    const listFrom = this.length
    names.forEach((a, i) => {
      this.u8(i < names.length - 1 ? 0x46 : 0x06)
      this.inlineName(a)
      const v = attributes[a]!
      if (typeof v === 'string') this.text(v)
      else this.substitution(v[0], v[1])
    })
    listSize?.writeUInt32LE(this.length - listFrom)
    if (body === null) {
      this.u8(0x03)
    } else {
      this.u8(0x02)
      if (typeof body === 'string') this.text(body)
      else if (Array.isArray(body)) this.substitution(body[0], body[1])
      else body()
      this.u8(0x04)
    }
    size.writeUInt32LE(this.length - from)
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/**
 * One record's BinXml as Windows writes it: a fragment header, then a template instance whose
 * definition follows inline (first use in the chunk), then the substitution values.
 */
function eventXml(e: SyntheticEvent, base: number, templateId: number): Buffer {
  const values: Value[] = [
    {type: 'string', value: e.provider},
    {type: 'uint16', value: e.eventId},
    {type: 'filetime', value: filetime(e.time)},
    {type: 'uint64', value: BigInt(e.recordId)},
    {type: 'string', value: e.channel},
    {type: 'string', value: e.computer},
    ...Object.values(e.data).map((value) => ({type: 'string' as const, value})),
  ]
  const w = new BinXmlWriter(base)
  w.push(Buffer.from([0x0f, 0x01, 0x01, 0x00, 0x0c, 0x01]))
  w.u32(templateId)
  w.u32(w.position + 4) // the definition follows right here
  w.u32(0) // next template definition
  const guid = Buffer.alloc(16)
  guid.writeUInt32LE(templateId)
  w.push(guid)
  const dataSize = w.u32()
  const from = w.position
  w.push(Buffer.from([0x0f, 0x01, 0x01, 0x00]))
  const t = (i: number): [number, number] => [i, VALUE_TYPES[values[i]!.type]]
  w.element('Event', {xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event'}, () => {
    w.element('System', {}, () => {
      w.element('Provider', {Name: t(0)}, null)
      w.element('EventID', {}, t(1))
      w.element('TimeCreated', {SystemTime: t(2)}, null)
      w.element('EventRecordID', {}, t(3))
      w.element('Channel', {}, t(4))
      w.element('Computer', {}, t(5))
    })
    w.element('EventData', {}, () => {
      Object.keys(e.data).forEach((name, i) => w.element('Data', {Name: name}, t(6 + i)))
    })
  })
  w.u8(0x00)
  dataSize.writeUInt32LE(w.position - from)
  w.u32(values.length)
  const data = values.map(valueBytes)
  values.forEach((v, i) => {
    w.u16(data[i]!.length)
    w.u8(VALUE_TYPES[v.type])
    w.u8(0)
  })
  for (const d of data) w.push(d)
  return w.bytes()
}

/** A synthetic one-chunk EVTX file holding `events`, with valid header and chunk checksums. */
export function syntheticEvtx(events: SyntheticEvent[]): Buffer {
  const chunk = Buffer.alloc(65536)
  let at = 512
  let last = 512
  for (const e of events) {
    const xml = eventXml(e, at + 24, 0x1000 + e.recordId)
    const size = (24 + xml.length + 4 + 7) & ~7
    chunk.writeUInt32LE(0x00002a2a, at)
    chunk.writeUInt32LE(size, at + 4)
    chunk.writeBigUInt64LE(BigInt(e.recordId), at + 8)
    chunk.writeBigUInt64LE(filetime(e.time), at + 16)
    xml.copy(chunk, at + 24)
    chunk.writeUInt32LE(size, at + size - 4)
    last = at
    at += size
  }
  const first = BigInt(events[0]?.recordId ?? 1)
  const lastId = BigInt(events.at(-1)?.recordId ?? 0)
  chunk.write('ElfChnk\0', 0, 'latin1')
  chunk.writeBigUInt64LE(first, 8)
  chunk.writeBigUInt64LE(lastId, 16)
  chunk.writeBigUInt64LE(first, 24)
  chunk.writeBigUInt64LE(lastId, 32)
  chunk.writeUInt32LE(128, 40)
  chunk.writeUInt32LE(last, 44)
  chunk.writeUInt32LE(at, 48)
  chunk.writeUInt32LE(crc32(chunk.subarray(512, at)) >>> 0, 52)
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))) >>> 0, 124)
  const header = Buffer.alloc(4096)
  header.write('ElfFile\0', 0, 'latin1')
  header.writeBigUInt64LE(0n, 8)
  header.writeBigUInt64LE(0n, 16)
  header.writeBigUInt64LE(lastId + 1n, 24)
  header.writeUInt32LE(128, 32)
  header.writeUInt16LE(1, 36)
  header.writeUInt16LE(3, 38)
  header.writeUInt16LE(4096, 40)
  header.writeUInt16LE(1, 42)
  header.writeUInt32LE(crc32(header.subarray(0, 120)) >>> 0, 124)
  return Buffer.concat([header, chunk])
}
