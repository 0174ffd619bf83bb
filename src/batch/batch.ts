import {fork, type ChildProcess} from 'node:child_process'
import type {X509Certificate} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync} from 'node:fs'
import {availableParallelism, hostname} from 'node:os'
import {basename, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {loadSigner, signerOptionsFrom, type SignerFiles} from '../bundle/keys.js'
import {loadRecipients} from '../bundle/recipients.js'
import {BundleZip} from '../bundle/zip-reader.js'
import {MANIFEST_PATH, type Manifest} from '../bundle/manifest.js'
import {verifyBundle} from '../bundle/verify.js'
import {sha256File} from '../collect/run.js'
import type {SnapshotSelection} from '../source/types.js'
import {ExitCode, OutputNotWritableError, UsageError, errorMessage} from '../errors.js'
import {terminalSafe} from '../terminal-text.js'
import {nowIso} from '../time.js'
import {loadHashSet} from '../hashset/index.js'
import {parseShard, resolveItems, selectShard, type EvidenceItem} from './items.js'
import {BatchProgress} from './progress.js'
import type {ImageCheck, WorkerJob, WorkerMessage} from './protocol.js'
import {factsOf, itemSummary, totalsOf, writeSummary, type BatchSummary, type ItemSummary} from './summary.js'

export interface BatchOptions extends SignerFiles {
  /** Image paths, folders and globs as typed. */
  inputs: string[]
  out: string
  caseId: string
  examiner: string
  jobs?: number
  /** `K/N` */
  shard?: string
  hashSets?: string[]
  targets?: string
  definitions?: string
  /** Volume Shadow Copies to collect beside each live volume (default 'none'). */
  snapshots?: SnapshotSelection
  /** Read NTFS volumes only along the artifact paths (collect --triage). */
  triage?: boolean
  notes?: string
  force?: boolean
  /** Read every image whole to check its stored (EWF) or compute its (raw) MD5/SHA-1 (default true). */
  imageCheck?: boolean
  commandLine?: string[]
  /** Live progress block on stderr (default: when stderr is a terminal); plain log lines otherwise. */
  progress?: boolean
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void
  /** Working directory for relative inputs (default: process.cwd()). */
  cwd?: string
  /** Encryption certificates: each item becomes `<item>.zip.p7m`, encrypted to them (see CollectOptions.recipients). */
  recipients?: string[]
  /** A RAM disk for the working copies of encrypted items (see CollectOptions.workDir). */
  workDir?: string
}

export interface BatchResult {
  summary: BatchSummary
  exitCode: number
  summaryJson: string
  summaryCsv: string
}

/**
 * Items run at once by default. Each item streams one image from start to end
 * (hashing, inflating EWF chunks, parsing SQLite): past a few streams a single
 * disk or NAS share spends its time seeking, and each worker holds its own
 * caches (EWF chunks, NTFS MFT index, SQLite), so more than 4 buys contention
 * and memory, not speed. Fewer cores than 4: one per core.
 */
export function defaultJobs(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, 4))
}

/** How long a restarted batch waits for a worker its killed predecessor left sealing. */
const LOCK_WAIT_MS = 120_000

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const startedAt = nowIso()
  // item names are file names and failures quote paths: escaped before they reach the terminal
  const log = options.log ?? ((line: string) => process.stderr.write(`${terminalSafe(line)}\n`))
  const jobs = options.jobs ?? defaultJobs()
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${jobs}: expected a whole number of at least 1`)
  const shard = options.shard ? parseShard(options.shard) : undefined
  const listed = await resolveItems(options.inputs, options.cwd)
  const items = selectShard(listed.items, shard)
  for (const pattern of listed.unmatched) log(`trawl batch: no file matches ${pattern}`)
  for (const ignored of listed.ignored) log(`trawl batch: ignoring ${ignored.path}: ${ignored.reason}`)
  if (listed.items.length === 0) throw new UsageError(`no evidence image matches ${options.inputs.join(' ')}`)

  // what fails for every item fails once, before anything runs: key, passphrase, hash sets, output folder
  // (and the certificate an existing bundle must be signed with to count as this batch's work)
  const signerCertificate = loadSigner(signerOptionsFrom(options)).certificate
  // a recipient certificate that cannot be used would fail every item too
  const encrypted = (options.recipients?.length ?? 0) > 0
  if (encrypted) loadRecipients(options.recipients!)
  // a hash set that cannot be read would fail every item: load each once here to find out (then let it go)
  for (const set of options.hashSets ?? []) await loadHashSet(set)
  const out = resolve(options.cwd ?? process.cwd(), options.out)
  try {
    mkdirSync(out, {recursive: true})
  } catch (error) {
    throw new OutputNotWritableError(out, errorMessage(error))
  }
  const suffix = shard ? `.shard-${shard.index}-of-${shard.count}` : ''
  const summaryJson = join(out, `summary${suffix}.json`)
  const summaryCsv = join(out, `summary${suffix}.csv`)
  const previousChecks = loadPreviousImageChecks(out)
  const previousRows = encrypted ? loadPreviousRows(out) : new Map<string, ItemSummary>()

  const rows = new Map<string, ItemSummary>()
  for (const item of items) rows.set(item.name, itemSummary(item, 'not-run', {}))
  const summary = (): BatchSummary => {
    const list = items.map((i) => rows.get(i.name)!)
    return {
      format: 'trawl-batch-summary',
      formatVersion: 1,
      case: {id: options.caseId, examiner: options.examiner},
      startedAt,
      endedAt: nowIso(),
      ...(shard ? {shard} : {}),
      jobs,
      itemsListed: listed.items.length,
      totals: totalsOf(list),
      items: list,
      ignored: listed.ignored,
      unmatched: listed.unmatched,
    }
  }
  const save = () => writeSummary(summaryJson, summaryCsv, summary())

  const progress = new BatchProgress(items.length, options.progress ?? Boolean(process.stderr.isTTY), log, jobs)
  log(`trawl batch: ${items.length} item${items.length === 1 ? '' : 's'}${shard ? ` (shard ${shard.index}/${shard.count} of ${listed.items.length})` : ''}, up to ${Math.min(jobs, Math.max(1, items.length))} at once, into ${out}`)

  const children = new Set<ChildProcess>()
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // second Ctrl-C: stop now; the next run redoes these items
      for (const child of children) child.kill('SIGKILL')
      progress.stop()
      save()
      process.exit(ExitCode.interrupted)
    }
    interrupted = true
    progress.log(`trawl batch: ${signal}: no new item starts; running items seal incomplete bundles (press again to stop at once)`)
    for (const child of children) if (child.connected) child.send({type: 'abort'})
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const jobFor = (item: EvidenceItem, bundle: string, mode: WorkerJob['mode']): WorkerJob => ({
    mode,
    source: item.source,
    out: bundle,
    lock: `${bundle}.lock`,
    caseId: options.caseId,
    examiner: options.examiner,
    evidenceItem: item.name,
    notes: options.notes,
    key: options.key && resolve(options.key),
    cert: options.cert && resolve(options.cert),
    p12: options.p12 && resolve(options.p12),
    passphraseEnv: options.passphraseEnv,
    targets: options.targets ? options.targets.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
    definitions: options.definitions && resolve(options.definitions),
    ...(options.snapshots ? {snapshots: options.snapshots} : {}),
    ...(options.triage ? {triage: true} : {}),
    hashSets: (options.hashSets ?? []).map((p) => resolve(p)),
    imageCheck: options.imageCheck ?? true,
    commandLine: options.commandLine ?? process.argv.slice(1),
    ...(encrypted ? {recipients: options.recipients!.map((p) => resolve(p)), workDir: options.workDir && resolve(options.workDir)} : {}),
  })

  const runItem = async (item: EvidenceItem): Promise<ItemSummary> => {
    const bundle = join(out, `${item.name}.zip${encrypted ? '.p7m' : ''}`)
    const prepared = encrypted
      ? await prepareEncryptedItem(item, bundle, options, previousRows, progress)
      : await prepareItem(item, bundle, options, signerCertificate, previousChecks, progress)
    if (prepared) {
      // done earlier, but its image check was stopped: check the image now, the bundle stays as it is
      if (prepared.status === 'skipped' && !prepared.imageCheck && (options.imageCheck ?? true) && prepared.format !== 'directory' && !interrupted) {
        const checked = await runWorker(item, jobFor(item, bundle, 'image-check'), children, progress, jobs)
        if (checked.imageCheck) return {...prepared, imageCheck: checked.imageCheck}
        return {...prepared, status: checked.status, failure: checked.failure ?? 'the image check was interrupted'}
      }
      return prepared
    }
    if (interrupted) return itemSummary(item, 'not-run', {})
    return runWorker(item, jobFor(item, bundle, 'collect'), children, progress, jobs)
  }

  // a simple pool: at most `jobs` items in flight, started in list order
  let next = 0
  const lanes = Array.from({length: Math.min(jobs, items.length)}, async () => {
    while (next < items.length && !interrupted) {
      const item = items[next++]
      let row: ItemSummary
      try {
        row = await runItem(item)
      } catch (error) {
        // e.g. an old bundle that cannot be moved aside: this item fails, the batch goes on
        row = itemSummary(item, 'failed', {failure: errorMessage(error)})
      }
      rows.set(item.name, row)
      progress.finished(item.name, row)
      save()
    }
  })
  try {
    await Promise.all(lanes)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    progress.stop()
  }
  const final = summary()
  writeSummary(summaryJson, summaryCsv, final)
  const t = final.totals
  const exitCode = interrupted ? ExitCode.interrupted : t.failed + t.interrupted + t['not-run'] > 0 ? ExitCode.partial : ExitCode.ok
  return {summary: final, exitCode, summaryJson, summaryCsv}
}

/**
 * Before an item runs: wait for a worker a killed batch left behind, move an old
 * bundle aside for --force, skip an item whose bundle is complete and verifies as
 * signed with this batch's certificate,
 * and clear the `.partial`/`.work` of an interrupted run. Returns the item's row
 * when it needs no run.
 */
async function prepareItem(
  item: EvidenceItem,
  bundle: string,
  options: BatchOptions,
  signerCertificate: X509Certificate,
  previousChecks: Map<string, ImageCheck>,
  progress: BatchProgress,
): Promise<ItemSummary | undefined> {
  const t0 = Date.now()
  const lockProblem = await waitForLock(`${bundle}.lock`, progress)
  if (lockProblem) return itemSummary(item, 'failed', {failure: lockProblem})
  if (existsSync(bundle) && options.force) {
    const aside = `${bundle}.replaced-${stamp()}`
    renameSync(bundle, aside)
    progress.log(`trawl batch: ${item.name}: --force: the previous bundle is kept as ${basename(aside)}`)
  }
  for (const leftover of [`${bundle}.partial`, `${bundle}.work`]) {
    if (existsSync(leftover)) {
      rmSync(leftover, {recursive: true, force: true})
      progress.log(`trawl batch: ${item.name}: removed ${basename(leftover)} of an interrupted run; redoing the item`)
    }
  }
  if (!existsSync(bundle)) return undefined
  let report
  try {
    // pinned to the certificate this batch signs with: a bundle someone else sealed is not skipped as done
    report = await verifyBundle(bundle, {cert: signerCertificate})
  } catch (error) {
    report = {valid: false, complete: false, problems: [errorMessage(error)]}
  }
  const manifest = report.valid ? await readManifest(bundle) : undefined
  if (report.valid && manifest) {
    const mismatch = ownership(manifest, item, options)
    if (mismatch) {
      return itemSummary(item, 'failed', {failure: `${basename(bundle)} already exists and ${mismatch}; move it away or use --force`, bundle})
    }
    const bundleSha256 = await sha256File(bundle)
    return itemSummary(item, 'skipped', {
      facts: factsOf(manifest),
      imageCheck: previousChecks.get(`${item.name}\0${bundleSha256}`),
      durationMs: Date.now() - t0,
      bundle,
      bundleSha256,
    })
  }
  // an existing bundle that does not verify is never trusted and never deleted: kept aside, the item redone
  const aside = `${bundle}.invalid-${stamp()}`
  renameSync(bundle, aside)
  progress.log(`trawl batch: ${item.name}: the existing bundle does not verify (${report.problems[0] ?? 'invalid'}); kept as ${basename(aside)}, redoing the item`)
  return undefined
}

/**
 * prepareItem for encrypted items. The batch cannot decrypt what it wrote (only the
 * recipients can), so an existing `<item>.zip.p7m` counts as done only when it is byte for
 * byte the file an earlier run of this batch reported complete (its SHA-256 in summary.json);
 * anything else is kept aside, never deleted, and the item redone.
 */
async function prepareEncryptedItem(
  item: EvidenceItem,
  bundle: string,
  options: BatchOptions,
  previousRows: Map<string, ItemSummary>,
  progress: BatchProgress,
): Promise<ItemSummary | undefined> {
  const t0 = Date.now()
  const lockProblem = await waitForLock(`${bundle}.lock`, progress)
  if (lockProblem) return itemSummary(item, 'failed', {failure: lockProblem})
  if (existsSync(bundle) && options.force) {
    const aside = `${bundle}.replaced-${stamp()}`
    renameSync(bundle, aside)
    progress.log(`trawl batch: ${item.name}: --force: the previous bundle is kept as ${basename(aside)}`)
  }
  const partial = `${bundle}.partial`
  if (existsSync(partial)) {
    rmSync(partial, {force: true})
    progress.log(`trawl batch: ${item.name}: removed ${basename(partial)} of an interrupted run; redoing the item`)
  }
  if (!existsSync(bundle)) return undefined
  const sha256 = await sha256File(bundle)
  const previous = previousRows.get(item.name)
  if (previous && previous.bundleSha256 === sha256) return {...previous, status: 'skipped', durationMs: Date.now() - t0, bundle}
  const aside = `${bundle}.unverified-${stamp()}`
  renameSync(bundle, aside)
  progress.log(`trawl batch: ${item.name}: the existing encrypted bundle is not one this batch reported complete; kept as ${basename(aside)}, redoing the item`)
  return undefined
}

/**
 * The rows of earlier runs' summaries (summary*.json, one per shard) in `dir`. An unreadable
 * old summary gives none: its items are redone and its image checks not reused.
 */
function previousSummaryRows(dir: string): ItemSummary[] {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => /^summary(\.shard-\d+-of-\d+)?\.json$/.test(n))
  } catch {
    return []
  }
  const rows: ItemSummary[] = []
  for (const name of names) {
    try {
      rows.push(...((JSON.parse(readFileSync(join(dir, name), 'utf8')) as BatchSummary).items ?? []))
    } catch {
      // unreadable: as if that run had not happened
    }
  }
  return rows
}

/** Items earlier runs finished, by item name, with the SHA-256 of their bundle file. */
function loadPreviousRows(dir: string): Map<string, ItemSummary> {
  const rows = new Map<string, ItemSummary>()
  for (const row of previousSummaryRows(dir)) if ((row.status === 'ok' || row.status === 'skipped') && row.bundleSha256) rows.set(row.item, row)
  return rows
}

/** Why an existing, valid bundle is not this item's (another case, another image), or undefined. */
function ownership(manifest: Manifest, item: EvidenceItem, options: BatchOptions): string | undefined {
  if (manifest.case.id !== options.caseId) return `belongs to case ${manifest.case.id}`
  const collected = basename(manifest.source.path)
  const segments = new Set([...item.segments, item.source].map((p) => basename(p)))
  if (!segments.has(collected) && collected !== basename(item.source)) return `holds ${manifest.source.path}, not ${item.source}`
  return undefined
}

async function readManifest(bundle: string): Promise<Manifest | undefined> {
  const zip = BundleZip.open(bundle)
  try {
    const entry = zip.entry(MANIFEST_PATH)
    return entry ? (JSON.parse((await zip.readEntry(entry)).toString('utf8')) as Manifest) : undefined
  } finally {
    zip.close()
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A lock left by a worker: on this host, wait while its process lives (a killed
 * batch's worker still sealing), else clear it; from another host, refuse the item
 * (two machines were given the same item). Returns the reason to refuse, or undefined.
 */
async function waitForLock(lock: string, progress: BatchProgress): Promise<string | undefined> {
  const deadline = Date.now() + LOCK_WAIT_MS
  let told = false
  while (existsSync(lock)) {
    let holder: {pid?: number; host?: string; at?: string} = {}
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8'))
    } catch {
      holder = {}
    }
    if (holder.host !== undefined && holder.host !== hostname()) {
      return `${basename(lock)} says host ${holder.host} (pid ${holder.pid}) is processing this item since ${holder.at}; if that run is gone, delete the lock`
    }
    if (typeof holder.pid !== 'number' || !processAlive(holder.pid)) {
      rmSync(lock, {force: true})
      break
    }
    if (Date.now() > deadline) return `process ${holder.pid} still holds ${basename(lock)}`
    if (!told) {
      progress.log(`trawl batch: waiting for process ${holder.pid} of an earlier run to release ${basename(lock)}`)
      told = true
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return undefined
}

/** Image checks of earlier runs, by item and bundle hash, so a skipped item keeps its check. */
function loadPreviousImageChecks(dir: string): Map<string, ImageCheck> {
  const checks = new Map<string, ImageCheck>()
  for (const row of previousSummaryRows(dir)) if (row.imageCheck && row.bundleSha256) checks.set(`${row.item}\0${row.bundleSha256}`, row.imageCheck)
  return checks
}

/** How much of a worker's stderr is kept to explain a crash. */
const STDERR_TAIL = 4096

/**
 * Picture threads (src/parsers/media/picture-pool.ts) per item when `jobs` items run at once:
 * the cores shared out, so that the decodes of all items together do not exceed them (each
 * decode of a large photo holds hundreds of MB). An examiner's TRAWL_PICTURE_THREADS is kept.
 */
export function pictureThreadsPerItem(jobs: number, cores = availableParallelism()): string {
  return process.env.TRAWL_PICTURE_THREADS ?? String(Math.max(1, Math.floor(cores / jobs)))
}

function runWorker(item: EvidenceItem, job: WorkerJob, children: Set<ChildProcess>, progress: BatchProgress, jobs: number): Promise<ItemSummary> {
  const t0 = Date.now()
  return new Promise((resolvePromise) => {
    const env = {...process.env, TRAWL_PICTURE_THREADS: pictureThreadsPerItem(jobs)}
    const child = fork(WORKER, [], {stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env})
    children.add(child)
    progress.started(item.name, item.segments.reduce((a, p) => a + sizeOf(p), 0))
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL)
    })
    let outcome: WorkerMessage | undefined
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') progress.update(item.name, message)
      else outcome = message
    })
    child.on('error', (error) => {
      outcome ??= {type: 'failed', error: `cannot start a worker: ${errorMessage(error)}`, exitCode: 1}
    })
    child.send({type: 'start', job})
    child.on('close', (code, signal) => {
      children.delete(child)
      const durationMs = Date.now() - t0
      if (outcome?.type === 'done') {
        const status = outcome.facts.complete && !outcome.checkInterrupted ? 'ok' : 'interrupted'
        const failure = !outcome.facts.complete
          ? 'interrupted: the bundle was sealed incomplete (.partial); the next run redoes this item'
          : outcome.checkInterrupted
            ? 'interrupted during the image check: the bundle is complete; the next run keeps it and checks the image'
            : undefined
        resolvePromise(
          itemSummary(item, status, {
            facts: outcome.facts,
            imageCheck: outcome.imageCheck,
            durationMs,
            bundle: outcome.bundlePath,
            bundleSha256: outcome.bundleSha256,
            ...(failure ? {failure} : {}),
          }),
        )
        return
      }
      if (outcome?.type === 'checked') {
        resolvePromise(
          outcome.imageCheck
            ? itemSummary(item, 'ok', {imageCheck: outcome.imageCheck, durationMs})
            : itemSummary(item, 'interrupted', {failure: 'interrupted during the image check; the next run checks the image', durationMs}),
        )
        return
      }
      const lastLine = stderr.trim().split('\n').filter(Boolean).pop()
      const failure =
        outcome?.type === 'failed'
          ? outcome.error
          : `the worker ended without a result (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLine ? `: ${lastLine}` : ''}`
      resolvePromise(itemSummary(item, 'failed', {failure, durationMs}))
    })
  })
}

function sizeOf(path: string): number {
  try {
    const s = statSync(path)
    return s.isFile() ? s.size : 0
  } catch {
    return 0
  }
}
