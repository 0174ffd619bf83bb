import {formatBytes} from '../cli/render.js'
import type {BatchResult} from './batch.js'

/** The one-screen end-of-run report: one line per item, then where the summaries are. */
export function renderBatchSummary(result: BatchResult): string {
  const s = result.summary
  const t = s.totals
  const lines = [
    `trawl batch: ${t.failed + t.interrupted + t['not-run'] === 0 ? 'ALL ITEMS DONE' : 'NOT ALL ITEMS DONE'}  (${t.ok} ok, ${t.skipped} skipped as already done, ${t.failed} failed, ${t.interrupted} interrupted, ${t['not-run']} not run)`,
    `Case: ${s.case.id}   Examiner: ${s.case.examiner}${s.shard ? `   Shard ${s.shard.index}/${s.shard.count} (${s.items.length} of ${s.itemsListed} items)` : ''}`,
    '',
  ]
  const width = Math.max(4, ...s.items.map((i) => i.item.length))
  for (const item of s.items) {
    const detail =
      item.status === 'ok' || item.status === 'skipped'
        ? `${formatBytes(item.size ?? 0)} ${item.format ?? ''}; ${item.volumes.map((v) => `${v.id} ${v.fileSystem ?? '?'}${v.read ? '' : ' (not read)'}`).join(', ') || 'no volume'}; ${item.files} files, ${item.recordsTotal} records, ${item.hashSetMatches} hash-set matches, ${item.errors} errors${item.imageCheck ? `; image ${item.imageCheck.verdict}` : ''}`
        : (item.failure ?? '')
    lines.push(`${item.item.padEnd(width)}  ${item.status.toUpperCase().padEnd(11)} ${detail}`)
  }
  lines.push('', `Summary: ${result.summaryJson}`, `         ${result.summaryCsv}`)
  return lines.join('\n')
}
