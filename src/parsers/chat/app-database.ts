/**
 * What a reader of one app database needs from whoever opened it: the account it
 * belongs to, how to name a row's source, and how to fetch the file an attachment
 * path points at. A database found directly on the volume and one extracted from an
 * iPhone backup are read by the same reader with different contexts.
 */
import {copyFileSync, mkdtempSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {ParseError, TrawlError, errorMessage} from '../../errors.js'
import type {SqliteCoverage} from '../coverage.js'
import type {CollectedFile, ParserInput, RecordSource} from '../types.js'
import type {ChatAttachment} from './chat-record.js'

export interface AppDatabaseContext {
  account: string | null
  source(extra: {table: string; rowid?: number}): RecordSource
  /** Collects the file an app-stored attachment path names; undefined when it cannot be found. */
  collectAttachment(storedPath: string): Promise<CollectedFile | undefined>
}

/** Resolves and collects an attachment, keeping the stored path when the file is not there. */
export async function attachment(
  context: AppDatabaseContext,
  storedPath: string | null,
  name: string | null,
  extra: {mimeType?: string | null; size?: number | null} = {},
): Promise<ChatAttachment> {
  const collected = storedPath ? await context.collectAttachment(storedPath) : undefined
  return {
    name: name ?? (storedPath ? (storedPath.split('/').pop() ?? null) : null),
    path: storedPath,
    ...extra,
    bundlePath: collected?.bundlePath ?? null,
    sha256: collected?.sha256 ?? null,
  }
}

/**
 * Puts a database copy and its -wal side by side in a fresh scratch folder, so SQLite
 * applies the WAL (an extracted database's companions are collected as separate files).
 * `remove` deletes that folder once the database is closed.
 */
export function besideEachOther(database: CollectedFile, wal: CollectedFile | undefined, name: string): {path: string; remove: () => void} {
  if (!wal) return {path: database.copyPath, remove: () => undefined}
  // beside the working copy (the run's working folder: in memory for an encrypted collect), never the system temp
  const dir = mkdtempSync(join(dirname(database.copyPath), 'trawl-chat-'))
  const path = join(dir, name)
  copyFileSync(database.copyPath, path)
  copyFileSync(wal.copyPath, `${path}-wal`)
  return {path, remove: () => rmSync(dir, {recursive: true, force: true})}
}

/** The same file asked for twice (an attachment shared by several messages) is collected once. */
export function collectOnce(collect: (path: string) => Promise<CollectedFile | undefined>): (path: string) => Promise<CollectedFile | undefined> {
  const seen = new Map<string, Promise<CollectedFile | undefined>>()
  return (path) => {
    const key = path.toLowerCase()
    let pending = seen.get(key)
    if (!pending) {
      pending = collect(path)
      seen.set(key, pending)
    }
    return pending
  }
}

/**
 * A database that opened but fails while being read (a truncated or damaged page) surfaces
 * as a ParseError naming the file, like one that cannot be opened at all.
 */
export function asParseError(error: unknown, file: string): TrawlError {
  if (error instanceof TrawlError) return error
  return new ParseError(`cannot read database: ${errorMessage(error)}`, file, {cause: error})
}

/**
 * Hands a chat database's coverage account to collection: `file` is the database read
 * (the matched file, or one extracted from a backup), `readAs` what it was read as.
 */
export function reportDatabaseCoverage(
  input: Pick<ParserInput, 'bundlePath' | 'sourcePath' | 'source' | 'reportCoverage'>,
  coverage: SqliteCoverage,
  parser: string,
  readAs: string,
  file: {bundlePath: string; sourcePath: string} = input,
): void {
  const {volume} = input.source()
  input.reportCoverage(coverage.account({parser, file: file.bundlePath, sourcePath: file.sourcePath, ...(volume ? {volume} : {}), readAs}))
}
