import type {Manifest} from '../bundle/manifest.js'
import type {ParsedRecord} from '../parsers/types.js'
import {hashMatchRecord} from './records.js'
import {renderReport} from './html.js'

/**
 * report.html as collection writes it into the bundle: from the manifest as it stands when
 * sealing starts (every copy listed, the seal not yet made) and every record of the run.
 * It cannot verify the bundle it is part of, and says so.
 */
export function renderSealingReport(manifest: Manifest, records: Iterable<ParsedRecord>, hashMatches: Array<Record<string, unknown>>): Promise<Buffer> {
  return renderReport({
    case: manifest.case,
    tool: manifest.tool,
    source: manifest.source,
    host: manifest.host,
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt,
    complete: manifest.complete,
    signer: manifest.signer,
    status: {state: 'sealing', at: manifest.endedAt},
    custody: [],
    artifacts: manifest.artifacts,
    errors: manifest.errors,
    files: manifest.entries.filter((e) => e.kind === 'copy' || e.kind === 'derived' || e.kind === 'live'),
    records: (function* () {
      yield* records
      for (const match of hashMatches) yield hashMatchRecord(match)
    })(),
  })
}
