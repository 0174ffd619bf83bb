/**
 * A LevelDB database folder read without LevelDB: every .log and .ldb/.sst file in it, in
 * file-number order, so records of files the MANIFEST no longer lists (left behind after a
 * compaction or a crash) are found too. The current view is what LevelDB would return: per
 * user key the record with the highest sequence number, unless that one is a deletion.
 * Evidence is only read (readFileSync opens read-only).
 */
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {parseLog} from './log.js'
import {parseTable} from './table.js'
import type {LevelDbProblem, LevelDbRecord} from './types.js'

export interface LevelDbFileRead {
  file: string
  kind: 'log' | 'table'
  bytes: number
  records: number
  /** Tables only: data blocks read, and how many were snappy-compressed. */
  blocks?: number
  compressedBlocks?: number
}

export interface LevelDbContents {
  folder: string
  /** Files whose records were read. */
  read: LevelDbFileRead[]
  /** Files present but not interpreted, with why (MANIFEST, CURRENT, LOG, LOCK, others). */
  notRead: {file: string; reason: string}[]
  records: LevelDbRecord[]
  /** Newest live record per user key, in LevelDB's key order (bytewise). */
  view: LevelDbRecord[]
  problems: LevelDbProblem[]
}

const NOT_READ: [RegExp, string][] = [
  [/^MANIFEST-\d+$/, 'MANIFEST: the table list and levels; every table file in the folder is read instead'],
  [/^CURRENT$/, 'CURRENT: names the MANIFEST in use'],
  [/^LOG(\.old)?$/, "LOG: LevelDB's own text diagnostics, no records"],
  [/^LOCK$/, 'LOCK: empty lock file'],
]

const fileNumber = (name: string) => Number(/^(\d+)/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER)

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** The current view of a set of records: newest per key, deletions hiding older values. */
export function currentView(records: LevelDbRecord[]): LevelDbRecord[] {
  const newest = new Map<string, LevelDbRecord>()
  for (const record of records) {
    const id = Buffer.from(record.key).toString('latin1')
    const seen = newest.get(id)
    if (!seen || record.sequence > seen.sequence) newest.set(id, record)
  }
  return [...newest.values()].filter((r) => r.state === 'live').sort((a, b) => compareBytes(a.key, b.key))
}

export function readLevelDb(folder: string): LevelDbContents {
  const out: LevelDbContents = {folder, read: [], notRead: [], records: [], view: [], problems: []}
  const names = readdirSync(folder).sort((a, b) => fileNumber(a) - fileNumber(b) || a.localeCompare(b))
  for (const name of names) {
    const path = join(folder, name)
    if (!statSync(path).isFile()) {
      out.notRead.push({file: name, reason: 'not a file'})
      continue
    }
    const kind = /\.log$/.test(name) ? 'log' : /\.(ldb|sst)$/.test(name) ? 'table' : null
    if (!kind) {
      out.notRead.push({file: name, reason: NOT_READ.find(([re]) => re.test(name))?.[1] ?? 'not a LevelDB log or table file'})
      continue
    }
    const bytes = readFileSync(path)
    const table = kind === 'table' ? parseTable(bytes, name) : null
    const parsed = table ?? parseLog(bytes, name)
    const read: LevelDbFileRead = {file: name, kind, bytes: bytes.length, records: parsed.records.length}
    if (table) Object.assign(read, {blocks: table.blocks, compressedBlocks: table.compressedBlocks})
    out.read.push(read)
    out.records.push(...parsed.records)
    out.problems.push(...parsed.problems)
  }
  out.view = currentView(out.records)
  return out
}
