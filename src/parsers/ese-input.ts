/**
 * Opening an ESE database handed to a parser (SRUDB.dat, WebCacheV01.dat): the working
 * copy opened read-only with src/ese; the database's state and the problems the reader
 * met as records; the row counts of every table for the coverage account.
 */
import {errorMessage, ParseError, TrawlError} from '../errors.js'
import {EseDatabase} from '../ese/database.js'
import type {ParsedRecord, ParserInput} from './types.js'

/** Head check: an ESE database header (signature 0x89abcdef at offset 4). */
export function acceptsEse(head: Buffer): boolean {
  return head.length >= 8 && head.readUInt32LE(4) === 0x89abcdef
}

/** The 'ese.database' record: state, header copy and problems met, so the examiner knows how complete the read is. */
export function eseDatabaseRecord(input: ParserInput, database: EseDatabase): ParsedRecord {
  return {
    type: 'ese.database',
    source: input.source({offset: 0}),
    pageSize: database.header.pageSize,
    state: database.header.stateName,
    dirty: database.dirty,
    headerCopy: database.header.copy,
    logsReplayed: false,
    problems: database.problems.length,
  }
}

/** Error records for what the reader could not read (grouped per table), and for a dirty shutdown. */
export function* eseProblemRecords(input: ParserInput, database: EseDatabase): Generator<ParsedRecord> {
  if (database.dirty) {
    yield {type: 'error', source: input.source({offset: 0}), error: 'ESE database in dirty shutdown state: read as it is on disk, its transaction logs not replayed; the latest changes may be missing or pages may disagree'}
  }
  const byTable = new Map<string, string[]>()
  for (const problem of database.problems) {
    const key = problem.table ?? ''
    byTable.set(key, [...(byTable.get(key) ?? []), problem.message])
  }
  for (const [table, messages] of byTable) {
    yield {
      type: 'error',
      source: input.source(table ? {table} : {offset: 0}),
      error: `ESE ${table ? `table ${table}` : 'database'}: ${messages.length} problem${messages.length === 1 ? '' : 's'}: ${messages.slice(0, 5).join('; ')}${messages.length > 5 ? '; ...' : ''}`,
    }
  }
}

/** Every table with its rows, walked once (the coverage account's row counts). */
export function eseTableCounts(database: EseDatabase): {tables: Array<{name: string; rows: number}>} {
  return {
    tables: database.tables().map((table) => {
      let rows = 0
      for (const _row of database.rows(table)) rows++
      return {name: table.name, rows}
    }),
  }
}

export function openEseInput(input: ParserInput): EseDatabase {
  try {
    return EseDatabase.open(input.copyPath)
  } catch (error) {
    if (error instanceof TrawlError) throw new ParseError(`ESE database cannot be read: ${errorMessage(error)}`, input.sourcePath, {cause: error})
    throw error
  }
}

