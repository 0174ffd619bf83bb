import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

const PROFILE = join(REPO_ROOT, 'fixtures/indexeddb/profile')

describe('trawl leveldb dump (built CLI)', () => {
  it('decodes IndexedDB and Local Storage by folder name, raw otherwise, and fails in one line', async () => {
    const idb = await trawl(['leveldb', 'dump', join(PROFILE, 'IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb')])
    expect(idb.code).toBe(0)
    expect(idb.stdout).toContain('# database 3 "deleted-db" version 1 (deleted)')
    expect(idb.stdout).toContain('trawl-fixture/values\tnon-latin\tlive\t')
    expect(idb.stdout).toContain('trawl-fixture/values\tint-small\tdeleted\t')

    const ls = JSON.parse((await trawl(['leveldb', 'dump', join(PROFILE, 'Local Storage/leveldb'), '--json'])).stdout)
    expect(ls.mode).toBe('localstorage')
    expect(ls.contents.items.find((i: {key: string}) => i.key === 'unicode').value).toBe('значение 😘')

    const raw = await trawl(['leveldb', 'dump', join(PROFILE, 'Local Storage/leveldb'), '--as', 'raw'])
    expect(raw.stdout.split('\n')[1]).toBe('key\tkey_text\tstate\tsequence\tfile\tvalue')

    const missing = await trawl(['leveldb', 'dump', join(PROFILE, 'nothing-here')])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
  })
})
