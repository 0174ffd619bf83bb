import {copyFileSync, existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import type {CoverageAccount} from '../../src/parsers/coverage.js'
import type {ParsedRecord, Parser, ParserInput, RecordSource} from '../../src/parsers/types.js'

/**
 * Builds a ParserInput for a test: copies `file` (and its -wal/-journal when present)
 * into a scratch folder, as collection does, so the original is never opened.
 */
export function parserInputFor(file: string, options: Partial<ParserInput> = {}): ParserInput & {coverage: CoverageAccount[]} {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-parser-'))
  const copyPath = join(dir, basename(file))
  copyFileSync(file, copyPath)
  const companions: string[] = []
  for (const suffix of ['-wal', '-journal']) {
    if (existsSync(file + suffix)) {
      copyFileSync(file + suffix, copyPath + suffix)
      companions.push(suffix)
    }
  }
  const bundlePath = options.bundlePath ?? `files/test/${basename(file)}`
  const sourcePath = options.sourcePath ?? basename(file)
  const coverage: CoverageAccount[] = []
  const input: ParserInput & {coverage: CoverageAccount[]} = {
    copyPath,
    companions,
    bundlePath,
    sourcePath,
    volume: 'test',
    artifact: {id: 'test', name: 'test', category: 'test'},
    captures: {},
    attributes: {},
    collectRelated: async () => undefined,
    source: (extra?: Partial<RecordSource>) => ({file: bundlePath, sourcePath, volume: 'test', ...extra}),
    reportCoverage: (account) => coverage.push(account),
    coverage,
    ...options,
  }
  return input
}

/** Runs a parser over an input and gathers its records. */
export async function parseAll(parser: Parser, input: ParserInput): Promise<ParsedRecord[]> {
  const records: ParsedRecord[] = []
  for await (const record of parser.parse(input)) records.push(record)
  return records
}
