/**
 * Mozilla Firefox: places.sqlite (visits, download annotations, bookmarks) and
 * the downloads.sqlite of Firefox 25 and earlier.
 *
 * places.sqlite changed over the years (moz_bookmarks_roots until Firefox 56,
 * moz_places.url_hash from 50, moz_origins from 62, moz_annos losing mime_type,
 * moz_historyvisits.source from 2022), so queries are built from the columns
 * present. Times are PRTime: microseconds since 1970-01-01 UTC.
 *
 * Records (besides browser, profile, user and source {table, rowid}):
 *  - browser.visit (moz_historyvisits): url, title, visitTime, visitType (name) and
 *    visitTypeRaw, fromVisit/fromUrl, frecency, visitCount, typed, hidden, lastVisitTime.
 *  - browser.download (moz_annos, Firefox 26+): url, targetPath (local path) and
 *    targetUri (as stored), startTime (the download-type visit, else the destination
 *    annotation: startTimeFrom says which), endTime, totalBytes, state from metaData.
 *  - browser.download (moz_downloads, downloads.sqlite): url, targetPath/targetUri,
 *    startTime, endTime, receivedBytes, totalBytes, state, referrer, mimeType.
 *  - browser.bookmark (moz_bookmarks): kind (bookmark, folder, separator), title, url,
 *    folderPath ('toolbar/Investigations/Case 42'; roots by title, else their internal
 *    name), dateAdded, lastModified, guid, annotations (moz_items_annos: the item's
 *    description and other properties, by name).
 *  - browser.url (moz_places): a place with no visit left. Firefox expires visits but
 *    keeps bookmarked, typed and download places with their last visit time and counts.
 *    A never-visited place that a bookmark or download names is in that record instead.
 *  - browser.typed_input (moz_inputhistory): what the user typed in the address bar and
 *    the page chosen from the suggestions, with its use count.
 *  - browser.keyword (moz_keywords): a bookmark keyword (shortcut typed in the address bar).
 *
 * Downloads: a places.sqlite that holds both the annotation records of Firefox 26+ and
 * a moz_downloads table (left by the migration from downloads.sqlite) gets both read.
 *
 * Coverage (coverage.ts): moz_places, moz_historyvisits, moz_bookmarks,
 * moz_bookmarks_roots, moz_annos, moz_anno_attributes, moz_items_annos,
 * moz_inputhistory, moz_keywords and moz_downloads are read row by row; page
 * annotations that are not downloads are excluded by name; every other table
 * (moz_origins, moz_favicons, moz_hosts, moz_meta, ...) is listed as not read.
 *
 * Values are from toolkit/components/places/nsINavHistoryService.idl
 * (TRANSITION_*), nsINavBookmarksService.idl (TYPE_*), and
 * toolkit/components/downloads (DownloadHistory METADATA_STATE_*, the older
 * nsIDownloadManager DOWNLOAD_* states, which share the numbering).
 */
import {unixMicrosToIso, unixMillisToIso} from '../../time.js'
import {SqliteCoverage} from '../coverage.js'
import {tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {enumName, nonEmpty, openBrowserDatabase, optional, readSection, reportBrowserCoverage, selectList, toBigInt, toNumber, toText} from './database.js'
import {browserOwner, type BrowserOwner} from './owner.js'
import {prtimeSplitToIso, tolerant} from './times.js'

/** nsINavHistoryService TRANSITION_* (moz_historyvisits.visit_type). */
export const FIREFOX_VISIT_TYPES: Record<number, string> = {
  1: 'link',
  2: 'typed',
  3: 'bookmark',
  4: 'embed',
  5: 'redirect_permanent',
  6: 'redirect_temporary',
  7: 'download',
  8: 'framed_link',
  9: 'reload',
}

/** nsINavBookmarksService TYPE_* (moz_bookmarks.type); 4 was the dynamic container of Firefox 3. */
export const FIREFOX_BOOKMARK_KINDS: Record<number, string> = {
  1: 'bookmark',
  2: 'folder',
  3: 'separator',
  4: 'dynamic_container',
}

/** nsIDownloadManager DOWNLOAD_* states; DownloadHistory's metaData 'state' uses the same numbers. */
export const FIREFOX_DOWNLOAD_STATES: Record<number, string> = {
  [-1]: 'not_started',
  0: 'downloading',
  1: 'finished',
  2: 'failed',
  3: 'canceled',
  4: 'paused',
  5: 'queued',
  6: 'blocked_parental',
  7: 'scanning',
  8: 'dirty',
  9: 'blocked_policy',
}

/** Root folders by their fixed GUIDs (Firefox 57+) or moz_bookmarks_roots names (older). */
const ROOT_GUIDS: Record<string, string> = {
  root________: 'places',
  menu________: 'menu',
  toolbar_____: 'toolbar',
  tags________: 'tags',
  unfiled_____: 'unfiled',
  mobile______: 'mobile',
}

/**
 * A file: URI as Firefox stores a download target, as a local path:
 * 'file:///C:/Users/a/x%20y.zip' -> 'C:\Users\a\x y.zip'; '/home/a/x' stays a POSIX path.
 * Anything that is not a file: URI is returned unchanged.
 */
export function fileUriToPath(uri: string | null): string | null {
  if (uri === null) return null
  if (!/^file:/i.test(uri)) return uri
  let rest = uri.replace(/^file:(\/\/[^/]*)?/i, '')
  try {
    rest = decodeURIComponent(rest)
  } catch {
    // malformed percent escapes: keep the text as stored
  }
  const drive = /^\/([A-Za-z]:)(\/.*)?$/.exec(rest)
  if (drive) return `${drive[1]}${(drive[2] ?? '\\').replaceAll('/', '\\')}`
  return rest
}

function* visitRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const v = tableColumns(db, 'moz_historyvisits')
  const p = tableColumns(db, 'moz_places')
  const lastVisit = optional(p, 'p', 'last_visit_date')
  // times are split in SQL into exact seconds and microseconds (see times.ts): no BigInt per row
  const {sql: columns, at} = selectList([
    ['id', 'v.id'],
    ['fromVisit', 'v.from_visit'],
    ['placeId', 'v.place_id'],
    ['placeRow', 'p.id'],
    ['visitSeconds', 'v.visit_date / 1000000'],
    ['visitMicros', 'v.visit_date % 1000000'],
    ['visitType', 'v.visit_type'],
    ['visitSource', optional(v, 'v', 'source')],
    ['url', 'p.url'],
    ['title', 'p.title'],
    ['visitCount', optional(p, 'p', 'visit_count')],
    ['frecency', optional(p, 'p', 'frecency')],
    ['typed', optional(p, 'p', 'typed')],
    ['hidden', optional(p, 'p', 'hidden')],
    ['lastSeconds', `${lastVisit} / 1000000`],
    ['lastMicros', `${lastVisit} % 1000000`],
    ['fromUrl', 'fp.url'],
  ] as const)
  const sql = `SELECT ${columns}
    FROM moz_historyvisits v
    LEFT JOIN moz_places p ON p.id = v.place_id
    LEFT JOIN moz_historyvisits fv ON fv.id = v.from_visit
    LEFT JOIN moz_places fp ON fp.id = fv.place_id
    ORDER BY v.id`
  for (const row of db.prepare(sql).raw(true).iterate() as IterableIterator<unknown[]>) {
    const id = row[at.id] as number
    const visitType = toNumber(row[at.visitType])
    const fromVisit = toNumber(row[at.fromVisit])
    const typed = toNumber(row[at.typed])
    const hidden = toNumber(row[at.hidden])
    coverage.parsed('moz_historyvisits', id)
    coverage.parsed('moz_places', row[at.placeRow])
    yield {
      type: 'browser.visit',
      source: input.source({table: 'moz_historyvisits', rowid: id}),
      ...owner,
      url: toText(row[at.url]),
      title: toText(row[at.title]),
      visitTime: prtimeSplitToIso(row[at.visitSeconds] as number | null, row[at.visitMicros] as number | null),
      visitId: id,
      placeId: toNumber(row[at.placeId]),
      visitType: enumName(FIREFOX_VISIT_TYPES, visitType),
      visitTypeRaw: visitType,
      fromVisit: fromVisit === 0 ? null : fromVisit,
      fromUrl: toText(row[at.fromUrl]),
      visitSourceRaw: toNumber(row[at.visitSource]),
      frecency: toNumber(row[at.frecency]),
      visitCount: toNumber(row[at.visitCount]),
      typed: typed === null ? null : typed !== 0,
      hidden: hidden === null ? null : hidden !== 0,
      lastVisitTime: prtimeSplitToIso(row[at.lastSeconds] as number | null, row[at.lastMicros] as number | null),
    }
  }
}

interface DownloadMetaData {
  state?: number
  endTime?: number
  fileSize?: number
  deleted?: boolean
  reputationCheckVerdict?: string
}

/** The page annotations that make up a Firefox 26+ download record. */
const DOWNLOAD_ANNOTATIONS = ['downloads/destinationFileURI', 'downloads/destinationFileName', 'downloads/metaData']

function* annotationDownloadRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  // Firefox 26 and later keep finished downloads as page annotations of the
  // downloaded URL: destinationFileURI, destinationFileName and a JSON metaData.
  const anno = (name: string, column: string) =>
    `(SELECT a.${column} FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id
       WHERE a.place_id = d.place_id AND n.name = '${name}')`
  const sql = `SELECT d.id AS id, d.place_id AS place_id, d.content AS destination, d.dateAdded AS date_added,
      d.lastModified AS last_modified, ${anno('downloads/destinationFileName', 'content')} AS file_name,
      ${anno('downloads/metaData', 'content')} AS meta_data, d.anno_attribute_id AS destination_name,
      ${anno('downloads/destinationFileName', 'id')} AS file_name_row, ${anno('downloads/destinationFileName', 'anno_attribute_id')} AS file_name_name,
      ${anno('downloads/metaData', 'id')} AS meta_data_row, ${anno('downloads/metaData', 'anno_attribute_id')} AS meta_data_name, p.id AS place_row,
      (SELECT max(h.visit_date) FROM moz_historyvisits h WHERE h.place_id = d.place_id AND h.visit_type = 7) AS download_visit,
      p.url AS url, p.title AS title
    FROM moz_annos d
    JOIN moz_anno_attributes dn ON dn.id = d.anno_attribute_id AND dn.name = 'downloads/destinationFileURI'
    LEFT JOIN moz_places p ON p.id = d.place_id
    ORDER BY d.id`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    for (const annotation of [row.id, row.file_name_row, row.meta_data_row]) coverage.parsed('moz_annos', toNumber(annotation))
    for (const name of [row.destination_name, row.file_name_name, row.meta_data_name]) coverage.parsed('moz_anno_attributes', toNumber(name))
    coverage.parsed('moz_places', toNumber(row.place_row))
    const destination = toText(row.destination)
    const metaText = toText(row.meta_data)
    let meta: DownloadMetaData = {}
    let metaDataError: string | null = null
    if (metaText !== null) {
      try {
        meta = JSON.parse(metaText) as DownloadMetaData
      } catch {
        metaDataError = 'downloads/metaData is not valid JSON'
      }
    }
    const downloadVisit = toBigInt(row.download_visit)
    const state = typeof meta.state === 'number' ? meta.state : null
    yield {
      type: 'browser.download',
      source: input.source({table: 'moz_annos', rowid: id ?? undefined}),
      ...owner,
      url: toText(row.url),
      urlChain: [],
      title: toText(row.title),
      targetPath: fileUriToPath(destination),
      targetUri: destination,
      fileName: toText(row.file_name),
      // Firefox records a download as a visit of type 'download' when it starts; without
      // one (expired), the destination annotation, written as the download starts, dates it.
      startTime: downloadVisit !== null ? tolerant(unixMicrosToIso, downloadVisit) : tolerant(unixMicrosToIso, toBigInt(row.date_added)),
      startTimeFrom: downloadVisit !== null ? 'download visit' : 'destination annotation',
      endTime: typeof meta.endTime === 'number' ? tolerant(unixMillisToIso, meta.endTime) : null,
      totalBytes: typeof meta.fileSize === 'number' ? meta.fileSize : null,
      state: enumName(FIREFOX_DOWNLOAD_STATES, state),
      stateRaw: state,
      deleted: typeof meta.deleted === 'boolean' ? meta.deleted : null,
      reputationCheckVerdict: typeof meta.reputationCheckVerdict === 'string' ? meta.reputationCheckVerdict : null,
      metaData: metaText,
      metaDataError,
      annotationAdded: tolerant(unixMicrosToIso, toBigInt(row.date_added)),
      annotationModified: tolerant(unixMicrosToIso, toBigInt(row.last_modified)),
      placeId: toNumber(row.place_id),
    }
  }
  // the other page annotations (character set, page descriptions, Sync and reader-mode
  // state) are not records of use: counted by name so the account shows what they were
  const others = db
    .prepare(
      `SELECT coalesce(n.name, 'unnamed (attribute ' || a.anno_attribute_id || ')') AS name, count(*) AS n
       FROM moz_annos a LEFT JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id
       WHERE n.name IS NULL OR n.name NOT IN (${DOWNLOAD_ANNOTATIONS.map((name) => `'${name}'`).join(', ')}) GROUP BY 1 ORDER BY 1`,
    )
    .all() as Array<{name: string; n: number}>
  for (const other of others) coverage.exclude('moz_annos', `page annotation ${other.name}: not a download, not read`, other.n)
}

interface Folder {
  parent: number | null
  name: string
}

/** Folder id -> parent and display name; folders are few, so they are held to build paths. */
function loadFolders(db: SqliteDatabase, coverage: SqliteCoverage): Map<number, Folder> {
  const b = tableColumns(db, 'moz_bookmarks')
  const rootNames = new Map<number, string>()
  if (coverage.has('moz_bookmarks_roots')) {
    // every root's name is used: it names its folder in every folder path
    for (const row of db.prepare('SELECT rowid AS rowid, root_name, folder_id FROM moz_bookmarks_roots').iterate() as IterableIterator<{rowid: number; root_name: string; folder_id: number}>) {
      rootNames.set(Number(row.folder_id), row.root_name)
      coverage.parsed('moz_bookmarks_roots', row.rowid)
    }
  }
  const folders = new Map<number, Folder>()
  const sql = `SELECT id, parent, title, ${b.has('guid') ? 'guid' : 'NULL'} AS guid FROM moz_bookmarks WHERE type = 2`
  for (const row of db.prepare(sql).iterate() as IterableIterator<{id: number; parent: number | null; title: string | null; guid: string | null}>) {
    const rootName = rootNames.get(row.id) ?? (row.guid ? ROOT_GUIDS[row.guid] : undefined)
    // the stored title when there is one, else the root's internal name (menu, toolbar, ...)
    const name = row.title !== null && row.title !== '' ? row.title : (rootName ?? `folder ${row.id}`)
    folders.set(row.id, {parent: row.parent, name})
  }
  return folders
}

/** The folder path of `folderId` from the top (the invisible places root, parent 0, is left out). */
function folderPath(folders: Map<number, Folder>, folderId: number | null): string | null {
  if (folderId === null) return null
  const names: string[] = []
  let current: number | null = folderId
  const seen = new Set<number>()
  while (current !== null && current !== 0 && !seen.has(current)) {
    seen.add(current)
    const folder = folders.get(current)
    if (!folder) {
      names.push(`missing folder ${current}`)
      break
    }
    if (folder.parent === 0 || folder.parent === null) break // the places root itself
    names.push(folder.name)
    current = folder.parent
  }
  return names.reverse().join('/')
}

/**
 * moz_items_annos by bookmark id: the description a user wrote for a bookmark, livemark
 * feed addresses, and other item properties, as {name: content}. They are few.
 */
function loadItemAnnotations(db: SqliteDatabase, coverage: SqliteCoverage): Map<number, Array<{id: number; name: string; content: string | null}>> {
  const byItem = new Map<number, Array<{id: number; name: string; content: string | null}>>()
  if (!coverage.has('moz_items_annos')) return byItem
  const sql = `SELECT a.id AS id, a.item_id AS item_id, a.anno_attribute_id AS name_id, n.name AS name, a.content AS content
    FROM moz_items_annos a LEFT JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id ORDER BY a.id`
  for (const row of db.prepare(sql).iterate() as IterableIterator<{id: number; item_id: number; name_id: number | null; name: string | null; content: unknown}>) {
    let list = byItem.get(row.item_id)
    if (!list) byItem.set(row.item_id, (list = []))
    list.push({id: row.id, name: row.name ?? `attribute ${row.name_id}`, content: toText(row.content)})
    if (row.name !== null) coverage.parsed('moz_anno_attributes', row.name_id)
  }
  return byItem
}

function* bookmarkRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const folders = loadFolders(db, coverage)
  const itemAnnotations = loadItemAnnotations(db, coverage)
  const b = tableColumns(db, 'moz_bookmarks')
  const sql = `SELECT b.id AS id, b.type AS type, b.fk AS fk, b.parent AS parent, b.position AS position, b.title AS title,
      b.dateAdded AS date_added, b.lastModified AS last_modified, ${optional(b, 'b', 'guid')} AS guid,
      p.id AS place_row, p.url AS url, p.title AS place_title
    FROM moz_bookmarks b LEFT JOIN moz_places p ON p.id = b.fk AND b.type = 1
    ORDER BY b.id`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    const kind = toNumber(row.type)
    const parent = toNumber(row.parent)
    coverage.parsed('moz_bookmarks', id)
    coverage.parsed('moz_places', toNumber(row.place_row))
    const annotations = id === null ? undefined : itemAnnotations.get(id)
    for (const annotation of annotations ?? []) coverage.parsed('moz_items_annos', annotation.id)
    yield {
      type: 'browser.bookmark',
      source: input.source({table: 'moz_bookmarks', rowid: id ?? undefined}),
      ...owner,
      kind: enumName(FIREFOX_BOOKMARK_KINDS, kind),
      kindRaw: kind,
      title: toText(row.title),
      url: toText(row.url),
      pageTitle: toText(row.place_title),
      folderPath: parent === 0 ? '' : folderPath(folders, parent),
      dateAdded: tolerant(unixMicrosToIso, toBigInt(row.date_added)),
      lastModified: tolerant(unixMicrosToIso, toBigInt(row.last_modified)),
      bookmarkId: id,
      parentId: parent,
      position: toNumber(row.position),
      guid: nonEmpty(row.guid),
      annotations: Object.fromEntries((annotations ?? []).map((a) => [a.name, a.content])),
    }
  }
}

function neverVisitedNote(lastVisit: unknown, visitCount: unknown): string {
  return (toNumber(lastVisit) ?? 0) === 0 && (toNumber(visitCount) ?? 0) === 0
    ? 'place never visited: known from the address bar or an import, not from a visit'
    : 'place kept with no visit left (visits expire; bookmarked, typed and downloaded places stay): lastVisitTime and visitCount are what remains'
}

/** moz_places rows no visit refers to: visits expired, the place kept (bookmarked, typed, a download). */
function* unvisitedPlaceRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const p = tableColumns(db, 'moz_places')
  const lastVisit = optional(p, 'p', 'last_visit_date')
  const {sql: columns, at} = selectList([
    ['id', 'p.id'],
    ['url', 'p.url'],
    ['title', 'p.title'],
    ['visitCount', optional(p, 'p', 'visit_count')],
    ['typed', optional(p, 'p', 'typed')],
    ['hidden', optional(p, 'p', 'hidden')],
    ['frecency', optional(p, 'p', 'frecency')],
    ['lastSeconds', `${lastVisit} / 1000000`],
    ['lastMicros', `${lastVisit} % 1000000`],
  ] as const)
  // a place never visited that a bookmark or a download names is already in that record
  // (marked read there); one with a last visit time lost its visits and is reported here
  const namedElsewhere = [
    ...(coverage.has('moz_bookmarks') ? ['EXISTS (SELECT 1 FROM moz_bookmarks b WHERE b.fk = p.id)'] : []),
    ...(coverage.has('moz_annos') && coverage.has('moz_anno_attributes')
      ? [
          `EXISTS (SELECT 1 FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id
             WHERE a.place_id = p.id AND n.name = 'downloads/destinationFileURI')`,
        ]
      : []),
  ]
  const neverVisited = `coalesce(${lastVisit}, 0) = 0 AND coalesce(${optional(p, 'p', 'visit_count')}, 0) = 0`
  const skip = namedElsewhere.length > 0 ? `AND NOT (${neverVisited} AND (${namedElsewhere.join(' OR ')}))` : ''
  const sql = `SELECT ${columns} FROM moz_places p WHERE NOT EXISTS (SELECT 1 FROM moz_historyvisits v WHERE v.place_id = p.id) ${skip} ORDER BY p.id`
  for (const row of db.prepare(sql).raw(true).iterate() as IterableIterator<unknown[]>) {
    const id = toNumber(row[at.id])
    const typed = toNumber(row[at.typed])
    const hidden = toNumber(row[at.hidden])
    coverage.parsed('moz_places', id)
    yield {
      type: 'browser.url',
      source: input.source({table: 'moz_places', rowid: id ?? undefined}),
      ...owner,
      url: toText(row[at.url]),
      title: toText(row[at.title]),
      lastVisitTime: prtimeSplitToIso(row[at.lastSeconds] as number | null, row[at.lastMicros] as number | null),
      visitCount: toNumber(row[at.visitCount]),
      typed: typed === null ? null : typed !== 0,
      hidden: hidden === null ? null : hidden !== 0,
      frecency: toNumber(row[at.frecency]),
      placeId: id,
      note: neverVisitedNote(row[at.lastSeconds], row[at.visitCount]),
    }
  }
}

/** moz_inputhistory: text typed in the address bar and the suggestion the user then opened. */
function* typedInputRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const sql = `SELECT i.rowid AS rowid, i.place_id AS place_id, i.input AS input, i.use_count AS use_count, p.url AS url, p.title AS title
    FROM moz_inputhistory i LEFT JOIN moz_places p ON p.id = i.place_id ORDER BY i.rowid`
  for (const row of db.prepare(sql).iterate() as IterableIterator<Record<string, unknown>>) {
    const rowid = toNumber(row.rowid)
    coverage.parsed('moz_inputhistory', rowid)
    yield {
      type: 'browser.typed_input',
      source: input.source({table: 'moz_inputhistory', rowid: rowid ?? undefined}),
      ...owner,
      input: toText(row.input),
      url: toText(row.url),
      title: toText(row.title),
      // Firefox's adaptive weight: raised each time this input led to this page, decayed daily
      useCount: typeof row.use_count === 'number' ? row.use_count : toNumber(row.use_count),
      placeId: toNumber(row.place_id),
    }
  }
}

/** moz_keywords: bookmark keywords. Firefox 39+ links them to a place; earlier, bookmarks point at the keyword. */
function* keywordRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const k = tableColumns(db, 'moz_keywords')
  const b = coverage.has('moz_bookmarks') ? tableColumns(db, 'moz_bookmarks') : new Set<string>()
  const place = k.has('place_id')
    ? 'k.place_id'
    : b.has('keyword_id')
      ? '(SELECT min(bm.fk) FROM moz_bookmarks bm WHERE bm.keyword_id = k.id)'
      : 'NULL'
  const sql = `SELECT k.id AS id, k.keyword AS keyword, ${optional(k, 'k', 'post_data')} AS post_data, ${place} AS place_id, p.url AS url
    FROM moz_keywords k LEFT JOIN moz_places p ON p.id = ${place} ORDER BY k.id`
  for (const row of db.prepare(sql).iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    coverage.parsed('moz_keywords', id)
    yield {
      type: 'browser.keyword',
      source: input.source({table: 'moz_keywords', rowid: id ?? undefined}),
      ...owner,
      keyword: toText(row.keyword),
      url: toText(row.url),
      postData: nonEmpty(row.post_data),
      placeId: toNumber(row.place_id),
    }
  }
}

const PLACES_TABLES = [
  'moz_places',
  'moz_historyvisits',
  'moz_bookmarks',
  'moz_bookmarks_roots',
  'moz_annos',
  'moz_anno_attributes',
  'moz_items_annos',
  'moz_inputhistory',
  'moz_keywords',
  'moz_downloads',
]

/** Reads a Firefox places.sqlite working copy. */
export async function* parseFirefoxPlaces(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const database = openBrowserDatabase(input.copyPath, 'Firefox places', ['moz_places', 'moz_historyvisits'])
  const db = database.db
  const coverage = new SqliteCoverage(db)
  for (const table of PLACES_TABLES) coverage.table(table)
  try {
    const owner = browserOwner(input)
    yield* readSection('moz_historyvisits', visitRecords, db, input, owner, coverage)
    if (coverage.has('moz_annos') && coverage.has('moz_anno_attributes')) {
      yield* readSection('moz_annos', annotationDownloadRecords, db, input, owner, coverage)
    }
    // a moz_downloads table beside the annotations (downloads.sqlite merged in by a
    // migration): its downloads are read too, never one kind instead of the other
    if (coverage.has('moz_downloads')) yield* readSection('moz_downloads', legacyDownloadRecords, db, input, owner, coverage)
    if (coverage.has('moz_bookmarks')) yield* readSection('moz_bookmarks', bookmarkRecords, db, input, owner, coverage)
    yield* readSection('moz_places', unvisitedPlaceRecords, db, input, owner, coverage)
    if (coverage.has('moz_inputhistory')) yield* readSection('moz_inputhistory', typedInputRecords, db, input, owner, coverage)
    if (coverage.has('moz_keywords')) yield* readSection('moz_keywords', keywordRecords, db, input, owner, coverage)
    if (coverage.has('moz_anno_attributes')) coverage.excludeRest('moz_anno_attributes', 'annotation names no annotation read uses')
    reportBrowserCoverage(input, coverage, 'firefox-places', 'Firefox places.sqlite')
  } finally {
    database.close()
  }
}

function* legacyDownloadRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner, coverage: SqliteCoverage): Generator<ParsedRecord> {
  const d = tableColumns(db, 'moz_downloads')
  const col = (name: string) => optional(d, 'd', name)
  const sql = `SELECT d.id AS id, ${col('name')} AS name, ${col('source')} AS source, ${col('target')} AS target,
      ${col('tempPath')} AS temp_path, ${col('startTime')} AS start_time, ${col('endTime')} AS end_time, ${col('state')} AS state,
      ${col('referrer')} AS referrer, ${col('currBytes')} AS curr_bytes, ${col('maxBytes')} AS max_bytes,
      ${col('mimeType')} AS mime_type, ${col('preferredApplication')} AS preferred_application,
      ${col('preferredAction')} AS preferred_action, ${col('autoResume')} AS auto_resume
    FROM moz_downloads d ORDER BY d.id`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    const state = toNumber(row.state)
    const target = toText(row.target)
    const url = toText(row.source)
    const maxBytes = toNumber(row.max_bytes)
    coverage.parsed('moz_downloads', id)
    yield {
      type: 'browser.download',
      source: input.source({table: 'moz_downloads', rowid: id ?? undefined}),
      ...owner,
      url,
      urlChain: url === null ? [] : [url],
      targetPath: fileUriToPath(target),
      targetUri: target,
      fileName: toText(row.name),
      tempPath: nonEmpty(row.temp_path),
      startTime: tolerant(unixMicrosToIso, toBigInt(row.start_time)),
      endTime: tolerant(unixMicrosToIso, toBigInt(row.end_time)),
      receivedBytes: toNumber(row.curr_bytes),
      // -1 means the server never said
      totalBytes: maxBytes === -1 ? null : maxBytes,
      state: enumName(FIREFOX_DOWNLOAD_STATES, state),
      stateRaw: state,
      referrer: nonEmpty(row.referrer),
      mimeType: nonEmpty(row.mime_type),
      preferredApplication: nonEmpty(row.preferred_application),
      preferredAction: toNumber(row.preferred_action),
      downloadId: id,
    }
  }
}

/** Reads a Firefox downloads.sqlite (Firefox 3 to 25) working copy. */
export async function* parseFirefoxDownloads(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const database = openBrowserDatabase(input.copyPath, 'Firefox downloads', ['moz_downloads'])
  const db = database.db
  const coverage = new SqliteCoverage(db).table('moz_downloads')
  try {
    yield* readSection('moz_downloads', legacyDownloadRecords, db, input, browserOwner(input), coverage)
    reportBrowserCoverage(input, coverage, 'firefox-downloads', 'Firefox downloads.sqlite')
  } finally {
    database.close()
  }
}

export const firefoxPlacesParser: Parser = {
  id: 'firefox-places',
  description: 'Firefox places.sqlite: visits, downloads (annotations), bookmarks with folder paths',
  parse: parseFirefoxPlaces,
}

export const firefoxDownloadsParser: Parser = {
  id: 'firefox-downloads',
  description: 'Firefox downloads.sqlite (Firefox 3 to 25): downloads',
  parse: parseFirefoxDownloads,
}
