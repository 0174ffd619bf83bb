/**
 * What collection needs for `--hashset FILE` (repeatable): load every set once, compute
 * for each collected file just the digests the sets hold, and name every set that
 * knows the file. The engine feeds the bytes it copies to a FileHasher, so no file is
 * read twice.
 */
import {createHash, type Hash} from 'node:crypto'
import {basename} from 'node:path'
import {loadHashSet, matchAll, neededAlgorithms, type FileHashes, type HashAlgorithm, type HashMatch, type HashSet, type HashSetFormat} from './hash-set.js'

/** Digests of one file, computed while it streams by. SHA-256 always (the bundle's hash). */
export class FileHasher {
  private readonly hashes: Array<[HashAlgorithm, Hash]>

  constructor(algorithms: Iterable<HashAlgorithm>) {
    const wanted = new Set<HashAlgorithm>(['sha256', ...algorithms])
    this.hashes = [...wanted].map((algorithm) => [algorithm, createHash(algorithm)])
  }

  update(chunk: Uint8Array): void {
    for (const [, hash] of this.hashes) hash.update(chunk)
  }

  /** Lower-case hex digests; call once. */
  digest(): FileHashes & {sha256: string} {
    const out: FileHashes = {}
    for (const [algorithm, hash] of this.hashes) out[algorithm] = hash.digest('hex')
    return out as FileHashes & {sha256: string}
  }
}

/** One line of parsed/hash-matches.jsonl. */
export interface HashMatchRecord {
  type: 'hash.match'
  /** Bundle path of the copied file. */
  file: string
  sourcePath: string
  volume: string
  size: number
  /** The file's SHA-256 (always), whatever algorithm matched. */
  sha256: string
  set: string
  setPath: string
  algorithm: HashAlgorithm
  hash: string
}

/** What the manifest and the summary say about a loaded set. */
export interface HashSetSummary {
  name: string
  path: string
  format: HashSetFormat
  /** SHA-256 of the set file: which exact list was used. */
  sha256: string
  digests: number
  counts: Record<HashAlgorithm, number>
  invalidLines: number
}

export class KnownFileSets {
  private constructor(readonly sets: HashSet[]) {}

  /**
   * Loads the sets in order. Two sets with the same file name are told apart by
   * their path. Throws FileNotFoundError / ParseError (one clear line) for a bad set.
   */
  static async load(paths: string[]): Promise<KnownFileSets> {
    const names = paths.map((p) => basename(p))
    const sets: HashSet[] = []
    for (const [i, path] of paths.entries()) {
      const unique = names.filter((n) => n === names[i]).length === 1
      sets.push(await loadHashSet(path, {name: unique ? names[i] : path}))
    }
    return new KnownFileSets(sets)
  }

  /** Digests to compute for every collected file (strongest first); empty when no set is loaded. */
  get algorithms(): HashAlgorithm[] {
    return neededAlgorithms(this.sets)
  }

  hasher(): FileHasher {
    return new FileHasher(this.algorithms)
  }

  /** Every set that knows the file (one match per set). */
  check(hashes: FileHashes): HashMatch[] {
    return matchAll(this.sets, hashes)
  }

  summary(): HashSetSummary[] {
    return this.sets.map((set) => ({
      name: set.name,
      path: set.path,
      format: set.format,
      sha256: set.sha256,
      digests: set.size,
      counts: {...set.counts},
      invalidLines: set.invalidLines,
    }))
  }
}

/** The JSON Lines text of parsed/hash-matches.jsonl. */
export function hashMatchesJsonl(records: HashMatchRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '')
}
