/**
 * Which SQLite engine reads and writes SQLite files in this process, chosen once:
 * better-sqlite3 where its native module loads (the npm install of a development
 * machine or CI), else Node's built-in node:sqlite (the field kit, whose Node for
 * Windows has no better-sqlite3 build). TRAWL_SQLITE=better-sqlite3 or =node forces
 * one; a forced engine that cannot load is an error, not a silent switch.
 */
import {TrawlError, errorMessage} from '../errors.js'
import {loadBetterSqlite3} from './better-sqlite3.js'
import {loadNodeSqlite} from './node-sqlite.js'
import type {SqliteDatabase, SqliteEngine, SqliteEngineInfo, SqliteOpenOptions} from './types.js'

export const SQLITE_ENGINE_VARIABLE = 'TRAWL_SQLITE'

/** No SQLite engine can be used (the forced one does not load, or neither does). */
export class SqliteUnavailableError extends TrawlError {}

let chosen: SqliteEngine | undefined

/** A load failure on one line: Node's messages span lines ("Require stack:", the ABI numbers). */
function reason(error: unknown): string {
  return errorMessage(error).split('\nRequire stack:')[0].replace(/\s*\n\s*/g, ' ')
}

function forcedEngine(value: string): SqliteEngine {
  if (value === 'better-sqlite3') {
    try {
      return loadBetterSqlite3()
    } catch (error) {
      throw new SqliteUnavailableError(`${SQLITE_ENGINE_VARIABLE}=better-sqlite3 but better-sqlite3 does not load in Node ${process.version}: ${reason(error)}`, undefined, {cause: error})
    }
  }
  if (value === 'node' || value === 'node:sqlite') {
    try {
      return loadNodeSqlite()
    } catch (error) {
      throw new SqliteUnavailableError(`${SQLITE_ENGINE_VARIABLE}=${value} but Node ${process.version} has no usable node:sqlite (it needs Node 24, or 22.16 and later): ${reason(error)}`, undefined, {cause: error})
    }
  }
  throw new SqliteUnavailableError(`${SQLITE_ENGINE_VARIABLE} must be better-sqlite3 or node, not ${JSON.stringify(value)}`)
}

function firstLoadable(): SqliteEngine {
  let betterFailure: unknown
  try {
    return loadBetterSqlite3()
  } catch (error) {
    betterFailure = error
  }
  try {
    return loadNodeSqlite()
  } catch (error) {
    throw new SqliteUnavailableError(
      `no SQLite engine: better-sqlite3 does not load (${reason(betterFailure)}) and Node ${process.version} has no usable node:sqlite (${reason(error)})`,
      undefined,
      {cause: error},
    )
  }
}

/** The engine `forced` names (TRAWL_SQLITE's value), or the first that loads when it is empty. */
export function chooseSqliteEngine(forced: string | undefined): SqliteEngine {
  return forced ? forcedEngine(forced) : firstLoadable()
}

/** The engine of this process, chosen on first use. */
export function sqliteEngine(): SqliteEngine {
  chosen ??= chooseSqliteEngine(process.env[SQLITE_ENGINE_VARIABLE])
  return chosen
}

/** What the examiner is told read the databases (the manifest's tool section). */
export function sqliteEngineInfo(): SqliteEngineInfo {
  const {engine, engineVersion, sqliteVersion} = sqliteEngine()
  return {engine, engineVersion, sqliteVersion}
}

/**
 * Opens an SQLite file with this process's engine. Read-only for anything that was
 * evidence (and then only its working copy, see parsers/sqlite.ts); writable only for
 * files trawl makes itself (records.sqlite, a private rollback copy).
 */
export function openDatabase(path: string, options: SqliteOpenOptions = {}): SqliteDatabase {
  return sqliteEngine().open(path, options)
}
