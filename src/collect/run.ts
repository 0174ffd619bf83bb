import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {ExitCode} from '../errors.js'
import {signerOptionsFrom, type SignerFiles} from '../bundle/keys.js'
import {formatBytes} from '../cli/render.js'
import {loadHashSet} from '../hashset/index.js'
import {loadPhashSet} from '../hashset/phash-set.js'
import type {SnapshotSelection} from '../source/types.js'
import {terminalSafe} from '../terminal-text.js'
import {collect, type CollectProgress, type CollectResult} from './collect.js'

export interface RunCollectOptions extends SignerFiles {
  /** Absent on a live Windows run: every fixed NTFS volume. */
  source?: string
  out?: string
  caseId: string
  examiner: string
  evidenceItem?: string
  notes?: string
  targets?: string
  /** Known-file hash sets to check every copied file against. */
  hashSets?: string[]
  /** PDQ lists of known pictures, and the match threshold in bits. */
  phashSets?: string[]
  phashThreshold?: number
  /** False: pictures get no PDQ hash (collect --no-phash). */
  perceptualHash?: boolean
  /** Record the running machine's network state too. */
  live?: boolean
  /** A folder of artifact definitions to use instead of the shipped ones. */
  definitions?: string
  commandLine?: string[]
  /** Allow the bundle on the file system of a directory source (see CollectOptions). */
  allowSameVolume?: boolean
  /** Volume Shadow Copies to collect beside each live volume (default 'none'). */
  snapshots?: SnapshotSelection
  /** Live Windows: have DPAPI unprotect app keys as the signed-in user (see CollectOptions). */
  unprotectKeys?: boolean
  /** Read NTFS volumes only along the artifact paths (see CollectOptions.triage). */
  triage?: boolean
  /** Progress lines on stderr (default: when stderr is a terminal). */
  progress?: boolean
  /** Encryption certificates the bundle is encrypted to (`<bundle>.zip.p7m`). */
  recipients?: string[]
  /** A RAM disk for an encrypted collect's working copies (see CollectOptions.workDir). */
  workDir?: string
}

export interface RunCollectResult extends CollectResult {
  bundleSha256: string
  exitCode: number
  json: Record<string, unknown>
}

/**
 * `trawl collect` as one call: signer options from flags, progress on stderr,
 * Ctrl-C seals what was collected as an incomplete `.partial` bundle.
 */
export async function runCollect(options: RunCollectOptions): Promise<RunCollectResult> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted)
    process.stderr.write(`\ntrawl: ${signal}: finishing the current file and sealing an incomplete bundle (press again to stop at once)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const showProgress = options.progress ?? Boolean(process.stderr.isTTY)
  try {
    const hashSets = await Promise.all((options.hashSets ?? []).map((path) => loadHashSet(path)))
    const phashSets = await Promise.all((options.phashSets ?? []).map((path) => loadPhashSet(path)))
    const result = await collect({
      source: options.source,
      out: options.out,
      caseId: options.caseId,
      examiner: options.examiner,
      evidenceItem: options.evidenceItem,
      notes: options.notes,
      signer: signerOptionsFrom(options),
      targets: options.targets ? options.targets.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
      commandLine: options.commandLine,
      definitionsDir: options.definitions,
      live: options.live,
      allowSameVolume: options.allowSameVolume,
      recipients: options.recipients,
      workDir: options.workDir,
      snapshots: options.snapshots,
      unprotectKeys: options.unprotectKeys,
      triage: options.triage,
      hashSets,
      phashSets,
      phashThreshold: options.phashThreshold,
      perceptualHash: options.perceptualHash,
      signal: controller.signal,
      onProgress: showProgress ? (p) => process.stderr.write(`\r${terminalSafe(progressLine(p))}\x1b[K`) : undefined,
    })
    if (showProgress) process.stderr.write('\n')
    const bundleSha256 = result.bundleSha256 ?? (await sha256File(result.bundlePath))
    const m = result.manifest
    return {
      ...result,
      bundleSha256,
      exitCode: result.complete ? ExitCode.ok : ExitCode.interrupted,
      json: {
        bundle: result.bundlePath,
        bundleSha256,
        ...(result.encryptedSha256 ? {encryptedSha256: result.encryptedSha256, recipients: m.encryption?.recipients.map((r) => ({subject: r.subject, certificateSha256: r.certificateSha256, keyManagement: r.keyManagement}))} : {}),
        complete: result.complete,
        case: m.case,
        startedAt: m.startedAt,
        endedAt: m.endedAt,
        signer: m.signer,
        source: {path: m.source.path, kind: m.source.kind, format: m.source.format, volumes: m.source.volumes},
        files: m.entries.filter((e) => e.kind === 'copy').length,
        bytes: m.entries.filter((e) => e.kind === 'copy').reduce((a, e) => a + e.size, 0),
        artifacts: m.artifacts,
        hashSets: m.hashSets,
        hashSetMatches: m.entries.filter((e) => e.hashSetMatches?.length).map((e) => ({path: e.path, sourcePath: e.source?.path, matches: e.hashSetMatches})),
        cameras: m.cameras ?? [],
        coverage: m.coverage,
        notCollected: m.notCollected,
        errors: m.errors,
      },
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function progressLine(p: CollectProgress): string {
  const seconds = p.elapsedMs / 1000
  const rate = seconds > 0 ? p.bytes / seconds : 0
  return `${p.files} files, ${formatBytes(p.bytes)} (${formatBytes(rate)}/s), ${p.records} records, ${p.errors} errors${p.artifact ? `  [${p.artifact}]` : ''}`
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
