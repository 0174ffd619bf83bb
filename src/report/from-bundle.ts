import {createHash} from 'node:crypto'
import {createReadStream, existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {verifyBundle, type VerifyOptions, type VerifyReport} from '../bundle/verify.js'
import {OutputNotWritableError, errorMessage} from '../errors.js'
import {nowIso} from '../time.js'
import {renderReport} from './html.js'
import {BundleRecords} from './records.js'

export interface ReportFromBundleOptions extends VerifyOptions {
  /** Folder to write report.html into; default: beside the bundle. */
  out?: string
  /** Write the report of a bundle that does not verify (it then says NOT VALID at the top). */
  allowInvalid?: boolean
}

export interface ReportFromBundleResult {
  path?: string
  verify: VerifyReport
  records: number
}

/**
 * Writes report.html again from a bundle, after verifying it: the report then shows the
 * verification result and the whole custody log, which the copy sealed inside the bundle cannot.
 * An invalid bundle gets no report unless asked for (and then one marked NOT VALID).
 */
export async function reportFromBundle(bundle: string, options: ReportFromBundleOptions = {}): Promise<ReportFromBundleResult> {
  const verify = await verifyBundle(bundle, {cert: options.cert, ca: options.ca})
  if (!verify.valid && !options.allowInvalid) return {verify, records: 0}
  const dir = resolve(options.out ?? dirname(resolve(bundle)))
  const path = join(dir, options.out ? 'report.html' : `${basename(bundle).replace(/\.zip(\.partial)?$/i, '')}.report.html`)
  if (existsSync(path)) throw new OutputNotWritableError(path, 'already exists (trawl never overwrites)')
  const bundleSha256 = await sha256Of(bundle)
  const opened = await BundleRecords.open(bundle)
  let records = 0
  let html: Buffer
  try {
    const m = opened.manifest
    const counted = async function* () {
      for await (const record of opened.records()) {
        records++
        yield record
      }
    }
    html = await renderReport({
      case: m.case,
      tool: m.tool,
      source: m.source,
      host: m.host,
      startedAt: m.startedAt,
      endedAt: m.endedAt,
      complete: m.complete === true,
      signer: m.signer,
      status: {state: 'verified', at: nowIso(), valid: verify.valid, problems: verify.problems, warnings: verify.warnings, entriesChecked: verify.entries.checked, bundle: basename(bundle), bundleSha256},
      custody: verify.custody.log,
      artifacts: m.artifacts ?? [],
      errors: m.errors ?? [],
      files: (m.entries ?? []).filter((e) => e.kind === 'copy' || e.kind === 'derived' || e.kind === 'live'),
      records: counted(),
    })
  } finally {
    opened.close()
  }
  try {
    mkdirSync(dir, {recursive: true})
    writeFileSync(path, html, {flag: 'wx'})
  } catch (error) {
    throw new OutputNotWritableError(path, errorMessage(error))
  }
  return {path, verify, records}
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
