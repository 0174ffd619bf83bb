import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import type {FileEntry, ReadOnlyFileSystem} from '../../src/fs/types.js'
import {REPO_ROOT} from '../helpers/shared.js'

const FIXTURES = join(REPO_ROOT, 'fixtures/fat')

export function fatImage(name: string): Buffer {
  return gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`)))
}
export const golden = (name: string) => readFileSync(join(FIXTURES, 'golden', name), 'utf8')

export async function walk(fs: ReadOnlyFileSystem, dir = '', deleted = false): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const entry of await fs.list(dir, {deleted})) {
    out.push(entry)
    if (entry.kind === 'directory' && !entry.deleted) out.push(...(await walk(fs, entry.path, deleted)))
  }
  return out
}

export async function sha256Of(fs: ReadOnlyFileSystem, path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await fs.open(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

