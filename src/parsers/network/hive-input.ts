/**
 * Opening a registry hive handed to a parser: the working copy with the transaction
 * logs collected beside it (companions .LOG, .LOG1, .LOG2), replayed when the hive is
 * dirty. A hive that cannot be read at all becomes a ParseError.
 */
import {existsSync} from 'node:fs'
import {errorMessage, ParseError, TrawlError} from '../../errors.js'
import {RegistryHive} from '../../registry/hive.js'
import {isRegf} from '../../registry/base-block.js'
import type {RegistryCoverage} from '../coverage.js'
import type {ParsedRecord, ParserInput} from '../types.js'

export const HIVE_LOG_SUFFIXES = ['.LOG1', '.LOG2', '.LOG']

/** Detection by signature: a REGF base block starts with "regf". */
export function acceptsHive(head: Buffer): boolean {
  return isRegf(head)
}

export function openHiveCopy(copyPath: string, sourcePath: string, logPaths?: string[]): RegistryHive {
  const logs = logPaths ?? HIVE_LOG_SUFFIXES.map((s) => copyPath + s).filter((p) => existsSync(p))
  try {
    const hive = RegistryHive.open(copyPath, {logPaths: logs})
    hive.root() // the root key must be readable for the hive to be usable at all
    return hive
  } catch (error) {
    if (error instanceof TrawlError) throw new ParseError(`registry hive cannot be read: ${errorMessage(error)}`, sourcePath, {cause: error})
    throw error
  }
}

export function openHiveInput(input: ParserInput): RegistryHive {
  const logs = input.companions.filter((s) => HIVE_LOG_SUFFIXES.includes(s.toUpperCase())).map((s) => input.copyPath + s)
  return openHiveCopy(input.copyPath, input.sourcePath, logs.length > 0 ? logs : undefined)
}

/**
 * A 'registry.hive' record: whether the hive was dirty and which transaction logs were
 * replayed, so the examiner knows the values reflect the logs too.
 */
export function hiveStateRecord(input: ParserInput, hive: RegistryHive): ParsedRecord {
  const replay = hive.replay
  return {
    type: 'registry.hive',
    source: input.source({offset: 0}),
    rootKey: hive.root().name,
    lastWritten: hive.baseBlock.lastWritten,
    version: `${hive.baseBlock.majorVersion}.${hive.baseBlock.minorVersion}`,
    dirty: replay?.dirty ?? hive.dirty,
    logsApplied: replay?.applied.map((a) => a.file) ?? [],
    logReplay: replay ?? null,
  }
}

/**
 * Runs a record generator over a hive; a corrupt structure met part-way (a bad cell in one
 * key) ends that hive's records with an error record naming it, instead of losing the run.
 */
export function* guardHiveRecords(input: ParserInput, records: Iterable<ParsedRecord>): Generator<ParsedRecord> {
  try {
    yield* records
  } catch (error) {
    if (!(error instanceof TrawlError)) throw error
    yield {type: 'error', source: input.source(), error: `registry hive partly unreadable: ${errorMessage(error)}`}
  }
}

/** Hands the account of the keys a registry parser owns to collection (after its records, damaged or not). */
export function reportHiveCoverage(input: ParserInput, parser: string, readAs: string, coverage: RegistryCoverage): void {
  const {volume} = input.source()
  input.reportCoverage(coverage.account({parser, file: input.bundlePath, sourcePath: input.sourcePath, ...(volume ? {volume} : {}), readAs}))
}
