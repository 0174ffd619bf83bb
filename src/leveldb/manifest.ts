/**
 * The MANIFEST of a LevelDB database (db/version_edit.cc): log-format records, each a version
 * edit of tagged fields: 1 comparator name, 2 log number, 3 next file number, 4 last sequence,
 * 5 compact pointer (level, key), 6 deleted file (level, number), 7 new file (level, number,
 * size, smallest and largest internal key), 9 previous log number. Folded together they name
 * the files of the current version and the highest file number ever handed out, which is what
 * a collector needs to find every .log and table file of a folder it cannot list.
 */
import {Cursor, LevelDbFormatError} from './coding.js'
import {readLogRecords} from './log.js'
import type {LevelDbProblem} from './types.js'

export interface LevelDbManifest {
  comparator: string | null
  logNumber: number | null
  prevLogNumber: number | null
  nextFileNumber: number | null
  lastSequence: number | null
  /** Table files of the current version, by file number. */
  liveTables: number[]
  /** Table files the edits added and later deleted (compacted away). */
  deletedTables: number[]
  edits: number
  problems: LevelDbProblem[]
}

/** The name CURRENT gives of the MANIFEST in use, or null when CURRENT does not hold one. */
export function currentManifestName(current: Uint8Array): string | null {
  const name = Buffer.from(current).toString('latin1').trim()
  return /^MANIFEST-\d+$/.test(name) ? name : null
}

export function readManifest(bytes: Uint8Array, file: string): LevelDbManifest {
  const out: LevelDbManifest = {comparator: null, logNumber: null, prevLogNumber: null, nextFileNumber: null, lastSequence: null, liveTables: [], deletedTables: [], edits: 0, problems: []}
  const live = new Set<number>()
  const deleted = new Set<number>()
  readLogRecords(bytes, file, out.problems, (data, offset) => {
    out.edits++
    const c = new Cursor(data)
    try {
      while (c.remaining > 0) {
        const tag = c.varint('version edit tag')
        if (tag === 1) out.comparator = Buffer.from(c.lengthPrefixed('comparator')).toString('latin1')
        else if (tag === 2) out.logNumber = c.varint('log number')
        else if (tag === 3) out.nextFileNumber = c.varint('next file number')
        else if (tag === 4) out.lastSequence = c.varint('last sequence')
        else if (tag === 5) {
          c.varint('compact pointer level')
          c.lengthPrefixed('compact pointer key')
        } else if (tag === 6) {
          c.varint('deleted file level')
          const n = c.varint('deleted file number')
          if (live.delete(n)) deleted.add(n)
        } else if (tag === 7) {
          c.varint('new file level')
          live.add(c.varint('new file number'))
          c.varint('new file size')
          c.lengthPrefixed('smallest key')
          c.lengthPrefixed('largest key')
        } else if (tag === 9) out.prevLogNumber = c.varint('previous log number')
        else throw new LevelDbFormatError(`unknown version edit tag ${tag}`, c.pos)
      }
    } catch (error) {
      if (!(error instanceof LevelDbFormatError)) throw error
      out.problems.push({file, offset, message: `version edit damaged at byte ${error.offset} of the edit: ${error.message}`})
    }
  })
  out.liveTables = [...live].sort((a, b) => a - b)
  out.deletedTables = [...deleted].sort((a, b) => a - b)
  return out
}
