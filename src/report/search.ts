import type {ParsedRecord} from '../parsers/types.js'
import {BundleRecords} from './records.js'

export interface RecordQuery {
  /** A record type or the start of one: 'browser' matches browser.visit, browser.download, ... */
  type?: string
  /** Text any value of the record contains (case-insensitive), its source included. */
  grep?: string
}

export function typeMatches(type: string, prefix: string | undefined): boolean {
  if (!prefix) return true
  const p = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix
  return type === p || type.startsWith(`${p}.`)
}

/** True when any string or number anywhere in the value contains the (lower-case) needle. Keys are not searched. */
function containsText(value: unknown, needle: string): boolean {
  if (typeof value === 'string') return value.toLowerCase().includes(needle)
  if (typeof value === 'number' || typeof value === 'bigint') return String(value).includes(needle)
  if (Array.isArray(value)) return value.some((v) => containsText(v, needle))
  if (value && typeof value === 'object') return Object.values(value).some((v) => containsText(v, needle))
  return false
}

/**
 * The records of a bundle that match, read from its parsed/*.jsonl entries in place (no unzipping,
 * each entry streamed and CRC-checked by the ZIP reader). The bundle is not verified here: use
 * trawl verify for that.
 */
export async function* searchRecords(bundle: string, query: RecordQuery = {}): AsyncGenerator<ParsedRecord> {
  const opened = await BundleRecords.open(bundle)
  const needle = query.grep?.toLowerCase()
  try {
    for await (const record of opened.records()) {
      if (!typeMatches(record.type, query.type)) continue
      if (needle && !containsText(record, needle)) continue
      yield record
    }
  } finally {
    opened.close()
  }
}
