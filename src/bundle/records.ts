import {createWriteStream, type WriteStream} from 'node:fs'
import {join} from 'node:path'
import type {ParsedRecord} from '../parsers/types.js'
import {openDatabase} from '../sqlite/engine.js'
import type {SqliteDatabase, SqliteStatement} from '../sqlite/types.js'

/** Fields, in order of preference, that give a record's main time for the records table. */
const TIME_FIELDS = ['visitTime', 'sentAt', 'startTime', 'time', 'dateTimeOriginal', 'lastConnected', 'lastWritten', 'createdAt', 'dateAdded']

function recordTime(record: ParsedRecord): string | null {
  for (const field of TIME_FIELDS) {
    const value = record[field]
    if (typeof value === 'string') return value
    if (value && typeof value === 'object' && typeof (value as {utc?: unknown}).utc === 'string') return (value as {utc: string}).utc
  }
  return null
}

/**
 * Parsed records as they stream out of parsers: one JSONL file per artifact and
 * one queryable SQLite database, both written on the output medium, then sealed into the bundle.
 */
export class RecordStore {
  readonly databasePath: string
  private readonly db: SqliteDatabase
  private readonly insert: SqliteStatement
  private readonly streams = new Map<string, {path: string; stream: WriteStream}>()
  private pending = 0
  readonly counts = new Map<string, number>()

  constructor(private readonly workDir: string) {
    this.databasePath = join(workDir, 'records.sqlite')
    this.db = openDatabase(this.databasePath)
    this.db.pragma('journal_mode = OFF')
    this.db.pragma('synchronous = OFF')
    this.db.exec(`CREATE TABLE records (
      id INTEGER PRIMARY KEY,
      artifact TEXT NOT NULL,
      type TEXT NOT NULL,
      time TEXT,
      source_file TEXT NOT NULL,
      source_table TEXT,
      source_rowid TEXT,
      record TEXT NOT NULL
    )`)
    this.insert = this.db.prepare('INSERT INTO records (artifact, type, time, source_file, source_table, source_rowid, record) VALUES (?, ?, ?, ?, ?, ?, ?)')
    this.db.exec('BEGIN')
  }

  /** Writes one record; resolves when its JSONL line is accepted (back-pressure). */
  async add(artifact: string, record: ParsedRecord): Promise<void> {
    const {type, source, ...fields} = record
    const line = JSON.stringify({type, artifact, ...fields, source}, jsonReplacer)
    this.insert.run(artifact, type, recordTime(record), source.file, source.table ?? null, source.rowid === undefined ? null : String(source.rowid), line)
    this.counts.set(artifact, (this.counts.get(artifact) ?? 0) + 1)
    if (++this.pending >= 5000) {
      this.db.exec('COMMIT; BEGIN')
      this.pending = 0
    }
    const out = this.stream(artifact)
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }

  /** JSONL files written so far, by artifact id. */
  jsonlFiles(): Array<{artifact: string; path: string}> {
    return [...this.streams.entries()].map(([artifact, {path}]) => ({artifact, path}))
  }

  records(artifact: string): ParsedRecord[] {
    return this.select('artifact', artifact)
  }

  recordsOfType(type: string): ParsedRecord[] {
    return this.select('type', type)
  }

  /** Every record, in the order they were added (for outputs made of all records, such as report.html). */
  *all(): IterableIterator<ParsedRecord> {
    for (const line of this.db.prepare('SELECT record FROM records ORDER BY id').pluck().iterate()) yield JSON.parse(line as string) as ParsedRecord
  }

  private select(column: 'artifact' | 'type', value: string): ParsedRecord[] {
    return this.db
      .prepare(`SELECT record FROM records WHERE ${column} = ? ORDER BY id`)
      .all(value)
      .map((row) => JSON.parse((row as {record: string}).record) as ParsedRecord)
  }

  async close(): Promise<void> {
    this.db.exec('COMMIT')
    this.db.exec('CREATE INDEX records_type ON records(type); CREATE INDEX records_time ON records(time)')
    this.db.close()
    await Promise.all([...this.streams.values()].map(({stream}) => new Promise<void>((resolve) => stream.end(() => resolve()))))
  }

  private stream(artifact: string): WriteStream {
    let entry = this.streams.get(artifact)
    if (!entry) {
      const path = join(this.workDir, `${artifact}.jsonl`)
      entry = {path, stream: createWriteStream(path, {flags: 'wx'})}
      this.streams.set(artifact, entry)
    }
    return entry.stream
  }
}

/** BigInt values (64-bit ids, raw FILETIMEs) are written as decimal strings. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return value
}
