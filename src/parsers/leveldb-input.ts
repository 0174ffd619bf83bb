/**
 * A LevelDB folder (a Chromium IndexedDB `*.indexeddb.leveldb`, `Local Storage/leveldb`)
 * handed to a parser. Artifacts match the folder's CURRENT file; a parser sees files, not
 * listings, so the folder's other files are found from what LevelDB itself records: CURRENT
 * names the MANIFEST, the MANIFEST the table files and the highest file number handed out.
 * Chromium writes the MANIFEST lazily (a fresh database's log is numbered past the MANIFEST's
 * next file number until the next compaction), so numbers are probed until 16 in a row beyond
 * the highest known are absent: that finds the current log, table files left behind by a
 * compaction, and older logs not yet removed. Each file is collected (copied and hashed) and
 * the copies gathered in a folder of the run's working folder (beside the parser's working copy:
 * on the stick or in memory, never on the evidence's machine) for src/leveldb to read.
 */
import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join, posix} from 'node:path'
import {ParseError} from '../errors.js'
import {currentManifestName, readManifest} from '../leveldb/index.js'
import type {LevelDbManifest} from '../leveldb/index.js'
import type {ParserInput} from './types.js'

/** Head check of a CURRENT file: the name of a MANIFEST. */
export function acceptsLevelDbCurrent(head: Buffer): boolean {
  return /^MANIFEST-\d+\r?\n?$/.test(head.subarray(0, 64).toString('latin1'))
}

export interface CollectedLevelDb {
  /** Local folder holding the copies, named as in the evidence. */
  folder: string
  /** Folder on the evidence volume. */
  sourceFolder: string
  /** File name in the folder -> bundle path of its copy. */
  bundlePaths: Map<string, string>
  manifest: LevelDbManifest | null
  /** What could not be found or read, each worth an error record. */
  problems: string[]
  /** Removes the local copies. */
  dispose(): void
}

const GAP = 16
const MAX_FILE_NUMBER = 1_000_000
const pad = (n: number) => String(n).padStart(6, '0')

export async function collectLevelDbFolder(input: ParserInput): Promise<CollectedLevelDb> {
  const sourceFolder = posix.dirname(input.sourcePath)
  const current = readFileSync(input.copyPath)
  const manifestName = acceptsLevelDbCurrent(current) ? currentManifestName(current) : null
  if (!manifestName) throw new ParseError('not a LevelDB folder: its CURRENT file does not name a MANIFEST', input.sourcePath)
  const folder = mkdtempSync(join(dirname(input.copyPath), 'trawl-leveldb-'))
  const out: CollectedLevelDb = {folder, sourceFolder, bundlePaths: new Map(), manifest: null, problems: [], dispose: () => rmSync(folder, {recursive: true, force: true})}
  const take = async (name: string): Promise<boolean> => {
    const file = await input.collectRelated(`${sourceFolder}/${name}`)
    if (!file) return false
    copyFileSync(file.copyPath, join(folder, name))
    out.bundlePaths.set(name, file.bundlePath)
    return true
  }
  copyFileSync(input.copyPath, join(folder, 'CURRENT'))
  out.bundlePaths.set('CURRENT', input.bundlePath)
  let highest = 0
  if (!(await take(manifestName))) out.problems.push(`${sourceFolder}/${manifestName}, named by CURRENT, is not there: file numbers probed from 1`)
  else {
    out.manifest = readManifest(readFileSync(join(folder, manifestName)), manifestName)
    for (const p of out.manifest.problems) out.problems.push(`${manifestName} at byte ${p.offset}: ${p.message}`)
    highest = Math.max(Number(manifestName.slice(9)), out.manifest.nextFileNumber ?? 0, out.manifest.logNumber ?? 0, ...out.manifest.liveTables)
  }
  highest = Math.min(highest, MAX_FILE_NUMBER)
  const found = new Set<number>()
  for (let n = 1; n <= Math.min(highest + GAP, MAX_FILE_NUMBER); n++) {
    for (const ext of ['log', 'ldb', 'sst']) {
      if (await take(`${pad(n)}.${ext}`)) {
        found.add(n)
        highest = Math.max(highest, n)
      }
    }
  }
  for (const n of out.manifest?.liveTables ?? []) {
    if (!found.has(n)) out.problems.push(`table file ${pad(n)}.ldb, in the MANIFEST's current version, is not in ${sourceFolder}: its records are missing`)
  }
  return out
}
