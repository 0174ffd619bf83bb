import {realpathSync, statSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import fg from 'fast-glob'
import {SourceNotFoundError, UsageError} from '../errors.js'

/**
 * The evidence items of a batch: the command line's paths and globs expanded,
 * the segment files of one image grouped into one item named after it, and the
 * items sorted so that every lab machine computes the same list (and the same
 * shards) from the same arguments.
 */

export interface EvidenceItem {
  /** Bundle name stem: `DIR/<name>.zip`. Unique in the batch. */
  name: string
  /** The path handed to collect (the first segment; the image layer finds the rest). */
  source: string
  /** Every segment file of the item, in order (the source alone for a one-file image or a directory). */
  segments: string[]
  /** How the segments were recognised. */
  layout: 'ewf' | 'split-numeric' | 'split-alpha' | 'single' | 'directory'
}

export interface IgnoredPath {
  path: string
  reason: string
}

export interface ItemList {
  items: EvidenceItem[]
  /** Files a glob matched that are not images (acquisition logs, hash files): listed, never silently dropped. */
  ignored: IgnoredPath[]
}

/**
 * Files imagers write beside the image (FTK Imager's `.E01.txt`, ewfacquire logs,
 * md5sum files). A glob such as `/evidence/*` matches them; they are not evidence images.
 */
const SIDECAR = /\.(txt|log|md5|sha1|sha256|sha512|hash|csv|json|xml|html?|pdf|zip|partial|lock|info|ini|md)$/i

/** `.E01`..`.E99`, `.EAA`.. (also `.e01`, `.Ex01` for EWF2 and the SMART/logical `.S01`, `.L01` families). */
const EWF_SEGMENT = /^(.+)\.(?:([EeLlSs])x?(\d\d)|([ELS])([A-Z]{2})|([els])([a-z]{2}))$/
/** `.000`/`.001`... (dd, FTK raw, `split -d -a 3`). */
const NUMERIC_SEGMENT = /^(.+)\.(\d{3,4})$/
/** `xaa`, `xab` (`split` default naming), also `disk.aa`. */
const ALPHA_SEGMENT = /^(.*?)([a-z]{2}|[A-Z]{2})$/

interface Candidate {
  path: string
  /** Explicitly named on the command line (never treated as a sidecar). */
  explicit: boolean
}

/** Expands paths and globs; a literal path that does not exist is an error (a typo must not shrink the batch). */
export async function expandInputs(inputs: string[], cwd = process.cwd()): Promise<{candidates: Candidate[]; unmatched: string[]}> {
  const candidates: Candidate[] = []
  const unmatched: string[] = []
  for (const input of inputs) {
    if (fg.isDynamicPattern(input, {caseSensitiveMatch: true}) && !exists(resolve(cwd, input))) {
      // fast-glob wants forward slashes; convert a Windows path's separators
      const pattern = process.platform === 'win32' ? fg.convertPathToPattern(input) : input
      const matches = await fg(pattern, {cwd, absolute: true, onlyFiles: true, followSymbolicLinks: true, dot: false, unique: true})
      if (matches.length === 0) unmatched.push(input)
      for (const match of matches) candidates.push({path: resolve(match), explicit: false})
    } else {
      const path = resolve(cwd, input)
      if (!exists(path)) throw new SourceNotFoundError(path)
      candidates.push({path, explicit: true})
    }
  }
  return {candidates, unmatched}
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

interface Group {
  layout: EvidenceItem['layout']
  stem: string
  /** Sort key of each member within the set. */
  members: Map<number, string>
  /** Item name before collision handling. */
  name: string
}

/** Position in the set: .E01 = 1 ... .E99 = 99, then .EAA = 100, .EAB = 101 ... */
function ewfOrder(digits: string | undefined, letters: string | undefined): number {
  if (digits) return Number(digits)
  const s = letters!.toUpperCase()
  return 100 + (s.charCodeAt(0) - 65) * 26 + (s.charCodeAt(1) - 65)
}

/**
 * Groups candidate files into evidence items and sorts them by name (code-point
 * order, then path), so the order does not depend on the locale, the file
 * system or the order of the arguments.
 */
export function groupItems(candidates: Candidate[]): ItemList {
  const ignored: IgnoredPath[] = []
  const seen = new Set<string>()
  const unique: Candidate[] = []
  for (const candidate of candidates) {
    let real: string
    try {
      real = realpathSync(candidate.path)
    } catch {
      real = candidate.path
    }
    if (seen.has(real)) continue
    seen.add(real)
    unique.push(candidate)
  }
  const groups = new Map<string, Group>()
  const singles: Array<{path: string; layout: 'single' | 'directory'}> = []
  const alphaCandidates: Candidate[] = []
  for (const candidate of unique) {
    const path = candidate.path
    const name = basename(path)
    let isDirectory = false
    try {
      isDirectory = statSync(path).isDirectory()
    } catch {
      isDirectory = false
    }
    if (isDirectory) {
      singles.push({path, layout: 'directory'})
      continue
    }
    if (!candidate.explicit && SIDECAR.test(name)) {
      ignored.push({path, reason: 'not an image (an imager log, report or hash file)'})
      continue
    }
    const ewf = EWF_SEGMENT.exec(name)
    if (ewf) {
      const family = (ewf[2] ?? ewf[4] ?? ewf[6]).toUpperCase()
      addMember(groups, `ewf\0${join(dirname(path), ewf[1])}\0${family}`, 'ewf', ewf[1], ewfOrder(ewf[3], ewf[5] ?? ewf[7]), path)
      continue
    }
    const numeric = NUMERIC_SEGMENT.exec(name)
    if (numeric) {
      addMember(groups, `num\0${join(dirname(path), numeric[1])}\0${numeric[2].length}`, 'split-numeric', numeric[1], Number(numeric[2]), path)
      continue
    }
    if (ALPHA_SEGMENT.test(name)) {
      alphaCandidates.push(candidate)
      continue
    }
    singles.push({path, layout: 'single'})
  }
  // An alphabetic suffix is only a segment number when there is a set: `xaa` with `xab`.
  // Alone, `notes` or `disk.img` merely end in two letters.
  const alpha = new Map<string, Array<{path: string; order: number; stem: string}>>()
  for (const candidate of alphaCandidates) {
    const m = ALPHA_SEGMENT.exec(basename(candidate.path))!
    const suffix = m[2].toUpperCase()
    const key = `${join(dirname(candidate.path), m[1])}\0${m[2] === suffix ? 'U' : 'l'}`
    const list = alpha.get(key) ?? []
    list.push({path: candidate.path, order: (suffix.charCodeAt(0) - 65) * 26 + (suffix.charCodeAt(1) - 65), stem: m[1]})
    alpha.set(key, list)
  }
  for (const [key, list] of alpha) {
    if (list.length >= 2 && list.some((m) => m.order === 0)) {
      for (const member of list) addMember(groups, `alpha\0${key}`, 'split-alpha', member.stem, member.order, member.path)
    } else {
      for (const member of list) singles.push({path: member.path, layout: 'single'})
    }
  }
  const items: EvidenceItem[] = []
  for (const group of groups.values()) {
    // `.ELF` or `.SAV` alone are not segment 100+ of a set whose `.E01` is not there: plain files
    if (group.layout === 'ewf' && ![...group.members.keys()].some((n) => n < 100)) {
      for (const path of group.members.values()) singles.push({path, layout: 'single'})
      continue
    }
    const ordered = [...group.members.entries()].sort((a, b) => a[0] - b[0]).map(([, path]) => path)
    items.push({name: group.name, source: ordered[0], segments: ordered, layout: group.layout})
  }
  for (const single of singles) items.push({name: singleName(single.path, single.layout), source: single.path, segments: [single.path], layout: single.layout})
  return {items: uniqueNames(items.sort(byNameThenPath)).sort(byNameThenPath), ignored: ignored.sort((a, b) => compare(a.path, b.path))}
}

function addMember(groups: Map<string, Group>, key: string, layout: Group['layout'], stem: string, order: number, path: string): void {
  let group = groups.get(key)
  if (!group) {
    group = {layout, stem, members: new Map(), name: stemName(stem)}
    groups.set(key, group)
  }
  group.members.set(order, path)
}

const IMAGE_EXTENSION = /\.(raw|dd|img|bin|ima|dmg|iso)$/i

/** `disk.` (from `disk.aa`) -> `disk`, `pc7.raw` (from `pc7.raw.000`) -> `pc7`; `split`'s own `xaa` -> `x`. */
function stemName(stem: string): string {
  const trimmed = stem.replace(/[._-]+$/, '').replace(IMAGE_EXTENSION, '')
  return safeItemName(trimmed === '' ? 'x' : trimmed)
}

/** A one-file image drops its image extension (`pc7.raw` -> `pc7`); a directory keeps its name. */
function singleName(path: string, layout: 'single' | 'directory'): string {
  const name = basename(path)
  const stripped = layout === 'single' ? name.replace(IMAGE_EXTENSION, '') : name
  return safeItemName(stripped === '' ? name : stripped)
}

/** A file name any system accepts for `DIR/<item>.zip`. */
export function safeItemName(name: string): string {
  const clean = name.replace(/[\x00-\x1f\\/:*?"<>|%]/g, '_').replace(/^\.+/, '_')
  return clean === '' ? 'item' : clean.slice(0, 200)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function byNameThenPath(a: EvidenceItem, b: EvidenceItem): number {
  return compare(a.name, b.name) || compare(a.source, b.source)
}

/**
 * Two items with the same name (`pc7.E01` and `pc7.raw`, or `pc7.E01` in two folders)
 * are told apart by their first segment's file name, then by a counter; bundle
 * names must never collide, and Windows and macOS compare names without case.
 */
function uniqueNames(items: EvidenceItem[]): EvidenceItem[] {
  const count = new Map<string, number>()
  for (const item of items) count.set(item.name.toLowerCase(), (count.get(item.name.toLowerCase()) ?? 0) + 1)
  for (const item of items) {
    if ((count.get(item.name.toLowerCase()) ?? 0) > 1 && item.layout !== 'directory') item.name = safeItemName(basename(item.source))
  }
  const used = new Set<string>()
  for (const item of items) {
    let name = item.name
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${item.name}~${n}`
    used.add(name.toLowerCase())
    item.name = name
  }
  return items
}

export interface Shard {
  /** 1-based. */
  index: number
  count: number
}

/** Parses `--shard K/N` (1 <= K <= N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (!m) throw new UsageError(`--shard ${text}: expected K/N, e.g. 2/8 (this machine takes the 2nd of 8 shares)`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: K must be between 1 and N`)
  return {index, count}
}

/**
 * The items of shard K of N: item i (0-based, in the sorted list) belongs to shard (i mod N) + 1.
 * Round-robin rather than contiguous ranges, so that the large images of one
 * seizure (named alike, sorted together) spread over the machines.
 */
export function selectShard<T>(items: T[], shard: Shard | undefined): T[] {
  if (!shard) return items
  return items.filter((_, i) => i % shard.count === shard.index - 1)
}

/** Command-line paths and globs to the sorted list of evidence items. */
export async function resolveItems(inputs: string[], cwd = process.cwd()): Promise<ItemList & {unmatched: string[]}> {
  if (inputs.length === 0) throw new UsageError('name at least one image, folder or glob, e.g. "/evidence/*.E01"')
  const {candidates, unmatched} = await expandInputs(inputs, cwd)
  const list = groupItems(candidates)
  return {...list, unmatched}
}
