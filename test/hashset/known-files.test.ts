import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileHasher, hashMatchesJsonl, KnownFileSets, type HashMatchRecord} from '../../src/hashset/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

const SETS = join(REPO_ROOT, 'fixtures/hashset')
const MEDIA = join(REPO_ROOT, 'fixtures/media')

describe('--hashset wiring: KnownFileSets', () => {
  it('computes only the digests the sets need, while the bytes stream by, and names every set that knows the file', async () => {
    const known = await KnownFileSets.load([join(SETS, 'NSRLFile.txt'), join(SETS, 'rdsv3.db')])
    expect(known.algorithms).toEqual(['sha256', 'sha1', 'md5'])
    const bytes = readFileSync(join(MEDIA, 'local-time.png'))
    const hasher = known.hasher()
    // as the engine copies: chunk by chunk
    hasher.update(bytes.subarray(0, 100))
    hasher.update(bytes.subarray(100))
    const hashes = hasher.digest()
    expect(hashes).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha1: createHash('sha1').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    })
    expect(known.check(hashes).map((m) => [m.set, m.algorithm])).toEqual([['NSRLFile.txt', 'sha1']])
    const fileSha256 = (f: string) => createHash('sha256').update(readFileSync(join(SETS, f))).digest('hex')
    expect(known.summary()).toEqual([
      {name: 'NSRLFile.txt', path: join(SETS, 'NSRLFile.txt'), format: 'csv', sha256: fileSha256('NSRLFile.txt'), digests: 4, counts: {md5: 2, sha1: 2, sha256: 0}, invalidLines: 0},
      {name: 'rdsv3.db', path: join(SETS, 'rdsv3.db'), format: 'nsrl-sqlite', sha256: fileSha256('rdsv3.db'), digests: 6, counts: {md5: 2, sha1: 2, sha256: 2}, invalidLines: 0},
    ])
  })

  it('sha256 only when no set is loaded or the sets hold only SHA-256', async () => {
    expect(new FileHasher([]).digest()).toEqual({sha256: createHash('sha256').digest('hex')})
    const none = await KnownFileSets.load([])
    expect(none.algorithms).toEqual([])
    expect(none.check({sha256: 'a'.repeat(64)})).toEqual([])
  })

  it('two sets with the same file name are told apart by path', async () => {
    const known = await KnownFileSets.load([join(SETS, 'plain.txt'), join(SETS, '..', 'hashset', 'plain.txt')])
    expect(known.sets.map((s) => s.name)).toEqual([join(SETS, 'plain.txt'), join(SETS, '..', 'hashset', 'plain.txt')])
  })

  it('hash-matches.jsonl: one JSON object per line', () => {
    const record: HashMatchRecord = {type: 'hash.match', file: 'files/p1/a.jpg', sourcePath: 'Users/a/a.jpg', volume: 'p1', size: 1, sha256: 'b'.repeat(64), set: 's', setPath: '/s', algorithm: 'md5', hash: 'c'.repeat(32)}
    const text = hashMatchesJsonl([record, record])
    expect(text.split('\n')).toHaveLength(3)
    expect(JSON.parse(text.split('\n')[1])).toEqual(record)
    expect(hashMatchesJsonl([])).toBe('')
  })
})
