import {renameSync, writeFileSync} from 'node:fs'
import type {Manifest} from '../bundle/manifest.js'
import type {ImageCheck} from './protocol.js'

/**
 * `DIR/summary.json` and `DIR/summary.csv`: one row per evidence item, what the
 * lab reads in the morning. Facts about the evidence (volumes, records, matches)
 * come from the bundle's own signed manifest, so the summary never says more
 * than the bundle can prove.
 */

export type ItemStatus = 'ok' | 'skipped' | 'failed' | 'interrupted' | 'not-run'

export interface VolumeFact {
  id: string
  scheme: string
  index?: number
  offset?: number
  size?: number
  partitionType?: string
  fileSystem?: string
  label?: string
  /** True when trawl read its file system. */
  read: boolean
  unreadable?: string
}

/** What a bundle's manifest says about its item. */
export interface BundleFacts {
  complete: boolean
  format?: string
  size?: number
  segments?: string[]
  storedHashes?: {md5?: string; sha1?: string}
  volumes: VolumeFact[]
  /** Parsed records per artifact category (browser, chat, media, network, system). */
  records: Record<string, number>
  files: number
  bytes: number
  hashSetMatches: number
  errors: number
  /** The first few error messages of the run (the manifest holds them all). */
  errorMessages: string[]
  startedAt: string
  endedAt: string
}

export interface ItemSummary {
  item: string
  status: ItemStatus
  /** First segment (what collect was given) and every segment. */
  image: string
  segments: string[]
  size?: number
  format?: string
  imageCheck?: ImageCheck
  volumes: VolumeFact[]
  records: Record<string, number>
  recordsTotal: number
  files: number
  bytes: number
  hashSetMatches: number
  errors: number
  errorMessages: string[]
  /** Why the item failed or was not finished. */
  failure?: string
  startedAt?: string
  endedAt?: string
  durationMs: number
  bundle?: string
  bundleSha256?: string
}

export interface BatchSummary {
  format: 'trawl-batch-summary'
  formatVersion: 1
  case: {id: string; examiner: string}
  startedAt: string
  endedAt: string
  shard?: {index: number; count: number}
  jobs: number
  /** Items of the whole list (before sharding) and of this run. */
  itemsListed: number
  totals: Record<ItemStatus, number>
  items: ItemSummary[]
  ignored: Array<{path: string; reason: string}>
  unmatched: string[]
}

export const CATEGORIES = ['browser', 'chat', 'media', 'network', 'system']
const ERROR_MESSAGES_KEPT = 5

export function factsOf(manifest: Manifest): BundleFacts {
  const records: Record<string, number> = Object.fromEntries(CATEGORIES.map((c) => [c, 0]))
  for (const artifact of manifest.artifacts) records[artifact.category] = (records[artifact.category] ?? 0) + artifact.records
  const copies = manifest.entries.filter((e) => e.kind === 'copy')
  return {
    complete: manifest.complete,
    format: manifest.source.format ?? manifest.source.kind,
    size: manifest.source.size,
    segments: manifest.source.segments,
    storedHashes: manifest.source.storedHashes,
    volumes: manifest.source.volumes.map((v) => ({
      id: v.id,
      scheme: v.description.scheme,
      ...(v.description.index !== undefined ? {index: v.description.index} : {}),
      ...(v.description.offset !== undefined ? {offset: v.description.offset} : {}),
      ...(v.description.size !== undefined ? {size: v.description.size} : {}),
      ...(v.description.partitionType !== undefined ? {partitionType: v.description.partitionType} : {}),
      ...(v.description.fileSystem !== undefined ? {fileSystem: v.description.fileSystem} : {}),
      ...(v.description.label !== undefined ? {label: v.description.label} : {}),
      read: v.unreadable === undefined,
      ...(v.unreadable !== undefined ? {unreadable: v.unreadable} : {}),
    })),
    records,
    files: copies.length,
    bytes: copies.reduce((a, e) => a + e.size, 0),
    hashSetMatches: copies.filter((e) => e.hashSetMatches?.length).length,
    errors: manifest.errors.length,
    errorMessages: manifest.errors.slice(0, ERROR_MESSAGES_KEPT).map((e) => e.message),
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt,
  }
}

/** A summary row from what is known of an item: its bundle's facts when there is a bundle. */
export function itemSummary(
  item: {name: string; source: string; segments: string[]},
  status: ItemStatus,
  details: {facts?: BundleFacts; imageCheck?: ImageCheck; failure?: string; durationMs?: number; bundle?: string; bundleSha256?: string},
): ItemSummary {
  const facts = details.facts
  const records = facts?.records ?? Object.fromEntries(CATEGORIES.map((c) => [c, 0]))
  return {
    item: item.name,
    status,
    image: item.source,
    segments: facts?.segments ?? item.segments,
    ...(facts?.size !== undefined ? {size: facts.size} : {}),
    ...(facts?.format !== undefined ? {format: facts.format} : {}),
    ...(details.imageCheck ? {imageCheck: details.imageCheck} : {}),
    volumes: facts?.volumes ?? [],
    records,
    recordsTotal: Object.values(records).reduce((a, b) => a + b, 0),
    files: facts?.files ?? 0,
    bytes: facts?.bytes ?? 0,
    hashSetMatches: facts?.hashSetMatches ?? 0,
    errors: facts?.errors ?? 0,
    errorMessages: facts?.errorMessages ?? [],
    ...(details.failure !== undefined ? {failure: details.failure} : {}),
    ...(facts ? {startedAt: facts.startedAt, endedAt: facts.endedAt} : {}),
    durationMs: details.durationMs ?? 0,
    ...(details.bundle !== undefined ? {bundle: details.bundle} : {}),
    ...(details.bundleSha256 !== undefined ? {bundleSha256: details.bundleSha256} : {}),
  }
}

export function totalsOf(items: ItemSummary[]): Record<ItemStatus, number> {
  const totals: Record<ItemStatus, number> = {ok: 0, skipped: 0, failed: 0, interrupted: 0, 'not-run': 0}
  for (const item of items) totals[item.status]++
  return totals
}

/** `p1:gpt#3 ntfs "DATA"` per volume, `;`-separated; an unread one says so. */
function volumesCell(volumes: VolumeFact[]): string {
  return volumes
    .map((v) => `${v.id}:${v.scheme}${v.index !== undefined ? `#${v.index}` : ''} ${v.fileSystem ?? 'unknown'}${v.label ? ` "${v.label}"` : ''}${v.read ? '' : ' (not read)'}`)
    .join('; ')
}

export const CSV_COLUMNS = [
  'item',
  'status',
  'image',
  'segments',
  'format',
  'size',
  'image_check',
  'stored_md5',
  'stored_sha1',
  'computed_md5',
  'computed_sha1',
  'volumes',
  'file_systems_read',
  ...CATEGORIES.map((c) => `records_${c}`),
  'records_total',
  'files',
  'bytes',
  'hash_set_matches',
  'errors',
  'failure',
  'duration_s',
  'bundle',
  'bundle_sha256',
]

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes. */
export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function summaryCsv(summary: BatchSummary): string {
  const rows = [CSV_COLUMNS.join(',')]
  for (const s of summary.items) {
    const check = s.imageCheck
    const cells: Array<string | number | undefined> = [
      s.item,
      s.status,
      s.image,
      s.segments.join(';'),
      s.format,
      s.size,
      check?.verdict,
      check?.stored.md5,
      check?.stored.sha1,
      check?.computed?.md5,
      check?.computed?.sha1,
      volumesCell(s.volumes),
      s.volumes.filter((v) => v.read).length,
      ...CATEGORIES.map((c) => s.records[c] ?? 0),
      s.recordsTotal,
      s.files,
      s.bytes,
      s.hashSetMatches,
      s.errors,
      s.failure,
      (s.durationMs / 1000).toFixed(1),
      s.bundle,
      s.bundleSha256,
    ]
    rows.push(cells.map(csvField).join(','))
  }
  return rows.join('\r\n') + '\r\n'
}

/** Writes both files through a temporary name and a rename, so a killed run never leaves half a summary. */
export function writeSummary(jsonPath: string, csvPath: string, summary: BatchSummary): void {
  writeFileSync(`${jsonPath}.tmp`, `${JSON.stringify(summary, null, 2)}\n`)
  renameSync(`${jsonPath}.tmp`, jsonPath)
  writeFileSync(`${csvPath}.tmp`, summaryCsv(summary))
  renameSync(`${csvPath}.tmp`, csvPath)
}
