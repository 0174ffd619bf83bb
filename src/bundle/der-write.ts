/**
 * A small DER writer (X.690): definite minimal lengths, single-byte tags; enough for CMS
 * RecipientInfos and algorithm parameters (cms-envelope.ts) and certificates (keys.ts).
 */

export function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

export const seq = (...content: Buffer[]) => tlv(0x30, ...content)
export const octets = (data: Buffer) => tlv(0x04, data)
export const int = (n: number) => tlv(0x02, Buffer.from([n]))

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes: number[] = []
  const base128 = (value: number) => {
    const out = [value & 0x7f]
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift(0x80 | (v & 0x7f))
    bytes.push(...out)
  }
  base128(parts[0] * 40 + parts[1])
  for (const part of parts.slice(2)) base128(part)
  return tlv(0x06, Buffer.from(bytes))
}

/** DER SET OF: the elements sorted by their encodings (X.690 11.6). */
export function setOf(elements: Buffer[]): Buffer {
  return tlv(0x31, ...[...elements].sort(Buffer.compare))
}

