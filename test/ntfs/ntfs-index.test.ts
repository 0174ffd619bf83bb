import {describe, expect, it} from 'vitest'
import {CorruptImageError} from '../../src/errors.js'
import type {FileEntry} from '../../src/fs/types.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, walk} from './ntfs-fixtures.js'

/** A byte source that counts what is read, to show which structures a listing touches. */
class CountingSource extends MemoryByteSource {
  bytesRead = 0
  override read(offset: number, length: number): Buffer {
    const bytes = super.read(offset, length)
    this.bytesRead += bytes.length
    return bytes
  }
}

const byIndex = (image: Buffer) => new NtfsFileSystem(new MemoryByteSource(image), {directoryIndexes: true})
const byPass = (image: Buffer) => new NtfsFileSystem(new MemoryByteSource(image))
const entryOf = (e: FileEntry | undefined) => Number(e?.inode?.split('-')[0])

describe('NTFS directories read through their $I30 indexes (collect --triage)', () => {
  for (const name of ['main', 'c512', 'c64k']) {
    it(`lists every allocated entry of fixture ${name} exactly as the $MFT pass does`, async () => {
      const image = fixtureImage(name)
      const pass = byPass(image)
      const expected = (await walk(pass)).filter((e) => e.path !== '$OrphanFiles' && !e.path.startsWith('$OrphanFiles/'))
      const indexed = byIndex(image)
      expect(await walk(indexed)).toEqual(expected)
      expect(indexed.problems).toEqual(pass.problems)
      // paths resolve, and files read, the same way
      for (const entry of expected.filter((e) => e.kind === 'file').slice(0, 50)) {
        expect(await indexed.stat(entry.path)).toEqual(await pass.stat(entry.path))
      }
    })
  }

  it('reads the records of the directories listed and of their entries, not the whole $MFT', async () => {
    const image = fixtureImage('main')
    const whole = new CountingSource(image)
    await new NtfsFileSystem(whole).list('')
    const counted = new CountingSource(image)
    const fs = new NtfsFileSystem(counted, {directoryIndexes: true})
    const root = await fs.list('')
    expect(root.length).toBeGreaterThan(5)
    expect(counted.bytesRead).toBeLessThan(whole.bytesRead / 4)
  })

  it('listing deleted entries makes the $MFT pass after all, and gives what the pass gives', async () => {
    const image = fixtureImage('main')
    const indexed = byIndex(image)
    await indexed.list('')
    expect(await walk(indexed, '', true)).toEqual(await walk(byPass(image), '', true))
  })

  it('lists an entry whose record is damaged by the name its directory index holds, and names the damage', async () => {
    const image = fixtureImage('main')
    const pristine = byPass(image)
    const target = (await pristine.list('')).find((e) => e.name === 'resident.txt')!
    image[pristine.mftEntryOffset(entryOf(target)) + 510] ^= 0xff
    const fs = byIndex(image)
    const listed = (await fs.list('')).find((e) => e.name === 'resident.txt')
    expect(listed).toMatchObject({kind: 'file', size: 0, inode: target.inode, unreadable: expect.stringMatching(/^MFT record \d+: update sequence mismatch in sector 0/)})
    expect(fs.problems.map((p) => p.message)).toEqual([expect.stringMatching(/; listed as damaged, by the name the index of MFT record 5 holds for it: "resident.txt"$/)])
    await expect(fs.open('resident.txt')).rejects.toBeInstanceOf(CorruptImageError)
    // listed again: the damage is named once
    await fs.list('')
    expect(fs.problems).toHaveLength(1)
  })

  it('names a damaged index record, and lists that directory from the $MFT pass instead', async () => {
    const image = fixtureImage('main')
    const pristine = byPass(image)
    // the directory with the most entries has its names in $INDEX_ALLOCATION records
    const dirs = (await walk(pristine)).filter((e) => e.kind === 'directory' && !e.path.startsWith('$'))
    let biggest = {path: '', count: 0}
    for (const d of dirs) {
      const count = (await pristine.list(d.path)).length
      if (count > biggest.count) biggest = {path: d.path, count}
    }
    expect(biggest.count).toBeGreaterThan(40)
    // the index record that holds one of its names
    const child = (await pristine.list(biggest.path)).find((e) => e.name.length > 6)!
    const at = image.indexOf(Buffer.from(child.name, 'utf16le'), image.indexOf(Buffer.from('INDX')))
    const start = image.lastIndexOf(Buffer.from('INDX'), at)
    expect(start).toBeGreaterThan(0)
    image[start + 510] ^= 0xff // a torn sector
    const fs = byIndex(image)
    const all = await walk(fs)
    expect(fs.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^MFT record \d+ \$INDEX_ALLOCATION record \d+: update sequence mismatch in sector 0 \(bad fix-up\); its names are not read$/))
    expect(fs.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^MFT record \d+: its \$I30 index is damaged; the directory, and every one after it, is listed from a pass over the whole \$MFT instead$/))
    // what the damaged index record held is still listed, from the $MFT pass
    const paths = new Set(all.map((e) => e.path))
    for (const e of await walk(pristine)) if (!e.path.startsWith('$OrphanFiles')) expect(paths.has(e.path), e.path).toBe(true)
    expect(paths.has(child.path)).toBe(true)
  })
})
