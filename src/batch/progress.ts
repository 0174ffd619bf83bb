import {formatBytes} from '../cli/render.js'
import {terminalSafe} from '../terminal-text.js'
import type {WorkerMessage} from './protocol.js'
import type {ItemSummary} from './summary.js'

/**
 * Batch progress on stderr. On a terminal: an overall bar and one line per running
 * item (phase, bytes, rate, current artifact, ETA), redrawn in place four times a
 * second. Otherwise (a log file, a scheduler's output): one plain line when an
 * item starts and when it ends, nothing that needs a cursor.
 */

type Progress = Extract<WorkerMessage, {type: 'progress'}>

interface Running {
  name: string
  imageBytes: number
  startedAt: number
  last?: Progress
}

const REDRAW_MS = 250
const BAR_WIDTH = 24

export class BatchProgress {
  private readonly running = new Map<string, Running>()
  private done = 0
  private readonly counts = {ok: 0, failed: 0, skipped: 0, interrupted: 0}
  /** Durations of items that ran (not skipped), for the overall ETA. */
  private readonly durations: number[] = []
  private drawn = 0
  private readonly timer: NodeJS.Timeout | undefined
  private readonly t0 = Date.now()

  constructor(
    private readonly total: number,
    private readonly live: boolean,
    private readonly write: (line: string) => void,
    private readonly jobs = 1,
  ) {
    if (live) {
      this.timer = setInterval(() => this.redraw(), REDRAW_MS)
      this.timer.unref()
    }
  }

  /** A line above the live block (or a plain line). */
  log(line: string): void {
    this.clear()
    this.write(line)
    this.redraw()
  }

  started(name: string, imageBytes: number): void {
    this.running.set(name, {name, imageBytes, startedAt: Date.now()})
    if (!this.live) this.write(`trawl batch: ${name}: started (${formatBytes(imageBytes)} of image)`)
    else this.redraw()
  }

  update(name: string, progress: Progress): void {
    const item = this.running.get(name)
    if (item) item.last = progress
  }

  finished(name: string, row: ItemSummary): void {
    this.running.delete(name)
    this.done++
    if (row.status in this.counts) this.counts[row.status as keyof typeof this.counts]++
    if (row.status !== 'skipped' && row.status !== 'not-run') this.durations.push(row.durationMs)
    const what =
      row.status === 'ok'
        ? `ok, ${row.files} files, ${row.recordsTotal} records, ${row.errors} errors, ${(row.durationMs / 1000).toFixed(1)} s${row.imageCheck ? `, image ${row.imageCheck.verdict}` : ''}`
        : row.status === 'skipped'
          ? 'skipped: its bundle is complete and verifies'
          : `${row.status.toUpperCase()}: ${row.failure ?? ''}`
    if (row.status === 'not-run') return
    this.log(`trawl batch: [${this.done}/${this.total}] ${name}: ${what}`)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.clear()
  }

  private clear(): void {
    if (!this.live || this.drawn === 0) return
    // up to the first line of the block, then erase to the end of the screen
    process.stderr.write(`\x1b[${this.drawn}F\x1b[J`)
    this.drawn = 0
  }

  private redraw(): void {
    if (!this.live) return
    const lines = [this.overallLine(), ...[...this.running.values()].map((r) => `  ${itemLine(r)}`)]
    const width = process.stderr.columns || 120
    this.clear()
    process.stderr.write(lines.map((line) => terminalSafe(line)).map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l)).join('\n') + '\n')
    this.drawn = lines.length
  }

  private overallLine(): string {
    const filled = this.total === 0 ? BAR_WIDTH : Math.round((this.done / this.total) * BAR_WIDTH)
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`
    const c = this.counts
    let eta = ''
    if (this.durations.length > 0) {
      const average = this.durations.reduce((a, b) => a + b, 0) / this.durations.length
      const left = this.total - this.done
      eta = `  ETA ${clock((average * left) / Math.max(1, Math.min(this.jobs, left)))}`
    }
    return `${bar} ${this.done}/${this.total} items  ${c.ok} ok, ${c.failed} failed, ${c.skipped} skipped  elapsed ${clock(Date.now() - this.t0)}${eta}`
  }
}

function itemLine(r: Running): string {
  const p = r.last
  if (!p) return `${r.name}: opening`
  const seconds = p.elapsedMs / 1000
  const rate = seconds > 0 ? p.bytes / seconds : 0
  if (p.phase === 'image-check') {
    const eta = rate > 0 ? clock(((p.total - p.bytes) / rate) * 1000) : '--:--'
    const percent = p.total > 0 ? Math.floor((p.bytes / p.total) * 100) : 100
    return `${r.name}: image hash check ${percent}%  ${formatBytes(p.bytes)} of ${formatBytes(p.total)} at ${formatBytes(rate)}/s  ETA ${eta}`
  }
  // collect reads what the artifact paths select, not the whole image: no total to
  // estimate against, so the line says what is known
  return `${r.name}: collecting${p.artifact ? ` [${p.artifact}]` : ''}  ${p.files} files, ${formatBytes(p.bytes)} at ${formatBytes(rate)}/s, ${p.records} records, ${p.errors} errors  ETA --:--`
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`
}
