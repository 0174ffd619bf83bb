import {describe, expect, it} from 'vitest'
import {ExtFileSystem, extDriver} from '../../src/ext/index.js'
import type {FileEntry} from '../../src/fs/types.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, golden, metaLetter, parseFls, parseIstat, sha256Of, walk} from './ext-fixtures.js'

/**
 * The fixtures of fixtures/ext/build.sh, each written by the Linux kernel through a loop
 * mount, checked against The Sleuth Kit's fls, istat and icat of the same image.
 *
 * How TSK's own inventions are compared: its virtual `$OrphanFiles` directory (inodes no
 * name points to) is not made up by trawl and is left out of both sides; a deleted "name"
 * TSK decodes out of htree index bytes (`many/^`) is not a name and trawl does not list it.
 */

/**
 * Where istat is wrong, each difference named: TSK reads i_mtime as unsigned, so the 1965
 * time set by `touch -d` shows as 2101 (the kernel's inodes.rst: the seconds are signed,
 * widened by the epoch bits); and TSK reads no extra time fields on ext3 (no extra_isize
 * feature) although the kernel wrote nanoseconds and crtime into the 256-byte inodes, so
 * ext3 is compared to the second, creation time left out.
 */
const pre1970 = (fraction: string) => [`deep/a/b/c/d/e/f/g/h/bottom.txt modified: ours 1965-05-06T07:08:09${fraction}Z, istat 2101-06-12T13:36:25${fraction}Z`]

const images = [
  {name: 'ext2', kind: 'ext2', label: 'EXT2', blockSize: 1024, nanoseconds: false, tskReadsExtraFields: true, knownDifferences: pre1970('')},
  {name: 'ext3', kind: 'ext3', label: 'EXT3', blockSize: 1024, nanoseconds: true, tskReadsExtraFields: false, knownDifferences: pre1970('')},
  {name: 'ext4', kind: 'ext4', label: 'EXT4', blockSize: 4096, nanoseconds: true, tskReadsExtraFields: true, knownDifferences: pre1970('.250000000')},
  {name: 'inline', kind: 'ext4', label: 'INLINE', blockSize: 1024, nanoseconds: true, tskReadsExtraFields: true, knownDifferences: [] as string[]},
]

const isTskVirtual = (path: string) => path === '$OrphanFiles' || path.startsWith('$OrphanFiles/')
/** TSK reads htree index bytes of `many/` as a deleted name "^": not an entry anyone wrote. */
const isTskHtreeNoise = (path: string) => /^many\/[^/]{1,2}$/.test(path)

for (const image of images) {
  describe(`ext fixture ${image.name}.img (${image.kind}, ${image.blockSize}-byte blocks, built by fixtures/ext/build.sh)`, () => {
    const open = () => new ExtFileSystem(new MemoryByteSource(fixtureImage(image.name)))

    it('is detected by its superblock and reports kind, label and UUID', () => {
      const source = new MemoryByteSource(fixtureImage(image.name))
      expect(extDriver.detect(source)).toBe(true)
      const fs = extDriver.open(source) as ExtFileSystem
      expect(fs.kind).toBe(image.kind)
      expect(fs.label).toBe(image.label)
      expect(fs.superblock.blockSize).toBe(image.blockSize)
      expect(fs.serial).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/)
      expect(golden(`${image.name}.fsstat.txt`)).toContain(`Volume Name: ${image.label}`)
    })

    it('lists the same allocated names, inodes and types as fls -r -p, in the same order', async () => {
      const fs = open()
      const ours = (await walk(fs)).map((e) => `${metaLetter(e)} ${e.inode}\t${e.path}`)
      const theirs = parseFls(golden(`${image.name}.fls.txt`))
        .filter((l) => !l.deleted && !isTskVirtual(l.path))
        .map((l) => `${l.metaType} ${l.inode}\t${l.path}`)
      expect(ours).toEqual(theirs)
      expect(fs.problems).toEqual([])
    })

    it('lists the deleted names fls finds, marked deleted, with their inodes', async () => {
      const fs = open()
      const entries = await walk(fs, '', true)
      const ours = entries.filter((e) => e.deleted).map((e) => `${e.inode}\t${e.path}`)
      const theirs = parseFls(golden(`${image.name}.fls.txt`))
        .filter((l) => l.deleted && !isTskVirtual(l.path) && !isTskHtreeNoise(l.path))
        .map((l) => `${l.inode}\t${l.path}`)
      expect(ours.sort()).toEqual(theirs.sort())
      if (image.name !== 'inline') expect(ours).toContain('435\tdocs/deleted.txt')
    })

    it('gives every name the size and the four times istat reports, at full precision', async () => {
      const fs = open()
      const byPath = new Map<string, FileEntry>((await walk(fs)).map((e) => [e.path, e]))
      const records = parseIstat(golden(`${image.name}.istat.txt`))
      expect(records.length).toBeGreaterThan(5)
      const differences: string[] = []
      for (const record of records) {
        const entry = byPath.get(record.path)
        expect(entry, record.path).toBeDefined()
        if (entry!.kind !== 'directory') expect(entry!.size, record.path).toBe(record.size)
        const ours = image.tskReadsExtraFields ? entry!.times : secondsOnly(entry!.times)
        for (const key of ['accessed', 'modified', 'changed', 'created'] as const) {
          if (ours[key] !== record.times[key]) differences.push(`${record.path} ${key}: ours ${ours[key]}, istat ${record.times[key]}`)
        }
      }
      expect(differences).toEqual(image.knownDifferences)
      const hello = byPath.get('hello.txt')
      if (hello && image.nanoseconds) expect(hello.times.modified).toBe('2021-03-04T05:06:07.123456789Z')
      if (hello && !image.nanoseconds) expect(hello.times.modified).toBe('2021-03-04T05:06:07Z')
    })

    it('reads every regular file to the SHA-256 of icat', async () => {
      const fs = open()
      const lines = golden(`${image.name}.sha256.txt`).split('\n').filter(Boolean)
      expect(lines.length).toBeGreaterThan(4)
      for (const line of lines) {
        const [digest, path] = line.split('\t')
        expect(await sha256Of(fs, path), path).toBe(digest)
      }
    })
  })
}

describe('ext fixture features', () => {
  it('reports symlink targets without following them, fast (in the inode) and slow (in a block)', async () => {
    const fs = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext4')))
    const fast = await fs.stat('link-fast')
    expect(fast.kind).toBe('symlink')
    expect(fast.linkTarget).toBe('hello.txt')
    expect(fast.times.modified).toBe('1999-12-31T23:59:59.500000000Z')
    const slow = await fs.stat('link-slow')
    expect(slow.linkTarget).toBe('docs/long name with spaces, ünïcödé and 日本語 — 2021.txt/../../deep/a/b/c/d/e/f/g/h/bottom.txt')
    expect(slow.size).toBe(Buffer.byteLength(slow.linkTarget!))
  })

  it('names devices, FIFOs and sockets without reading them', async () => {
    const fs = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext3')))
    const special = await fs.list('special')
    expect(special.map((e) => [e.name, e.kind, e.attributes])).toEqual([
      ['fifo', 'other', ['fifo']],
      ['null-device', 'other', ['character-device']],
      ['socket', 'other', ['socket']],
    ])
    const chunks: Buffer[] = []
    for await (const chunk of await fs.open('special/null-device')) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).length).toBe(0)
  })

  it('marks sparse files and reads their holes as zeros; times before 1970 and after 2038 keep their epoch', async () => {
    const fs = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext4')))
    const sparse = await fs.stat('sparse.bin')
    expect(sparse.size).toBe(2 * 1024 * 1024)
    expect(sparse.attributes).toContain('sparse')
    const chunks: Buffer[] = []
    for await (const chunk of await fs.open('sparse.bin')) chunks.push(chunk as Buffer)
    const bytes = Buffer.concat(chunks)
    expect(bytes.subarray(1048576, 1048576 + 28).toString()).toBe('data in the middle of a hole')
    expect(bytes.subarray(0, 1048576).every((b) => b === 0)).toBe(true)
    expect((await fs.stat('docs/big.bin')).times.modified).toBe('2040-06-07T08:09:10.000000001Z')
    expect((await fs.stat('deep/a/b/c/d/e/f/g/h/bottom.txt')).times.modified).toBe('1965-05-06T07:08:09.250000000Z')
  })

  it('resolves paths case-insensitively, the exact spelling first, and hard links share their inode', async () => {
    const fs = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext2')))
    expect((await fs.stat('DOCS/BIG.BIN')).path).toBe('docs/big.bin')
    expect((await fs.stat('hardlink.txt')).inode).toBe((await fs.stat('hello.txt')).inode)
    await expect(fs.stat('docs/nothing-here')).rejects.toThrow(/no such file/)
  })

  it('reads inline-data files and directories (the inline_data feature)', async () => {
    const fs = new ExtFileSystem(new MemoryByteSource(fixtureImage('inline')))
    expect((await fs.stat('tiny.txt')).attributes).toContain('inline-data')
    expect((await fs.list('small-dir')).map((e) => e.name)).toEqual(['a', 'b'])
    expect((await fs.stat('small-dir')).attributes).toContain('inline-data')
  })

  it('says the journal is not replayed, and reads a volume whose journal needs recovery as it stands', async () => {
    const clean = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext3')))
    expect(clean.notes).toEqual(['journaled (inode 8), cleanly unmounted: the journal is not read'])
    const bytes = fixtureImage('ext3')
    bytes.writeUInt32LE(bytes.readUInt32LE(1024 + 0x60) | 0x4, 1024 + 0x60) // INCOMPAT_RECOVER
    const dirty = new ExtFileSystem(new MemoryByteSource(bytes))
    expect(dirty.notes[0]).toMatch(/needs_recovery.*not replayed/)
    expect((await walk(dirty)).length).toBe((await walk(clean)).length)
  })

  it('the deleted file whose inode still maps its blocks (debugfs rm on ext2) reads back; a cleared map is refused', async () => {
    const ext2 = new ExtFileSystem(new MemoryByteSource(fixtureImage('ext2')))
    const entry = (await ext2.list('docs', {deleted: true})).find((e) => e.name === 'deleted.txt')!
    expect(entry.deleted).toBe(true)
    expect(entry.size).toBe(14)
  })
})

/** Times cut to whole seconds, creation time dropped: what istat shows of an inode whose extra fields it does not read. */
function secondsOnly(times: FileEntry['times']): FileEntry['times'] {
  const out: FileEntry['times'] = {}
  for (const key of ['accessed', 'modified', 'changed'] as const) {
    const value = times[key]
    if (value) out[key] = value.replace(/\.\d+Z$/, 'Z')
  }
  return out
}
