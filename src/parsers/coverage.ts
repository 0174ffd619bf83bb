/**
 * The coverage account of a store a parser read: for every table (or registry key) the
 * parser knows, how many rows (values, subkeys) it holds, how many became records, and
 * why the others did not; every other table of the database is listed with its row
 * count, so a reviewer sees what trawl did not read. A clean-looking result that is
 * incomplete is the worst defect a forensic tool can have: this makes the gap visible.
 */
import type {SqliteDatabase} from './sqlite.js'

/** Rows that were deliberately not turned into records, with the stated reason. */
export interface ExcludedRows {
  reason: string
  rows: number
}

export interface TableCoverage {
  /** SQLite table name, or registry key path. */
  table: string
  /** True for a table the parser reads; false for one listed only so a reviewer sees it was not read. */
  known: boolean
  /** Rows in the table as read (SQLite: count(*) on the working copy, WAL applied); null when it could not be counted. */
  rows: number | null
  /** Distinct rows that became (part of) at least one record. */
  parsed: number
  /** Rows not turned into records by design, per reason. */
  excluded: ExcludedRows[]
  /** rows - parsed - excluded, for known tables: rows nothing accounts for. Always 0 for unknown tables. */
  unexplained: number
  /** Why the table could not be counted. */
  error?: string
}

export interface CoverageAccount {
  /** The parser that read the store. */
  parser: string
  store: 'sqlite' | 'registry'
  /** Bundle path of the copy that was read. */
  file: string
  sourcePath?: string
  volume?: string
  /** What the parser read it as, e.g. 'WhatsApp Android msgstore.db (legacy and current schemas)'. */
  readAs?: string
  tables: TableCoverage[]
}

/** Rows of known tables that produced no record and have no stated reason. */
export function unexplainedRows(account: CoverageAccount): number {
  return account.tables.reduce((sum, t) => sum + (t.known ? t.unexplained : 0), 0)
}

/** Tables SQLite (and Android's Room/SQLiteOpenHelper) keep for themselves: listed as such, never as unread evidence. */
const INTERNAL_TABLES = /^(sqlite_|android_metadata$|room_master_table$)/i

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

interface KnownTable {
  rows: number | null
  error?: string
  parsed: Set<string>
  excluded: Map<string, number>
}

/**
 * Keeps the account of one SQLite database while a parser reads it. The parser
 * registers each table it reads (`table`), marks each row that became part of a record
 * (`parsed`, by rowid or another key unique in that table), and states why other rows
 * were not turned into records (`exclude` with a count, or `excludeWhere` with the SQL
 * condition that selects them). `account()` adds every other table of the database.
 */
export class SqliteCoverage {
  private readonly known = new Map<string, KnownTable>()

  constructor(private readonly db: SqliteDatabase) {}

  /** Registers a table the parser reads; its rows are counted now, on the same copy the parser reads. */
  table(name: string): this {
    if (!this.known.has(name)) {
      const counted = this.count(name)
      this.known.set(name, {...counted, parsed: new Set(), excluded: new Map()})
    }
    return this
  }

  /** A row of `table` became (part of) a record. */
  parsed(table: string, key: unknown): void {
    if (key === null || key === undefined) return
    this.entry(table).parsed.add(String(key))
  }

  /** `rows` rows of `table` are not turned into records, for `reason` (a stated design decision). */
  exclude(table: string, reason: string, rows: number): void {
    if (rows <= 0) return
    const excluded = this.entry(table).excluded
    excluded.set(reason, (excluded.get(reason) ?? 0) + rows)
  }

  /** Excludes the rows that `where` selects (an SQL condition on `table`), counting them. */
  excludeWhere(table: string, reason: string, where: string): void {
    const row = this.db.prepare(`SELECT count(*) AS n FROM ${quoteIdentifier(table)} WHERE ${where}`).get() as {n: number | bigint}
    this.exclude(table, reason, Number(row.n))
  }

  /** The account: known tables first, in the order registered, then every other table of the database. */
  account(meta: Omit<CoverageAccount, 'store' | 'tables'>): CoverageAccount {
    const tables: TableCoverage[] = []
    for (const [name, t] of this.known) {
      const excluded = [...t.excluded].map(([reason, rows]) => ({reason, rows}))
      const accounted = t.parsed.size + excluded.reduce((a, e) => a + e.rows, 0)
      tables.push({
        table: name,
        known: true,
        rows: t.rows,
        parsed: t.parsed.size,
        excluded,
        unexplained: t.rows === null ? 0 : Math.max(0, t.rows - accounted),
        ...(t.error ? {error: t.error} : {}),
      })
    }
    const knownLower = new Set([...this.known.keys()].map((n) => n.toLowerCase()))
    const others = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{name: string}>
    for (const {name} of others) {
      if (knownLower.has(name.toLowerCase())) continue
      const counted = this.count(name)
      const internal = INTERNAL_TABLES.test(name)
      tables.push({
        table: name,
        known: false,
        rows: counted.rows,
        parsed: 0,
        excluded: internal && counted.rows ? [{reason: 'SQLite or framework bookkeeping, not evidence of use', rows: counted.rows}] : [],
        unexplained: 0,
        ...(counted.error ? {error: counted.error} : {}),
      })
    }
    return {...meta, store: 'sqlite', tables}
  }

  private entry(table: string): KnownTable {
    const entry = this.known.get(table)
    if (!entry) throw new Error(`coverage: table ${table} was not registered before use`)
    return entry
  }

  private count(name: string): {rows: number | null; error?: string} {
    try {
      const row = this.db.prepare(`SELECT count(*) AS n FROM ${quoteIdentifier(name)}`).get() as {n: number | bigint} | undefined
      return {rows: row ? Number(row.n) : null}
    } catch (error) {
      // a virtual table whose module this SQLite lacks, or a damaged page: say so, never guess
      return {rows: null, error: error instanceof Error ? error.message : String(error)}
    }
  }
}
