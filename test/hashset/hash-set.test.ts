import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {FileNotFoundError, ParseError} from '../../src/errors.js'
import {DigestTable, loadHashSet, matchAll, neededAlgorithms, splitCsvLine, type FileHashes} from '../../src/hashset/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

const SETS = join(REPO_ROOT, 'fixtures/hashset')
const MEDIA = join(REPO_ROOT, 'fixtures/media')

/** The digests the engine would compute for a collected file. */
function hashesOf(file: string): Required<FileHashes> {
  const bytes = readFileSync(join(MEDIA, file))
  const hex = (algorithm: string) => createHash(algorithm).update(bytes).digest('hex')
  return {md5: hex('md5'), sha1: hex('sha1'), sha256: hex('sha256')}
}

describe('plain hash lists', () => {
  it('plain.txt: comments and blank lines skipped, mixed MD5/SHA-1/SHA-256, duplicate counted once, one bad line', async () => {
    const set = await loadHashSet(join(SETS, 'plain.txt'))
    expect(set.format).toBe('plain')
    expect(set.name).toBe('plain.txt')
    expect(set.counts).toEqual({md5: 2, sha1: 2, sha256: 2})
    expect(set.size).toBe(6)
    expect(set.invalidLines).toBe(1)
    expect(set.byteLength).toBe(2 * 16 + 2 * 20 + 2 * 32)
  })

  it('plain.txt: matches each known picture by the algorithm the list holds for it', async () => {
    const set = await loadHashSet(join(SETS, 'plain.txt'), {name: 'known pictures'})
    const gps = hashesOf('gps-offset.jpg')
    expect(set.match(gps)).toEqual({set: 'known pictures', setPath: join(SETS, 'plain.txt'), algorithm: 'md5', hash: gps.md5})
    // listed in upper case with a CRLF ending
    expect(set.match(hashesOf('local-time.png'))?.algorithm).toBe('sha1')
    // listed as a sha256sum line 'digest  name'
    expect(set.match(hashesOf('plain.tif'))).toMatchObject({algorithm: 'sha256', hash: hashesOf('plain.tif').sha256})
    expect(set.match(hashesOf('no-exif.jpg'))).toBeUndefined()
    // only the digests the engine computed are checked; upper-case input matches too
    expect(set.match({sha256: gps.sha256})).toBeUndefined()
    expect(set.match({md5: gps.md5.toUpperCase()})?.hash).toBe(gps.md5)
    expect(set.match({md5: 'zz'})).toBeUndefined()
  })
})

describe('NSRL and other CSV sets', () => {
  it('NSRLFile.txt (RDS 2.x): quoted header found, SHA-1 and MD5 columns read, quoted commas in names', async () => {
    const set = await loadHashSet(join(SETS, 'NSRLFile.txt'))
    expect(set.format).toBe('csv')
    expect(set.counts).toEqual({md5: 2, sha1: 2, sha256: 0})
    expect(set.invalidLines).toBe(0)
    expect(set.match(hashesOf('local-time.png'))?.algorithm).toBe('sha1')
    expect(set.match({md5: hashesOf('local-time.png').md5})?.algorithm).toBe('md5')
    expect(set.match(hashesOf('gps-offset.jpg'))).toBeUndefined()
  })

  it('rdsv3-export.csv (sqlite3 -csv -header of RDSv3 FILE): SHA-256 matched first', async () => {
    const set = await loadHashSet(join(SETS, 'rdsv3-export.csv'))
    expect(set.format).toBe('csv')
    expect(set.counts).toEqual({md5: 2, sha1: 2, sha256: 2})
    expect(set.match(hashesOf('plain.tif'))?.algorithm).toBe('sha256')
  })

  it('rdsv3.db (RDSv3 SQLite itself): FILE table read', async () => {
    const set = await loadHashSet(join(SETS, 'rdsv3.db'))
    expect(set.format).toBe('nsrl-sqlite')
    expect(set.counts).toEqual({md5: 2, sha1: 2, sha256: 2})
    expect(set.match(hashesOf('plain.tif'))).toMatchObject({algorithm: 'sha256', set: 'rdsv3.db'})
    expect(set.match(hashesOf('local-time.png'))).toBeUndefined()
  })

  it('hashdeep.txt: %%%% header names the columns, ## comments skipped', async () => {
    const set = await loadHashSet(join(SETS, 'hashdeep.txt'))
    expect(set.format).toBe('hashdeep')
    expect(set.counts).toEqual({md5: 1, sha1: 0, sha256: 1})
    expect(set.match(hashesOf('gps-offset.jpg'))?.algorithm).toBe('sha256')
  })

  it('splits CSV lines as RFC 4180 quotes them', () => {
    expect(splitCsvLine('"a,b","say ""hi""",3,,"" ')).toEqual(['a,b', 'say "hi"', '3', '', ''])
    expect(splitCsvLine('x')).toEqual(['x'])
  })
})

describe('several sets and bad input', () => {
  it('matchAll reports every set that knows the file; neededAlgorithms lists what to compute', async () => {
    const sets = await Promise.all(['plain.txt', 'NSRLFile.txt', 'hashdeep.txt'].map((f) => loadHashSet(join(SETS, f))))
    expect(matchAll(sets, hashesOf('gps-offset.jpg')).map((m) => [m.set, m.algorithm])).toEqual([
      ['plain.txt', 'md5'],
      ['hashdeep.txt', 'sha256'],
    ])
    expect(neededAlgorithms(sets)).toEqual(['sha256', 'sha1', 'md5'])
    expect(neededAlgorithms([sets[1]])).toEqual(['sha1', 'md5'])
  })

  it('a missing file is FileNotFoundError; a file without digests is ParseError', async () => {
    await expect(loadHashSet(join(SETS, 'absent.txt'))).rejects.toBeInstanceOf(FileNotFoundError)
    const dir = mkdtempSync(join(tmpdir(), 'trawl-hashset-'))
    writeFileSync(join(dir, 'empty.txt'), '# nothing here\n\nhello\n')
    await expect(loadHashSet(join(dir, 'empty.txt'))).rejects.toBeInstanceOf(ParseError)
    await expect(loadHashSet(dir)).rejects.toBeInstanceOf(ParseError)
  })

  it('a file without a final newline still gives its last digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-hashset-'))
    writeFileSync(join(dir, 'last.txt'), `\ufeff${'a'.repeat(32)}\n${'b'.repeat(40)}`)
    const set = await loadHashSet(join(dir, 'last.txt'))
    expect(set.counts).toEqual({md5: 1, sha1: 1, sha256: 0})
    expect(set.match({sha1: 'b'.repeat(40)})?.algorithm).toBe('sha1')
  })
})

describe('DigestTable', () => {
  it('agrees with a Set of hex strings for random digests and queries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({min: 0, max: 2, minLength: 6, maxLength: 6}), {maxLength: 300}),
        fc.array(fc.uint8Array({min: 0, max: 2, minLength: 6, maxLength: 6}), {maxLength: 50}),
        (entries, queries) => {
          // a 3-letter byte alphabet gives many digests sharing their first 32 bits (the tie-breaking path) and duplicates
          const packed = Buffer.concat(entries.map((e) => Buffer.from(e)))
          const table = DigestTable.fromPacked(6, packed, entries.length)
          const reference = new Set(entries.map((e) => Buffer.from(e).toString('hex')))
          expect(table.size).toBe(reference.size)
          for (const q of [...queries, ...entries]) expect(table.has(Buffer.from(q))).toBe(reference.has(Buffer.from(q).toString('hex')))
        },
      ),
      {numRuns: 200, seed: 7},
    )
  })

  it('orders digests sharing their first 32 bits by the whole digest', () => {
    const digests = ['00000001ff', '0000000100', '0000000180', '0000000100'].map((h) => Buffer.from(h, 'hex'))
    const table = DigestTable.fromPacked(5, Buffer.concat(digests), digests.length)
    expect(table.size).toBe(3)
    for (const d of digests) expect(table.has(d)).toBe(true)
    expect(table.has(Buffer.from('0000000101', 'hex'))).toBe(false)
  })
})

describe('digest text that is not hex', () => {
  it('a line of digest length with a non-hex character is counted invalid, not stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-hashset-'))
    writeFileSync(join(dir, 'bad.txt'), `${'g'.repeat(32)}\n${'a'.repeat(31)}\u00e9\n${'c'.repeat(64)}\n`)
    const set = await loadHashSet(join(dir, 'bad.txt'))
    expect(set.counts).toEqual({md5: 0, sha1: 0, sha256: 1})
    expect(set.invalidLines).toBe(2)
  })
})
