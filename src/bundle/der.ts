/**
 * A strict DER reader (X.690): definite, minimal lengths, single-byte tags.
 * It keeps each element's raw bytes, which signature checks need exactly as
 * they were signed (RFC 5652 section 5.4 hashes the DER of the signed attributes).
 */
export class DerError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`)
  }
}

export interface DerElement {
  /** The identifier octet, e.g. 0x30 SEQUENCE, 0xa0 [0] constructed. */
  tag: number
  /** Offset of the identifier octet in the parsed buffer. */
  offset: number
  /** The whole element: identifier, length and content. */
  raw: Buffer
  content: Buffer
}

export function readDer(buffer: Buffer, offset = 0): DerElement {
  if (offset + 2 > buffer.length) throw new DerError('truncated element', offset)
  const tag = buffer[offset]
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here', offset)
  let length = buffer[offset + 1]
  let header = 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0) throw new DerError('indefinite length is not DER', offset)
    if (count > 4) throw new DerError('length too large', offset)
    if (offset + 2 + count > buffer.length) throw new DerError('truncated length', offset)
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + buffer[offset + 2 + i]
    if (buffer[offset + 2] === 0 || length < 0x80) throw new DerError('length not minimally encoded', offset)
    header += count
  }
  const end = offset + header + length
  if (end > buffer.length) throw new DerError('element runs past its container', offset)
  return {tag, offset, raw: buffer.subarray(offset, end), content: buffer.subarray(offset + header, end)}
}

/** The elements of a constructed element's content; they must fill it exactly. */
export function derChildren(element: DerElement): DerElement[] {
  const children: DerElement[] = []
  let p = 0
  while (p < element.content.length) {
    const child = readDer(element.content, p)
    children.push({...child, offset: element.offset + (element.raw.length - element.content.length) + p})
    p += child.raw.length
  }
  return children
}

/** Parses a whole buffer as exactly one element. */
export function readDerExact(buffer: Buffer): DerElement {
  const element = readDer(buffer, 0)
  if (element.raw.length !== buffer.length) throw new DerError('trailing bytes after the element', element.raw.length)
  return element
}

export function decodeOid(element: DerElement): string {
  if (element.tag !== 0x06 || element.content.length === 0) throw new DerError('expected an OBJECT IDENTIFIER', element.offset)
  const bytes = element.content
  const parts: number[] = []
  let value = 0
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f)
    if ((bytes[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else parts.push(value)
      value = 0
    } else if (i === bytes.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER', element.offset)
    }
  }
  return parts.join('.')
}

/** UTCTime or GeneralizedTime to a Date. */
export function decodeTime(element: DerElement): Date {
  const text = element.content.toString('latin1')
  let match: RegExpExecArray | null
  if (element.tag === 0x17 && (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(match[1])
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])))
  }
  if (element.tag === 0x18 && (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text))) {
    const ms = match[7] ? Number(`0.${match[7]}`) * 1000 : 0
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]), ms))
  }
  throw new DerError('expected a UTCTime or GeneralizedTime', element.offset)
}
