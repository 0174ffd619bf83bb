/**
 * Looking inside a LevelDB folder by hand: what `trawl leveldb dump` shows. A folder named
 * `*.indexeddb.leveldb` is decoded as Chromium IndexedDB, one inside `Local Storage` as Chromium
 * Local Storage, anything else as raw keys and values (hex, with printable text beside).
 */
import {existsSync, statSync} from 'node:fs'
import {basename, dirname} from 'node:path'
import {SourceNotFoundError} from '../errors.js'
import {readLevelDb} from '../leveldb/index.js'
import type {LevelDbContents} from '../leveldb/index.js'
import {readIndexedDb} from './database.js'
import type {IndexedDbContents} from './database.js'
import {readLocalStorage} from './local-storage.js'
import type {LocalStorageContents} from './local-storage.js'

export type LevelDbDumpMode = 'raw' | 'indexeddb' | 'localstorage'

export type LevelDbDump =
  | {mode: 'raw'; contents: Omit<LevelDbContents, 'records' | 'view'> & {records: RawRecord[]}}
  | {mode: 'indexeddb'; contents: IndexedDbContents}
  | {mode: 'localstorage'; contents: LocalStorageContents}

export interface RawRecord {
  key: string
  keyText: string
  value: string | null
  sequence: number
  state: 'live' | 'deleted' | 'superseded'
  file: string
  offset: number
}

export function detectDumpMode(folder: string): LevelDbDumpMode {
  if (/\.indexeddb\.leveldb$/i.test(basename(folder))) return 'indexeddb'
  if (/^local storage$/i.test(basename(dirname(folder))) && basename(folder) === 'leveldb') return 'localstorage'
  return 'raw'
}

const printable = (b: Uint8Array) => Buffer.from(b).toString('latin1').replace(/[^\x20-\x7e]/g, '.')

export function dumpLevelDb(folder: string, mode: LevelDbDumpMode = detectDumpMode(folder)): LevelDbDump {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new SourceNotFoundError(folder)
  if (mode === 'indexeddb') return {mode, contents: readIndexedDb(folder)}
  if (mode === 'localstorage') return {mode, contents: readLocalStorage(folder)}
  const {records, view, ...rest} = readLevelDb(folder)
  const current = new Set(view)
  const newest = new Map(view.map((r) => [Buffer.from(r.key).toString('latin1'), r]))
  return {
    mode,
    contents: {
      ...rest,
      records: records.map((r) => ({
        key: Buffer.from(r.key).toString('hex'),
        keyText: printable(r.key),
        value: r.value === null ? null : Buffer.from(r.value).toString('hex'),
        sequence: r.sequence,
        state: current.has(r) ? 'live' : r.state === 'deleted' || !newest.has(Buffer.from(r.key).toString('latin1')) ? 'deleted' : 'superseded',
        file: r.file,
        offset: r.offset,
      })),
    },
  }
}

const line = (...cells: unknown[]) => cells.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join('\t')

/** Tab-separated lines: a header, then one line per record (key, state, sequence, file, value). */
export function formatLevelDbDump(dump: LevelDbDump): string[] {
  const c = dump.contents
  const total = dump.mode === 'raw' ? dump.contents.records.length : dump.contents.leveldb.records
  const head = [`# ${c.folder}: ${total} LevelDB records read as ${dump.mode}`]
  const problems = c.problems.map((p) => `# problem: ${p.file} at ${p.offset}: ${p.message}`)
  if (dump.mode === 'raw') {
    return [...head, ...problems, line('key', 'key_text', 'state', 'sequence', 'file', 'value'), ...dump.contents.records.map((r) => line(r.key, r.keyText, r.state, r.sequence, r.file, r.value ?? ''))]
  }
  if (dump.mode === 'localstorage') {
    const items = [...dump.contents.items, ...dump.contents.formerItems]
    return [...head, ...problems, line('origin', 'key', 'state', 'sequence', 'file', 'value'), ...items.map((i) => line(i.origin, i.key, i.state, i.at.sequence, i.at.file, i.value ?? ''))]
  }
  const out = [...head, ...problems, `# keys by kind: ${JSON.stringify(dump.contents.keyKinds)}`]
  const names = new Map<string, string>()
  for (const d of dump.contents.databases) {
    out.push(`# database ${d.id} ${JSON.stringify(d.name)} version ${d.version}${d.exists ? '' : ' (deleted)'}`)
    for (const s of d.objectStores) {
      names.set(`${d.id}/${s.id}`, `${d.name}/${s.name}`)
      out.push(`#   store ${s.id} ${JSON.stringify(s.name)} key path ${JSON.stringify(s.keyPath)}${s.exists ? '' : ' (deleted)'}: ${s.records.length} records`)
    }
  }
  out.push(line('database/store', 'key', 'state', 'sequence', 'file', 'value'))
  const records = [...dump.contents.databases.flatMap((d) => d.objectStores.flatMap((s) => s.records)), ...dump.contents.formerRecords]
  for (const r of records) out.push(line(names.get(`${r.databaseId}/${r.objectStoreId}`) ?? `${r.databaseId}/${r.objectStoreId}`, r.key, r.state, r.at.sequence, r.at.file, r.error ? `(not decoded: ${r.error})` : (r.value ?? null)))
  return out
}
