import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import type {FileEntry, ReadOnlyFileSystem} from '../../src/fs/types.js'
import {walkVolume, walkVolumeRuns} from '../../src/image/listing.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** The walk as it was written before it went in runs: each entry, then (for a directory) its subtree. */
async function* oneByOne(fs: ReadOnlyFileSystem, dir: string): AsyncGenerator<FileEntry> {
  for (const child of await fs.list(dir)) {
    yield child
    if (child.kind === 'directory') yield* oneByOne(fs, child.path)
  }
}

describe('the recursive walk in runs', () => {
  it('gives the entries of the entry-by-entry walk, in the same order, each run ending at the directory walked into next', async () => {
    const fs = new DirectoryFileSystem(join(REPO_ROOT, 'fixtures'))
    const expected: string[] = []
    for await (const entry of oneByOne(fs, '')) expected.push(entry.path)
    expect(expected.length).toBeGreaterThan(500)
    const flat: string[] = []
    const runs: FileEntry[][] = []
    for await (const run of walkVolumeRuns(fs, '', {recursive: true})) {
      runs.push(run)
      flat.push(...run.map((e) => e.path))
    }
    expect(flat).toEqual(expected)
    const single: string[] = []
    for await (const entry of walkVolume(fs, '', {recursive: true})) single.push(entry.path)
    expect(single).toEqual(expected)
    // every run but the last of a directory ends with the directory the walk goes into next
    for (let i = 0; i + 1 < runs.length; i++) {
      const last = runs[i][runs[i].length - 1]
      const next = runs[i + 1][0]
      if (last.kind === 'directory') expect(next.path.startsWith(`${last.path}/`) || (next.path.split('/').length <= last.path.split('/').length)).toBe(true)
    }
    expect(runs.length).toBeLessThan(flat.length)
  })
})
