/**
 * The coverage account of a store a parser read: for every table (or registry key) the
 * parser knows, how many rows (values, subkeys) it holds, how many became records, and
 * why the others did not; every other table of the database is listed with its row
 * count, so a reviewer sees what trawl did not read. A clean-looking result that is
 * incomplete is the worst defect a forensic tool can have: this makes the gap visible.
 */
import type {RegistryKey} from '../registry/hive.js'
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
  /** A known table the parser looks for that this database does not have (an older or newer app version, or renamed). */
  absent?: boolean
  /**
   * Rows that became records but point at rows the parser expected and did not find
   * (a media message without its media row, a call without its participants), per reason.
   * Counted apart from `parsed`: the record exists, part of what it refers to does not.
   */
  unresolved?: ExcludedRows[]
  /** For a table not read: the known table it looks like a renamed or newer version of (e.g. message_media_v2). */
  looksLike?: string
}

export interface CoverageAccount {
  /** The parser that read the store. */
  parser: string
  /** sqlite/registry: tables and keys; evtx: chunks and event records of an event log; msiecf: hash-table entries and records of an index.dat; ese: tables of an ESE database; indexeddb: object stores of a Chromium IndexedDB folder (table = 'database/store'); json: top-level keys of a JSON file; chromium-cache: index slots and entries of a Chromium disk cache folder. */
  store: 'sqlite' | 'registry' | 'evtx' | 'msiecf' | 'ese' | 'indexeddb' | 'json' | 'chromium-cache'
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

/** Records that point at rows the parser expected and did not find. */
export function unresolvedRows(table: TableCoverage): number {
  return (table.unresolved ?? []).reduce((sum, u) => sum + u.rows, 0)
}

/**
 * Tables not read that hold rows and look like a renamed or newer version of a table the
 * parser reads: what a schema change the parser does not know yet looks like.
 */
export function suspectTables(account: CoverageAccount): TableCoverage[] {
  return account.tables.filter((t) => !t.known && t.looksLike !== undefined && (t.rows ?? 0) > 0)
}

/** Whether the account needs an examiner's attention: unexplained rows, unresolved references or suspect unread tables. */
export function coverageWarnings(account: CoverageAccount): string[] {
  const where = account.sourcePath ?? account.file
  const warnings: string[] = []
  for (const t of account.tables) {
    if (t.known && t.unexplained > 0) warnings.push(`${where}: ${t.table} has ${t.unexplained} of ${t.rows} rows that produced no record and no stated reason (${account.parser})`)
    for (const u of t.known ? (t.unresolved ?? []) : []) warnings.push(`${where}: ${t.table}: ${u.rows} ${u.reason} (${account.parser})`)
  }
  for (const t of suspectTables(account)) {
    const state = account.tables.find((k) => k.table === t.looksLike)?.absent ? `absent from this ${account.store === 'registry' ? 'hive' : 'database'}` : 'also present'
    warnings.push(`${where}: table ${t.table} (${t.rows} rows) was not read: it looks like a renamed or newer version of ${t.looksLike} (${state}), which ${account.parser} reads`)
  }
  return warnings
}

/** Tables SQLite (and Android's Room/SQLiteOpenHelper) keep for themselves: listed as such, never as unread evidence. */
const INTERNAL_TABLES = /^(sqlite_|android_metadata$|room_master_table$)/i

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

interface KnownTable {
  rows: number | null
  error?: string
  parsed: RowKeySet
  excluded: Map<string, number>
  unresolved: Map<string, number>
  absent: boolean
}

/**
 * The distinct keys of the rows a parser turned into records. Rowids are small
 * non-negative integers, mostly dense: those below 2^24 go into a bitmap (one bit per
 * rowid up to the largest seen, at most 2 MiB) instead of a Set (about 20 bytes each),
 * so the account of a large history stays flat. Any other key (text, negative, larger:
 * a hostile rowid of 2^62 must not allocate a bitmap) goes into a Set.
 */
const BITMAP_LIMIT = 2 ** 24

export class RowKeySet {
  private bits = new Uint32Array(0)
  private bitCount = 0
  private readonly others = new Set<string | number>()

  /** Distinct keys added. */
  get size(): number {
    return this.bitCount + this.others.size
  }

  add(key: string | number): void {
    if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < BITMAP_LIMIT) {
      const word = key >>> 5
      if (word >= this.bits.length) this.grow(word)
      const mask = 1 << (key & 31)
      if ((this.bits[word] & mask) === 0) {
        this.bits[word] |= mask
        this.bitCount++
      }
      return
    }
    this.others.add(key)
  }

  has(key: string | number): boolean {
    if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < BITMAP_LIMIT) {
      const word = key >>> 5
      return word < this.bits.length && (this.bits[word] & (1 << (key & 31))) !== 0
    }
    return this.others.has(key)
  }

  private grow(word: number): void {
    // doubling keeps the cost of growth linear in the largest rowid
    const next = new Uint32Array(Math.max(word + 1, this.bits.length * 2, 64))
    next.set(this.bits)
    this.bits = next
  }
}

/** Suffixes a table gets when an app version replaces it: message_media_v2, receipts_new, chat_old, call_log2. */
const VERSION_SUFFIX = /^[_-]?(v?\d+|new|old|bak|backup|tmp|temp|legacy)$/i

/** The known table `name` looks like a renamed or newer version of, if any. */
export function renamedFrom(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase()
  let best: string | undefined
  for (const k of known) {
    const kl = k.toLowerCase()
    if (lower !== kl && lower.startsWith(kl) && VERSION_SUFFIX.test(lower.slice(kl.length)) && (best === undefined || k.length > best.length)) best = k
  }
  return best
}

/**
 * The known tables of one database while a parser reads it: rows counted when the table
 * is registered, rows parsed (by a key unique in the table), excluded with a reason, and
 * records pointing at rows not found. SqliteCoverage and EseCoverage add how a store counts
 * its tables and lists the tables the parser does not read.
 */
abstract class KnownTables {
  protected readonly known = new Map<string, KnownTable>()

  /** A row of `table` became (part of) a record. */
  parsed(table: string, key: unknown): void {
    if (key === null || key === undefined) return
    // integer keys (rowids) kept as numbers: RowKeySet holds them in a bitmap
    const k = typeof key === 'number' ? key : typeof key === 'bigint' && key <= BigInt(Number.MAX_SAFE_INTEGER) && key >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(key) : String(key)
    this.entry(table).parsed.add(k)
  }

  /** `rows` rows of `table` are not turned into records, for `reason` (a stated design decision). */
  exclude(table: string, reason: string, rows = 1): void {
    if (rows <= 0) return
    const excluded = this.entry(table).excluded
    excluded.set(reason, (excluded.get(reason) ?? 0) + rows)
  }

  /** `rows` records made from `table` point at rows the parser expected and did not find, for `reason`. */
  unresolved(table: string, reason: string, rows = 1): void {
    if (rows <= 0) return
    const unresolved = this.entry(table).unresolved
    unresolved.set(reason, (unresolved.get(reason) ?? 0) + rows)
  }

  /**
   * Excludes every row of `table` not yet parsed or excluded, for `reason`: for a lookup
   * table (an address book) whose rows matter only as far as records refer to them.
   */
  excludeRest(table: string, reason: string): void {
    const t = this.entry(table)
    if (t.rows === null) return
    const accounted = t.parsed.size + [...t.excluded.values()].reduce((a, n) => a + n, 0)
    this.exclude(table, reason, t.rows - accounted)
  }

  /** The account of the known tables, in the order registered. */
  protected knownTables(): TableCoverage[] {
    const tables: TableCoverage[] = []
    for (const [name, t] of this.known) {
      const excluded = [...t.excluded].map(([reason, rows]) => ({reason, rows}))
      const unresolved = [...t.unresolved].map(([reason, rows]) => ({reason, rows}))
      const accounted = t.parsed.size + excluded.reduce((a, e) => a + e.rows, 0)
      tables.push({
        table: name,
        known: true,
        rows: t.rows,
        parsed: t.parsed.size,
        excluded,
        unexplained: t.rows === null ? 0 : Math.max(0, t.rows - accounted),
        ...(t.error ? {error: t.error} : {}),
        ...(t.absent ? {absent: true} : {}),
        ...(unresolved.length > 0 ? {unresolved} : {}),
      })
    }
    return tables
  }

  protected entry(table: string): KnownTable {
    const entry = this.known.get(table)
    if (!entry) throw new Error(`coverage: table ${table} was not registered before use`)
    return entry
  }
}

/**
 * Keeps the account of one SQLite database while a parser reads it. The parser
 * registers each table it reads (`table`), marks each row that became part of a record
 * (`parsed`, by rowid or another key unique in that table), and states why other rows
 * were not turned into records (`exclude` with a count, or `excludeWhere` with the SQL
 * condition that selects them). `account()` adds every other table of the database.
 */
export class SqliteCoverage extends KnownTables {
  constructor(private readonly db: SqliteDatabase) {
    super()
  }

  /** Registers a table the parser reads; its rows are counted now, on the same copy the parser reads. */
  table(name: string): this {
    if (!this.known.has(name)) {
      const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(name) !== undefined
      const counted = exists ? this.count(name) : {rows: 0}
      this.known.set(name, {...counted, parsed: new RowKeySet(), excluded: new Map(), unresolved: new Map(), absent: !exists})
    }
    return this
  }

  /** Whether the registered table exists in this database. */
  has(name: string): boolean {
    return this.known.get(name)?.absent === false
  }

  /** Excludes the rows that `where` selects (an SQL condition on `table`), counting them. */
  excludeWhere(table: string, reason: string, where: string): void {
    const row = this.db.prepare(`SELECT count(*) AS n FROM ${quoteIdentifier(table)} WHERE ${where}`).get() as {n: number | bigint}
    this.exclude(table, reason, Number(row.n))
  }

  /** The account: known tables first, in the order registered, then every other table of the database. */
  account(meta: Omit<CoverageAccount, 'store' | 'tables'>): CoverageAccount {
    const tables = this.knownTables()
    const knownLower = new Set([...this.known.keys()].map((n) => n.toLowerCase()))
    const others = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{name: string}>
    for (const {name} of others) {
      if (knownLower.has(name.toLowerCase())) continue
      const counted = this.count(name)
      const internal = INTERNAL_TABLES.test(name)
      const looksLike = internal ? undefined : renamedFrom(name, this.known.keys())
      tables.push({
        table: name,
        known: false,
        rows: counted.rows,
        parsed: 0,
        excluded: internal && counted.rows ? [{reason: 'SQLite or framework bookkeeping, not evidence of use', rows: counted.rows}] : [],
        unexplained: 0,
        ...(counted.error ? {error: counted.error} : {}),
        ...(looksLike ? {looksLike} : {}),
      })
    }
    return {...meta, store: 'sqlite', tables}
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

interface OwnedKey {
  rows: number
  parsed: Set<string>
  excluded: Map<string, number>
  absent: boolean
  error?: string
}

/**
 * Keeps the account of the registry keys a parser owns in one hive. A key's rows are its
 * direct subkeys and values, as many as its key node declares (so a subkey list cut short
 * by damage shows as rows not accounted for). The parser marks each subkey or value that
 * became (part of) a record, and states why others did not; `unread` lists the sibling
 * keys it does not read, with their own counts, so a reviewer sees what trawl left.
 */
export class RegistryCoverage {
  private readonly owned = new Map<string, OwnedKey>()
  private readonly others: TableCoverage[] = []

  /** Registers a key the parser owns, by its path below the hive root; an absent key is listed as such. */
  key(path: string, key: RegistryKey | undefined): this {
    if (this.owned.has(path)) return this
    this.owned.set(path, {rows: key ? declaredRows(key) : 0, parsed: new Set(), excluded: new Map(), absent: key === undefined})
    return this
  }

  /** A subkey of the owned key `path` became (part of) a record. */
  parsedSubkey(path: string, name: string): void {
    this.entry(path).parsed.add(`k:${name.toUpperCase()}`)
  }

  /** A value of the owned key `path` became (part of) a record. */
  parsedValue(path: string, name: string): void {
    this.entry(path).parsed.add(`v:${name.toUpperCase()}`)
  }

  exclude(path: string, reason: string, rows: number): void {
    if (rows <= 0) return
    const excluded = this.entry(path).excluded
    excluded.set(reason, (excluded.get(reason) ?? 0) + rows)
  }

  /** Lists the subkeys of `parent` the parser does not own, each with its own subkey and value count. */
  unread(parent: RegistryKey | undefined): this {
    if (!parent) return this
    const ownedUpper = new Set([...this.owned.keys()].map((p) => p.toUpperCase()))
    for (const child of parent.subkeys()) {
      const upper = child.path.toUpperCase()
      // an owned key, or a key on the way to one (Signatures above Signatures\Managed), is not 'unread'
      if (ownedUpper.has(upper) || [...ownedUpper].some((o) => o.startsWith(`${upper}\\`))) continue
      this.others.push({table: child.path, known: false, rows: declaredRows(child), parsed: 0, excluded: [], unexplained: 0})
    }
    return this
  }

  account(meta: Omit<CoverageAccount, 'store' | 'tables'>): CoverageAccount {
    const tables: TableCoverage[] = []
    for (const [path, k] of this.owned) {
      const excluded = [...k.excluded].map(([reason, rows]) => ({reason, rows}))
      const accounted = k.parsed.size + excluded.reduce((a, e) => a + e.rows, 0)
      tables.push({table: path, known: true, rows: k.rows, parsed: k.parsed.size, excluded, unexplained: Math.max(0, k.rows - accounted), ...(k.absent ? {absent: true} : {})})
    }
    return {...meta, store: 'registry', tables: [...tables, ...this.others]}
  }

  private entry(path: string): OwnedKey {
    const entry = this.owned.get(path)
    if (!entry) throw new Error(`coverage: key ${path} was not registered before use`)
    return entry
  }
}

/** Subkeys and values a key node declares it has. */
function declaredRows(key: RegistryKey): number {
  return key.node.subkeyCount + key.node.valueCount
}

/** The row counts an ESE coverage account needs of its database (src/ese/database.ts). */
export interface EseTableCounts {
  /** Every table of the database, in catalog order, with its rows as the reader walked them. */
  tables: Array<{name: string; rows: number}>
}

/**
 * Keeps the account of one ESE database (SRUDB.dat, WebCacheV01.dat) while a parser
 * reads it, as SqliteCoverage does for SQLite: known tables with their rows, parsed
 * rows (by a key unique in the table), rows excluded with a reason; every other table
 * is listed with its row count. `bookkeeping` names tables that are the engine's or the
 * application's own (MSysObjects, a checkpoint table): listed, their rows excluded as such.
 */
export class EseCoverage extends KnownTables {
  constructor(
    private readonly counts: EseTableCounts,
    private readonly bookkeeping: (table: string) => string | undefined,
  ) {
    super()
  }

  table(name: string): this {
    if (!this.known.has(name)) {
      const found = this.counts.tables.find((t) => t.name === name)
      this.known.set(name, {rows: found ? found.rows : 0, parsed: new RowKeySet(), excluded: new Map(), unresolved: new Map(), absent: !found})
    }
    return this
  }

  account(meta: Omit<CoverageAccount, 'store' | 'tables'>): CoverageAccount {
    const tables = this.knownTables()
    for (const {name, rows} of this.counts.tables) {
      if (this.known.has(name)) continue
      const reason = this.bookkeeping(name)
      const looksLike = reason ? undefined : renamedFrom(name, this.known.keys())
      tables.push({
        table: name,
        known: false,
        rows,
        parsed: 0,
        excluded: reason && rows > 0 ? [{reason, rows}] : [],
        unexplained: 0,
        ...(looksLike ? {looksLike} : {}),
      })
    }
    return {...meta, store: 'ese', tables}
  }
}

/**
 * The account of a store read record by record (an IndexedDB object store, a part of an app's
 * saved state, a Local Storage origin): per table whether the parser reads it, and each
 * record's outcome, parsed or the reason it is not; list() gives the tables with what no
 * reason accounts for.
 */
export class StoreCoverage {
  readonly tables = new Map<string, {known: boolean; rows: number; parsed: number; excluded: Map<string, number>}>()
  add(table: string, known: boolean): void {
    if (!this.tables.has(table)) this.tables.set(table, {known, rows: 0, parsed: 0, excluded: new Map()})
  }
  row(table: string, outcome: 'parsed' | string, n = 1): void {
    const t = this.tables.get(table)!
    t.rows += n
    if (outcome === 'parsed') t.parsed += n
    else if (t.known) t.excluded.set(outcome, (t.excluded.get(outcome) ?? 0) + n)
  }
  list(): TableCoverage[] {
    return [...this.tables].map(([table, t]) => {
      const excluded = [...t.excluded].map(([reason, rows]) => ({reason, rows}))
      const accounted = t.parsed + excluded.reduce((a, e) => a + e.rows, 0)
      return {table, known: t.known, rows: t.rows, parsed: t.known ? t.parsed : 0, excluded, unexplained: t.known ? t.rows - accounted : 0}
    })
  }
}
