/**
 * The Chromium web storage of an Electron messenger whose own layout trawl does not model
 * (Skype 8 for Desktop and its Store build): every record of every IndexedDB object store,
 * and every Local Storage item, as a record of its own with its database, store, key and
 * decoded value (V8 serialisation, src/indexeddb), so that nothing the app kept there is
 * left unread. Values of deleted and overwritten records that LevelDB still holds are read
 * too and say so. The folder (matched by its CURRENT file) is collected whole.
 *
 * Records: `webstorage.record` (IndexedDB) and `webstorage.item` (Local Storage), each naming
 * its LevelDB file, offset and key. Coverage: every store of every database (and every
 * origin of Local Storage) is a table; each record is parsed or, where its value could not be
 * decoded, an error record.
 */
import {basename} from 'node:path'
import {errorMessage} from '../../errors.js'
import {readIndexedDb, readLocalStorage} from '../../indexeddb/index.js'
import type {IdbRecord} from '../../indexeddb/index.js'
import {StoreCoverage} from '../coverage.js'
import {acceptsLevelDbCurrent, collectLevelDbFolder} from '../leveldb-input.js'
import type {CollectedLevelDb} from '../leveldb-input.js'
import type {ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'

const PARSER = 'web-storage'
const UNDECODED = 'value could not be decoded (error record)'

function sourceOf(input: ParserInput, collected: CollectedLevelDb, file: string, extra: Partial<RecordSource>): RecordSource {
  return {...input.source(extra), file: collected.bundlePaths.get(file) ?? input.bundlePath, sourcePath: `${collected.sourceFolder}/${file}`}
}

function* readIndexedDbRecords(input: ParserInput, collected: CollectedLevelDb, app: string): Generator<ParsedRecord> {
  const idb = readIndexedDb(collected.folder)
  for (const p of idb.problems) yield {type: 'error', source: sourceOf(input, collected, p.file, {offset: p.offset}), parser: PARSER, error: `LevelDB: ${p.message}`}
  const names = new Map<string, {database: string | null; origin: string | null; store: string | null}>()
  const coverage = new StoreCoverage()
  for (const db of idb.databases) {
    for (const store of db.objectStores) {
      names.set(`${db.id}/${store.id}`, {database: db.name, origin: db.origin, store: store.name})
      coverage.add(`${db.name ?? `database ${db.id}`}/${store.name ?? `store ${store.id}`}`, true)
    }
  }
  const all: IdbRecord[] = [...idb.databases.flatMap((db) => db.objectStores.flatMap((s) => s.records)), ...idb.formerRecords]
  for (const record of all) {
    const name = names.get(`${record.databaseId}/${record.objectStoreId}`)
    const table = `${name?.database ?? `database ${record.databaseId}`}/${name?.store ?? `store ${record.objectStoreId}`}`
    coverage.add(table, true)
    const source = sourceOf(input, collected, record.at.file, {table, key: JSON.stringify(record.key), offset: record.at.offset})
    const state = {state: record.state, leveldbSequence: record.at.sequence, ...(record.state === 'live' ? {} : {deleted: record.state === 'deleted'})}
    if (record.error || record.value === undefined) {
      yield {type: 'error', source, parser: PARSER, error: `value of ${record.state} record not decoded: ${record.error ?? 'no value'}`, ...state}
      coverage.row(table, UNDECODED)
      continue
    }
    yield {
      type: 'webstorage.record',
      source,
      app,
      origin: name?.origin ?? null,
      database: name?.database ?? null,
      objectStore: name?.store ?? null,
      key: record.key,
      value: record.value,
      ...(record.blobs.length > 0 ? {blobs: record.blobs.map(({blobIndex, isFile, blobNumber, type, size, fileName}) => ({blobIndex, isFile, blobNumber, type, size, ...(fileName ? {fileName} : {})}))} : {}),
      ...state,
    }
    coverage.row(table, 'parsed')
  }
  input.reportCoverage({parser: PARSER, store: 'indexeddb', file: input.bundlePath, sourcePath: collected.sourceFolder, volume: input.volume, readAs: `${app} IndexedDB (every record of every object store)`, tables: coverage.list()})
}

function* readLocalStorageItems(input: ParserInput, collected: CollectedLevelDb, app: string): Generator<ParsedRecord> {
  const ls = readLocalStorage(collected.folder)
  for (const p of ls.problems) yield {type: 'error', source: sourceOf(input, collected, p.file, {offset: p.offset}), parser: PARSER, error: `LevelDB: ${p.message}`}
  const coverage = new StoreCoverage()
  for (const item of [...ls.items, ...ls.formerItems]) {
    const table = `Local Storage ${item.origin}`
    coverage.add(table, true)
    const source = sourceOf(input, collected, item.at.file, {table, key: `${item.origin}\u0000${item.key}`, offset: item.at.offset})
    yield {
      type: 'webstorage.item',
      source,
      app,
      origin: item.origin,
      key: item.key,
      value: item.value,
      state: item.state,
      leveldbSequence: item.at.sequence,
      ...(item.state === 'live' ? {} : {deleted: item.state === 'deleted'}),
    }
    coverage.row(table, 'parsed')
  }
  input.reportCoverage({parser: PARSER, store: 'indexeddb', file: input.bundlePath, sourcePath: collected.sourceFolder, volume: input.volume, readAs: `${app} Local Storage (every item of every origin)`, tables: coverage.list()})
}

export const webStorageParser: Parser = {
  id: PARSER,
  description: "An Electron app's Chromium IndexedDB or Local Storage read whole: every record of every object store, every item of every origin, deleted and overwritten ones marked",
  accepts: acceptsLevelDbCurrent,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const collected = await collectLevelDbFolder(input)
    try {
      for (const problem of collected.problems) yield {type: 'error', source: input.source(), parser: PARSER, error: problem}
      const app = input.attributes.app ?? 'unknown app'
      const folder = basename(collected.sourceFolder)
      try {
        if (/\.indexeddb\.leveldb$/i.test(folder)) yield* readIndexedDbRecords(input, collected, app)
        else yield* readLocalStorageItems(input, collected, app)
      } catch (error) {
        yield {type: 'error', source: input.source(), parser: PARSER, error: `${collected.sourceFolder}: ${errorMessage(error)}`}
      }
    } finally {
      collected.dispose()
    }
  },
}
