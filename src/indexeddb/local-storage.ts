/**
 * Chromium's Local Storage (`Local Storage/leveldb`, components/services/storage/dom_storage/):
 * one LevelDB for every origin. Keys `_<origin>\x00<key>`, where the key, like every value, is
 * prefixed 0x00 (UTF-16LE follows) or 0x01 (Latin-1 follows); `META:<origin>` and
 * `METAACCESS:<origin>` hold per-origin bookkeeping, `VERSION` the schema version.
 */
import {readLevelDb} from '../leveldb/index.js'
import type {LevelDbContents, LevelDbProblem, LevelDbRecord} from '../leveldb/index.js'

export interface LocalStorageItem {
  origin: string
  key: string
  value: string | null
  state: 'live' | 'deleted' | 'superseded'
  at: {file: string; sequence: number; offset: number; keyHex: string}
}

export interface LocalStorageContents {
  folder: string
  items: LocalStorageItem[]
  /** Deleted and overwritten values LevelDB still holds. */
  formerItems: LocalStorageItem[]
  /** Origins with a META entry (last modified and size, protobuf, not decoded). */
  origins: string[]
  keyKinds: Record<string, number>
  problems: LevelDbProblem[]
  leveldb: Pick<LevelDbContents, 'read' | 'notRead'> & {records: number}
}

/** A Local Storage string: 0x00 then UTF-16LE, 0x01 then Latin-1. */
export function decodeStorageString(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return ''
  if (bytes[0] === 1) return Buffer.from(bytes.subarray(1)).toString('latin1')
  if (bytes[0] === 0 && bytes.length % 2 === 1) return Buffer.from(bytes.subarray(1)).toString('utf16le')
  return null
}

export function readLocalStorage(folder: string): LocalStorageContents {
  const ldb = readLevelDb(folder)
  const out: LocalStorageContents = {folder, items: [], formerItems: [], origins: [], keyKinds: {}, problems: [...ldb.problems], leveldb: {read: ldb.read, notRead: ldb.notRead, records: ldb.records.length}}
  const count = (kind: string) => (out.keyKinds[kind] = (out.keyKinds[kind] ?? 0) + 1)
  const newest = new Map<string, LevelDbRecord>()
  for (const rec of ldb.records) {
    const id = Buffer.from(rec.key).toString('latin1')
    const seen = newest.get(id)
    if (!seen || rec.sequence > seen.sequence) newest.set(id, rec)
  }
  const origins = new Set<string>()
  for (const rec of ldb.records) {
    const key = Buffer.from(rec.key)
    const keyHex = key.toString('hex')
    const text = key.toString('latin1')
    if (text.startsWith('META:') || text.startsWith('METAACCESS:')) {
      origins.add(text.slice(text.indexOf(':') + 1))
      count('origin metadata')
      continue
    }
    if (text === 'VERSION') {
      count('schema version')
      continue
    }
    const sep = key.indexOf(0)
    if (text[0] !== '_' || sep < 0) {
      count('unknown key')
      out.problems.push({file: rec.file, offset: rec.offset, message: `Local Storage key ${keyHex} is neither _<origin>\\0<key> nor META`})
      continue
    }
    if (rec.value === null) {
      count('deletion marker')
      continue
    }
    count('item')
    const name = decodeStorageString(key.subarray(sep + 1))
    const value = decodeStorageString(rec.value)
    if (name === null || value === null) out.problems.push({file: rec.file, offset: rec.offset, message: `Local Storage item ${keyHex}: ${name === null ? 'key' : 'value'} has no 0x00/0x01 string prefix`})
    const latest = newest.get(key.toString('latin1'))!
    const item: LocalStorageItem = {
      origin: key.subarray(1, sep).toString('latin1'),
      key: name ?? key.subarray(sep + 1).toString('hex'),
      value,
      state: latest === rec ? 'live' : latest.value === null ? 'deleted' : 'superseded',
      at: {file: rec.file, sequence: rec.sequence, offset: rec.offset, keyHex},
    }
    ;(item.state === 'live' ? out.items : out.formerItems).push(item)
  }
  out.origins = [...origins].sort()
  out.items.sort((a, b) => (a.origin + '\0' + a.key < b.origin + '\0' + b.key ? -1 : 1))
  return out
}
