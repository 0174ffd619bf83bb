/**
 * Internet Explorer 4-9 index.dat (History.IE5, Content.IE5, Cookies): every URL, REDR
 * and LEAK record the hash table points at, and those still whole in blocks it no longer
 * points at (recovered, as libmsiecf and plaso report them), with their times. The
 * definition says which container a file is (attribute `container`): History records are
 * visits, Content.IE5 records are cached files, Cookies records are cookie files.
 */
import {readFileSync} from 'node:fs'
import {readIndexDat, type CacheRecord, type IndexDat} from '../../msiecf/index-dat.js'
import type {CoverageAccount} from '../coverage.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'

const FAT_NOTE = 'expires and lastChecked are FAT date-times as written (2-second resolution, no time zone recorded by the format)'

/** 'Visited: user@url' (History), 'Cookie:user@host/path' (Cookies): the user and what follows. */
function splitPrefix(location: string | null, prefix: RegExp): {user: string | null; rest: string | null} {
  const m = location ? prefix.exec(location) : null
  return m ? {user: m[1]!, rest: m[2]!} : {user: null, rest: location}
}

function cacheDirectory(index: IndexDat, record: CacheRecord): string | null {
  const i = record.cacheDirectoryIndex
  return i === null ? null : (index.header.directories[i]?.name ?? null)
}

function recordOf(input: ParserInput, index: IndexDat, r: CacheRecord, container: string): ParsedRecord {
  const common = {
    source: input.source({table: `${r.kind} record`, offset: r.offset}),
    browser: 'Internet Explorer',
    user: input.captures.user ?? null,
    recordKind: r.kind,
    recovered: r.recovered,
    ...(r.recovered ? {note: 'recovered: the record is whole but no hash-table entry points at it any more (deleted or superseded)'} : {}),
  }
  if (r.kind === 'REDR') return {type: 'browser.redirect', ...common, url: r.location}
  const times = {expires: r.expirationTime, lastChecked: r.lastCheckedTime, hits: r.hits, timeNote: FAT_NOTE}
  if (container === 'history') {
    const {user, rest} = splitPrefix(r.location, /^Visited: ?([^@]*)@(.*)$/s)
    return {type: 'browser.visit', ...common, profileUser: user, url: rest, location: r.location, visitTime: r.primaryTime, lastModified: r.secondaryTime, ...times}
  }
  if (container === 'cookies') {
    const {user, rest} = splitPrefix(r.location, /^Cookie: ?([^@]*)@(.*)$/s)
    const directory = cacheDirectory(index, r)
    return {type: 'browser.cookie', ...common, profileUser: user, host: rest, location: r.location, cookieFile: r.filename, cacheDirectory: directory, lastAccessed: r.primaryTime, lastModified: r.secondaryTime, ...times}
  }
  const directory = cacheDirectory(index, r)
  return {
    type: 'browser.cache',
    ...common,
    url: r.location,
    leak: r.kind === 'LEAK',
    cachedFile: r.filename === null ? null : directory ? `${directory}\\${r.filename}` : r.filename,
    cacheDirectory: directory,
    fileSize: r.fileSize,
    lastAccessed: r.primaryTime,
    lastModified: r.secondaryTime,
    responseHeaders: r.data,
    ...times,
  }
}

export async function* parseIndexDat(input: ParserInput): AsyncIterable<ParsedRecord> {
  const container = input.attributes.container ?? 'cache'
  const index = readIndexDat(readFileSync(input.copyPath), input.sourcePath)
  const h = index.header
  yield {
    type: 'browser.cache-container',
    source: input.source({offset: 0}),
    browser: 'Internet Explorer',
    user: input.captures.user ?? null,
    container,
    version: h.version,
    fileSize: h.fileSize,
    blocks: h.blocks,
    allocatedBlocks: h.allocatedBlocks,
    cacheLimit: String(h.cacheLimit),
    cacheSize: String(h.cacheSize),
    cacheDirectories: h.directories.map((d) => ({name: d.name, files: d.files})),
    hashTables: index.hashTables,
  }
  for (const p of index.problems) yield {type: 'error', source: input.source({offset: p.offset}), error: p.message}
  for (const r of index.records) yield recordOf(input, index, r, container)
  const e = index.entries
  const recovered = index.records.filter((r) => r.recovered).length
  const account: CoverageAccount = {
    parser: 'internet-explorer-index',
    store: 'msiecf',
    file: input.bundlePath,
    sourcePath: input.sourcePath,
    volume: input.volume,
    readAs: `Internet Explorer index.dat ${h.version} (${container})`,
    tables: [
      {
        table: 'hash table entries',
        known: true,
        rows: e.records + e.unused + e.dangling,
        parsed: e.records,
        excluded: [
          ...(e.unused > 0 ? [{reason: 'never used or freed (no record)', rows: e.unused}] : []),
          ...(e.dangling > 0 ? [{reason: 'point at an offset where no record starts (stale)', rows: e.dangling}] : []),
        ],
        unexplained: 0,
      },
      {table: 'records (hash table)', known: true, rows: index.records.length - recovered, parsed: index.records.length - recovered, excluded: [], unexplained: 0},
      {table: 'records (recovered from unreferenced blocks)', known: true, rows: recovered, parsed: recovered, excluded: [], unexplained: 0},
    ],
  }
  input.reportCoverage(account)
}

export const internetExplorerIndexParser: Parser = {
  id: 'internet-explorer-index',
  description: 'Internet Explorer 4-9 index.dat (History.IE5, Content.IE5, Cookies): URL, REDR and LEAK records with their times, allocated and recovered',
  accepts: (head) => head.toString('latin1', 0, 24) === 'Client UrlCache MMF Ver ',
  parse: parseIndexDat,
}
