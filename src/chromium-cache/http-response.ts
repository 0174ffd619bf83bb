/**
 * Stream 0 of an HTTP cache entry: a base::Pickle of net::HttpResponseInfo
 * (net/http/http_response_info.cc, Persist/InitFromPickle). The pickle's header is its
 * payload size (uint32); the payload starts with the flags int (bits 0-7 the version,
 * bit 31: an extra-flags int follows), then the request and response times (int64,
 * microseconds since 1601-01-01 UTC), the original response time when extra flag bit 2 is
 * set (newer Chromium), then the raw headers as a pickled string (int32 length, bytes padded
 * to 4): the status line and each header, NUL-separated. What follows (certificate, socket
 * address, ALPN, ...) is not read here.
 */
import {cacheTime} from './time.js'

export interface CachedHttpResponse {
  version: number
  flags: number
  extraFlags: number
  requestTime: string | null
  responseTime: string | null
  originalResponseTime: string | null
  statusLine: string
  status: number | null
  /** Header lines in stored order, names as stored. */
  headers: Array<[string, string]>
  /** RESPONSE_INFO_TRUNCATED: the body was not stored whole. */
  truncated: boolean
}

const HAS_EXTRA_FLAGS = 0x80000000
const TRUNCATED = 1 << 12
const EXTRA_HAS_ORIGINAL_RESPONSE_TIME = 1 << 2

/** Parses a pickled HttpResponseInfo; throws an Error naming the byte that was wrong. */
export function parseHttpResponseInfo(data: Buffer): CachedHttpResponse {
  if (data.length < 4) throw new Error(`response info of ${data.length} bytes is shorter than a pickle header`)
  const payloadSize = data.readUInt32LE(0)
  if (payloadSize + 4 > data.length) throw new Error(`response info pickle declares ${payloadSize} payload bytes, ${data.length - 4} stored`)
  let p = 4
  const need = (n: number, what: string) => {
    if (p + n > 4 + payloadSize) throw new Error(`response info ends before its ${what} (byte ${p})`)
  }
  const int32 = (what: string) => {
    need(4, what)
    const v = data.readUInt32LE(p)
    p += 4
    return v
  }
  const int64 = (what: string) => {
    need(8, what)
    const v = data.readBigInt64LE(p)
    p += 8
    return v
  }
  const flags = int32('flags')
  const extraFlags = flags & HAS_EXTRA_FLAGS ? int32('extra flags') : 0
  const version = flags & 0xff
  if (version < 1 || version > 3) throw new Error(`response info version ${version} is not one this reader knows (1-3)`)
  const time = (what: string) => {
    const value = int64(what)
    const iso = cacheTime(value, what)
    if (iso === null && value !== 0n) throw new Error(`response info ${what} ${value} is not a time a date can hold (damaged)`)
    return iso
  }
  const requestTime = time('request time')
  const responseTime = time('response time')
  const originalResponseTime = extraFlags & EXTRA_HAS_ORIGINAL_RESPONSE_TIME ? time('original response time') : null
  const length = int32('headers length')
  need(length, 'headers')
  const raw = data.subarray(p, p + length).toString('latin1')
  const lines = raw.split('\0').filter((l) => l !== '')
  const statusLine = lines[0] ?? ''
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine)
  const headers: Array<[string, string]> = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    headers.push(colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  return {version, flags: flags >>> 0, extraFlags, requestTime, responseTime, originalResponseTime, statusLine, status: status ? Number(status[1]) : null, headers, truncated: (flags & TRUNCATED) !== 0}
}

/** The value of the first header named `name` (case-insensitive). */
export function headerValue(response: CachedHttpResponse | null, name: string): string | null {
  const lower = name.toLowerCase()
  return response?.headers.find(([n]) => n.toLowerCase() === lower)?.[1] ?? null
}

/** An HTTP date (RFC 9110 IMF-fixdate, or what Date.parse reads) as UTC ISO 8601, else null. */
export function httpDateToIso(value: string | null): string | null {
  if (!value) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace('.000Z', 'Z')
}
