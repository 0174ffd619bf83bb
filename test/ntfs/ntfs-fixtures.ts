import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import type {FileEntry} from '../../src/fs/types.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** fixtures/ntfs, or a freshly built copy (TRAWL_NTFS_FIXTURES=dir holding build.sh's output). */
export const FIXTURES = process.env.TRAWL_NTFS_FIXTURES ?? join(REPO_ROOT, 'fixtures/ntfs')

const cache = new Map<string, Buffer>()

/** The decompressed bytes of fixtures/ntfs/<name>.img.gz (a fresh copy each call). */
export function fixtureImage(name: string): Buffer {
  let bytes = cache.get(name)
  if (!bytes) {
    bytes = gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`)))
    cache.set(name, bytes)
  }
  return Buffer.from(bytes)
}

export function golden(name: string): string {
  return readFileSync(join(FIXTURES, 'golden', name), 'utf8')
}

/** Every entry below `dir`, depth first. */
export async function walk(fs: NtfsFileSystem, dir = '', deleted = false): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const entry of await fs.list(dir, {deleted})) {
    out.push(entry)
    if (entry.kind === 'directory') out.push(...(await walk(fs, entry.path, deleted)))
  }
  return out
}

export async function sha256Of(fs: NtfsFileSystem, path: string, stream?: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await fs.open(path, stream ? {stream} : undefined)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A line of `fls -r -p`: "r/r 64-128-2:\tpath" or "-/r * 70-128-2:\tpath". */
export interface FlsLine {
  type: string
  deleted: boolean
  entry: number
  attributeType?: number
  path: string
}

export function parseFls(text: string): FlsLine[] {
  const lines: FlsLine[] = []
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\* )?(\d+)(?:-(\d+)-(\d+))?(?:\(realloc\))?:\t(.*)$/.exec(line)
    if (!m) continue
    lines.push({type: m[1], deleted: m[2] !== undefined, entry: Number(m[3]), attributeType: m[4] ? Number(m[4]) : undefined, path: m[6]})
  }
  return lines
}

/** A bodyfile line of `fls -r -m /`: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime. */
export interface BodyLine {
  name: string
  inode: string
  size: number
  atime: number
  mtime: number
  ctime: number
  crtime: number
}

export function parseBodyfile(text: string): BodyLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split('|')
      // a name may itself hold '|': the last 9 fields are fixed
      const tail = f.slice(-9)
      return {
        name: f.slice(1, f.length - 9).join('|'),
        inode: tail[0],
        size: Number(tail[4]),
        atime: Number(tail[5]),
        mtime: Number(tail[6]),
        ctime: Number(tail[7]),
        crtime: Number(tail[8]),
      }
    })
}

/** ISO 8601 to whole seconds since 1970, as a bodyfile writes times (0 for none). */
export function isoSeconds(iso: string | undefined): number {
  if (!iso) return 0
  return Math.floor(Date.parse(iso) / 1000)
}

/** "entry<TAB>path" keys of what fls lists: directories, default streams and named $DATA streams. */
export function flsKeys(text: string, deleted: boolean): Set<string> {
  const keys = new Set<string>()
  for (const line of parseFls(text)) {
    if (line.deleted !== deleted) continue
    if (line.path.startsWith('$OrphanFiles')) continue
    if (line.path.includes('/.:')) continue // TSK lists a directory's streams a second time under "dir/."
    const isDirectoryIndex = line.type.startsWith('d/') && line.attributeType === 144
    if (line.attributeType !== undefined && line.attributeType !== 128 && !isDirectoryIndex) continue
    keys.add(`${line.entry}\t${line.path}`)
  }
  return keys
}

export function entryNumber(entry: FileEntry): number {
  return Number(entry.inode?.split('-')[0])
}

export function trawlKeys(entries: FileEntry[]): Map<string, {entry: FileEntry; stream?: string}> {
  const keys = new Map<string, {entry: FileEntry; stream?: string}>()
  for (const entry of entries) {
    keys.set(`${entryNumber(entry)}\t${entry.path}`, {entry})
    for (const stream of entry.streams ?? []) keys.set(`${entryNumber(entry)}\t${entry.path}:${stream.name}`, {entry, stream: stream.name})
  }
  return keys
}

