/**
 * The node:sqlite engine: Node's built-in SQLite (DatabaseSync, StatementSync; in
 * Node >= 22.13 and 23.4 without a flag), for where better-sqlite3's native module
 * cannot load, such as the Windows field kit. It gives the same values as
 * better-sqlite3 so that every parser's records are the same under either engine:
 *
 * - BLOBs come from node:sqlite as Uint8Array; they are handed out as Buffers
 *   (a view, no copy), as better-sqlite3 gives them and parsers test for.
 * - An INTEGER beyond 2^53 read without safeIntegers is, in better-sqlite3, the
 *   nearest double; node:sqlite throws ERR_OUT_OF_RANGE instead. Such a statement is
 *   re-run reading BigInts, which are rounded with Number() (round to nearest, as
 *   better-sqlite3's int64-to-double cast), and stays so for later calls. An iteration
 *   that meets the first such value restarts and skips the rows already handed out:
 *   the database is a read-only working copy, so the same statement gives the same
 *   rows in the same order.
 * - Rows as arrays (raw, pluck) come from setReturnArrays (Node 24, and 22.x from about
 *   22.16). A Node without it is refused: rebuilding arrays from object rows would merge
 *   columns of the same name (the History visits query selects u.url and fu.url).
 * - Errors carry SQLite's extended result code name in `code`, as better-sqlite3's do.
 */
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {resultCodeName} from './result-codes.js'
import {SqliteError, type SqliteDatabase, type SqliteEngine, type SqliteOpenOptions, type SqliteParameter, type SqliteRunResult, type SqliteStatement} from './types.js'

/** The part of node:sqlite used here (typed locally: this project's @types/node is Node 20's, which has no node:sqlite). */
interface NodeStatementSync {
  get(...params: SqliteParameter[]): unknown
  all(...params: SqliteParameter[]): unknown[]
  iterate(...params: SqliteParameter[]): Iterator<unknown>
  run(...params: SqliteParameter[]): SqliteRunResult
  setReadBigInts(enabled: boolean): void
  setReturnArrays(enabled: boolean): void
}

interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync
  exec(sql: string): void
  close(): void
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: {readOnly?: boolean; timeout?: number}) => NodeDatabaseSync
  StatementSync: {prototype: Partial<NodeStatementSync>}
}

/** better-sqlite3 waits up to 5 s on a locked database; node:sqlite by default not at all. */
const BUSY_TIMEOUT_MS = 5000

/** A node:sqlite error as the engine-neutral SqliteError; other errors (bad arguments) pass unchanged. */
function normalized(error: unknown): unknown {
  const e = error as {code?: unknown; errcode?: unknown; message?: unknown}
  if (e && e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    return new SqliteError(String(e.message), resultCodeName(e.errcode), {cause: error})
  }
  return error
}

function isOutOfRange(error: unknown): boolean {
  return (error as {code?: unknown} | null)?.code === 'ERR_OUT_OF_RANGE'
}

type RowShape = 'object' | 'array' | 'pluck'

class NodeStatement implements SqliteStatement {
  private shape: RowShape = 'object'
  private safe = false
  /** Reading BigInts because a value did not fit a double exactly (see the file comment). */
  private wide = false
  private appliedBigInts = false
  private appliedArrays = false

  constructor(private readonly inner: NodeStatementSync) {}

  raw(toggle = true): this {
    this.shape = toggle ? 'array' : 'object'
    return this
  }

  pluck(toggle = true): this {
    this.shape = toggle ? 'pluck' : 'object'
    return this
  }

  safeIntegers(toggle = true): this {
    this.safe = toggle
    return this
  }

  get(...params: SqliteParameter[]): unknown {
    return this.retrying(() => {
      const row = this.inner.get(...params)
      return row === undefined ? undefined : this.row(row)
    })
  }

  all(...params: SqliteParameter[]): unknown[] {
    return this.retrying(() => this.inner.all(...params).map((row) => this.row(row)))
  }

  run(...params: SqliteParameter[]): SqliteRunResult {
    return this.retrying(() => this.inner.run(...params))
  }

  iterate(...params: SqliteParameter[]): IterableIterator<unknown> {
    let rows = this.retrying(() => this.inner.iterate(...params))
    let delivered = 0
    let finished = false
    const next = (): IteratorResult<unknown> => {
      if (finished) return {done: true, value: undefined}
      for (;;) {
        try {
          const step = rows.next()
          if (step.done) {
            finished = true
            return step
          }
          delivered++
          return {done: false, value: this.row(step.value)}
        } catch (error) {
          if (!isOutOfRange(error) || this.wide) {
            finished = true
            throw normalized(error)
          }
          rows.return?.()
          this.wide = true
          rows = this.retrying(() => this.inner.iterate(...params))
          for (let i = 0; i < delivered; i++) {
            if (rows.next().done) throw new SqliteError('statement gave fewer rows when re-read with 64-bit integers', 'SQLITE_ERROR')
          }
        }
      }
    }
    const iterator: IterableIterator<unknown> = {
      next,
      return: (value?: unknown): IteratorResult<unknown> => {
        finished = true
        rows.return?.()
        return {done: true, value}
      },
      [Symbol.iterator]: () => iterator,
    }
    return iterator
  }

  /** Runs `read` with the statement's modes applied; an ERR_OUT_OF_RANGE switches to BigInts once and reads again. */
  private retrying<T>(read: () => T): T {
    for (;;) {
      this.apply()
      try {
        return read()
      } catch (error) {
        if (isOutOfRange(error) && !this.wide) {
          this.wide = true
          continue
        }
        throw normalized(error)
      }
    }
  }

  private apply(): void {
    const bigInts = this.safe || this.wide
    if (bigInts !== this.appliedBigInts) {
      this.inner.setReadBigInts(bigInts)
      this.appliedBigInts = bigInts
    }
    const arrays = this.shape !== 'object'
    if (arrays !== this.appliedArrays) {
      this.inner.setReturnArrays(arrays)
      this.appliedArrays = arrays
    }
  }

  /** One row as better-sqlite3 gives it: Buffers for BLOBs, doubles for unsafe integers, the asked shape. */
  private row(value: unknown): unknown {
    const toNumber = this.wide && !this.safe
    if (this.shape === 'object') {
      const row = value as Record<string, unknown>
      for (const key in row) {
        const v = row[key]
        if ((typeof v === 'object' && v !== null) || (toNumber && typeof v === 'bigint')) row[key] = fixed(v, toNumber)
      }
      return row
    }
    const row = value as unknown[]
    if (this.shape === 'pluck') return row.length === 0 ? undefined : fixed(row[0], toNumber)
    for (let i = 0; i < row.length; i++) {
      const v = row[i]
      if ((typeof v === 'object' && v !== null) || (toNumber && typeof v === 'bigint')) row[i] = fixed(v, toNumber)
    }
    return row
  }
}

function fixed(value: unknown, toNumber: boolean): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (toNumber && typeof value === 'bigint') return Number(value)
  return value
}

class NodeDatabase implements SqliteDatabase {
  constructor(private readonly db: NodeDatabaseSync) {}

  prepare(sql: string): SqliteStatement {
    try {
      return new NodeStatement(this.db.prepare(sql))
    } catch (error) {
      throw normalized(error)
    }
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql)
    } catch (error) {
      throw normalized(error)
    }
  }

  pragma(source: string): unknown {
    return this.prepare(`PRAGMA ${source}`).all()
  }

  close(): void {
    this.db.close()
  }
}

/**
 * Loads node:sqlite; throws when this Node has none (before 22.13 and 23.4 it needs
 * --experimental-sqlite) or one without StatementSync.setReturnArrays.
 */
export function loadNodeSqlite(): SqliteEngine {
  const require = createRequire(import.meta.url)
  const {DatabaseSync, StatementSync} = require('node:sqlite') as NodeSqliteModule
  if (typeof StatementSync.prototype.setReturnArrays !== 'function') {
    throw new Error(`node:sqlite of Node ${process.version} has no StatementSync.setReturnArrays`)
  }
  const probe = new DatabaseSync(':memory:')
  let sqliteVersion: string
  try {
    sqliteVersion = (probe.prepare('SELECT sqlite_version() AS v').get() as {v: string}).v
  } finally {
    probe.close()
  }
  return {
    engine: 'node:sqlite',
    engineVersion: process.version,
    sqliteVersion,
    open(path: string, options: SqliteOpenOptions): SqliteDatabase {
      const readOnly = options.readonly === true
      if (!readOnly && options.fileMustExist && !existsSync(path)) throw new SqliteError('unable to open database file', 'SQLITE_CANTOPEN')
      try {
        return new NodeDatabase(new DatabaseSync(path, {readOnly, timeout: BUSY_TIMEOUT_MS}))
      } catch (error) {
        throw normalized(error)
      }
    },
  }
}
