/**
 * The Chromium History database, shared by Chrome, Edge, Brave, Opera, Vivaldi
 * and every other Chromium browser: visits, downloads and keyword search terms.
 *
 * Schemas differ across versions (meta.version 16 in 2011 to 70 in Chrome 144),
 * so every query is built from the columns the file actually has. Rows are
 * streamed with better-sqlite3's iterate(): memory does not grow with the
 * number of visits. Chromium times (microseconds since 1601) exceed 2^53: visit
 * times are split into seconds and microseconds in SQL (times.ts), other tables
 * are read with BigInt integers.
 *
 * Records (besides browser, profile, user and source {table, rowid}):
 *  - browser.visit: url, title, visitTime (ISO 8601 UTC, µs), visitDuration as an
 *    ISO 8601 duration in seconds ('PT12.345678S'; null when Chromium recorded none,
 *    i.e. 0) and visitDurationMicros as stored, transition (core type name),
 *    transitionQualifiers, transitionRaw (unsigned 32-bit), fromVisit/fromUrl (the
 *    referring visit), visitSource (browsed, synced, ...), visitCount, typedCount, hidden.
 *  - browser.download: url (the last of the URL chain, as the browser shows it),
 *    urlChain (chain_index order), targetPath, currentPath, startTime, endTime,
 *    receivedBytes, totalBytes, state, dangerType, interruptReason (names plus *Raw
 *    numbers), referrer, tabUrl, mimeType, opened, lastAccessTime.
 *  - browser.search: term, normalizedTerm, url and title of the results page, and
 *    visitTime = that page's last visit (History keeps no time per search term).
 *  - browser.url: a urls row with no visit left. Chromium expires visits after 90 days
 *    but keeps a URL the user typed or bookmarked, with its counts and last visit time:
 *    the only trace left that the page was ever opened.
 *  - browser.download with urlChainOnly: downloads_url_chains rows whose downloads row
 *    is gone (the redirects of a download are evidence even without it).
 *
 * Coverage (coverage.ts): urls, visits, visit_source, downloads, downloads_url_chains
 * and keyword_search_terms are read row by row; every other table (segments,
 * segment_usage, the cluster and annotation tables of newer versions, meta, ...) is
 * listed with its row count as not read.
 *
 * Enumerations are from the Chromium sources:
 *  - ui/base/page_transition_types.h (transition core types and qualifiers)
 *  - components/history/core/browser/history_types.h (VisitSource)
 *  - components/history/core/browser/download_constants.h / download_database.cc
 *    (download state as stored in History), components/download/public/common/
 *    download_danger_type.h, download_interrupt_reason_values.h
 */
import {unixSecondsToIso, webkitToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {bool, enumName, nonEmpty, openBrowserDatabase, optional, readSection, reportBrowserCoverage, selectList, toBigInt, toNumber, toText} from './database.js'
import {browserOwner, type BrowserOwner} from './owner.js'
import {tolerant, webkitSplitToIso} from './times.js'

/** ui::PageTransition core values (the low byte), in order 0..10. */
export const PAGE_TRANSITION_CORE_TYPES = [
  'link',
  'typed',
  'auto_bookmark',
  'auto_subframe',
  'manual_subframe',
  'generated',
  'auto_toplevel',
  'form_submit',
  'reload',
  'keyword',
  'keyword_generated',
] as const

/** ui::PageTransition qualifier bits. 0x00200000 and 0x00400000 were experiments removed in 2021 but may remain in old files. */
export const PAGE_TRANSITION_QUALIFIERS: ReadonlyArray<readonly [number, string]> = [
  [0x0020_0000, 'from_api_3'],
  [0x0040_0000, 'from_api_2'],
  [0x0080_0000, 'blocked'],
  [0x0100_0000, 'forward_back'],
  [0x0200_0000, 'from_address_bar'],
  [0x0400_0000, 'home_page'],
  [0x0800_0000, 'from_api'],
  [0x1000_0000, 'chain_start'],
  [0x2000_0000, 'chain_end'],
  [0x4000_0000, 'client_redirect'],
  [0x8000_0000, 'server_redirect'],
]

export interface PageTransition {
  core: string
  qualifiers: string[]
  /** The stored value as an unsigned 32-bit number. */
  raw: number
}

/** Splits a stored transition into its core type name and qualifier names; unknown bits are named by value. */
export function decodePageTransition(stored: number | bigint): PageTransition {
  // Chromium writes the uint32 enum into an INTEGER column; a signed read of a
  // value with the server_redirect bit set comes back negative.
  const raw = typeof stored === 'bigint' ? Number(BigInt.asUintN(32, stored)) : stored >>> 0
  const coreValue = raw & 0xff
  const core = PAGE_TRANSITION_CORE_TYPES[coreValue] ?? `unknown_${coreValue}`
  const qualifiers: string[] = []
  let rest = raw & 0xffff_ff00
  for (const [bit, name] of PAGE_TRANSITION_QUALIFIERS) {
    if ((raw & bit) !== 0) {
      qualifiers.push(name)
      rest &= ~bit
    }
  }
  if (rest !== 0) qualifiers.push(`unknown_0x${(rest >>> 0).toString(16).padStart(8, '0')}`)
  return {core, qualifiers, raw}
}

/** A History holds few distinct transition values: decode each once. */
function transitionDecoder(): (stored: number) => PageTransition {
  const cache = new Map<number, PageTransition>()
  return (stored) => {
    let decoded = cache.get(stored)
    if (decoded === undefined) {
      decoded = decodePageTransition(stored)
      cache.set(stored, decoded)
    }
    return decoded
  }
}

/** history::VisitSource (visit_source table; a visit without a row there was browsed on this device). */
export const VISIT_SOURCES: Record<number, string> = {
  0: 'synced',
  1: 'browsed',
  2: 'extension',
  3: 'firefox_imported',
  4: 'ie_imported',
  5: 'safari_imported',
}

/** Download state as History stores it (DownloadDatabase kState*; 3 was the 'removing' state of bug 140687). */
export const DOWNLOAD_STATES: Record<number, string> = {
  0: 'in_progress',
  1: 'complete',
  2: 'cancelled',
  3: 'interrupted_bug_140687',
  4: 'interrupted',
}

/** download::DownloadDangerType (18 is deprecated: blocked_unsupported_filetype). */
export const DOWNLOAD_DANGER_TYPES: Record<number, string> = {
  0: 'not_dangerous',
  1: 'dangerous_file',
  2: 'dangerous_url',
  3: 'dangerous_content',
  4: 'maybe_dangerous_content',
  5: 'uncommon_content',
  6: 'user_validated',
  7: 'dangerous_host',
  8: 'potentially_unwanted',
  9: 'allowlisted_by_policy',
  10: 'async_scanning',
  11: 'blocked_password_protected',
  12: 'blocked_too_large',
  13: 'sensitive_content_warning',
  14: 'sensitive_content_block',
  15: 'deep_scanned_safe',
  16: 'deep_scanned_opened_dangerous',
  17: 'prompt_for_scanning',
  18: 'blocked_unsupported_filetype',
  19: 'dangerous_account_compromise',
  20: 'deep_scanned_failed',
  21: 'prompt_for_local_password_scanning',
  22: 'async_local_password_scanning',
  23: 'blocked_scan_failed',
}

/** download_interrupt_reason_values.h (32 server_precondition is obsolete but may be stored). */
export const DOWNLOAD_INTERRUPT_REASONS: Record<number, string> = {
  0: 'none',
  1: 'file_failed',
  2: 'file_access_denied',
  3: 'file_no_space',
  5: 'file_name_too_long',
  6: 'file_too_large',
  7: 'file_virus_infected',
  10: 'file_transient_error',
  11: 'file_blocked',
  12: 'file_security_check_failed',
  13: 'file_too_short',
  14: 'file_hash_mismatch',
  15: 'file_same_as_source',
  20: 'network_failed',
  21: 'network_timeout',
  22: 'network_disconnected',
  23: 'network_server_down',
  24: 'network_invalid_request',
  30: 'server_failed',
  31: 'server_no_range',
  32: 'server_precondition',
  33: 'server_bad_content',
  34: 'server_unauthorized',
  35: 'server_cert_problem',
  36: 'server_forbidden',
  37: 'server_unreachable',
  38: 'server_content_length_mismatch',
  39: 'server_cross_origin_redirect',
  40: 'user_canceled',
  41: 'user_shutdown',
  50: 'crash',
}

/**
 * A duration in microseconds as an ISO 8601 duration in seconds, exact to the
 * microsecond ('PT12.345678S'). 0 means Chromium did not record one: null.
 */
export function microsToIsoDuration(micros: number | bigint | null): string | null {
  if (micros === null) return null
  if (typeof micros === 'number' && !Number.isSafeInteger(micros)) return null
  if (micros === 0 || micros === 0n) return null
  const negative = micros < 0
  // integer arithmetic either way: a safe integer's remainder and quotient by 1e6 are exact
  const abs = negative ? -micros : micros
  const fractionValue = typeof abs === 'bigint' ? abs % 1_000_000n : abs % 1_000_000
  const seconds = typeof abs === 'bigint' ? abs / 1_000_000n : (abs - (fractionValue as number)) / 1_000_000
  const fraction = fractionValue.toString().padStart(6, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}PT${seconds}${fraction === '' ? '' : `.${fraction}`}S`
}

function* visitRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const visit = tableColumns(db, 'visits')
  const url = tableColumns(db, 'urls')
  const withSource = coverage.has('visit_source')
  const hasDuration = visit.has('visit_duration')
  // visit_time is split in SQL into exact seconds and microseconds (see times.ts): no BigInt per row.
  // The referring visit's URL is joined in so an examiner sees where a visit came from.
  const {sql: columns, at} = selectList([
    ['id', 'v.id'],
    ['visitSeconds', 'v.visit_time / 1000000'],
    ['visitMicros', 'v.visit_time % 1000000'],
    ['fromVisit', optional(visit, 'v', 'from_visit')],
    ['transition', optional(visit, 'v', 'transition')],
    ['duration', optional(visit, 'v', 'visit_duration')],
    ['externalReferrer', optional(visit, 'v', 'external_referrer_url')],
    ['openerVisit', optional(visit, 'v', 'opener_visit')],
    ['originator', optional(visit, 'v', 'originator_cache_guid')],
    ['appId', optional(visit, 'v', 'app_id')],
    ['urlId', 'v.url'],
    ['urlRow', 'u.id'],
    ['url', 'u.url'],
    ['title', 'u.title'],
    ['visitCount', optional(url, 'u', 'visit_count')],
    ['typedCount', optional(url, 'u', 'typed_count')],
    ['hidden', optional(url, 'u', 'hidden')],
    ['fromUrl', 'fu.url'],
    ['visitSource', withSource ? 's.source' : 'NULL'],
    ['sourceRow', withSource ? 's.id' : 'NULL'],
  ] as const)
  const sql = `SELECT ${columns}
    FROM visits v
    LEFT JOIN urls u ON u.id = v.url
    LEFT JOIN visits fv ON fv.id = ${visit.has('from_visit') ? 'v.from_visit' : 'NULL'}
    LEFT JOIN urls fu ON fu.id = fv.url
    ${withSource ? 'LEFT JOIN visit_source s ON s.id = v.id' : ''}
    ORDER BY v.id`
  const decode = transitionDecoder()
  for (const row of db.prepare(sql).raw(true).iterate() as IterableIterator<unknown[]>) {
    const id = row[at.id] as number
    const stored = row[at.transition]
    const transition = typeof stored === 'number' ? decode(stored) : null
    const duration = hasDuration && typeof row[at.duration] === 'number' ? (row[at.duration] as number) : null
    const fromVisit = toNumber(row[at.fromVisit])
    const sourceValue = withSource ? (toNumber(row[at.visitSource]) ?? 1) : null
    coverage.parsed('visits', id)
    coverage.parsed('urls', row[at.urlRow])
    if (withSource) coverage.parsed('visit_source', row[at.sourceRow])
    yield {
      type: 'browser.visit',
      source: input.source({table: 'visits', rowid: id}),
      ...owner,
      url: toText(row[at.url]),
      title: toText(row[at.title]),
      visitTime: webkitSplitToIso(row[at.visitSeconds] as number | null, row[at.visitMicros] as number | null),
      visitId: id,
      urlId: toNumber(row[at.urlId]),
      visitDuration: microsToIsoDuration(duration),
      visitDurationMicros: duration,
      transition: transition?.core ?? null,
      transitionQualifiers: transition === null ? [] : [...transition.qualifiers],
      transitionRaw: transition?.raw ?? null,
      fromVisit: fromVisit === 0 ? null : fromVisit,
      fromUrl: toText(row[at.fromUrl]),
      externalReferrerUrl: nonEmpty(row[at.externalReferrer]),
      openerVisit: toNumber(row[at.openerVisit]) || null,
      visitSource: sourceValue === null ? null : enumName(VISIT_SOURCES, sourceValue),
      syncedFromDevice: nonEmpty(row[at.originator]),
      appId: nonEmpty(row[at.appId]),
      visitCount: toNumber(row[at.visitCount]),
      typedCount: toNumber(row[at.typedCount]),
      hidden: bool(row[at.hidden]),
    }
  }
}

/**
 * Every downloads_url_chains row, by download id, in chain_index order: the URL a
 * download started at, each redirect, and the URL it finally came from. Downloads are
 * few (hundreds), so the chains are held while the downloads are read.
 */
function loadUrlChains(db: SqliteDatabase): Map<number, Array<{index: number; url: string | null}>> {
  const chains = new Map<number, Array<{index: number; url: string | null}>>()
  const statement = db.prepare('SELECT id, chain_index, url FROM downloads_url_chains ORDER BY id, chain_index').safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<{id: unknown; chain_index: unknown; url: unknown}>) {
    const id = toNumber(row.id) ?? 0
    let chain = chains.get(id)
    if (!chain) chains.set(id, (chain = []))
    chain.push({index: toNumber(row.chain_index) ?? 0, url: toText(row.url)})
  }
  return chains
}

function* downloadRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const d = tableColumns(db, 'downloads')
  // Before meta.version 24 (MigrateDownloadsReasonPathsAndDangerType) a download had one
  // url and one full_path, and its times were time_t seconds, not microseconds since 1601.
  const legacy = d.has('full_path') && !d.has('target_path')
  // a version-24+ database always has downloads_url_chains; a legacy one may too (left by
  // a migration): its rows are read either way, so none goes unaccounted
  const chains = coverage.has('downloads_url_chains') ? loadUrlChains(db) : new Map<number, Array<{index: number; url: string | null}>>()
  const col = (name: string) => optional(d, 'd', name)
  const sql = `SELECT d.id AS id, ${col('guid')} AS guid, ${col('current_path')} AS current_path, ${col('target_path')} AS target_path,
      ${col('full_path')} AS full_path, ${col('url')} AS url,
      ${col('start_time')} AS start_time, ${col('end_time')} AS end_time, ${col('last_access_time')} AS last_access_time,
      ${col('received_bytes')} AS received_bytes, ${col('total_bytes')} AS total_bytes, ${col('state')} AS state,
      ${col('danger_type')} AS danger_type, ${col('interrupt_reason')} AS interrupt_reason, ${col('opened')} AS opened,
      ${col('referrer')} AS referrer, ${col('site_url')} AS site_url, ${col('tab_url')} AS tab_url,
      ${col('tab_referrer_url')} AS tab_referrer_url, ${col('mime_type')} AS mime_type,
      ${col('original_mime_type')} AS original_mime_type, ${col('by_ext_id')} AS by_ext_id, ${col('by_ext_name')} AS by_ext_name,
      ${col('by_web_app_id')} AS by_web_app_id, ${col('transient')} AS transient
    FROM downloads d ORDER BY d.id`
  const statement = db.prepare(sql).safeIntegers(true)
  const time = legacy ? (v: unknown) => tolerant(unixSecondsToIso, toBigInt(v)) : (v: unknown) => tolerant(webkitToIso, toBigInt(v))
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    coverage.parsed('downloads', id)
    const chain = id === null ? undefined : chains.get(id)
    if (id !== null) chains.delete(id)
    for (const link of chain ?? []) coverage.parsed('downloads_url_chains', `${id}/${link.index}`)
    const single = legacy ? toText(row.url) : null
    const urlChain = legacy && chain === undefined ? (single === null ? [] : [single]) : (chain ?? []).flatMap((link) => (link.url === null ? [] : [link.url]))
    const state = toNumber(row.state)
    const danger = toNumber(row.danger_type)
    const interrupt = toNumber(row.interrupt_reason)
    yield {
      type: 'browser.download',
      source: input.source({table: 'downloads', rowid: id ?? undefined}),
      ...owner,
      // what the browser shows as the download's address: the last URL after redirects
      url: urlChain.length > 0 ? urlChain[urlChain.length - 1] : null,
      urlChain,
      targetPath: nonEmpty(legacy ? row.full_path : row.target_path),
      currentPath: legacy ? null : nonEmpty(row.current_path),
      startTime: time(row.start_time),
      endTime: time(row.end_time),
      lastAccessTime: tolerant(webkitToIso, toBigInt(row.last_access_time)),
      receivedBytes: toNumber(row.received_bytes),
      totalBytes: toNumber(row.total_bytes),
      state: enumName(DOWNLOAD_STATES, state),
      stateRaw: state,
      dangerType: enumName(DOWNLOAD_DANGER_TYPES, danger),
      dangerTypeRaw: danger,
      interruptReason: enumName(DOWNLOAD_INTERRUPT_REASONS, interrupt),
      interruptReasonRaw: interrupt,
      opened: bool(row.opened),
      referrer: nonEmpty(row.referrer),
      siteUrl: nonEmpty(row.site_url),
      tabUrl: nonEmpty(row.tab_url),
      tabReferrerUrl: nonEmpty(row.tab_referrer_url),
      mimeType: nonEmpty(row.mime_type),
      originalMimeType: nonEmpty(row.original_mime_type),
      byExtensionId: nonEmpty(row.by_ext_id),
      byExtensionName: nonEmpty(row.by_ext_name),
      byWebAppId: nonEmpty(row.by_web_app_id),
      transient: bool(row.transient),
      guid: nonEmpty(row.guid),
      downloadId: id,
    }
  }
  // URL chains whose downloads row is gone (deleted from the download list while the
  // chain stayed): still evidence of a download from those addresses
  for (const [id, chain] of chains) {
    for (const link of chain) coverage.parsed('downloads_url_chains', `${id}/${link.index}`)
    const urlChain = chain.flatMap((link) => (link.url === null ? [] : [link.url]))
    yield {
      type: 'browser.download',
      source: input.source({table: 'downloads_url_chains', rowid: id}),
      ...owner,
      url: urlChain.at(-1) ?? null,
      urlChain,
      urlChainOnly: true,
      note: 'downloads_url_chains rows without their downloads row: the download itself is not in the database',
      downloadId: id,
    }
  }
}

function* searchRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const k = tableColumns(db, 'keyword_search_terms')
  // normalized_term replaced lower_term (meta.version 30s); both hold the lower-cased term
  const normalized = k.has('normalized_term') ? 'k.normalized_term' : k.has('lower_term') ? 'k.lower_term' : 'NULL'
  const sql = `SELECT k.rowid AS rowid, k.keyword_id AS keyword_id, k.url_id AS url_id, k.term AS term, ${normalized} AS normalized_term,
      u.url AS url, u.title AS title, u.last_visit_time AS last_visit_time
    FROM keyword_search_terms k LEFT JOIN urls u ON u.id = k.url_id ORDER BY k.rowid`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    coverage.parsed('keyword_search_terms', row.rowid)
    yield {
      type: 'browser.search',
      source: input.source({table: 'keyword_search_terms', rowid: toNumber(row.rowid) ?? undefined}),
      ...owner,
      term: toText(row.term),
      normalizedTerm: toText(row.normalized_term),
      url: toText(row.url),
      title: toText(row.title),
      // History keeps no time per search term: this is the last visit to the results page
      visitTime: tolerant(webkitToIso, toBigInt(row.last_visit_time)),
      keywordId: toNumber(row.keyword_id),
      urlId: toNumber(row.url_id),
    }
  }
}

/** urls rows no visit refers to (visits expired, the URL kept because it was typed or bookmarked). */
function* unvisitedUrlRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const u = tableColumns(db, 'urls')
  const {sql: columns, at} = selectList([
    ['id', 'u.id'],
    ['url', 'u.url'],
    ['title', 'u.title'],
    ['visitCount', optional(u, 'u', 'visit_count')],
    ['typedCount', optional(u, 'u', 'typed_count')],
    ['hidden', optional(u, 'u', 'hidden')],
    ['lastSeconds', `${optional(u, 'u', 'last_visit_time')} / 1000000`],
    ['lastMicros', `${optional(u, 'u', 'last_visit_time')} % 1000000`],
  ] as const)
  const sql = `SELECT ${columns} FROM urls u WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.url = u.id) ORDER BY u.id`
  for (const row of db.prepare(sql).raw(true).iterate() as IterableIterator<unknown[]>) {
    const id = toNumber(row[at.id])
    coverage.parsed('urls', id)
    yield {
      type: 'browser.url',
      source: input.source({table: 'urls', rowid: id ?? undefined}),
      ...owner,
      url: toText(row[at.url]),
      title: toText(row[at.title]),
      // the browser's own summary of the visits it no longer keeps
      lastVisitTime: webkitSplitToIso(row[at.lastSeconds] as number | null, row[at.lastMicros] as number | null),
      visitCount: toNumber(row[at.visitCount]),
      typedCount: toNumber(row[at.typedCount]),
      hidden: bool(row[at.hidden]),
      urlId: id,
      note:
        (toNumber(row[at.lastSeconds]) ?? 0) === 0
          ? 'URL never visited on this profile (typed, imported or synced), no visit recorded'
          : 'URL kept with no visit left (visits expire; typed and bookmarked URLs stay): lastVisitTime and the counts are what remains',
    }
  }
}

/** Reads a Chromium History working copy. */
export async function* parseChromiumHistory(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const database = openBrowserDatabase(input.copyPath, 'Chromium History', ['urls', 'visits'])
  const db = database.db
  const coverage = new SqliteCoverage(db)
  for (const table of ['urls', 'visits', 'visit_source', 'downloads', 'downloads_url_chains', 'keyword_search_terms']) coverage.table(table)
  try {
    const owner = browserOwner(input)
    yield* readSection('visits', visitRecords, db, input, owner, coverage)
    yield* readSection('urls', unvisitedUrlRecords, db, input, owner, coverage)
    if (coverage.has('downloads')) yield* readSection('downloads', downloadRecords, db, input, owner, coverage)
    if (coverage.has('keyword_search_terms')) yield* readSection('keyword_search_terms', searchRecords, db, input, owner, coverage)
    reportBrowserCoverage(input, coverage, 'chromium-history', 'Chromium History')
  } finally {
    database.close()
  }
}

export const chromiumHistoryParser: Parser = {
  id: 'chromium-history',
  description: 'Chromium-family History database (Chrome, Edge, Brave, Opera, Vivaldi): visits, downloads, keyword searches',
  parse: parseChromiumHistory,
}
