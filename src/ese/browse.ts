/**
 * Looking inside an ESE database by hand: what `trawl ese ls` and `trawl ese dump`
 * show. The commands only parse flags and print what these functions return.
 */
import {ExitCode, TrawlError} from '../errors.js'
import {EseDateTime} from './columns.js'
import {EseDatabase, type EseProblem} from './database.js'
import type {EseValue} from './record.js'

export class EseTableNotFoundError extends TrawlError {
  constructor(readonly file: string, readonly table: string) {
    super(`no table ${JSON.stringify(table)} in ${file}`, ExitCode.unusable)
  }
}

export interface EseDatabaseSummary {
  file: string
  pageSize: number
  format: string
  /** 'clean shutdown', 'dirty shutdown', ... as the header records it. */
  state: string
  /** True when the header says dirty shutdown: the file is read as it is, without its logs. */
  dirty: boolean
  headerCopy: 'primary' | 'shadow'
  problems: EseProblem[]
}

export interface EseTableListing {
  name: string
  rows: number
  columns: Array<{id: number; name: string; type: string; multiValued: boolean}>
  indexes: string[]
  longValues: boolean
}

function summarize(database: EseDatabase, file: string): EseDatabaseSummary {
  const header = database.header
  return {
    file,
    pageSize: header.pageSize,
    format: `0x${header.formatVersion.toString(16)} revision 0x${header.formatRevision.toString(16)}`,
    state: header.stateName,
    dirty: database.dirty,
    headerCopy: header.copy,
    problems: database.problems,
  }
}

/** Tables, their columns and row counts (every table is walked to count its rows). */
export function listEseDatabase(file: string): {database: EseDatabaseSummary; tables: EseTableListing[]} {
  const database = EseDatabase.open(file)
  try {
    const tables = database.tables().map((table) => {
      let rows = 0
      for (const _row of database.rows(table)) rows++
      return {
        name: table.name,
        rows,
        columns: table.columns.map((column) => ({id: column.id, name: column.name, type: column.typeName, multiValued: column.multiValued})),
        indexes: table.indexes,
        longValues: table.longValueRoot !== undefined,
      }
    })
    return {database: summarize(database, file), tables}
  } finally {
    database.close()
  }
}

/** A value as JSON can carry it: 64-bit integers as decimal strings, bytes as hex, dates as the examiner reads them. */
export function valueToJson(value: EseValue): unknown {
  if (value === null) return null
  if (typeof value === 'bigint') return value.toString()
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (value instanceof EseDateTime) return {ole: value.asOleDate() ?? null, filetime: value.asFiletime() ?? null, hex: value.raw.toString('hex')}
  if (Array.isArray(value)) return value.map(valueToJson)
  return value
}

/** A value on one line for people. */
export function valueToText(value: EseValue | undefined): string {
  if (value === undefined || value === null) return ''
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (value instanceof EseDateTime) return value.toString()
  if (Array.isArray(value)) return value.map(valueToText).join('; ')
  return String(value)
}

export interface EseTableDump {
  name: string
  columns: string[]
  rows: Array<{page: number; tag: number; values: Record<string, unknown>}>
}

/** Every row of one table, or of every table when `tableName` is not given. */
export function dumpEseDatabase(file: string, tableName?: string): {database: EseDatabaseSummary; tables: EseTableDump[]} {
  const database = EseDatabase.open(file)
  try {
    const tables = tableName === undefined ? database.tables() : [database.table(tableName)]
    if (tables[0] === undefined) throw new EseTableNotFoundError(file, tableName!)
    const dumps = tables.map((table) => {
      const t = table!
      const rows = [...database.rows(t)].map((row) => ({
        page: row.page,
        tag: row.tag,
        values: Object.fromEntries(t.columns.filter((column) => column.name in row.values).map((column) => [column.name, valueToJson(row.values[column.name]!)])),
      }))
      return {name: t.name, columns: t.columns.map((column) => column.name), rows}
    })
    return {database: summarize(database, file), tables: dumps}
  } finally {
    database.close()
  }
}

export function formatDatabaseLine(summary: EseDatabaseSummary): string[] {
  const lines = [`${summary.file}: ESE database, ${summary.pageSize}-byte pages, format ${summary.format}, ${summary.state}${summary.headerCopy === 'shadow' ? ' (header read from its shadow copy)' : ''}`]
  if (summary.dirty) lines.push('  dirty shutdown: read as it is on disk, without its transaction logs; recent changes may be missing')
  for (const problem of summary.problems) lines.push(`  problem: ${problem.message}`)
  return lines
}

export function formatTableListing(table: EseTableListing): string[] {
  return [
    `${table.name}  ${table.rows} row${table.rows === 1 ? '' : 's'}, ${table.columns.length} columns${table.longValues ? ', long values' : ''}`,
    ...table.columns.map((column) => `  ${String(column.id).padStart(5)}  ${column.name}  ${column.type}${column.multiValued ? ' (multi-valued)' : ''}`),
  ]
}

/** A table as tab-separated lines, a header line first (values already made terminal-safe by the caller). */
export function formatTableDump(table: EseTableDump): string[] {
  const text = (value: unknown): string => {
    if (value === null || value === undefined) return ''
    if (typeof value === 'object' && !Array.isArray(value)) {
      const date = value as {ole: string | null; filetime: string | null; hex: string}
      return date.ole ?? date.filetime ?? date.hex
    }
    if (Array.isArray(value)) return value.map(text).join('; ')
    return String(value)
  }
  return [`# ${table.name} (${table.rows.length} rows)`, table.columns.join('\t'), ...table.rows.map((row) => table.columns.map((column) => text(row.values[column])).join('\t'))]
}
