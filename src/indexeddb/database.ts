/**
 * A Chromium IndexedDB folder (`<origin>.indexeddb.leveldb`) read through trawl's LevelDB reader:
 * the databases, object stores and indexes from the metadata keys, every object-store record with
 * its decoded value, the values LevelDB still holds of deleted and overwritten records, and the
 * blob list of each record resolved to the files of `<origin>.indexeddb.blob`. Every key is
 * accounted for by kind, so nothing is silently skipped.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {readLevelDb} from '../leveldb/index.js'
import type {LevelDbContents, LevelDbProblem, LevelDbRecord} from '../leveldb/index.js'
import {BLOB_ENTRY, EXISTS_ENTRY, IndexedDbFormatError, KeyReader, MIN_INDEX_ID, OBJECT_STORE_DATA, hex, readIdbKey, readKeyPath, readKeyPrefix, utf16be} from './key-coding.js'
import type {IdbKeyJson} from './key-coding.js'
import {decodeRecordValue, decodeSerializedValue} from './value.js'
import type {DecodedValue} from './value.js'
import type {JsonValue} from './v8-value.js'

export interface IdbBlobInfo {
  blobIndex: number
  isFile: boolean
  blobNumber: number
  type: string
  size: number
  fileName?: string
  lastModified?: string | null
  /** The blob's file, relative to the IndexedDB folder's parent; null when it is not there. */
  path: string | null
}

export interface IdbProvenance {
  file: string
  sequence: number
  offset: number
  keyHex: string
}

export interface IdbRecord extends Omit<DecodedValue, 'version'> {
  databaseId: number
  objectStoreId: number
  key: IdbKeyJson
  /** IndexedDB's version number of the record (from the value). */
  recordVersion: number
  /** live: in the current view; deleted: the value of a record since deleted; superseded: an older value of a live record. */
  state: 'live' | 'deleted' | 'superseded'
  blobs: IdbBlobInfo[]
  at: IdbProvenance
}

export interface IdbIndex {
  id: number
  name: string | null
  keyPath: string | string[] | null
  unique: boolean
  multiEntry: boolean
}

export interface IdbObjectStore {
  id: number
  name: string | null
  keyPath: string | string[] | null
  autoIncrement: boolean
  /** False when the store's metadata is deleted (the store was deleted; its records may remain). */
  exists: boolean
  indexes: IdbIndex[]
  records: IdbRecord[]
}

export interface IdbDatabase {
  id: number
  name: string | null
  origin: string | null
  version: number | null
  exists: boolean
  objectStores: IdbObjectStore[]
}

export interface IndexedDbContents {
  folder: string
  blobFolder: string | null
  databases: IdbDatabase[]
  /** Deleted and superseded record values, by database and store id. */
  formerRecords: IdbRecord[]
  /** How many LevelDB records of each kind were read, so every one is accounted for. */
  keyKinds: Record<string, number>
  problems: LevelDbProblem[]
  leveldb: Pick<LevelDbContents, 'read' | 'notRead'> & {records: number}
}

type Meta = {current: LevelDbRecord | null; latest: LevelDbRecord | null}

const boolOf = (v: Uint8Array | null | undefined) => !!v && v.length > 0 && v[0] !== 0
const varintOf = (v: Uint8Array | null | undefined) => (v && v.length ? new KeyReader(v).varint('metadata') : null)

// Database metadata type bytes (DatabaseMetaDataKey::MetaDataType), object store and index ones.
const DB_USER_VERSION = 4
const OBJECT_STORE_META = 50
const INDEX_META = 100
const OBJECT_STORE_FREE_LIST = 150
const INDEX_FREE_LIST = 151
const OBJECT_STORE_NAMES = 200
const INDEX_NAMES = 201
const GLOBAL_DATABASE_NAME = 201
const GLOBAL_SCOPES = 50

export function idbBlobFolder(folder: string): string | null {
  const candidate = join(dirname(folder), basename(folder).replace(/\.leveldb$/, '.blob'))
  return candidate !== folder && existsSync(candidate) && statSync(candidate).isDirectory() ? candidate : null
}

/**
 * Where a blob lives in `<origin>.indexeddb.blob` (indexed_db_backing_store.cc
 * GetBlobFileNameForKey): database id and blob number in hex ("%" PRIx64), under "%02x" of
 * the blob number's second byte, as a '/'-separated relative path.
 */
export function idbBlobFileName(databaseId: number, blobNumber: number): string {
  return `${databaseId.toString(16)}/${(Math.floor(blobNumber / 256) % 256).toString(16).padStart(2, '0')}/${blobNumber.toString(16)}`
}

/** EncodeBlobInfos: per blob is_file, blob number, type, size, and for files name and modification time. */
function decodeBlobInfos(bytes: Uint8Array, databaseId: number, blobFolder: string | null): IdbBlobInfo[] {
  const r = new KeyReader(bytes)
  const out: IdbBlobInfo[] = []
  while (!r.done) {
    const isFile = r.byte('blob is_file') !== 0
    const blobNumber = r.varint('blob number')
    const type = r.stringWithLength('blob type')
    const size = r.varint('blob size')
    const info: IdbBlobInfo = {blobIndex: out.length, isFile, blobNumber, type, size, path: null}
    if (isFile) {
      info.fileName = r.stringWithLength('file name')
      // base::Time's internal value: microseconds since 1601-01-01.
      const micros = r.varint('file modification time')
      const ms = micros / 1000 - 11644473600000
      info.lastModified = micros === 0 ? null : new Date(Math.round(ms)).toISOString()
    }
    if (blobFolder) {
      const rel = idbBlobFileName(databaseId, blobNumber)
      if (existsSync(join(blobFolder, rel))) info.path = join(basename(blobFolder), rel)
    }
    out.push(info)
  }
  return out
}

/** Fills each Blob/File value with what its blob list says (type, size, name, file). */
function resolveBlobs(value: JsonValue | undefined, blobs: IdbBlobInfo[], depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 1000) return
  if (Array.isArray(value)) return value.forEach((v) => resolveBlobs(v, blobs, depth + 1))
  if ((value.$type === 'Blob' || value.$type === 'File') && typeof value.blobIndex === 'number') {
    const info = blobs[value.blobIndex]
    if (info) Object.assign(value, {type: info.type, size: info.size, blobNumber: info.blobNumber, path: info.path}, info.isFile ? {name: info.fileName ?? null, lastModified: info.lastModified ?? null} : {})
    else value.unresolved = 'no blob entry with this index'
    return
  }
  for (const v of Object.values(value)) resolveBlobs(v, blobs, depth + 1)
}

export function readIndexedDb(folder: string): IndexedDbContents {
  const ldb = readLevelDb(folder)
  const blobFolder = idbBlobFolder(folder)
  const out: IndexedDbContents = {
    folder, blobFolder, databases: [], formerRecords: [], keyKinds: {}, problems: [...ldb.problems],
    leveldb: {read: ldb.read, notRead: ldb.notRead, records: ldb.records.length},
  }
  const count = (kind: string) => (out.keyKinds[kind] = (out.keyKinds[kind] ?? 0) + 1)
  // Newest record per key, and the newest one that still had a value (for deleted metadata).
  const meta = new Map<string, Meta>()
  const byKey = new Map<string, LevelDbRecord[]>()
  for (const rec of ldb.records) {
    const id = Buffer.from(rec.key).toString('latin1')
    let m = meta.get(id)
    if (!m) meta.set(id, (m = {current: null, latest: null}))
    if (!m.current || rec.sequence > m.current.sequence) m.current = rec
    if (rec.value !== null && (!m.latest || rec.sequence > m.latest.sequence)) m.latest = rec
    let list = byKey.get(id)
    if (!list) byKey.set(id, (list = []))
    list.push(rec)
  }
  const databases = new Map<number, IdbDatabase>()
  const dbOf = (id: number) => {
    let d = databases.get(id)
    if (!d) databases.set(id, (d = {id, name: null, origin: null, version: null, exists: false, objectStores: []}))
    return d
  }
  const storeOf = (db: IdbDatabase, id: number) => {
    let s = db.objectStores.find((x) => x.id === id)
    if (!s) db.objectStores.push((s = {id, name: null, keyPath: null, autoIncrement: false, exists: false, indexes: [], records: []}))
    return s
  }
  const indexOf = (store: IdbObjectStore, id: number) => {
    let i = store.indexes.find((x) => x.id === id)
    if (!i) store.indexes.push((i = {id, name: null, keyPath: null, unique: false, multiEntry: false}))
    return i
  }
  const data: {rec: LevelDbRecord; db: number; store: number; key: IdbKeyJson; newest: LevelDbRecord; versions: LevelDbRecord[]}[] = []
  // Every version of each blob entry: an older value's blob list is the one written with it.
  const blobEntries = new Map<string, {versions: LevelDbRecord[]; latest: LevelDbRecord | null}>()

  for (const [id, m] of meta) {
    const versions = byKey.get(id)!
    const sample = m.latest ?? m.current!
    const key = sample.key
    const live = m.current!.value !== null
    try {
      const r = new KeyReader(key)
      const p = readKeyPrefix(r)
      if (p.databaseId === 0) {
        const type = r.byte('global metadata type')
        if (type === GLOBAL_DATABASE_NAME) {
          const origin = r.stringWithLength('origin')
          const name = r.stringWithLength('database name')
          const d = dbOf(varintOf(m.latest?.value) ?? -1)
          Object.assign(d, {origin, name, exists: live})
          count('database name')
        } else count(type === GLOBAL_SCOPES ? 'scopes (transaction bookkeeping)' : 'global metadata')
      } else if (p.objectStoreId === 0) {
        const d = dbOf(p.databaseId)
        const type = r.byte('database metadata type')
        const v = m.latest?.value
        if (type === DB_USER_VERSION) {
          d.version = varintOf(v)
          count('database metadata')
        } else if (type < OBJECT_STORE_META) count('database metadata')
        else if (type === OBJECT_STORE_META) {
          const s = storeOf(d, r.varint('object store id'))
          const field = r.byte('object store metadata type')
          if (field === 0 && v) [s.name, s.exists] = [utf16be(v), live]
          else if (field === 1 && v) s.keyPath = readKeyPath(v)
          else if (field === 2) s.autoIncrement = boolOf(v)
          count('object store metadata')
        } else if (type === INDEX_META) {
          const s = storeOf(d, r.varint('object store id'))
          const i = indexOf(s, r.varint('index id'))
          const field = r.byte('index metadata type')
          if (field === 0 && v) i.name = utf16be(v)
          else if (field === 1) i.unique = boolOf(v)
          else if (field === 2 && v) i.keyPath = readKeyPath(v)
          else if (field === 3) i.multiEntry = boolOf(v)
          count('index metadata')
        } else if (type === OBJECT_STORE_FREE_LIST || type === INDEX_FREE_LIST) count('free list')
        else if (type === OBJECT_STORE_NAMES || type === INDEX_NAMES) count('name index')
        else count('database metadata (unknown type)')
      } else if (p.indexId === OBJECT_STORE_DATA) {
        const k = readIdbKey(r)
        for (const rec of versions) if (rec.value !== null) data.push({rec, db: p.databaseId, store: p.objectStoreId, key: k, newest: m.current!, versions})
        count('object store record')
      } else if (p.indexId === EXISTS_ENTRY) count('exists entry (version of a record)')
      else if (p.indexId === BLOB_ENTRY) {
        const keyStart = r.pos
        readIdbKey(r)
        blobEntries.set(`${p.databaseId}/${p.objectStoreId}/${hex(key.subarray(keyStart))}`, {versions, latest: m.latest})
        count('blob entry')
      } else if (p.indexId >= MIN_INDEX_ID) count('index entry')
      else count('unknown key kind')
    } catch (e) {
      if (!(e instanceof IndexedDbFormatError)) throw e
      count('undecodable key')
      out.problems.push({file: sample.file, offset: sample.offset, message: `key ${hex(key)}: ${e.message}`})
    }
  }

  // The blob entry key is the data key with the index id 3 in place of 1. Chromium writes a
  // record's blob entry after the record (in a later write batch of the same commit), so each
  // value takes the newest blob entry written between it and the record's next value: a record
  // rewritten in place names new blob files each time, and an older value must not take the
  // blob list of the live one. The live value, once compacted, takes the newest blob list; an
  // older value whose blob entry LevelDB no longer holds has no known blob list (null).
  const blobsFor = (db: number, store: number, rec: LevelDbRecord, versions: LevelDbRecord[], live: boolean): IdbBlobInfo[] | null => {
    const r = new KeyReader(rec.key)
    readKeyPrefix(r)
    const entry = blobEntries.get(`${db}/${store}/${hex(rec.key.subarray(r.pos))}`)
    if (!entry) return []
    const next = Math.min(...versions.filter((v) => v.sequence > rec.sequence).map((v) => v.sequence))
    const written = entry.versions.filter((v) => v.sequence > rec.sequence && v.sequence < next).sort((a, b) => b.sequence - a.sequence)[0]
    if (written) return written.value ? decodeBlobInfos(written.value, db, blobFolder) : []
    if (live) return entry.latest?.value ? decodeBlobInfos(entry.latest.value, db, blobFolder) : []
    return null
  }
  for (const {rec, db, store, key, newest, versions} of data) {
    const decoded = decodeRecordValue(rec.value!)
    const known = blobsFor(db, store, rec, versions, rec === newest)
    const blobs = known ?? []
    if (decoded.wrapping === 'blob' && decoded.wrappedBlob) {
      const info = blobs[decoded.wrappedBlob.blobIndex]
      decoded.error = info?.path ? undefined : known === null ? 'the value is stored in a blob file whose blob list LevelDB no longer holds' : 'the value is stored in a blob file that is not present'
      if (info?.path) Object.assign(decoded, decodeSerializedValue(readBlobFile(folder, info.path)))
    }
    resolveBlobs(decoded.value, blobs)
    const {version, ...rest} = decoded
    const state = rec === newest ? 'live' : newest.value === null ? 'deleted' : 'superseded'
    const record: IdbRecord = {
      databaseId: db, objectStoreId: store, key, recordVersion: version, ...rest, state, blobs,
      at: {file: rec.file, sequence: rec.sequence, offset: rec.offset, keyHex: hex(rec.key)},
    }
    if (state === 'live') {
      storeOf(dbOf(db), store).records.push(record)
    } else out.formerRecords.push(record)
  }
  for (const d of [...databases.values()].sort((a, b) => a.id - b.id)) {
    d.objectStores.sort((a, b) => a.id - b.id)
    for (const s of d.objectStores) {
      s.records.sort((a, b) => compareIdbKeys(a.key, b.key))
      s.indexes.sort((a, b) => a.id - b.id)
    }
    out.databases.push(d)
  }
  out.formerRecords.sort((a, b) => a.at.sequence - b.at.sequence)
  return out
}

function readBlobFile(folder: string, rel: string): Uint8Array {
  return readFileSync(join(dirname(folder), rel))
}

const KEY_RANK = (k: IdbKeyJson): number => {
  if (typeof k === 'number') return 1
  if (typeof k === 'string') return 3
  if (Array.isArray(k)) return 5
  if (k.$type === 'number') return 1
  if (k.$type === 'date') return 2
  if (k.$type === 'binary') return 4
  return 0
}
const numOf = (k: IdbKeyJson) => (typeof k === 'number' ? k : Number((k as {value: string}).value === '-0' ? -0 : (k as {value: string}).value))

/** IndexedDB's key order (the spec's "compare two keys"): number < date < string < binary < array. */
export function compareIdbKeys(a: IdbKeyJson, b: IdbKeyJson): number {
  const ra = KEY_RANK(a)
  const rb = KEY_RANK(b)
  if (ra !== rb) return ra - rb
  if (ra === 1) return numOf(a) - numOf(b)
  if (ra === 2) return Date.parse((a as {value: string}).value ?? '') - Date.parse((b as {value: string}).value ?? '')
  if (ra === 3) return a < b ? -1 : a > b ? 1 : 0
  if (ra === 4) return (a as {hex: string}).hex < (b as {hex: string}).hex ? -1 : (a as {hex: string}).hex > (b as {hex: string}).hex ? 1 : 0
  if (ra === 5) {
    const x = a as IdbKeyJson[]
    const y = b as IdbKeyJson[]
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = compareIdbKeys(x[i], y[i])
      if (c) return c
    }
    return x.length - y.length
  }
  return 0
}
