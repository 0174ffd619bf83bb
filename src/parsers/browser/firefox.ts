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
 *    name), dateAdded, lastModified, guid.
 *
 * Values are from toolkit/components/places/nsINavHistoryService.idl
 * (TRANSITION_*), nsINavBookmarksService.idl (TYPE_*), and
 * toolkit/components/downloads (DownloadHistory METADATA_STATE_*, the older
 * nsIDownloadManager DOWNLOAD_* states, which share the numbering).
 */
import {unixMicrosToIso, unixMillisToIso} from '../../time.js'
import {hasTable, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {enumName, nonEmpty, openBrowserDatabase, optional, readSection, selectList, toBigInt, toNumber, toText} from './database.js'
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

function* visitRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner): Generator<ParsedRecord> {
  const v = tableColumns(db, 'moz_historyvisits')
  const p = tableColumns(db, 'moz_places')
  const lastVisit = optional(p, 'p', 'last_visit_date')
  // times are split in SQL into exact seconds and microseconds (see times.ts): no BigInt per row
  const {sql: columns, at} = selectList([
    ['id', 'v.id'],
    ['fromVisit', 'v.from_visit'],
    ['placeId', 'v.place_id'],
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

function* annotationDownloadRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner): Generator<ParsedRecord> {
  // Firefox 26 and later keep finished downloads as page annotations of the
  // downloaded URL: destinationFileURI, destinationFileName and a JSON metaData.
  const anno = (name: string) =>
    `(SELECT a.content FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id
       WHERE a.place_id = d.place_id AND n.name = '${name}')`
  const sql = `SELECT d.id AS id, d.place_id AS place_id, d.content AS destination, d.dateAdded AS date_added,
      d.lastModified AS last_modified, ${anno('downloads/destinationFileName')} AS file_name,
      ${anno('downloads/metaData')} AS meta_data,
      (SELECT max(h.visit_date) FROM moz_historyvisits h WHERE h.place_id = d.place_id AND h.visit_type = 7) AS download_visit,
      p.url AS url, p.title AS title
    FROM moz_annos d
    JOIN moz_anno_attributes dn ON dn.id = d.anno_attribute_id AND dn.name = 'downloads/destinationFileURI'
    LEFT JOIN moz_places p ON p.id = d.place_id
    ORDER BY d.id`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
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
}

interface Folder {
  parent: number | null
  name: string
}

/** Folder id -> parent and display name; folders are few, so they are held to build paths. */
function loadFolders(db: SqliteDatabase): Map<number, Folder> {
  const b = tableColumns(db, 'moz_bookmarks')
  const rootNames = new Map<number, string>()
  if (hasTable(db, 'moz_bookmarks_roots')) {
    for (const row of db.prepare('SELECT root_name, folder_id FROM moz_bookmarks_roots').iterate() as IterableIterator<{root_name: string; folder_id: number}>) {
      rootNames.set(Number(row.folder_id), row.root_name)
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

function* bookmarkRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner): Generator<ParsedRecord> {
  const folders = loadFolders(db)
  const b = tableColumns(db, 'moz_bookmarks')
  const sql = `SELECT b.id AS id, b.type AS type, b.fk AS fk, b.parent AS parent, b.position AS position, b.title AS title,
      b.dateAdded AS date_added, b.lastModified AS last_modified, ${optional(b, 'b', 'guid')} AS guid,
      p.url AS url, p.title AS place_title
    FROM moz_bookmarks b LEFT JOIN moz_places p ON p.id = b.fk AND b.type = 1
    ORDER BY b.id`
  const statement = db.prepare(sql).safeIntegers(true)
  for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
    const id = toNumber(row.id)
    const kind = toNumber(row.type)
    const parent = toNumber(row.parent)
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
    }
  }
}

/** Reads a Firefox places.sqlite working copy. */
export async function* parseFirefoxPlaces(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const database = openBrowserDatabase(input.copyPath, 'Firefox places', ['moz_places', 'moz_historyvisits'])
  const db = database.db
  try {
    const owner = browserOwner(input)
    yield* readSection('moz_historyvisits', visitRecords, db, input, owner)
    if (hasTable(db, 'moz_annos') && hasTable(db, 'moz_anno_attributes')) {
      yield* readSection('moz_annos', annotationDownloadRecords, db, input, owner)
    }
    if (hasTable(db, 'moz_bookmarks')) yield* readSection('moz_bookmarks', bookmarkRecords, db, input, owner)
  } finally {
    database.close()
  }
}

function* legacyDownloadRecords(db: SqliteDatabase, input: ParserInput, owner: BrowserOwner): Generator<ParsedRecord> {
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
  try {
    yield* readSection('moz_downloads', legacyDownloadRecords, db, input, browserOwner(input))
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
