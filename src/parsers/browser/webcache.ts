/**
 * Internet Explorer 10/11 and legacy Edge WebCache:
 * Users/{user}/AppData/Local/Microsoft/Windows/WebCache/WebCacheV01.dat, an ESE database
 * read with src/ese. The Containers table names each container; container N's entries
 * are in table Container_N (column layout as libesedb's webcache.c and plaso's
 * msie_webcache.py read it):
 *
 *   History, MSHist01<from><to> (daily, weekly)  -> browser.visit   Url "Visited: user@url" or ":<from><to>: user@url"
 *   iedownload                                    -> browser.download, source URL and saved path from ResponseHeaders
 *   Cookies, CookieJar*                           -> browser.cookie  Url "Cookie:user@host/path", the cookie file
 *
 * Entry times are FILETIMEs (64-bit integer columns), kept at full precision. Other
 * containers (Content, DOMStore, ...) are listed in the coverage account with their rows,
 * not read. The database is read as it is on disk: WebCacheV01.jfm and V01*.log are
 * collected (artifact ie-webcache-logs) but not replayed; a dirty database says so.
 */
import type {EseTable} from '../../ese/catalog.js'
import type {EseDatabase} from '../../ese/database.js'
import type {EseValue} from '../../ese/record.js'
import {filetimeToIso} from '../../time.js'
import {EseCoverage} from '../coverage.js'
import {acceptsEse, eseDatabaseRecord, eseProblemRecords, eseTableCounts, openEseInput} from '../ese-input.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {browserOwner} from './owner.js'

const CONTAINERS = 'Containers'

type ContainerKind = 'history' | 'download' | 'cookie'

/** What a container holds, by its name in the Containers table; undefined for the ones trawl does not read. */
export function containerKind(name: string): ContainerKind | undefined {
  if (name === 'History' || /^MSHist01/i.test(name)) return 'history'
  if (name.toLowerCase() === 'iedownload') return 'download'
  if (/^Cookie/i.test(name)) return 'cookie'
  return undefined
}

function time(value: EseValue | undefined): string | null {
  if (typeof value !== 'bigint' || value <= 0n) return null
  return filetimeToIso(value)
}

function num(value: EseValue | undefined): number | string | null {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  return null
}

function text(value: EseValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** "Visited: ana@https://x" or ":2023082020230821: ana@https://x" -> the user and the URL. */
export function splitHistoryUrl(url: string): {user: string | null; url: string; period: string | null} {
  const match = /^(?:Visited:|:(\d{16}):)\s*([^@]*)@(.*)$/s.exec(url)
  if (!match) return {user: null, url, period: null}
  return {user: match[2] || null, url: match[3]!, period: match[1] ?? null}
}

/** The NUL-terminated UTF-16 strings of a blob (at least 3 characters), in order. */
export function utf16Strings(blob: Buffer): string[] {
  const strings: string[] = []
  for (let start = 0; start < 2; start++) {
    const text = blob.subarray(start, blob.length - ((blob.length - start) % 2)).toString('utf16le')
    for (const part of text.split('\0')) if (/^[\x20-\x7e\u00a0-\uffef]{3,}$/.test(part)) strings.push(part)
    if (strings.length > 0) break
  }
  return strings
}

interface Container {
  id: number | string
  name: string
  directory: string | null
  kind: ContainerKind | undefined
  table: EseTable | undefined
}

function readContainers(database: EseDatabase, coverage: EseCoverage): Container[] {
  const table = database.table(CONTAINERS)
  coverage.table(CONTAINERS)
  if (!table) return []
  const containers: Container[] = []
  for (const row of database.rows(table)) {
    const id = num(row.values.ContainerId)
    const name = text(row.values.Name)
    if (id === null || name === null) {
      coverage.exclude(CONTAINERS, 'container rows without id or name')
      continue
    }
    coverage.parsed(CONTAINERS, `${row.page}:${row.tag}`)
    containers.push({id, name, directory: text(row.values.Directory), kind: containerKind(name), table: database.table(`Container_${id}`)})
  }
  return containers
}

function* containerRecords(input: ParserInput, database: EseDatabase, container: Container, coverage: EseCoverage): Generator<ParsedRecord> {
  const tableName = `Container_${container.id}`
  coverage.table(tableName)
  if (!container.table || !container.kind) return
  const owner = browserOwner(input)
  for (const row of database.rows(container.table)) {
    const v = row.values
    const rawUrl = text(v.Url)
    if (rawUrl === null) {
      coverage.exclude(tableName, 'entries without a URL')
      continue
    }
    coverage.parsed(tableName, `${row.page}:${row.tag}`)
    const common = {
      source: input.source({table: tableName, rowid: num(v.EntryId) ?? `page ${row.page} tag ${row.tag}`}),
      ...owner,
      container: container.name,
      containerId: container.id,
      entryId: num(v.EntryId),
      accessCount: num(v.AccessCount),
      accessedTime: time(v.AccessedTime),
      modifiedTime: time(v.ModifiedTime),
      creationTime: time(v.CreationTime),
      expiryTime: time(v.ExpiryTime),
      syncTime: time(v.SyncTime),
      rawUrl,
    }
    if (container.kind === 'history') {
      const split = splitHistoryUrl(rawUrl)
      yield {type: 'browser.visit', ...common, url: split.url, visitTime: common.accessedTime, visitCount: common.accessCount, webcacheUser: split.user, historyPeriod: split.period}
    } else if (container.kind === 'download') {
      const strings = Buffer.isBuffer(v.ResponseHeaders) ? utf16Strings(v.ResponseHeaders) : []
      const sourceUrl = [...strings].reverse().find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) ?? rawUrl.replace(/^iedownload:/i, '')
      const targetPath = [...strings].reverse().find((s) => /^[a-z]:\\|^\\\\/i.test(s)) ?? null
      yield {type: 'browser.download', ...common, url: sourceUrl, urlChain: [sourceUrl], targetPath, fileName: text(v.Filename), totalBytes: num(v.FileSize), startTime: common.creationTime}
    } else {
      const match = /^Cookie:([^@]*)@(.*)$/i.exec(rawUrl)
      const where = match ? match[2]! : rawUrl
      const slash = where.indexOf('/')
      yield {type: 'browser.cookie', ...common, webcacheUser: match?.[1] || null, host: slash < 0 ? where : where.slice(0, slash), path: slash < 0 ? '/' : where.slice(slash), cookieFile: text(v.Filename), fileSize: num(v.FileSize)}
    }
  }
}

/** Engine bookkeeping and WebCache's own housekeeping tables: listed, never evidence of browsing. */
function webcacheBookkeeping(table: string): string | undefined {
  if (/^MSys/.test(table)) return 'ESE catalog and engine bookkeeping, not evidence of use'
  return undefined
}

export const webcacheParser: Parser = {
  id: 'ie-webcache',
  description: 'Internet Explorer 10/11 and legacy Edge WebCacheV01.dat: history, downloads and cookies containers',
  accepts: acceptsEse,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const database = openEseInput(input)
    try {
      const coverage = new EseCoverage(eseTableCounts(database), webcacheBookkeeping)
      const containers = readContainers(database, coverage)
      for (const container of containers) yield* containerRecords(input, database, container, coverage)
      yield eseDatabaseRecord(input, database)
      yield* eseProblemRecords(input, database)
      const {volume} = input.source()
      input.reportCoverage(coverage.account({parser: 'ie-webcache', file: input.bundlePath, sourcePath: input.sourcePath, ...(volume ? {volume} : {}), readAs: 'WebCacheV01.dat (history, iedownload and cookies containers)'}))
    } finally {
      database.close()
    }
  },
}
