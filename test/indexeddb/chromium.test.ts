import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decodeRecordValue, readIndexedDb, readLocalStorage} from '../../src/indexeddb/index.js'
import type {JsonValue} from '../../src/indexeddb/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/indexeddb/build.sh runs Debian's headless Chromium on pages that write IndexedDB and
 * localStorage, and the pages POST what IndexedDB and localStorage then return (the goldens).
 * trawl, reading the profile's LevelDB files without Chromium, must give the same.
 */
const FIXTURES = join(REPO_ROOT, 'fixtures/indexeddb')
const IDB = join(FIXTURES, 'profile/IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb')
const golden = (name: string) => JSON.parse(readFileSync(join(FIXTURES, 'golden', name), 'utf8'))

/** Blink's view of a Blob/File value (what the page could see), from trawl's fuller one. */
function asPageSeesIt(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(asPageSeesIt)
  if (v && typeof v === 'object') {
    if (v.$type === 'Blob') return {$type: 'Blob', type: v.type, size: v.size}
    if (v.$type === 'File') return {$type: 'File', name: v.name, type: v.type, size: v.size, lastModified: v.lastModified}
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asPageSeesIt(x)]))
  }
  return v
}

describe('Chromium IndexedDB written by the real Chromium', () => {
  const idb = readIndexedDb(IDB)
  const expected = golden('indexeddb.json')

  it('lists the databases, object stores and indexes IndexedDB reports', () => {
    expect(idb.problems).toEqual([])
    const live = idb.databases.filter((d) => d.exists)
    expect(live.map((d) => ({name: d.name, version: d.version}))).toEqual(expected.databases.map((d: {name: string; version: number}) => ({name: d.name, version: d.version})))
    for (const [i, d] of live.entries()) {
      const stores = d.objectStores.filter((s) => s.exists).sort((a, b) => (a.name! < b.name! ? -1 : 1))
      expect(stores.map((s) => ({name: s.name, keyPath: s.keyPath, autoIncrement: s.autoIncrement, indexes: s.indexes.map(({name, keyPath, unique, multiEntry}) => ({name, keyPath, unique, multiEntry}))}))).toEqual(
        expected.databases[i].stores.map(({name, keyPath, autoIncrement, indexes}: Record<string, unknown>) => ({name, keyPath, autoIncrement, indexes})),
      )
    }
  })

  it('decodes every record, key and value, as IndexedDB returns them, in key order', () => {
    const fixture = idb.databases.find((d) => d.name === 'trawl-fixture')!
    let compared = 0
    for (const want of expected.databases.flatMap((d: {stores: unknown[]}) => d.stores)) {
      const {name, keyPath, autoIncrement, records} = want as {name: string; keyPath: string | null; autoIncrement: boolean; records: {key: unknown; value: unknown}[]}
      const store = [...idb.databases.filter((d) => d.exists)].flatMap((d) => d.objectStores).find((s) => s.name === name && s.exists)!
      const got = store.records.map((r) => {
        expect(r.error).toBeUndefined()
        let value = asPageSeesIt(r.value!)
        // Chromium injects an auto-generated key into the value on read; LevelDB holds it without.
        if (autoIncrement && typeof keyPath === 'string' && value && typeof value === 'object' && !Array.isArray(value) && !(keyPath in value)) value = {...value, [keyPath]: r.key as JsonValue}
        return {key: r.key, value}
      })
      expect(got).toEqual(records)
      compared += records.length
    }
    expect(compared).toBeGreaterThan(1200)
    expect(fixture.objectStores.find((s) => s.name === 'bulk')!.records).toHaveLength(8 * 150 - 50)
  })

  it('keeps what was deleted or overwritten, with file, sequence and key', () => {
    const former = idb.formerRecords
    const values = former.filter((r) => r.databaseId === 1 && r.objectStoreId === 1)
    expect(values.find((r) => r.key === 'ascii')).toMatchObject({state: 'superseded', value: 'plain text'})
    expect(values.find((r) => r.key === 'int-small')).toMatchObject({state: 'deleted', value: 42})
    expect(values.find((r) => r.key === 'to-delete')).toMatchObject({state: 'deleted', value: 'temporary'})
    expect(former.filter((r) => r.objectStoreId === 3 && r.state === 'deleted').map((r) => r.key)).toEqual(expect.arrayContaining([5, 6, 7]))
    // The deleted store 'doomed' and the deleted database: metadata marked, values recovered.
    const doomed = idb.databases[0].objectStores.find((s) => s.name === 'doomed')!
    expect(doomed.exists).toBe(false)
    expect(former.find((r) => r.objectStoreId === doomed.id && r.databaseId === 1)?.value).toBe('gone with its store')
    const gone = idb.databases.find((d) => d.name === 'deleted-db')!
    expect(gone.exists).toBe(false)
    expect(former.find((r) => r.databaseId === gone.id)?.value).toBe('a record of a deleted database')
    for (const r of former) expect(r.at).toMatchObject({file: expect.stringMatching(/^\d{6}\.(log|ldb)$/), sequence: expect.any(Number), keyHex: expect.stringMatching(/^[0-9a-f]+$/)})
  })

  it('resolves Blob and File values to the files of the .indexeddb.blob folder', () => {
    const values = idb.databases[0].objectStores[0].records
    const file = values.find((r) => r.key === 'file')!
    expect(file.value).toMatchObject({$type: 'File', name: 'report.pdf', path: 'http_127.0.0.1_8765.indexeddb.blob/1/00/3'})
    expect(readFileSync(join(FIXTURES, 'profile/IndexedDB', (file.value as {path: string}).path), 'utf8')).toBe('%PDF-1.4 fake')
  })

  it('accounts for every LevelDB record by kind', () => {
    const total = Object.values(idb.keyKinds).reduce((a, b) => a + b, 0)
    // keyKinds counts distinct keys; every LevelDB record belongs to one of them.
    expect(total).toBeGreaterThan(0)
    expect(idb.keyKinds['unknown key kind']).toBeUndefined()
    expect(idb.keyKinds['undecodable key']).toBeUndefined()
    expect(idb.keyKinds['object store record']).toBeGreaterThan(1200)
  })
})

describe('Chromium Local Storage written by the real Chromium', () => {
  it('gives the items localStorage returns, UTF-16 and Latin-1 keys and values', () => {
    const ls = readLocalStorage(join(FIXTURES, 'profile/Local Storage/leveldb'))
    const expected = golden('localstorage.json')
    expect(ls.problems).toEqual([])
    expect(Object.fromEntries(ls.items.map((i) => [i.key, i.value]))).toEqual(expected.items)
    expect(new Set(ls.items.map((i) => i.origin))).toEqual(new Set([expected.origin]))
    expect(ls.origins).toEqual([expected.origin])
  })
})

describe('hostile values', () => {
  it('never throws and never hangs on arbitrary bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 200}), (tail) => {
        const bytes = Uint8Array.from([0x02, 0xff, 0x15, 0xff, 0x10, ...tail])
        const decoded = decodeRecordValue(bytes)
        expect(decoded.version).toBe(2)
        expect(decoded.value !== undefined || typeof decoded.error === 'string').toBe(true)
      }),
      {numRuns: 3000},
    )
  })

  it('names the tag it cannot decode instead of dropping the value', () => {
    expect(decodeRecordValue(Uint8Array.from([0x01, 0xff, 0x15, 0xff, 0x10, 0x77]))).toMatchObject({error: expect.stringContaining("V8 tag 'w' is not decoded")})
  })
})
