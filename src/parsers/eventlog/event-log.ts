/**
 * Reading one Windows event log (.evtx copy) for a parser: every record of every chunk
 * is turned into a record by the channel's handler, excluded with its reason (an event
 * id the handler does not read, counted per id), or reported as an error record
 * (a damaged chunk or record). The coverage account says which, so nothing read is lost
 * silently. The handlers know the channels; this module knows the file.
 */
import {CHUNK_SIZE, chunkRecords, EvtxFile, type EvtxRecord} from '../../evtx/evtx-file.js'
import {eventFields, type EventFields} from '../../evtx/event.js'
import {errorMessage, ParseError} from '../../errors.js'
import type {CoverageAccount, TableCoverage} from '../coverage.js'
import type {ParsedRecord, ParserInput} from '../types.js'

/** What a channel's handler makes of one event: a record's own fields, or null to exclude it (with the reason). */
export type EventHandler = (event: EventFields, record: EvtxRecord) => Record<string, unknown> | {excluded: string}

export interface ChannelReader {
  parser: string
  readAs: string
  /** The record type the handler's records get, e.g. 'system.logon'. */
  type: string
  /** Handlers by event id. */
  handlers: Record<number, EventHandler>
  /** Providers whose events the handlers read (an event id means something only for its provider). */
  providers: string[]
}

const EVTX_SIGNATURE = Buffer.from('ElfFile\0', 'latin1')

export function acceptsEvtx(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(EVTX_SIGNATURE)
}

class Tally {
  readonly excluded = new Map<string, number>()
  parsed = 0
  rows = 0
  exclude(reason: string, n = 1): void {
    this.excluded.set(reason, (this.excluded.get(reason) ?? 0) + n)
  }
  table(name: string): TableCoverage {
    const excluded = [...this.excluded].map(([reason, rows]) => ({reason, rows})).sort((a, b) => b.rows - a.rows || a.reason.localeCompare(b.reason))
    const accounted = this.parsed + excluded.reduce((a, e) => a + e.rows, 0)
    return {table: name, known: true, rows: this.rows, parsed: this.parsed, excluded, unexplained: Math.max(0, this.rows - accounted)}
  }
}

/** The common fields of every event-log record: where it is, which event, when. */
function provenance(input: ParserInput, event: EventFields, record: EvtxRecord): ParsedRecord {
  return {
    type: '',
    source: input.source({table: `chunk ${record.chunk}`, rowid: String(record.recordId), offset: record.offset}),
    eventId: event.eventId,
    eventRecordId: event.eventRecordId,
    provider: event.provider,
    channel: event.channel,
    computer: event.computer,
    time: event.timeCreated,
    written: record.written,
    ...(record.warning ? {warning: record.warning} : {}),
  }
}

export async function* readEventLog(input: ParserInput, reader: ChannelReader): AsyncIterable<ParsedRecord> {
  let file: EvtxFile
  try {
    file = new EvtxFile(input.copyPath)
  } catch (error) {
    throw error instanceof ParseError ? error : new ParseError(`event log cannot be read: ${errorMessage(error)}`, input.sourcePath, {cause: error})
  }
  const chunks = new Tally()
  const records = new Tally()
  const providers = new Set(reader.providers.map((p) => p.toLowerCase()))
  try {
    const h = file.header
    if (!h.checksumValid) yield {type: 'error', source: input.source({offset: 0}), error: 'event log file header fails its checksum: header values (chunk count, flags) may be wrong; every chunk is read regardless'}
    if (h.dirty) yield {type: 'eventlog.state', source: input.source({offset: 0}), dirty: true, full: h.full, note: 'the log was not closed cleanly (dirty flag): the last chunk may hold records the header does not count'}
    if (file.trailingBytes > 0) yield {type: 'error', source: input.source({offset: file.size - file.trailingBytes}), error: `the file ends ${file.trailingBytes} bytes into its last chunk (a truncated copy?): that chunk is read as far as it goes`}
    for (const {chunk, data} of file.chunks()) {
      chunks.rows++
      if (chunk.state === 'empty') {
        chunks.exclude('never written (all zero)')
        continue
      }
      if (chunk.state === 'bad-signature') {
        chunks.exclude('damaged: no chunk signature (error record)')
        yield {type: 'error', source: input.source({table: `chunk ${chunk.index}`, offset: chunk.offset}), error: `chunk ${chunk.index} has no ElfChnk signature: not read`}
        continue
      }
      chunks.parsed++
      if (!chunk.headerChecksumValid || !chunk.dataChecksumValid) {
        const which = [!chunk.headerChecksumValid ? 'header' : '', !chunk.dataChecksumValid ? 'record data' : ''].filter(Boolean).join(' and ')
        yield {type: 'error', source: input.source({table: `chunk ${chunk.index}`, offset: chunk.offset}), error: `chunk ${chunk.index} fails its ${which} checksum: its records were read one by one, each checked on its own, and may include overwritten or partly written ones`}
      }
      // the chunk header numbers its records (first..last): those not found are lost to damage or
      // overwritten (a shadow copy's chunk rewritten by a newer log) and are counted as such
      let inRange = 0
      let damaged = 0
      for (const item of chunkRecords(data, chunk)) {
        records.rows++
        if (item.kind === 'record' && item.record.recordId >= chunk.firstRecordId && item.record.recordId <= chunk.lastRecordId) inRange++
        if (item.kind === 'damage') {
          damaged++
          records.exclude('damaged record or stretch (error record)')
          yield {type: 'error', source: input.source({table: `chunk ${chunk.index}`, offset: item.damage.offset, ...(item.damage.recordId !== undefined ? {rowid: String(item.damage.recordId)} : {})}), error: item.damage.message}
          continue
        }
        const event = eventFields(item.record.nodes)
        const handler = event.eventId === null ? undefined : reader.handlers[event.eventId]
        if (!handler || (event.provider !== null && !providers.has(event.provider.toLowerCase()))) {
          records.exclude(`event ${event.eventId ?? '(no id)'}${handler ? ` of ${event.provider}` : ''}: not an event this parser reads`)
          continue
        }
        const made = handler(event, item.record)
        if ('excluded' in made && typeof made.excluded === 'string') {
          records.exclude(made.excluded)
          continue
        }
        records.parsed++
        yield {...provenance(input, event, item.record), type: reader.type, ...made}
      }
      const declared = chunk.lastRecordId - chunk.firstRecordId + 1n
      // a header that fails its checksum, or declares more records than a chunk can hold, says nothing reliable
      if (chunk.headerChecksumValid && declared > 0n && declared <= BigInt(Math.floor(CHUNK_SIZE / 28))) {
        const missing = Number(declared) - inRange - damaged
        if (missing > 0) {
          records.rows += missing
          yield {type: 'error', source: input.source({table: `chunk ${chunk.index}`, offset: chunk.offset}), error: `chunk ${chunk.index}: its header declares records ${chunk.firstRecordId}-${chunk.lastRecordId} (${declared}); ${inRange} of them were found and ${damaged} stretches were damaged: ${missing} declared records are not in the chunk (lost to damage or overwritten)`}
        }
      }
    }
  } finally {
    file.close()
    const account: CoverageAccount = {
      parser: reader.parser,
      store: 'evtx',
      file: input.bundlePath,
      sourcePath: input.sourcePath,
      volume: input.volume,
      readAs: reader.readAs,
      tables: [chunks.table('chunks'), records.table('event records')],
    }
    input.reportCoverage(account)
  }
}

/** A data value by the first of `names` present; '-' (Windows' "none") and '' become null. */
export function pick(event: EventFields, ...names: string[]): string | null {
  for (const n of names) {
    const v = event.data.get(n)
    if (v !== undefined) return v === '' || v === '-' ? null : v
  }
  return null
}

export function pickInt(event: EventFields, ...names: string[]): number | null {
  const v = pick(event, ...names)
  if (v === null) return null
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : Number(v)
  return Number.isFinite(n) ? n : null
}
