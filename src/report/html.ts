import {createHash} from 'node:crypto'
import type {ArtifactSummary, Manifest, ManifestEntry, RunError} from '../bundle/manifest.js'
import type {ParsedRecord} from '../parsers/types.js'
import {REPORT_CSS, REPORT_SCRIPT} from './client.js'
import {CATEGORY_TITLES, categoryOf, cellText, copyPath, gpsOf, sourceText, viewOf, viewOrder, type CellValue, type Column} from './columns.js'

/**
 * report.html: one self-contained file (inline style and script, no fonts, images or requests)
 * that an examiner, a lab or a court opens from the stick. Evidence text is escaped for the
 * context it lands in: HTML text and attributes here, JSON inside <script> elements for the tables.
 */

export interface CustodyLine {
  seq: number
  action: string
  by: string
  at: string
  note?: string
  signer: string
}

/** What the report can say about the bundle's integrity. */
export type ReportStatus =
  | {state: 'sealing'; at: string}
  | {state: 'verified'; at: string; valid: boolean; problems: string[]; warnings: string[]; entriesChecked: number; bundle: string; bundleSha256?: string}

export interface ReportInput {
  case: Manifest['case']
  tool: {name: string; version: string}
  source: Manifest['source']
  host?: Manifest['host']
  startedAt: string
  endedAt?: string
  complete: boolean
  signer: Manifest['signer']
  status: ReportStatus
  custody: CustodyLine[]
  artifacts: ArtifactSummary[]
  errors: RunError[]
  /** Manifest entries of the copies (files/..., live/...) and of what parsers made from them (derived/...). */
  files: ManifestEntry[]
  /** Every record, hash-set matches included (as type 'hash.match'). */
  records: Iterable<ParsedRecord> | AsyncIterable<ParsedRecord>
}

/** Columns every record table ends with: where the record came from. */
const SOURCE_COLUMNS: Column[] = [
  {title: 'Source', get: (r) => sourceText(r)},
  {title: 'Copy in bundle', get: (r) => copyPath(r)},
]

interface TableBuilder {
  type: string
  title: string
  columns: Column[]
  groupBy?: string
  values: CellValue[][]
  count: number
  first?: string
  last?: string
}

interface Photo {
  latitude: number
  longitude: number
  label: string
  copy: string | null
}

export async function renderReport(input: ReportInput): Promise<Buffer> {
  const tables = new Map<string, TableBuilder>()
  const photos: Photo[] = []
  for await (const record of input.records) {
    let table = tables.get(record.type)
    if (!table) {
      const view = viewOf(record.type)
      const columns = [...view.columns, ...SOURCE_COLUMNS]
      table = {type: record.type, title: view.title, columns, groupBy: view.groupBy, values: columns.map(() => []), count: 0}
      tables.set(record.type, table)
    }
    table.columns.forEach((column, i) => table.values[i]!.push(column.get(record)))
    table.count++
    const timeIndex = table.columns.findIndex((c) => c.kind === 'time')
    const time = timeIndex >= 0 ? table.values[timeIndex]![table.count - 1] : null
    if (typeof time === 'string' && time.endsWith('Z')) {
      if (!table.first || time < table.first) table.first = time
      if (!table.last || time > table.last) table.last = time
    }
    const gps = record.type === 'media.exif' ? gpsOf(record) : undefined
    if (gps) photos.push({...gps, label: `${String(cellText(record.source?.sourcePath ?? record.file) ?? '')} ${[record.make, record.model].filter(Boolean).join(' ')}`.trim(), copy: copyPath(record)})
  }
  const ordered = viewOrder(tables.keys()).map((type) => tables.get(type)!)
  for (const table of ordered) if (table.groupBy) sortByGroup(table)
  const filesTable = filesTableOf(input.files)

  const sections: string[] = []
  sections.push(headerSection(input))
  sections.push(summarySection(input, ordered, filesTable))
  if (photos.length > 0) sections.push(mapSection(photos))
  for (const table of [...ordered, filesTable]) sections.push(tableSection(table))
  sections.push(artifactsSection(input))

  const nav = [
    ['case', 'Case'],
    ['summary', 'Summary'],
    ...(photos.length > 0 ? [['map', 'Map']] : []),
    ...[...ordered, filesTable].map((t) => [anchorOf(t.type), `${t.title} (${t.count})`]),
    ['artifacts', 'Artifacts and errors'],
  ]
    .map(([id, label]) => `<a href="#${id}">${escapeHtml(label!)}</a>`)
    .join(' ')
  const title = `trawl report: case ${input.case.id}`
  // the policy allows only this page's own style and script (by hash): nothing is fetched, ever
  const csp = `default-src 'none'; style-src '${cspHash(REPORT_CSS)}'; script-src '${cspHash(REPORT_SCRIPT)}'; img-src data:; form-action 'none'; base-uri 'none'`
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${input.tool.name} ${input.tool.version}`)}">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(`${input.case.examiner}${input.case.evidenceItem ? ` \u00b7 evidence item ${input.case.evidenceItem}` : ''} \u00b7 ${input.source.path}`)}</p></header>
<nav>${nav}</nav>
<main>
${sections.join('\n')}
</main>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`
  return Buffer.from(html, 'utf8')
}

function cspHash(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * JSON that is safe inside a <script> element: '<', '>' and '&' cannot end the element or open a
 * comment, and U+2028/U+2029 are escaped for older JavaScript parsers. JSON.parse reads it back unchanged.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function anchorOf(type: string): string {
  return `t-${type.replace(/[^A-Za-z0-9]+/g, '-')}`
}

function sortByGroup(table: TableBuilder): void {
  const group = table.columns.findIndex((c) => c.title === table.groupBy)
  const time = table.columns.findIndex((c) => c.kind === 'time')
  const rows = table.values[0]!.map((_, i) => i)
  const key = (column: number, row: number) => table.values[column]![row] ?? '\uffff'
  rows.sort((a, b) => String(key(group, a)).localeCompare(String(key(group, b))) || (time >= 0 ? String(key(time, a)).localeCompare(String(key(time, b))) : 0) || a - b)
  table.values = table.values.map((column) => rows.map((r) => column[r]!))
}

function filesTableOf(files: ManifestEntry[]): TableBuilder {
  const columns: Column[] = [
    {title: 'Path on the evidence', get: (r) => cellText(r.sourcePath)},
    {title: 'Volume', get: (r) => cellText(r.volume)},
    {title: 'Bytes', kind: 'number', get: (r) => r.size as number},
    {title: 'Modified (UTC)', kind: 'time', get: (r) => cellText(r.modified)},
    {title: 'Created (UTC)', kind: 'time', get: (r) => cellText(r.created)},
    {title: 'Deleted', get: (r) => cellText(r.deleted)},
    {title: 'SHA-256', get: (r) => cellText(r.sha256)},
    {title: 'MD5', get: (r) => cellText(r.md5)},
    {title: 'Artifacts', get: (r) => cellText(r.artifacts)},
    {title: 'Notes', get: (r) => cellText(r.notes)},
    {title: 'Copy in bundle', get: (r) => cellText(r.file)},
  ]
  const table: TableBuilder = {type: 'file', title: 'Collected files', columns, values: columns.map(() => []), count: 0}
  for (const entry of files) {
    const notes = [entry.derivedFrom ? `derived: ${entry.derivedFrom.method}` : '', entry.source?.incompleteRead ? `read incomplete: ${entry.source.incompleteRead}` : '', entry.source?.changedDuringCopy ? 'changed during copy' : '', entry.hashSetMatches?.length ? `in hash set ${entry.hashSetMatches.map((m) => m.set).join(', ')}` : '']
    const row: ParsedRecord = {
      type: 'file',
      source: {file: entry.path},
      file: entry.path,
      sourcePath: entry.source ? `${entry.source.path}${entry.source.stream ? `:${entry.source.stream}` : ''}` : entry.derivedFrom ? `(made from ${entry.derivedFrom.path})` : entry.command ? String(entry.command.commandLine ?? entry.command.name ?? '') : null,
      volume: entry.source?.volume ?? null,
      size: entry.size,
      modified: entry.source?.times?.modified ?? null,
      created: entry.source?.times?.created ?? null,
      deleted: entry.source?.deleted ?? null,
      sha256: entry.sha256,
      md5: entry.md5,
      artifacts: entry.artifacts ?? [],
      notes: notes.filter(Boolean).join('; '),
    }
    columns.forEach((column, i) => table.values[i]!.push(column.get(row)))
    table.count++
  }
  return table
}

/** Columns as arrays; a column with many repeated values (browser, profile, copy path) as a dictionary and indexes. */
function encodeColumn(values: CellValue[]): CellValue[] | {d: CellValue[]; i: number[]} {
  const index = new Map<CellValue, number>()
  const d: CellValue[] = []
  const i: number[] = []
  for (const value of values) {
    if (value === null) {
      i.push(-1)
      continue
    }
    let at = index.get(value)
    if (at === undefined) {
      // mostly distinct (URLs, times, titles): plain values, decided as soon as it is clear
      if (d.length >= 64 && d.length * 2 > i.length) return values
      at = d.length
      index.set(value, at)
      d.push(value)
    }
    i.push(at)
  }
  return {d, i}
}

function tableSection(table: TableBuilder): string {
  const id = anchorOf(table.type)
  const spec = {
    type: table.type,
    n: table.count,
    group: table.groupBy,
    columns: table.columns.map((c) => (c.kind && c.kind !== 'text' ? {t: c.title, k: c.kind} : {t: c.title})),
    cols: table.values.map(encodeColumn),
  }
  return `<section id="${id}" data-type="${escapeHtml(table.type)}">
<h2>${escapeHtml(table.title)} <span class="muted">(<span data-role="count">${table.count}</span> ${table.type === 'file' ? 'files' : 'records'}, type ${escapeHtml(table.type)})</span></h2>
<div id="${id}-table" class="record-table"></div>
<script type="application/json" class="trawl-table" data-holder="${id}-table">${scriptJson(spec)}</script>
</section>`
}

function facts(rows: Array<[string, string | undefined | null]>): string {
  const body = rows
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v!)}</td></tr>`)
    .join('')
  return `<table class="facts">${body}</table>`
}

function headerSection(input: ReportInput): string {
  const source = input.source
  const stored = source.storedHashes
  const volumes = (source.volumes ?? [])
    .map((v) => `${v.id}: ${[v.description.scheme, v.description.index === undefined ? '' : `partition ${v.description.index}`, v.description.fileSystem, v.description.label ? `label ${v.description.label}` : '', v.description.serial ? `serial ${v.description.serial}` : '', v.unreadable ? `NOT READ: ${v.unreadable}` : '', ...(v.description.notes ?? [])].filter(Boolean).join(', ')}`)
    .join('\n')
  const rows: Array<[string, string | undefined]> = [
    ['Case', input.case.id],
    ['Examiner', input.case.examiner],
    ['Evidence item', input.case.evidenceItem],
    ['Notes', input.case.notes],
    ['Source', `${source.path} (${source.kind}${source.format ? `, ${source.format}` : ''}${source.size === undefined ? '' : `, ${source.size} bytes`})`],
    ['Image MD5 (stored in the image)', stored?.md5],
    ['Image SHA-1 (stored in the image)', stored?.sha1],
    ['Volumes', volumes],
    ['Collected', `${input.startedAt} to ${input.endedAt ?? '(sealing)'}`],
    ['Collecting machine', input.host ? `${input.host.hostname}${input.host.user ? `, user ${input.host.user}` : ''}, time zone ${input.host.timeZone}` : undefined],
    ['Tool', `${input.tool.name} ${input.tool.version}`],
    ['Signer', input.signer.subject],
    ['Signer certificate SHA-256', input.signer.certificateSha256],
  ]
  for (const [key, value] of Object.entries(source.metadata ?? {})) rows.push([`Image metadata: ${key}`, value])
  return `<section id="case"><h2>Case</h2>
${statusBlock(input)}
${facts(rows)}
<h3>Chain of custody</h3>
${custodyBlock(input)}
</section>`
}

function statusBlock(input: ReportInput): string {
  const parts: string[] = []
  if (!input.complete) parts.push(`<div class="status bad" data-role="incomplete">INCOMPLETE: this collection did not finish (interrupted or failed); the bundle does not verify as complete.</div>`)
  const status = input.status
  if (status.state === 'sealing') {
    parts.push(
      `<div class="status note" data-role="status">Sealed by trawl at ${escapeHtml(status.at)}. This report is itself an entry of the bundle, hashed and signed with it, so it cannot vouch for the bundle: verify the bundle with <span class="mono">trawl verify BUNDLE</span> (or write this report again, after verifying, with <span class="mono">trawl report BUNDLE</span>).</div>`,
    )
  } else if (status.valid) {
    parts.push(
      `<div class="status ok" data-role="status">VALID: verified by trawl at ${escapeHtml(status.at)}: seal, signatures, custody chain and all ${status.entriesChecked} entries (SHA-256, SHA-1, MD5) of ${escapeHtml(status.bundle)}${status.bundleSha256 ? ` (bundle SHA-256 ${escapeHtml(status.bundleSha256)})` : ''}.${status.warnings.map((w) => `<br>Note: ${escapeHtml(w)}`).join('')}</div>`,
    )
  } else {
    parts.push(`<div class="status bad" data-role="status">NOT VALID: trawl verify at ${escapeHtml(status.at)} found problems in ${escapeHtml(status.bundle)}:<ul>${status.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>Do not rely on the records below.</div>`)
  }
  return parts.join('\n')
}

function custodyBlock(input: ReportInput): string {
  if (input.custody.length === 0) {
    return `<p class="muted">The first custody event (collected, by ${escapeHtml(input.case.examiner)}) is signed and appended to custody.jsonl as the bundle is sealed, after this report; later events are added with <span class="mono">trawl custody add</span> and shown with <span class="mono">trawl custody show</span>.</p>`
  }
  const rows = input.custody.map((e) => `<tr><td>${e.seq}</td><td>${escapeHtml(e.action)}</td><td>${escapeHtml(e.by)}</td><td class="mono">${escapeHtml(e.at)}</td><td>${escapeHtml(e.note ?? '')}</td><td>${escapeHtml(e.signer)}</td></tr>`)
  return `<table data-role="custody"><thead><tr><th>#</th><th>Action</th><th>By</th><th>At (UTC)</th><th>Note</th><th>Signed by</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function summarySection(input: ReportInput, tables: TableBuilder[], files: TableBuilder): string {
  const byCategory = new Map<string, TableBuilder[]>()
  for (const table of tables) {
    const category = categoryOf(table.type)
    byCategory.set(category, [...(byCategory.get(category) ?? []), table])
  }
  const cards = [...byCategory.entries()].map(([category, list]) => {
    const total = list.reduce((n, t) => n + t.count, 0)
    const items = list
      .map((t) => `<li><a href="#${anchorOf(t.type)}">${escapeHtml(t.title)}</a>: <b data-summary-type="${escapeHtml(t.type)}">${t.count}</b>${t.first ? ` <span class="muted mono">${escapeHtml(t.first === t.last ? t.first : `${t.first} \u2013 ${t.last}`)}</span>` : ''}</li>`)
      .join('')
    return `<div class="card" data-category="${escapeHtml(category)}"><h3>${escapeHtml(CATEGORY_TITLES[category] ?? category)} <span class="muted">(${total})</span></h3><ul>${items}</ul></div>`
  })
  const records = tables.reduce((n, t) => n + t.count, 0)
  const bytes = input.files.reduce((n, e) => n + e.size, 0)
  const unread = (input.source.volumes ?? []).filter((v) => v.unreadable)
  const lines = [
    `<b data-role="record-total">${records}</b> records from <b>${files.count}</b> collected files (${bytes} bytes); <b>${input.errors.length}</b> errors${unread.length ? `; <b>${unread.length}</b> volumes not read` : ''}.`,
  ]
  return `<section id="summary"><h2>Summary</h2><p>${lines.join(' ')}</p>
<div class="cards">${cards.join('') || '<p class="muted">No records were parsed.</p>'}</div></section>`
}

function artifactsSection(input: ReportInput): string {
  const rows = input.artifacts.map((a) => `<tr><td>${escapeHtml(a.id)}</td><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.category)}</td><td>${a.files}</td><td>${a.bytes}</td><td>${a.records}</td><td>${a.errors}</td></tr>`)
  const errors = input.errors.map((e) => `<li>${escapeHtml([e.artifact, e.volume, e.path].filter(Boolean).join(' ') || 'run')}: ${escapeHtml(e.message)}</li>`)
  return `<section id="artifacts"><h2>Artifacts and errors</h2>
<table><thead><tr><th>Definition</th><th>Name</th><th>Category</th><th>Files</th><th>Bytes</th><th>Records</th><th>Errors</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<h3>Errors (<span data-role="error-count">${input.errors.length}</span>)</h3>
${errors.length ? `<ul>${errors.join('')}</ul>` : '<p class="muted">None: every file selected was read.</p>'}
</section>`
}

/**
 * Geotagged pictures on a plain equirectangular plot with a graticule: no tile server, no map data.
 * The view fits the points, with at least two degrees shown each way.
 */
function mapSection(photos: Photo[]): string {
  const lats = photos.map((p) => p.latitude)
  const lons = photos.map((p) => p.longitude)
  const span = (lo: number, hi: number, min: number, max: number) => {
    const pad = Math.max((hi - lo) * 0.15, 1)
    return [Math.max(min, lo - pad), Math.min(max, hi + pad)] as const
  }
  const [south, north] = span(Math.min(...lats), Math.max(...lats), -90, 90)
  const [west, east] = span(Math.min(...lons), Math.max(...lons), -180, 180)
  const width = 800
  const scale = width / (east - west)
  const height = Math.max(200, Math.round((north - south) * scale))
  const x = (lon: number) => ((lon - west) * scale).toFixed(2)
  const y = (lat: number) => ((north - lat) * (height / (north - south))).toFixed(2)
  const step = niceStep(Math.max(east - west, north - south) / 6)
  const lines: string[] = []
  for (let lon = Math.ceil(west / step) * step; lon <= east; lon += step) lines.push(`<line class="grid" x1="${x(lon)}" y1="0" x2="${x(lon)}" y2="${height}"/><text class="axis" x="${x(lon)}" y="${height - 3}">${formatDegrees(lon, 'E', 'W')}</text>`)
  for (let lat = Math.ceil(south / step) * step; lat <= north; lat += step) lines.push(`<line class="grid" x1="0" y1="${y(lat)}" x2="${width}" y2="${y(lat)}"/><text class="axis" x="3" y="${y(lat)}">${formatDegrees(lat, 'N', 'S')}</text>`)
  const points = photos.map((p) => {
    const dot = `<circle cx="${x(p.longitude)}" cy="${y(p.latitude)}" r="5"><title>${escapeHtml(`${p.label}\n${p.latitude.toFixed(6)}, ${p.longitude.toFixed(6)}`)}</title></circle>`
    const href = p.copy && /^(files|derived|live)\//.test(p.copy) ? p.copy.split('/').map(encodeURIComponent).join('/') : undefined
    return href ? `<a href="${escapeHtml(href)}">${dot}</a>` : dot
  })
  return `<section id="map"><h2>Pictures with GPS positions (<span data-role="gps-count">${photos.length}</span>)</h2>
<p class="muted">Latitude and longitude plotted as they are (equirectangular, WGS 84 degrees), without map tiles; hover a point for its file.</p>
<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="GPS positions of pictures">${lines.join('')}${points.join('')}</svg>
</section>`
}

function niceStep(raw: number): number {
  for (const step of [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 45, 90]) if (step >= raw) return step
  return 90
}

function formatDegrees(value: number, positive: string, negative: string): string {
  const rounded = Math.round(value * 100) / 100
  return `${Math.abs(rounded)}\u00b0${rounded >= 0 ? positive : negative}`
}
