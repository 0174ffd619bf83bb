import type {ManifestEntry} from '../bundle/manifest.js'
import {UsageError} from '../errors.js'
import type {ParsedRecord} from '../parsers/types.js'
import {copyPath, recordTimes, sourceText, viewOf} from './columns.js'
import {BundleRecords} from './records.js'
import {typeMatches} from './search.js'

/**
 * One sorted timeline of a bundle: every UTC time of every record, and the times of every
 * collected file ($STANDARD_INFORMATION times from source.times, $FILE_NAME times from
 * source.fileNameTimes on NTFS; stat times on other sources).
 */

export type TimelineFormat = 'bodyfile' | 'csv' | 'jsonl'
export const TIMELINE_FORMATS: TimelineFormat[] = ['bodyfile', 'csv', 'jsonl']

export interface TimelineEvent {
  /** UTC, ISO 8601, at the source's precision. */
  time: string
  /** Record type, or 'file' for a collected file's own times. */
  type: string
  /** What the time is: the record field ('visitTime'), or for files '$SI modified', '$FN created', 'modified'. */
  event: string
  description: string
  /** Where it was read: file and table/row, key/value, or for files the path on the evidence. */
  source: string
  /** Bundle path of the copy. */
  copy: string | null
  volume?: string
  artifact?: string
  /** For files: what the bodyfile needs. */
  /** fileName: index of the $FILE_NAME attribute the times are from. */
  file?: {path: string; size: number; inode?: string; md5: string; deleted: boolean; fileName?: number; times: {accessed?: string; modified?: string; changed?: string; created?: string}}
}

export interface TimelineQuery {
  from?: string
  to?: string
  /** Record types (as in trawl records --type); 'file' selects the files' times. */
  type?: string
}

/** A sort key for UTC ISO times of any precision: the fraction padded to nanoseconds. */
export function timeKey(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso)
  if (!match) return iso
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`
}

/** --from/--to: a UTC time or a date; a date alone means the start of the day (from) or its end (to). */
export function boundKey(text: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T${end ? '23:59:59.999999999' : '00:00:00.000000000'}Z`
  const normal = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(text) ? text.replace(/T(\d{2}:\d{2})Z$/, 'T$1:00Z') : undefined
  if (!normal) throw new UsageError(`${text} is not a UTC time (2024-09-05, 2024-09-05T08:53:50Z, 2024-09-05T08:53:50.123Z)`)
  return timeKey(normal)
}

function describe(record: ParsedRecord): string {
  const view = viewOf(record.type)
  return view.columns
    .filter((c) => c.kind !== 'time')
    .map((c) => c.get(record))
    .filter((v) => v !== null)
    .slice(0, 4)
    .join(' | ')
}

export function recordEvents(record: ParsedRecord): TimelineEvent[] {
  return recordTimes(record).map(({field, time}) => ({
    time,
    type: record.type,
    event: field,
    description: describe(record),
    source: sourceText(record),
    copy: copyPath(record),
    volume: record.source?.volume,
    artifact: typeof record.artifact === 'string' ? record.artifact : undefined,
  }))
}

const TIME_NAMES = ['modified', 'accessed', 'changed', 'created'] as const

export function fileEvents(entry: ManifestEntry): TimelineEvent[] {
  const source = entry.source
  if (!source) return []
  const path = `${source.path}${source.stream ? `:${source.stream}` : ''}`
  const ntfs = source.fileNameTimes !== undefined || /^\d+-\d+$/.test(source.inode ?? '')
  const base = {type: 'file', source: `${source.volume === 'dir' ? '' : `${source.volume}:`}${path}`, copy: entry.path, volume: source.volume, artifact: entry.artifacts?.join(',')}
  const events: TimelineEvent[] = []
  const file = {path, size: source.size, inode: source.inode, md5: entry.md5, deleted: source.deleted === true}
  const si = {...file, times: source.times}
  for (const name of TIME_NAMES) {
    const time = source.times?.[name]
    if (time) events.push({...base, time, event: ntfs ? `$SI ${name}` : name, description: `${path} (${source.size} bytes)`, file: si})
  }
  // $FILE_NAME belongs to the file, not to its alternate data streams (fls -m writes no $FN line for a stream)
  for (const [index, fn] of (source.stream ? [] : (source.fileNameTimes ?? [])).entries()) {
    const fnFile = {...file, fileName: index, times: fn}
    for (const name of TIME_NAMES) {
      const time = fn[name]
      if (time) events.push({...base, time, event: `$FN ${name}`, description: `${path} ($FILE_NAME ${fn.name}${fn.namespace ? `, ${fn.namespace}` : ''})`, file: fnFile})
    }
  }
  return events
}

/** Every event of the bundle in the query's range, sorted by time (then type, event, source). */
export async function buildTimeline(bundle: string, query: TimelineQuery = {}): Promise<{events: TimelineEvent[]; volumes: number}> {
  const from = query.from ? boundKey(query.from, false) : undefined
  const to = query.to ? boundKey(query.to, true) : undefined
  const opened = await BundleRecords.open(bundle)
  const events: Array<TimelineEvent & {key: string}> = []
  const keep = (event: TimelineEvent) => {
    const key = timeKey(event.time)
    if ((from && key < from) || (to && key > to)) return
    events.push({...event, key})
  }
  try {
    if (typeMatches('file', query.type)) for (const entry of opened.manifest.entries ?? []) if (entry.kind === 'copy') fileEvents(entry).forEach(keep)
    for await (const record of opened.records()) if (typeMatches(record.type, query.type)) recordEvents(record).forEach(keep)
  } finally {
    opened.close()
  }
  events.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.type.localeCompare(b.type) || a.event.localeCompare(b.event) || a.source.localeCompare(b.source))
  return {events: events.map(({key: _key, ...event}) => event), volumes: opened.manifest.source?.volumes?.length ?? 1}
}

// --- output formats ---

/** Seconds since 1970 (the bodyfile's unit; TSK's fls -m writes whole seconds, truncated). */
function epochSeconds(iso: string | undefined): number {
  if (!iso) return 0
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(iso)
  return match ? Math.floor(Date.parse(`${match[1]}Z`) / 1000) : 0
}

/**
 * A bodyfile name: mactime splits every line at '|' (no escape exists) and a line ends the record,
 * so '|', CR and LF are written %7C, %0D, %0A (none can occur in an NTFS or Windows file name).
 */
function bodyField(text: string): string {
  return text.replace(/[|\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

/**
 * TSK bodyfile 3 (MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime), as `mactime -b` reads it.
 * A file is one line with its four $SI times (as fls -m writes it) and one line per $FILE_NAME
 * attribute, named '<path> ($FILE_NAME)'; a record time is a line of its own, with that time in all four fields.
 * Volume: the path as fls -m / prints it; with several volumes, under /<volume>/.
 */
export function* bodyfileLines(events: TimelineEvent[], volumes: number): Generator<string> {
  const seen = new Set<string>()
  for (const event of events) {
    if (event.file) {
      const f = event.file
      const key = `${event.copy}\0${f.fileName ?? 'si'}`
      if (seen.has(key)) continue
      seen.add(key)
      const prefix = volumes > 1 ? `/${event.volume}` : ''
      const name = `${prefix}/${f.path}${f.deleted ? ' (deleted)' : ''}${f.fileName === undefined ? '' : ' ($FILE_NAME)'}`
      const t = f.times
      yield [f.md5, bodyField(name), f.inode ?? '0', f.deleted ? '-/rrwxrwxrwx' : 'r/rrwxrwxrwx', '0', '0', String(f.size), epochSeconds(t.accessed), epochSeconds(t.modified), epochSeconds(t.changed), epochSeconds(t.created)].join('|')
    } else {
      const name = `[${event.type} ${event.event}] ${event.description} (${event.source})`.replaceAll(' | ', '; ')
      // mactime shows a 0 time as a row of its own ('Xxx Xxx 00 0000'): the event's time goes in all four, one 'macb' row
      const t = epochSeconds(event.time)
      yield ['0', bodyField(name), '0', '', '0', '0', '0', t, t, t, t].join('|')
    }
  }
}

export const CSV_COLUMNS = ['Time (UTC)', 'Type', 'Event', 'Description', 'Source', 'Copy in bundle', 'Volume', 'Artifact']

/**
 * A CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Text that a spreadsheet would run as a formula (starting = + - @, tab, CR) is prefixed with an
 * apostrophe, the usual guard: evidence must not compute in the examiner's spreadsheet.
 */
export function csvField(value: string | null | undefined, formulaGuard = true): string {
  let text = value ?? ''
  if (formulaGuard && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** RFC 4180 lines (CRLF), header first: opens in a spreadsheet and in Timeline Explorer. */
export function* csvLines(events: TimelineEvent[]): Generator<string> {
  yield `${CSV_COLUMNS.map((c) => csvField(c)).join(',')}\r\n`
  for (const e of events) {
    yield `${[csvField(e.time, false), csvField(e.type), csvField(e.event), csvField(e.description), csvField(e.source), csvField(e.copy), csvField(e.volume), csvField(e.artifact)].join(',')}\r\n`
  }
}

export function* jsonLines(events: TimelineEvent[]): Generator<string> {
  for (const {file: _file, ...event} of events) yield `${JSON.stringify(event)}\n`
}

export function timelineLines(format: TimelineFormat, timeline: {events: TimelineEvent[]; volumes: number}): Iterable<string> {
  if (format === 'bodyfile') return (function* () {
    for (const line of bodyfileLines(timeline.events, timeline.volumes)) yield `${line}\n`
  })()
  return format === 'csv' ? csvLines(timeline.events) : jsonLines(timeline.events)
}
