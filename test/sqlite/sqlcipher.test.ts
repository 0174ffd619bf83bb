/**
 * The SQLCipher page decrypter against databases SQLCipher itself wrote
 * (fixtures/signal/build.sh): the plain copy holds what SQLCipher's own .dump shows.
 */
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {openDatabase} from '../../src/sqlite/engine.js'
import {SQLCIPHER_3, SQLCIPHER_4, SqlcipherKeyError, decryptSqlcipherDatabase, parsePlainHeader, parseRawKey} from '../../src/sqlite/sqlcipher.js'
import {REPO_ROOT} from '../helpers/shared.js'

const SIGNAL = join(REPO_ROOT, 'fixtures/signal')
const ANA_DB = join(SIGNAL, 'windows/Users/ana/AppData/Roaming/Signal/sql/db.sqlite')
const KEY = parseRawKey(JSON.parse(readFileSync(join(SIGNAL, 'windows/Users/ana/AppData/Roaming/Signal/config.json'), 'utf8')).key)
const scratch = () => mkdtempSync(join(tmpdir(), 'trawl-sqlcipher-'))

/** SQLite's own dump of a plain database (the sqlite3 shell, as SQLCipher's shell dumps an encrypted one). */
function dump(path: string, shell = 'sqlite3'): string {
  return execFileSync(shell, [path, '.dump'], {encoding: 'utf8'})
}

function copyOf(file: string, companions: string[] = []): string {
  const dir = scratch()
  const copy = join(dir, 'db.sqlite')
  copyFileSync(file, copy)
  for (const suffix of companions) copyFileSync(file + suffix, copy + suffix)
  return copy
}

describe('SQLCipher 4 as Signal Desktop uses it (raw key, HMAC-SHA512, 4096-byte pages, WAL)', () => {
  it('decrypts every page and applies the committed WAL frames: the plain copy dumps exactly as SQLCipher dumps the original', () => {
    const copy = copyOf(ANA_DB, ['-wal'])
    const out = join(scratch(), 'plain.sqlite')
    const result = decryptSqlcipherDatabase({path: copy, walPath: `${copy}-wal`, rawKey: KEY, outPath: out})
    expect(result).toMatchObject({settings: 'SQLCipher 4', pageSize: 4096, damaged: [], walFramesIgnored: 0})
    expect(result.walFramesApplied).toBeGreaterThan(0)
    expect(result.pagesDecrypted).toBe(readFileSync(ANA_DB).length / 4096)
    expect(dump(out)).toBe(readFileSync(join(SIGNAL, 'golden/ana-dump.sql'), 'utf8'))
    // the same copy opens read-only in trawl's SQLite layer, with the schema version SQLCipher reported
    const [, userVersion, , messages] = readFileSync(join(SIGNAL, 'golden/ana-schema-version.txt'), 'utf8').trim().split('\n')
    const db = openDatabase(out, {readonly: true})
    try {
      expect(db.prepare('PRAGMA user_version').get()).toEqual({user_version: Number(userVersion)})
      expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({n: Number(messages)})
    } finally {
      db.close()
    }
  })

  it('without the WAL reads the checkpointed state only, and says no frame was applied', () => {
    const copy = copyOf(ANA_DB)
    const out = join(scratch(), 'plain.sqlite')
    const result = decryptSqlcipherDatabase({path: copy, rawKey: KEY, outPath: out})
    expect(result.walFramesApplied).toBe(0)
    expect(dump(out)).not.toContain('Send a passport scan')
    expect(dump(out)).toContain('Contract attached')
  })

  it('refuses a wrong key with one clear error naming the file, and writes nothing', () => {
    const copy = copyOf(ANA_DB)
    const out = join(scratch(), 'plain.sqlite')
    const wrong = Buffer.alloc(32, 0x11)
    expect(() => decryptSqlcipherDatabase({path: copy, rawKey: wrong, outPath: out})).toThrow(SqlcipherKeyError)
    expect(() => decryptSqlcipherDatabase({path: copy, rawKey: wrong, outPath: out})).toThrow(/the key does not open this database: page 1 fails its HMAC/)
    expect(existsSync(out)).toBe(false)
  })

  it('reports a page with one flipped byte as damaged, by number and offset, and decrypts every other page', () => {
    const copy = copyOf(ANA_DB)
    const bytes = readFileSync(copy)
    const pages = bytes.length / 4096
    bytes[2 * 4096 + 100] ^= 0x01 // page 3
    writeFileSync(copy, bytes)
    const out = join(scratch(), 'plain.sqlite')
    const result = decryptSqlcipherDatabase({path: copy, rawKey: KEY, outPath: out})
    expect(result.damaged).toEqual([{file: 'database', page: 3, offset: 8192, reason: 'HMAC check failed (page altered or damaged, or another key)'}])
    expect(result.pagesDecrypted).toBe(pages - 1)
    // the damaged page is zeros in the copy, every other page equals the undamaged decryption
    const good = join(scratch(), 'good.sqlite')
    decryptSqlcipherDatabase({path: copyOf(ANA_DB), rawKey: KEY, outPath: good})
    const plain = readFileSync(out)
    const reference = readFileSync(good)
    for (let page = 1; page <= pages; page++) {
      const slice = (b: Buffer) => b.subarray((page - 1) * 4096, page * 4096)
      if (page === 3) expect(slice(plain).every((b) => b === 0)).toBe(true)
      else expect(slice(plain).equals(slice(reference))).toBe(true)
    }
  })

  it('reports a truncated last page and a damaged WAL frame', () => {
    const copy = copyOf(ANA_DB, ['-wal'])
    const bytes = readFileSync(copy)
    writeFileSync(copy, bytes.subarray(0, bytes.length - 1000))
    const out = join(scratch(), 'plain.sqlite')
    const result = decryptSqlcipherDatabase({path: copy, rawKey: KEY, outPath: out})
    expect(result.damaged).toContainEqual(expect.objectContaining({file: 'database', page: bytes.length / 4096, reason: expect.stringMatching(/truncated/)}))
  })

  it('a plain SQLite file is named as such, not as a wrong key', () => {
    const dir = scratch()
    const plain = join(dir, 'plain.sqlite')
    const db = openDatabase(plain)
    db.exec('CREATE TABLE t(a)')
    db.close()
    expect(() => decryptSqlcipherDatabase({path: plain, rawKey: KEY, outPath: join(dir, 'out')})).toThrow(/plain SQLite database, not SQLCipher-encrypted/)
  })
})

describe.runIf(existsSync(join(SIGNAL, 'sqlcipher3/db.sqlite')) && (existsSync('/usr/bin/sqlcipher') || process.env.CI === 'true'))('SQLCipher 3 defaults (Debian sqlcipher 3.4.1: 1024-byte pages, HMAC-SHA1)', () => {
  it('finds the settings by page 1 and dumps as SQLCipher 3 does', () => {
    const out = join(scratch(), 'plain.sqlite')
    const result = decryptSqlcipherDatabase({path: copyOf(join(SIGNAL, 'sqlcipher3/db.sqlite')), rawKey: KEY, outPath: out})
    expect(result).toMatchObject({settings: 'SQLCipher 3', pageSize: 1024, damaged: []})
    // dumped by the same SQLCipher 3.4.1 shell (no key: a plain database), since shells of other versions quote differently
    expect(dump(out, '/usr/bin/sqlcipher')).toBe(readFileSync(join(SIGNAL, 'golden/sqlcipher3-dump.sql'), 'utf8'))
  })
})

describe('raw keys and decrypted headers', () => {
  it('reads a raw key as config.json or a PRAGMA writes it, and rejects anything else', () => {
    expect(parseRawKey(`x'${'ab'.repeat(32)}'`)).toEqual(Buffer.alloc(32, 0xab))
    expect(parseRawKey('AB'.repeat(32))).toEqual(Buffer.alloc(32, 0xab))
    expect(() => parseRawKey('passphrase')).toThrow(ParseError)
    expect(() => parseRawKey('ab'.repeat(31))).toThrow(/expected 64 hex digits/)
  })

  it('parsePlainHeader accepts exactly the headers that agree with the cipher settings, and throws ParseError (never anything else) on the rest', () => {
    const valid = (settings: typeof SQLCIPHER_4) => {
      const page = Buffer.alloc(settings.pageSize)
      page.write('SQLite format 3\0', 0, 'latin1')
      page.writeUInt16BE(settings.pageSize, 16)
      page[18] = 1
      page[19] = 1
      page[20] = settings.reserve
      return page
    }
    expect(parsePlainHeader(valid(SQLCIPHER_4), SQLCIPHER_4)).toMatchObject({pageSize: 4096, reserve: 80})
    expect(parsePlainHeader(valid(SQLCIPHER_3), SQLCIPHER_3)).toMatchObject({pageSize: 1024, reserve: 48})
    fc.assert(
      fc.property(fc.uint8Array({minLength: 0, maxLength: 200}), fc.integer({min: 0, max: 199}), fc.integer({min: 0, max: 255}), (random, at, value) => {
        const page = valid(SQLCIPHER_4)
        if (random.length >= 100) Buffer.from(random).copy(page, 0)
        else page[at] = value
        try {
          const header = parsePlainHeader(random.length < 100 && random.length > 0 ? Buffer.from(random) : page, SQLCIPHER_4)
          expect(header.pageSize).toBe(4096)
          expect(header.reserve).toBeGreaterThanOrEqual(80)
          expect([1, 2]).toContain(header.writeVersion)
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError)
        }
      }),
      {numRuns: 2000},
    )
  })

  it('any bytes as a database: a typed error or a result, never a crash or a hang', () => {
    const dir = scratch()
    fc.assert(
      fc.property(fc.uint8Array({minLength: 0, maxLength: 9000}), (bytes) => {
        const path = join(dir, 'random.sqlite')
        writeFileSync(path, bytes)
        const out = join(dir, `out-${Math.random().toString(36).slice(2)}`)
        try {
          decryptSqlcipherDatabase({path, rawKey: KEY, outPath: out})
        } catch (error) {
          expect((error as Error).name).toMatch(/ParseError|SqlcipherKeyError/)
        }
      }),
      {numRuns: 200},
    )
  })
})
