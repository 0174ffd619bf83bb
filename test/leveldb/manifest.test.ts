import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {currentManifestName, readManifest} from '../../src/leveldb/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

const IDB = join(REPO_ROOT, 'fixtures/indexeddb/profile/IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb')

describe('LevelDB MANIFEST', () => {
  it("of Chromium's IndexedDB after a compaction: comparator idb_cmp1, table 000005 live, log 000004, next file 6", () => {
    expect(currentManifestName(readFileSync(join(IDB, 'CURRENT')))).toBe('MANIFEST-000001')
    const m = readManifest(readFileSync(join(IDB, 'MANIFEST-000001')), 'MANIFEST-000001')
    expect(m).toMatchObject({comparator: 'idb_cmp1', logNumber: 4, nextFileNumber: 6, liveTables: [5], deletedTables: [], problems: []})
    expect(m.lastSequence).toBeGreaterThan(12000)
  })

  it('a CURRENT that names no MANIFEST is said to be so', () => {
    expect(currentManifestName(Buffer.from('not a manifest\n'))).toBeNull()
  })

  it('damaged or hostile bytes give problems, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 400}), (bytes) => {
        const m = readManifest(bytes, 'MANIFEST-000009')
        expect(Array.isArray(m.problems)).toBe(true)
      }),
    )
  })
})
