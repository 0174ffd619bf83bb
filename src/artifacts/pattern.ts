import picomatch from 'picomatch'
import type {FileEntry, ReadOnlyFileSystem} from '../fs/types.js'

/**
 * Matches a definition's path pattern against a read-only file system, walking
 * only the directories the pattern can reach (never the whole volume unless it
 * says `**`). Matching is case-insensitive, as Windows paths are.
 */

type Segment =
  | {kind: 'literal'; lower: string}
  | {kind: 'capture'; name: string}
  | {kind: 'glob'; test: (name: string) => boolean}
  | {kind: 'globstar'}

export interface PatternMatch {
  entry: FileEntry
  captures: Record<string, string>
  /** True when the pattern's last segment names the file; false when a trailing `**` took every file below a folder. */
  byName: boolean
}

export interface WalkProblem {
  path: string
  error: unknown
}

/**
 * A path a pattern names that the walk does not yield as a file to collect: a symbolic
 * link or junction (never followed), a FIFO, socket or device, or a directory where the
 * pattern ends. Reported so that it is listed, never dropped in silence.
 */
export interface PatternSkip {
  entry: FileEntry
  captures: Record<string, string>
  /** True when the entry matched the whole pattern; false when it matched a directory segment on the way (e.g. a symlinked profile folder). */
  whole: boolean
}

type OnSkip = (skip: PatternSkip) => void

export function compilePattern(pattern: string): Segment[] {
  return pattern
    .split('/')
    .filter((s) => s !== '')
    .map((segment): Segment => {
      if (segment === '**') return {kind: 'globstar'}
      const capture = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment)
      if (capture) return {kind: 'capture', name: capture[1]}
      if (/[*?[\]]/.test(segment)) {
        const re = picomatch.makeRe(segment, {nocase: true, dot: true})
        return {kind: 'glob', test: (name) => re.test(name)}
      }
      return {kind: 'literal', lower: segment.toLowerCase()}
    })
}

/**
 * The captures if `path` ('/'-separated, from the volume root) matches `pattern`, else null:
 * the same rules as the walk, for checking a definition against a known path.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const parts = path.split('/').filter((p) => p !== '')
  const match = (segments: Segment[], at: number, captures: Record<string, string>): Record<string, string> | null => {
    if (segments.length === 0) return at === parts.length ? captures : null
    const [head, ...rest] = segments
    if (head.kind === 'globstar') {
      // as in the walk: a trailing ** means a file somewhere below, so at least one more segment
      if (rest.length === 0) return at < parts.length ? captures : null
      for (let skip = at; skip <= parts.length; skip++) {
        const found = match(rest, skip, captures)
        if (found) return found
      }
      return null
    }
    if (at >= parts.length) return null
    const name = parts[at]
    if (head.kind === 'literal' && name.toLowerCase() !== head.lower) return null
    if (head.kind === 'glob' && !head.test(name)) return null
    return match(rest, at + 1, head.kind === 'capture' ? {...captures, [head.name]: name} : captures)
  }
  return match(compilePattern(pattern), 0, {})
}

/**
 * Yields every regular file matching `pattern`. Unreadable directories are
 * reported to `onProblem` and the walk goes on. Symbolic links are not followed:
 * they, and every other entry the pattern names that is not a regular file, go to
 * `onSkip` (see PatternSkip). Under a `**` only entries named by the segments after it
 * are reported (the junctions a Windows profile holds by design are not noise to list).
 */
export async function* matchPattern(
  fs: ReadOnlyFileSystem,
  pattern: string,
  onProblem: (problem: WalkProblem) => void,
  onSkip: OnSkip = () => undefined,
): AsyncGenerator<PatternMatch> {
  const segments = compilePattern(pattern)
  yield* walk(fs, '', segments, {}, {onProblem, onSkip}, new Set())
}

interface Reporters {
  onProblem: (problem: WalkProblem) => void
  onSkip: OnSkip
}

async function* walk(
  fs: ReadOnlyFileSystem,
  dir: string,
  segments: Segment[],
  captures: Record<string, string>,
  report: Reporters,
  visited: Set<string>,
): AsyncGenerator<PatternMatch> {
  if (segments.length === 0) return
  const [head, ...rest] = segments
  let children: FileEntry[]
  try {
    children = await fs.list(dir)
  } catch (error) {
    report.onProblem({path: dir, error})
    return
  }
  if (head.kind === 'globstar') {
    // `**` matches zero segments here, or descends into every subdirectory keeping `**`
    if (rest.length === 0) {
      for (const child of children) {
        if (child.kind === 'file') yield {entry: child, captures, byName: false}
        else if (child.kind === 'directory') yield* descend(fs, child, segments, captures, report, visited)
        else report.onSkip({entry: child, captures, whole: true})
      }
      return
    }
    yield* walkChildren(fs, children, rest, captures, report, visited)
    for (const child of children) {
      if (child.kind === 'directory') yield* descend(fs, child, segments, captures, report, visited)
    }
    return
  }
  // a literal matches every spelling of the name: a directory source on Linux can hold both 'Users' and 'USERS'
  yield* walkChildren(fs, children, segments, captures, report, visited)
}

async function* walkChildren(
  fs: ReadOnlyFileSystem,
  children: FileEntry[],
  segments: Segment[],
  captures: Record<string, string>,
  report: Reporters,
  visited: Set<string>,
): AsyncGenerator<PatternMatch> {
  const [head, ...rest] = segments
  for (const child of children) {
    if (head.kind === 'literal' && child.name.toLowerCase() !== head.lower) continue
    if (head.kind === 'glob' && !head.test(child.name)) continue
    if (head.kind === 'globstar') {
      yield* step(fs, child, segments, captures, report, visited)
      continue
    }
    const next = head.kind === 'capture' ? {...captures, [head.name]: child.name} : captures
    yield* step(fs, child, rest, next, report, visited)
  }
}

async function* step(
  fs: ReadOnlyFileSystem,
  entry: FileEntry,
  rest: Segment[],
  captures: Record<string, string>,
  report: Reporters,
  visited: Set<string>,
): AsyncGenerator<PatternMatch> {
  if (rest.length === 0) {
    if (entry.kind === 'file') yield {entry, captures, byName: true}
    else report.onSkip({entry, captures, whole: true})
    return
  }
  if (entry.kind === 'directory') yield* descend(fs, entry, rest, captures, report, visited)
  // a link where the pattern needs a directory (a symlinked profile folder): not followed, so listed;
  // under `**` (rest still starts with it) every link would be named, the junctions Windows keeps by design included
  else if (entry.kind === 'symlink' && rest[0].kind !== 'globstar') report.onSkip({entry, captures, whole: false})
}

async function* descend(
  fs: ReadOnlyFileSystem,
  dir: FileEntry,
  segments: Segment[],
  captures: Record<string, string>,
  report: Reporters,
  visited: Set<string>,
): AsyncGenerator<PatternMatch> {
  // a directory reached twice with the same remaining pattern (hard-linked or cyclic directories) is walked once
  const key = `${dir.inode ?? dir.path.toLowerCase()}|${segments.length}|${JSON.stringify(captures)}`
  if (visited.has(key)) return
  visited.add(key)
  yield* walk(fs, dir.path, segments, captures, report, visited)
}
