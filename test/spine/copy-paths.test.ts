import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'
import {isAlreadyCompressed, sampleEntropy, shouldStore} from '../../src/bundle/compressibility.js'
import {MultiHash, digestsOf} from '../../src/bundle/hash.js'
import {verifyBundle} from '../../src/bundle/verify.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {BundleZipWriter, bufferStream} from '../../src/bundle/zip-writer.js'
import {collect} from '../../src/collect/collect.js'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import {makeKeys, scratchDir} from '../helpers/cli.js'

/**
 * The fast copy path (stored entries for content that does not shrink, digests on
 * threads for large files, the working copy written from the same chunks) must give
 * the same bytes and the same hashes as the plain path: every entry is compared with
 * the source file and with digests computed here in one piece.
 */

const MiB = 1 << 20
const JPEG_HEAD = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex')

function evidence(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    // a large picture: already compressed, stored, digests on threads
    ['Users/anna/Pictures/holiday.jpg', Buffer.concat([JPEG_HEAD, randomBytes(5 * MiB + 12345)])],
    // large and random without a known signature: stored by its entropy
    ['Users/anna/Documents/container.bin', randomBytes(3 * MiB + 7)],
    // large and compressible: deflated, digests on threads
    ['Users/anna/Documents/notes.txt', Buffer.from('Meeting at the harbour, pier 7, 23:00. '.repeat(90_000))],
    // small ones, hashed inline
    ['Users/anna/Documents/short.txt', Buffer.from('see you there\n')],
    ['Users/anna/Documents/empty.dat', Buffer.alloc(0)],
    ['Users/anna/Documents/noise.bin', randomBytes(20_000)],
  ])
  for (const [path, data] of files) {
    mkdirSync(join(dir, path, '..'), {recursive: true})
    writeFileSync(join(dir, path), data)
  }
  return files
}

describe('the fast copy path gives the bytes and hashes of the plain one', () => {
  const dir = scratchDir()
  const source = join(dir, 'evidence')
  const definitions = join(dir, 'definitions')
  let files: Map<string, Buffer>
  let signer: {key: string; cert: string; passphrase: string}

  beforeAll(async () => {
    files = evidence(source)
    mkdirSync(definitions)
    writeFileSync(
      join(definitions, 'all.yaml'),
      '- id: user-files\n  name: Every user file\n  category: system\n  description: everything under Users\n  paths: ["Users/**"]\n',
    )
    const keys = await makeKeys(join(dir, 'keys'))
    signer = {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}
  })

  afterEach(() => {
    delete process.env.TRAWL_DIGEST_THREADS
  })

  async function collectWith(threads: '0' | '1', name: string) {
    process.env.TRAWL_DIGEST_THREADS = threads
    const out = join(dir, `${name}.zip`)
    const result = await collect({source, out, caseId: 'C-15', examiner: 'Test Examiner', allowSameVolume: true, signer, definitionsDir: definitions})
    expect(result.complete).toBe(true)
    return {out, result}
  }

  it('copies every file byte-exact with the right SHA-256, SHA-1 and MD5, with digest threads and without', async () => {
    const threaded = await collectWith('1', 'threaded')
    const inline = await collectWith('0', 'inline')
    for (const {out, result} of [threaded, inline]) {
      expect((await verifyBundle(out)).problems).toEqual([])
      const zip = BundleZip.open(out)
      try {
        for (const [path, data] of files) {
          const entry = result.manifest.entries.find((e) => e.source?.path === path)
          expect(entry, path).toBeDefined()
          expect({sha256: entry!.sha256, sha1: entry!.sha1, md5: entry!.md5, size: entry!.size}).toEqual({...digestsOf(data), size: data.length})
          const zipped = zip.entry(entry!.path)!
          expect((await zip.readEntry(zipped)).equals(data)).toBe(true)
        }
      } finally {
        zip.close()
      }
      // the bundle's own SHA-256, computed as it was written, is that of the file on disk
      expect(result.bundleSha256).toBe(createHash('sha256').update(readFileSync(out)).digest('hex'))
      execFileSync('unzip', ['-tq', out])
    }
    const digests = (r: typeof threaded) => r.result.manifest.entries.filter((e) => e.kind === 'copy').map((e) => [e.path, e.sha256, e.sha1, e.md5])
    expect(digests(threaded)).toEqual(digests(inline))
  })

  it('stores what does not shrink and deflates what does', async () => {
    const {out} = await collectWith('1', 'methods')
    const zip = BundleZip.open(out)
    const method = (suffix: string) => zip.entries.find((e) => e.name.endsWith(suffix))!.method
    try {
      expect(method('holiday.jpg')).toBe(0)
      expect(method('container.bin')).toBe(0)
      expect(method('noise.bin')).toBe(0)
      expect(method('notes.txt')).toBe(8)
      expect(method('short.txt')).toBe(8)
      expect(method('empty.dat')).toBe(0)
      // a stored entry takes no more room than its bytes
      const jpeg = zip.entries.find((e) => e.name.endsWith('holiday.jpg'))!
      expect(jpeg.compressedSize).toBe(jpeg.size)
    } finally {
      zip.close()
    }
  })
})

describe('the bundle ZIP writer', () => {
  it('gives an entry expected near 4 GiB ZIP64 fields from the start, which the reader and unzip accept', async () => {
    const dir = scratchDir()
    const path = join(dir, 'z.zip')
    const writer = new BundleZipWriter(path)
    const data = randomBytes(2 * MiB)
    // the size hint alone decides the ZIP64 form (a live file may grow while it is copied)
    const written = await writer.addStream('files/big.bin', bufferStream(data), {expectedSize: 2 ** 32})
    await writer.addBuffer('custody.jsonl', Buffer.from('{}\n'), {store: true})
    await writer.finalize()
    expect(written).toMatchObject({size: data.length, ...digestsOf(data)})
    const zip = BundleZip.open(path)
    try {
      expect(zip.problems).toEqual([])
      const entry = zip.entry('files/big.bin')!
      expect(entry.zip64).toBe(true)
      expect(entry.versionNeeded).toBe(45)
      expect((await zip.readEntry(entry)).equals(data)).toBe(true)
    } finally {
      zip.close()
    }
    execFileSync('unzip', ['-tq', path])
  })

  it('writes the working copy from the same chunks as the entry', async () => {
    const dir = scratchDir()
    const writer = new BundleZipWriter(join(dir, 'z.zip'))
    const data = randomBytes(3 * MiB + 1)
    const copy = join(dir, 'copy.bin')
    const written = await writer.addStream('files/a.bin', bufferStream(data), {expectedSize: data.length, copyTo: copy})
    await writer.finalize()
    expect(readFileSync(copy).equals(data)).toBe(true)
    expect(written.sha256).toBe(digestsOf(data).sha256)
  })
})

/** Small files of every kind the two paths must agree on: empty, tiny, text, random, a picture head, up to one byte under 1 MiB. */
function smallFiles(): Array<[string, Buffer]> {
  return [
    ['files/C/empty.dat', Buffer.alloc(0)],
    ['files/C/one.txt', Buffer.from('x')],
    ['files/C/short.txt', Buffer.from('see you there\n')],
    ['files/C/random-4k.bin', randomBytes(4096)],
    ['files/C/text-4k.txt', Buffer.from('pier 7 at 23:00; '.repeat(241))],
    ['files/C/Δημήτρης/φωτο.jpg', Buffer.concat([JPEG_HEAD, randomBytes(70_000)])],
    ['files/C/sqlite.db', Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(60_000, 0), randomBytes(3000)])],
    ['files/C/text-1m.txt', Buffer.from('Meeting at the harbour, pier 7. '.repeat(32768)).subarray(0, MiB - 1)],
    ['files/C/random-1m.bin', randomBytes(MiB - 1)],
  ]
}

describe('small files read whole give the bundle the streamed copy gives', () => {
  it('writes the same archive, byte for byte, with the same digests and working copies', async () => {
    const dir = scratchDir()
    const streamed = new BundleZipWriter(join(dir, 'streamed.zip'))
    const whole = new BundleZipWriter(join(dir, 'whole.zip'))
    for (const [i, [path, data]] of smallFiles().entries()) {
      const a = await streamed.addStream(path, bufferStream(data), {expectedSize: data.length, copyTo: join(dir, `streamed-${i}`)})
      const b = await whole.addWhole(path, data, {copyTo: join(dir, `whole-${i}`)})
      expect(b, path).toEqual(a)
      expect(b).toMatchObject({size: data.length, ...digestsOf(data)})
      expect(readFileSync(join(dir, `whole-${i}`)).equals(data), path).toBe(true)
    }
    await streamed.finalize()
    await whole.finalize()
    expect(readFileSync(join(dir, 'whole.zip')).equals(readFileSync(join(dir, 'streamed.zip')))).toBe(true)
    expect(whole.sha256).toBe(streamed.sha256)
    execFileSync('unzip', ['-tq', join(dir, 'whole.zip')])
  })

  it('a working copy that cannot be made fails the bundle as the streamed copy does', async () => {
    const dir = scratchDir()
    writeFileSync(join(dir, 'taken'), 'already here')
    const writer = new BundleZipWriter(join(dir, 'z.zip'))
    await expect(writer.addWhole('files/C/a.txt', Buffer.from('a'), {copyTo: join(dir, 'taken')})).rejects.toThrow(/cannot write output/)
    expect(writer.error).toBeDefined()
  })

  it('reads from a directory source the bytes open() streams, and leaves to open() what is not a small regular file', async () => {
    const dir = scratchDir()
    const fs = new DirectoryFileSystem(dir)
    mkdirSync(join(dir, 'Users/Anna'), {recursive: true})
    const files = smallFiles()
    for (const [i, [, data]] of files.entries()) writeFileSync(join(dir, 'Users/Anna', `f${i}`), data)
    for (const [i] of files.entries()) {
      const path = `Users/Anna/f${i}`
      const streamed: Buffer[] = []
      for await (const chunk of await fs.open(path)) streamed.push(chunk as Buffer)
      expect((await fs.readSmall(path, MiB - 1))!.equals(Buffer.concat(streamed)), path).toBe(true)
    }
    // spelled in another case, as a definition may spell it: resolved as open() resolves it
    expect((await fs.readSmall('users/anna/F2', MiB))!.toString()).toBe('see you there\n')
    // too large, a directory: open() streams (or refuses) those
    expect(await fs.readSmall('Users/Anna/f8', MiB - 2)).toBeUndefined()
    expect(await fs.readSmall('Users/Anna', MiB)).toBeUndefined()
    // a FIFO (a listed file swapped for one): not waited on, left to open()
    execFileSync('mkfifo', [join(dir, 'Users/Anna/pipe')])
    expect(await fs.readSmall('Users/Anna/pipe', MiB)).toBeUndefined()
    await expect(fs.readSmall('Users/Anna/missing', MiB)).rejects.toThrow()
    // stat of a path as listed is the entry the listing gave
    symlinkSync('f1', join(dir, 'Users/Anna/link'))
    // (but for the link's access time: reading the link for its target touches it)
    const withoutAccess = ({times: {accessed: _accessed, ...times}, ...entry}: Awaited<ReturnType<typeof fs.stat>>) => ({...entry, times})
    for (const entry of await fs.list('Users/Anna')) expect(withoutAccess(await fs.stat(entry.path))).toEqual(withoutAccess(entry))
    expect((await fs.stat('USERS/anna/LINK')).linkTarget).toBe('f1')
  })

  it('hashes a whole buffer as the streaming hash does', () => {
    for (const data of [Buffer.alloc(0), randomBytes(1), randomBytes(4096), randomBytes(MiB + 3)]) {
      const hash = new MultiHash()
      hash.update(data.subarray(0, 7))
      hash.update(data.subarray(7))
      expect(digestsOf(data)).toEqual(hash.digest())
    }
  })
})

describe('what is worth deflating', () => {
  it('knows compressed formats by their signature', () => {
    expect(isAlreadyCompressed(JPEG_HEAD)).toBe(true)
    expect(isAlreadyCompressed(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe(true)
    expect(isAlreadyCompressed(Buffer.from('000000186674797068656963', 'hex'))).toBe(true) // HEIC ftyp
    expect(isAlreadyCompressed(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe(true)
    expect(isAlreadyCompressed(Buffer.from('504b0304', 'hex'))).toBe(true)
    expect(isAlreadyCompressed(Buffer.from('SQLite format 3\0', 'latin1'))).toBe(false)
    expect(isAlreadyCompressed(Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'))).toBe(false)
  })

  it('judges unknown content by its entropy: random bytes are stored, text and databases deflated', () => {
    expect(sampleEntropy(randomBytes(64 * 1024))).toBeGreaterThan(7.95)
    expect(shouldStore(randomBytes(64 * 1024))).toBe(true)
    expect(shouldStore(randomBytes(4096))).toBe(true)
    expect(shouldStore(Buffer.from('Meeting at the harbour. '.repeat(2000)))).toBe(false)
    const sqliteLike = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(8192, 0)])
    expect(shouldStore(sqliteLike)).toBe(false)
    // too short to judge: deflated, as before
    expect(shouldStore(randomBytes(200))).toBe(false)
  })
})
