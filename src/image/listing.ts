import {UnsupportedFormatError, UsageError} from '../errors.js'
import {fileSystemProblems} from '../fs/problems.js'
import type {FileEntry, ReadOnlyFileSystem} from '../fs/types.js'
import {indentedFlatJson, indentedJson, quote} from '../indented-json.js'
import type {EvidenceSource, EvidenceVolume} from '../source/types.js'

/**
 * `trawl image ls`: lists a volume's files like The Sleuth Kit's `fls -r -p`
 * (full paths, recursion, deleted entries on request), as lines or as one JSON
 * document with both timestamp sets and the streams of every file.
 */

/**
 * The volume `--partition N` names, or the only readable one; with `--snapshot N`, that
 * volume as its shadow copy N holds it (the source must have been opened with that snapshot).
 */
export function chooseVolume(source: EvidenceSource, partition?: number, snapshot?: number): EvidenceVolume & {fs: ReadOnlyFileSystem} {
  const live = source.volumes.filter((v) => !v.description.snapshot)
  let volume: EvidenceVolume | undefined
  if (partition !== undefined) {
    volume = live.find((v) => v.description.index === partition)
    if (!volume) {
      const known = live.filter((v) => v.description.index !== undefined).map((v) => v.description.index)
      throw new UsageError(`no partition ${partition} in ${source.description.path}${known.length > 0 ? ` (partitions: ${known.join(', ')})` : ' (it has no partition table)'}`)
    }
  } else {
    // with --snapshot, the volume that has shadow copies is the one meant
    const candidates = snapshot === undefined ? live.filter((v) => v.fs) : live.filter((v) => v.description.shadowCopies?.length)
    if (candidates.length === 1) volume = candidates[0]
    else if (candidates.length > 1) {
      throw new UsageError(
        `${source.description.path} has ${candidates.length} ${snapshot === undefined ? 'readable partitions' : 'volumes with shadow copies'} (${candidates.map((v) => v.description.index ?? v.id).join(', ')}): choose one with --partition N`,
      )
    } else if (snapshot !== undefined) {
      throw new UsageError(`${source.description.path} has no volume with shadow copies`)
    } else if (live.length === 1) volume = live[0]
    else {
      throw new UnsupportedFormatError(
        `${source.description.path}: no partition has a file system trawl reads (${live.map((v) => `${v.id}: ${v.unreadable}`).join('; ') || 'no partitions'})`,
      )
    }
  }
  if (snapshot !== undefined) {
    const base = volume
    const copies = base.description.shadowCopies ?? []
    volume = source.volumes.find((v) => v.description.snapshot?.of === base.id && v.description.snapshot.number === snapshot)
    if (!volume) {
      throw new UsageError(
        copies.length > 0
          ? `${base.id} has no shadow copy ${snapshot} (its shadow copies: ${copies.map((c) => c.number).join(', ')})`
          : `${base.id} has no shadow copies${base.description.shadowCopiesUnreadable ? ` that can be read (${base.description.shadowCopiesUnreadable})` : ''}`,
      )
    }
  }
  if (!volume.fs) throw new UnsupportedFormatError(`${source.description.path} ${volume.id}: ${volume.unreadable ?? 'not readable'}`)
  return volume as EvidenceVolume & {fs: ReadOnlyFileSystem}
}

export interface ListOptions {
  recursive?: boolean
  deleted?: boolean
  /** Only what fls lines print (the file system may leave out times and attributes: ListOptions.brief). */
  brief?: boolean
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`
}

function normalise(path: string | undefined): string {
  return (path ?? '').replace(/\\/g, '/').replace(/^\/+|\/+$/g, '')
}

/**
 * Walks a directory depth first in the order fls prints it: each entry, then
 * (recursive) the contents of a directory right after it; children in the
 * order the file system gives them. A directory met again through another path
 * (a hard-linked directory, a damaged index pointing back up) is listed but not
 * descended twice, so a cycle cannot loop.
 */
export async function* walkVolume(fs: ReadOnlyFileSystem, start: string | undefined, options: ListOptions = {}): AsyncGenerator<FileEntry> {
  for await (const run of walkVolumeRuns(fs, start, options)) yield* run
}

/**
 * The same entries in the same order, in runs: the children of a directory up to and
 * including the next one walked into, then that directory's runs. A walk of 100 000
 * entries through nested async generators cost a round of promises per entry per level;
 * a run costs one.
 */
export async function* walkVolumeRuns(fs: ReadOnlyFileSystem, start: string | undefined, options: ListOptions = {}): AsyncGenerator<FileEntry[]> {
  const root = normalise(start)
  if (root !== '') {
    const entry = await fs.stat(root)
    if (entry.kind !== 'directory') {
      yield [entry]
      return
    }
  }
  yield* walkDirectory(fs, root, options, new Set<string>())
}

async function* walkDirectory(fs: ReadOnlyFileSystem, dir: string, options: ListOptions, seen: Set<string>): AsyncGenerator<FileEntry[]> {
  const children = await fs.list(dir, options.brief ? {deleted: options.deleted ?? false, brief: true} : {deleted: options.deleted ?? false})
  let run: FileEntry[] = []
  for (const child of children) {
    // copied only to fill in a path the file system left out (each list() returns new entries)
    const path = child.path || join(dir, child.name)
    run.push(child.path ? child : {...child, path})
    if (!options.recursive || child.kind !== 'directory' || child.deleted) continue
    const identity = child.inode ? `inode:${child.inode.split('-')[0]}` : `path:${path.toLowerCase()}`
    if (seen.has(identity)) continue
    seen.add(identity)
    yield run
    run = []
    yield* walkDirectory(fs, path, options, seen)
  }
  if (run.length > 0) yield run
}

/** One listed entry in the JSON document. */
export interface ListedFile {
  path: string
  name: string
  type: FileEntry['kind']
  size: number
  inode?: string
  deleted: boolean
  times: FileEntry['times']
  fileNameTimes?: FileEntry['fileNameTimes']
  streams: Array<{name: string; size: number}>
  linkTarget?: string
  attributes?: string[]
  unreadable?: string
}

export function toListedFile(entry: FileEntry): ListedFile {
  return {
    path: entry.path,
    name: entry.name,
    type: entry.kind,
    size: entry.size,
    ...(entry.inode !== undefined ? {inode: entry.inode} : {}),
    deleted: entry.deleted ?? false,
    times: entry.times,
    ...(entry.fileNameTimes ? {fileNameTimes: entry.fileNameTimes} : {}),
    streams: entry.streams ?? [],
    ...(entry.linkTarget !== undefined ? {linkTarget: entry.linkTarget} : {}),
    ...(entry.attributes ? {attributes: entry.attributes} : {}),
    ...(entry.unreadable !== undefined ? {unreadable: entry.unreadable} : {}),
  }
}

/**
 * indentedJson(toListedFile(entry), 2, escape): the text of one entry in the listing
 * document, laid out field by field without building the ListedFile (a 100 000-file
 * volume is 80 MB of it). test/image/listing-json.test.ts compares the two.
 */
export function listedFileJson(entry: FileEntry, escape?: (json: string) => string): string {
  // the values of a listed file's objects (times, streams) and arrays (attributes) sit 3 and 4 levels deep
  const value = (item: unknown, depth: number): string | undefined => {
    if (typeof item === 'string') return quote(item, escape)
    if (typeof item === 'number') return Number.isFinite(item) ? String(item) : 'null'
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) return indentedFlatJson(item as Record<string, unknown>, depth, escape)
    if (depth !== 3 || !Array.isArray(item) || Object.getPrototypeOf(item) !== Array.prototype || 'toJSON' in item) return indentedJson(item, depth, escape)
    if (item.length === 0) return '[]'
    let out = '['
    for (let i = 0; i < item.length; i++) out += `${i === 0 ? '\n        ' : ',\n        '}${value(item[i], depth + 1) ?? 'null'}`
    return `${out}\n      ]`
  }
  let out = ''
  const field = (key: string, item: unknown): void => {
    const text = value(item, 3)
    if (text !== undefined) out += `${out === '' ? '{\n      "' : ',\n      "'}${key}": ${text}`
  }
  field('path', entry.path)
  field('name', entry.name)
  field('type', entry.kind)
  field('size', entry.size)
  if (entry.inode !== undefined) field('inode', entry.inode)
  field('deleted', entry.deleted ?? false)
  field('times', entry.times)
  if (entry.fileNameTimes) field('fileNameTimes', entry.fileNameTimes)
  field('streams', entry.streams ?? [])
  if (entry.linkTarget !== undefined) field('linkTarget', entry.linkTarget)
  if (entry.attributes) field('attributes', entry.attributes)
  if (entry.unreadable !== undefined) field('unreadable', entry.unreadable)
  return out === '' ? '{}' : `${out}\n    }`
}

const KIND_LETTER: Record<FileEntry['kind'], string> = {file: 'r', directory: 'd', symlink: 'l', other: '-'}

/**
 * `fls -p` style lines: 'r/r 65-128-2:\tTest Directory/notes.txt', a deleted one with '*', one
 * line per alternate stream. `escape` is applied to every string taken from the entry (the
 * path, the inode and the stream names: nothing else of it is printed), so passing
 * terminalSafe gives the lines of terminalSafeFields(entry) without copying the entry.
 */
export function formatFlsLines(entry: FileEntry, escape: (text: string) => string = (text) => text): string[] {
  const t = KIND_LETTER[entry.kind]
  const mark = entry.deleted ? '* ' : ''
  const inode = entry.inode === undefined ? '0' : escape(entry.inode)
  const path = escape(entry.path)
  const lines = [`${t}/${t} ${mark}${inode}:\t${path}`]
  for (const stream of entry.streams ?? []) {
    if (stream.name !== '') lines.push(`${t}/r ${mark}${inode}:\t${path}:${escape(stream.name)}`)
  }
  return lines
}

export interface VolumeListing {
  source: string
  volume: string
  root: string
  entries: ListedFile[]
  /** What the reader found damaged while listing (only when it found something). */
  problems?: string[]
}


/** Collects the whole listing for the JSON document. */
export async function listVolume(source: EvidenceSource, path: string | undefined, options: ListOptions & {partition?: number; snapshot?: number} = {}): Promise<VolumeListing> {
  const volume = chooseVolume(source, options.partition, options.snapshot)
  const entries: ListedFile[] = []
  for await (const entry of walkVolume(volume.fs, path, options)) entries.push(toListedFile(entry))
  const problems = fileSystemProblems(volume.fs)
  return {source: source.description.path, volume: volume.id, root: normalise(path), entries, ...(problems.length > 0 ? {problems} : {})}
}

/**
 * The same JSON document, text as JSON.stringify(listing, null, 2) writes it, in
 * pieces of about 64 KiB as the walk goes: a volume of a million files is never held
 * whole. `escape` is applied to the JSON text of every string in it (a path, a name):
 * with terminalSafeOutput the pieces are the terminal-safe document without a second
 * pass over all of it.
 */
export async function* listVolumeJson(
  source: EvidenceSource,
  path: string | undefined,
  options: ListOptions & {partition?: number; snapshot?: number; escape?: (json: string) => string} = {},
): AsyncGenerator<string> {
  const volume = chooseVolume(source, options.partition, options.snapshot)
  const head = {source: source.description.path, volume: volume.id, root: normalise(path)}
  const opening = indentedJson(head, 0, options.escape)!.slice(0, -2) // without the closing "\n}"
  // each entry laid out at the depth it has in the document ({"entries": [...]})
  let first = true
  let piece = ''
  for await (const run of walkVolumeRuns(volume.fs, path, options)) {
    for (const entry of run) {
      piece += `${first ? `${opening},\n  "entries": [\n    ` : ',\n    '}${listedFileJson(entry, options.escape)}`
      first = false
      if (piece.length >= JSON_PIECE) {
        yield piece
        piece = ''
      }
    }
  }
  // a volume read without damage gives the document it always gave; damage adds "problems"
  const problems = fileSystemProblems(volume.fs)
  const tail = problems.length > 0 ? `,\n  "problems": ${indentedJson(problems, 1, options.escape)}\n}` : '\n}'
  yield first ? `${opening},\n  "entries": []${tail}` : `${piece}\n  ]${tail}`
}

const JSON_PIECE = 65536

/** Splits 'dir/file.txt:stream' into the path and the alternate stream name. */
export function splitStreamPath(spec: string): {path: string; stream?: string} {
  const slash = spec.lastIndexOf('/')
  const colon = spec.indexOf(':', slash + 1)
  if (colon === -1) return {path: spec}
  const stream = spec.slice(colon + 1)
  return {path: spec.slice(0, colon), ...(stream ? {stream} : {})}
}
