import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import type {FileEntry, ReadOnlyFileSystem} from '../../src/fs/types.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** fixtures/ext, or a freshly built copy (TRAWL_EXT_FIXTURES=dir holding build.sh's output). */
export const FIXTURES = process.env.TRAWL_EXT_FIXTURES ?? join(REPO_ROOT, 'fixtures/ext')

const cache = new Map<string, Buffer>()

/** The decompressed bytes of <dir>/<name>.img.gz (a fresh copy each call, so a test may damage it). */
export function fixtureImage(name: string, dir = FIXTURES): Buffer {
  const key = `${dir}/${name}`
  let bytes = cache.get(key)
  if (!bytes) {
    bytes = gunzipSync(readFileSync(join(dir, `${name}.img.gz`)))
    cache.set(key, bytes)
  }
  return Buffer.from(bytes)
}

export function golden(name: string, dir = FIXTURES): string {
  return readFileSync(join(dir, 'golden', name), 'utf8')
}

/** Every entry below `dir`, depth first, as fls walks (deleted directories not entered). */
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

/** A line of `fls -r -p` for ext: "r/r 12:\tpath", "r/r * 435:\tpath", "-/V * 2049(realloc):\tpath". */
export interface FlsLine {
  nameType: string
  metaType: string
  deleted: boolean
  inode: number
  realloc: boolean
  path: string
}

export function parseFls(text: string): FlsLine[] {
  const lines: FlsLine[] = []
  for (const line of text.split('\n')) {
    const m = /^(.)\/(.) (\* )?(\d+)(\(realloc\))?:\t(.*)$/.exec(line)
    if (m) lines.push({nameType: m[1], metaType: m[2], deleted: m[3] !== undefined, inode: Number(m[4]), realloc: m[5] !== undefined, path: m[6]})
  }
  return lines
}

/** TSK's letter for the inode's type: the second letter of an fls line. */
export function metaLetter(entry: FileEntry): string {
  const attributes = entry.attributes ?? []
  if (entry.kind === 'file') return 'r'
  if (entry.kind === 'directory') return 'd'
  if (entry.kind === 'symlink') return 'l'
  if (attributes.includes('fifo')) return 'p'
  if (attributes.includes('character-device')) return 'c'
  if (attributes.includes('block-device')) return 'b'
  if (attributes.includes('socket')) return 'h'
  return '-'
}

/** istat's times of every inode fls lists: "=== inode\tpath" blocks in <name>.istat.txt. */
export interface IstatRecord {
  inode: number
  path: string
  size: number
  times: {accessed?: string; modified?: string; changed?: string; created?: string}
}

/** "2020-01-02 03:04:05.987654321 (UTC)" as trawl writes it; TSK's zero date as absent. */
function istatTime(text: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? \(UTC\)$/.exec(text.trim())
  if (!m || m[1] === '0000-00-00') return undefined
  return `${m[1]}T${m[2]}${m[3] ?? ''}Z`
}

export function parseIstat(text: string): IstatRecord[] {
  const out: IstatRecord[] = []
  for (const block of text.split(/^=== /m).slice(1)) {
    const [head, ...lines] = block.split('\n')
    const [inode, path] = head.split('\t')
    const record: IstatRecord = {inode: Number(inode), path, size: -1, times: {}}
    for (const line of lines) {
      const [key, value] = line.split(/:\t|: /, 2)
      if (value === undefined) continue
      if (key === 'size') record.size = Number(value)
      const field = {Accessed: 'accessed', 'File Modified': 'modified', 'Inode Modified': 'changed', 'File Created': 'created'}[key] as keyof IstatRecord['times'] | undefined
      if (field) {
        const time = istatTime(value)
        if (time) record.times[field] = time
      }
    }
    out.push(record)
  }
  return out
}
