import {describe, expect, it} from 'vitest'
import type {FileEntry} from '../../src/fs/types.js'
import {SliceByteSource} from '../../src/image/byte-source.js'
import {RawImage} from '../../src/image/raw.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, walk} from './ntfs-fixtures.js'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

async function briefWalk(fs: NtfsFileSystem, dir = '', deleted = false): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const entry of await fs.list(dir, {deleted, brief: true})) {
    out.push(entry)
    if (entry.kind === 'directory') out.push(...(await briefWalk(fs, entry.path, deleted)))
  }
  return out
}

describe('NTFS brief listings (image ls lines): the same entries without times and attributes', () => {
  for (const name of ['main', 'c512', 'c64k']) {
    it(`fixture ${name}, deleted entries too`, async () => {
      const image = fixtureImage(name)
      for (const deleted of [false, true]) {
        const full = await walk(new NtfsFileSystem(new MemoryByteSource(image)), '', deleted)
        expect(full.length).toBeGreaterThan(10)
        const brief = await briefWalk(new NtfsFileSystem(new MemoryByteSource(image)), '', deleted)
        const trimmed = (e: FileEntry) => {
          const {times: _times, fileNameTimes: _names, attributes: _attributes, ...rest} = e
          return {...rest, times: {}}
        }
        expect(brief).toEqual(full.map(trimmed))
      }
    })
  }

  it('reads the volume through a partition slice of a raw image straight into its buffers, with the same bytes', async () => {
    const image = fixtureImage('main')
    const dir = mkdtempSync(join(tmpdir(), 'trawl-brief-'))
    const path = join(dir, 'disk.raw')
    writeFileSync(path, Buffer.concat([Buffer.alloc(1 << 20), image]))
    const raw = new RawImage(path)
    const slice = new SliceByteSource(raw, 1 << 20, image.length)
    expect(slice.readInto).toBeDefined()
    const target = Buffer.alloc(70000)
    expect(slice.readInto!(12345, target, 10, 60000)).toBe(60000)
    expect(target.subarray(10, 60010).equals(image.subarray(12345, 72345))).toBe(true)
    expect(slice.readInto!(image.length - 100, target, 0, 1000)).toBe(100)
    expect(await walk(new NtfsFileSystem(slice))).toEqual(await walk(new NtfsFileSystem(new MemoryByteSource(image))))
    raw.close()
  })
})
