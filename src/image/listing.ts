import {UnsupportedFormatError, UsageError} from '../errors.js'
import type {FileEntry, ReadOnlyFileSystem} from '../fs/types.js'
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
  const root = normalise(start)
  if (root !== '') {
    const entry = await fs.stat(root)
    if (entry.kind !== 'directory') {
      yield entry
      return
    }
  }
  yield* walkDirectory(fs, root, options, new Set<string>())
}

async function* walkDirectory(fs: ReadOnlyFileSystem, dir: string, options: ListOptions, seen: Set<string>): AsyncGenerator<FileEntry> {
  const children = await fs.list(dir, {deleted: options.deleted ?? false})
  for (const child of children) {
    const path = child.path || join(dir, child.name)
    yield {...child, path}
    if (!options.recursive || child.kind !== 'directory' || child.deleted) continue
    const identity = child.inode ? `inode:${child.inode.split('-')[0]}` : `path:${path.toLowerCase()}`
    if (seen.has(identity)) continue
    seen.add(identity)
    yield* walkDirectory(fs, path, options, seen)
  }
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
  }
}

const KIND_LETTER: Record<FileEntry['kind'], string> = {file: 'r', directory: 'd', symlink: 'l', other: '-'}

/** `fls -p` style lines: 'r/r 65-128-2:\tTest Directory/notes.txt', a deleted one with '*', one line per alternate stream. */
export function formatFlsLines(entry: FileEntry): string[] {
  const t = KIND_LETTER[entry.kind]
  const mark = entry.deleted ? '* ' : ''
  const inode = entry.inode ?? '0'
  const lines = [`${t}/${t} ${mark}${inode}:\t${entry.path}`]
  for (const stream of entry.streams ?? []) {
    if (stream.name !== '') lines.push(`${t}/r ${mark}${inode}:\t${entry.path}:${stream.name}`)
  }
  return lines
}

export interface VolumeListing {
  source: string
  volume: string
  root: string
  entries: ListedFile[]
}

/** Collects the whole listing for the JSON document. */
export async function listVolume(source: EvidenceSource, path: string | undefined, options: ListOptions & {partition?: number; snapshot?: number} = {}): Promise<VolumeListing> {
  const volume = chooseVolume(source, options.partition, options.snapshot)
  const entries: ListedFile[] = []
  for await (const entry of walkVolume(volume.fs, path, options)) entries.push(toListedFile(entry))
  return {source: source.description.path, volume: volume.id, root: normalise(path), entries}
}

/**
 * The same JSON document, text as JSON.stringify(listing, null, 2) writes it, in
 * pieces as the walk goes: a volume of a million files is never held whole.
 */
export async function* listVolumeJson(source: EvidenceSource, path: string | undefined, options: ListOptions & {partition?: number; snapshot?: number} = {}): AsyncGenerator<string> {
  const volume = chooseVolume(source, options.partition, options.snapshot)
  const head = {source: source.description.path, volume: volume.id, root: normalise(path)}
  const opening = JSON.stringify(head, null, 2).slice(0, -2) // without the closing "\n}"
  let first = true
  let batch: ListedFile[] = []
  // entries are laid out by JSON.stringify a batch at a time, at the depth they have in the
  // document ({"entries": [...]}), and cut out of that wrapper: the same text as one call
  // over the whole listing, without re-indenting each entry's text
  const flush = () => {
    const text = JSON.stringify({entries: batch}, null, 2)
    const piece = `${first ? `${opening},\n  "entries": [\n` : ',\n'}${text.slice(BATCH_HEAD.length, -BATCH_TAIL.length)}`
    first = false
    batch = []
    return piece
  }
  for await (const entry of walkVolume(volume.fs, path, options)) {
    batch.push(toListedFile(entry))
    if (batch.length >= JSON_BATCH) yield flush()
  }
  if (batch.length > 0) yield flush()
  yield first ? `${opening},\n  "entries": []\n}` : '\n  ]\n}'
}

const JSON_BATCH = 256
const BATCH_HEAD = '{\n  "entries": [\n'
const BATCH_TAIL = '\n  ]\n}'

/** Splits 'dir/file.txt:stream' into the path and the alternate stream name. */
export function splitStreamPath(spec: string): {path: string; stream?: string} {
  const slash = spec.lastIndexOf('/')
  const colon = spec.indexOf(':', slash + 1)
  if (colon === -1) return {path: spec}
  const stream = spec.slice(colon + 1)
  return {path: spec.slice(0, colon), ...(stream ? {stream} : {})}
}
