import {createReadStream, statSync} from 'node:fs'
import {basename} from 'node:path'
import {createInterface} from 'node:readline'
import type {Digests} from '../bundle/hash.js'
import type {HashSetMatcher} from '../collect/collect.js'
import {FileNotFoundError, ParseError, errorMessage} from '../errors.js'

/**
 * `--hashset FILE` for batch runs: a known-file list that collect checks every
 * copied file against. Reads plain digest lists (md5sum/sha1sum/sha256sum output,
 * one hex digest per line, optionally followed by a label) and CSV exports such as
 * NSRL RDS (every hex field of MD5/SHA-1/SHA-256 length counts; the algorithm is
 * told by the length). Interim: the photos branch's KnownFileSets (compact digest
 * tables, hashdeep, NSRL SQLite) replaces this once the lead wires `--hashset` into collect.
 */

const HEX_FIELD = /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/

export class KnownFileList implements HashSetMatcher {
  private readonly digests = new Map<string, string | undefined>()

  private constructor(readonly name: string) {}

  get size(): number {
    return this.digests.size
  }

  static async load(path: string): Promise<KnownFileList> {
    try {
      statSync(path)
    } catch {
      throw new FileNotFoundError(path)
    }
    const list = new KnownFileList(basename(path))
    let lineNumber = 0
    try {
      const lines = createInterface({input: createReadStream(path, {encoding: 'utf8'}), crlfDelay: Infinity})
      for await (const line of lines) {
        lineNumber++
        list.addLine(line)
      }
    } catch (error) {
      throw new ParseError(`hash set ${path} cannot be read: ${errorMessage(error)}`, `line ${lineNumber}`)
    }
    if (list.size === 0) throw new ParseError(`hash set ${path} holds no MD5, SHA-1 or SHA-256 digest`)
    return list
  }

  private addLine(line: string): void {
    const text = line.trim()
    if (text === '' || text.startsWith('#') || text.startsWith('%%')) return
    // `<digest>  <name>` (sha256sum) or `<digest>,<label>` or a quoted CSV row
    const fields = text.split(/[,\t]|\s{2,}|\s\*/).map((f) => f.trim().replace(/^"|"$/g, ''))
    const digests = fields.filter((f) => HEX_FIELD.test(f))
    if (digests.length === 0) return
    const label = fields.find((f) => f !== '' && !HEX_FIELD.test(f) && !/^[0-9a-fA-F]{8}$/.test(f) && !/^\d+$/.test(f))
    for (const digest of digests) this.digests.set(digest.toLowerCase(), label)
  }

  /** Strongest algorithm first. A digest's length tells its algorithm, so an MD5 never meets a SHA-1. */
  match(digests: Digests): {algorithm: string; label?: string} | undefined {
    for (const algorithm of ['sha256', 'sha1', 'md5'] as const) {
      const hex = digests[algorithm]
      if (this.digests.has(hex)) {
        const label = this.digests.get(hex)
        return label === undefined ? {algorithm} : {algorithm, label}
      }
    }
    return undefined
  }
}

export async function loadKnownFileLists(paths: string[]): Promise<KnownFileList[]> {
  const lists: KnownFileList[] = []
  for (const path of paths) lists.push(await KnownFileList.load(path))
  return lists
}
