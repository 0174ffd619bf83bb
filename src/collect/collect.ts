import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {hostname, platform, release, arch, userInfo} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'
import {finished} from 'node:stream/promises'
import type {Readable} from 'node:stream'
import {loadDefinitions, selectDefinitions, type ArtifactDefinition} from '../artifacts/definition.js'
import {matchPattern} from '../artifacts/pattern.js'
import {signDetached} from '../bundle/cms.js'
import {EnvelopeEncryptor} from '../bundle/cms-envelope.js'
import {loadRecipients, memoryWorkFolder, type Recipients} from '../bundle/recipients.js'
import {eventLine, makeEvent} from '../bundle/custody.js'
import {type Digests} from '../bundle/hash.js'
import {loadSigner, type Signer, type SignerOptions} from '../bundle/keys.js'
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  CUSTODY_PATH,
  MANIFEST_PATH,
  SIGNATURE_PATH,
  SUMS_PATH,
  SUMS_SIGNATURE_PATH,
  serializeManifest,
  type ArtifactSummary,
  type CopySource,
  type Manifest,
  type ManifestEntry,
  type NotCollected,
  type RunError,
} from '../bundle/manifest.js'
import {RecordStore} from '../bundle/records.js'
import {BundleZipWriter, type WrittenEntry} from '../bundle/zip-writer.js'
import {FileNotFoundError, InterruptedError, OutputNotWritableError, UsageError, errorMessage} from '../errors.js'
import type {FileEntry, ReadOnlyFileSystem} from '../fs/types.js'
import {fileSystemProblems} from '../fs/problems.js'
import {ListingCache} from '../fs/listing-cache.js'
import {coverageWarnings, type CoverageAccount} from '../parsers/coverage.js'
import {groupByCamera} from '../parsers/media/camera.js'
import {installRoot, toolVersion} from '../install.js'
import {SqliteUnavailableError, sqliteEngineInfo} from '../sqlite/engine.js'
import {kitIdentity, kitRoot} from '../kit/identity.js'
import {registerAllParsers, getParser} from '../parsers/index.js'
import type {CollectedFile, DerivedFile, ParsedRecord, Parser, ParserInput, RecordSource} from '../parsers/types.js'
import {openSource, openSources, outputConflictOf, sharedFileSystemOf} from '../source/open.js'
import type {EvidenceSource, EvidenceVolume, SnapshotSelection} from '../source/types.js'
import {collectLiveNetworkState} from '../live/index.js'
import {listLiveVolumes} from '../live/volumes.js'
import {liveDpapi, type DpapiUnprotect} from '../live/dpapi.js'
import {DEFAULT_PDQ_THRESHOLD, cropFields, nearestPerListedPicture, type PhashSet} from '../hashset/phash-set.js'
import {nowIso} from '../time.js'
import {renderSealingReport} from '../report/sealing.js'
import {BundleNames, bundlePathFor} from './bundle-paths.js'

/** A loaded hash set that collection checks every copied file against (see src/hashset). */
export interface HashSetMatcher {
  readonly name: string
  readonly size: number
  readonly path?: string
  readonly format?: string
  /** SHA-256 of the set file, so the report names exactly which list was used. */
  readonly sha256?: string
  match(digests: Digests): {algorithm: string; hash?: string} | undefined
}

export interface CollectProgress {
  artifact?: string
  currentPath?: string
  files: number
  bytes: number
  records: number
  errors: number
  elapsedMs: number
}

export interface CollectOptions {
  /** The evidence; absent on a live Windows run, which reads every fixed NTFS volume (live/volumes.ts). */
  source?: string
  out?: string
  caseId: string
  examiner: string
  evidenceItem?: string
  notes?: string
  signer: SignerOptions
  targets?: string[]
  definitionsDir?: string
  hashSets?: HashSetMatcher[]
  /** PDQ lists of known pictures (--phashset): media.phash records within `phashThreshold` bits are flagged. */
  phashSets?: PhashSet[]
  /** PDQ match threshold in bits (default 31). */
  phashThreshold?: number
  /** False: no PDQ hash of pictures (--no-phash), for speed in the field; --phashset then matches nothing, and is refused. */
  perceptualHash?: boolean
  commandLine?: string[]
  onProgress?: (progress: CollectProgress) => void
  /** Aborting stops after the current file and seals what was collected as incomplete. */
  signal?: AbortSignal
  /** Write ZIP64 records even when the bundle is small (tests of the ZIP64 path). */
  forceZip64?: boolean
  /** Also record the running machine's network state (commands run by absolute path, each with a timeout). */
  live?: boolean
  /** Allow the bundle on the file system of a directory source (a copy on the examiner's own disk, not the evidence medium). */
  allowSameVolume?: boolean
  /**
   * Encryption certificates (PEM files): the bundle is sealed and signed as always, then written
   * encrypted to them as `<bundle>.zip.p7m` (CMS AuthEnvelopedData); nothing of it is written in the clear.
   */
  recipients?: string[]
  /**
   * Where an encrypted collect keeps its working copies (databases opened by parsers, parsed
   * records before sealing): a RAM disk. Default: /dev/shm on Linux (tmpfs). Never the output medium.
   */
  workDir?: string
  /**
   * Volume Shadow Copies to collect beside each live volume (default 'none': they are listed
   * in the manifest's volume descriptions, not read).
   */
  snapshots?: SnapshotSelection
  /**
   * On a live Windows run, let parsers have Windows unprotect the DPAPI blobs that guard app
   * keys (Signal Desktop's database key), as the signed-in user (--unprotect-keys). Every call
   * is listed in the manifest (keyUnwraps).
   */
  unprotectKeys?: boolean
  /** The DPAPI to use (tests); default on a live Windows run: live/dpapi.ts. */
  dpapi?: DpapiUnprotect
  /**
   * Triage (--triage): read NTFS volumes only along the artifact paths, through the
   * directories' $I30 indexes, instead of a pass over the whole $MFT. Deleted and orphan
   * files are not looked for; each volume's notes in the manifest say so.
   */
  triage?: boolean
}

/** The pseudo-definition under which live-system records are filed. */
const LIVE_DEFINITION: ArtifactDefinition = {
  id: 'live-network',
  name: 'Live network state',
  category: 'network',
  description: 'Interfaces, connections, neighbours, routes, DNS cache and shares of the running machine',
  paths: [],
  companions: [],
  attributes: {},
  references: [],
  file: '(built in)',
}

export interface CollectResult {
  bundlePath: string
  complete: boolean
  manifest: Manifest
  durationMs: number
  /** SHA-256 of the bundle file, computed as it was written (no second read); of the ZIP inside when encrypted. */
  bundleSha256?: string
  /** SHA-256 of the encrypted file (.zip.p7m) as written. */
  encryptedSha256?: string
}

/**
 * Files up to this size are read whole where the source can (ReadOnlyFileSystem.readSmall).
 * Below the directory source's 1 MiB read size and the digest pool's 1 MiB threshold, so
 * the streamed copy of such a file is one chunk hashed inline: the two paths see the
 * same first bytes when they decide to store or deflate.
 */
const WHOLE_READ_BYTES = (1 << 20) - 1

/** One copied file for its parser: where it came from, its copy and working copy, and what its definition captured. */
interface ParseJob {
  definition: ArtifactDefinition
  volume: EvidenceVolume
  fs: ReadOnlyFileSystem
  parser: Parser
  main: CopiedFile
  copyPath: string
  companions: string[]
  captures: Record<string, string>
  summary: ArtifactSummary
}

/** Readings of a concurrent parser (Parser.concurrent) out at once: each holds its working copy. */
const MAX_PARSES_ALONGSIDE = 6

/** Bytes of a candidate file handed to a parser's content check. */
const HEAD_BYTES = 4096

/**
 * Collects every selected artifact from a source into a signed bundle.
 * Never writes to the source; writes `<out>.partial` and renames it only when the run completed.
 */
export async function collect(options: CollectOptions): Promise<CollectResult> {
  const startedAt = nowIso()
  const t0 = Date.now()
  registerAllParsers()
  const definitions = selectDefinitions(loadDefinitions(options.definitionsDir), options.targets)
  // everything that can fail on bad input fails before a byte is written
  const signer = loadSigner(options.signer)
  const recipients = options.recipients?.length ? loadRecipients(options.recipients) : undefined
  if (options.unprotectKeys && !options.dpapi && !(options.live && process.platform === 'win32')) {
    throw new UsageError("--unprotect-keys needs --live on Windows: DPAPI unprotects only the keys of the user signed in on the running machine")
  }
  if (options.workDir !== undefined && !recipients) throw new UsageError('--work-dir is for encrypted collects (--recipient); a plain collect keeps its working copies beside the bundle')
  const source = await openEvidence(options)
  try {
    checkSnapshotSelection(source, options.snapshots)
    const out = resolveOutput(options, source, recipients !== undefined)
    const run = new CollectionRun(options, definitions, signer, source, out, startedAt, t0, recipients)
    return await run.execute()
  } finally {
    await source.close()
  }
}

/** The source named, or on a live run without one the machine's fixed volumes (each named in the manifest). */
async function openEvidence(options: CollectOptions): Promise<EvidenceSource> {
  const snapshots = options.snapshots ?? 'none'
  const directoryIndexes = options.triage ?? false
  if (options.source !== undefined) return openSource(options.source, {snapshots, directoryIndexes})
  if (!options.live) throw new UsageError('--source is required (or --live alone on Windows, to read every fixed NTFS volume)')
  const list = await listLiveVolumes({medium: installRoot()})
  return openSources(list.devices, {notCollected: list.notCollected, listedBy: list.commandLine, snapshots, directoryIndexes})
}

/** `--snapshots 3` on a source where no volume has a shadow copy 3 is a mistake, refused before anything is written. */
function checkSnapshotSelection(source: EvidenceSource, selection: SnapshotSelection | undefined): void {
  if (!Array.isArray(selection)) return
  const numbers = new Set(source.volumes.flatMap((v) => (v.description.shadowCopies ?? []).map((c) => c.number)))
  const missing = selection.filter((n) => !numbers.has(n))
  if (missing.length === 0) return
  const listed = source.volumes.filter((v) => v.description.shadowCopies?.length).map((v) => `${v.id}: ${v.description.shadowCopies!.map((c) => c.number).join(', ')}`)
  throw new UsageError(`no volume of ${source.description.path} has shadow copy ${missing.join(', ')} (${listed.length > 0 ? `shadow copies: ${listed.join('; ')}` : 'it has no shadow copies'})`)
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'case'
}

function resolveOutput(options: CollectOptions, source: EvidenceSource, encrypted: boolean): string {
  let out: string
  if (options.out) {
    out = resolve(options.out)
  } else {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    out = join(kitRoot() ?? installRoot(), 'evidence', `${safeName(options.caseId)}_${safeName(hostname())}_${stamp}.zip`)
  }
  // an encrypted bundle is <bundle>.zip.p7m: its name says what is inside and how to open it
  if (encrypted && !out.endsWith('.p7m')) out = `${out}.p7m`
  const dir = dirname(out)
  // never write on the evidence (not even the output folder): not inside a directory source, not on a volume or disk read in place
  const conflict = outputConflictOf(source, dir)
  if (conflict) throw new OutputNotWritableError(out, `it is ${conflict}; write to the collection medium instead`)
  // nor on the file system a directory source lies on (its free space may hold deleted files), unless the examiner accepts it
  const shared = options.allowSameVolume ? undefined : sharedFileSystemOf(source, dir)
  if (shared) throw new OutputNotWritableError(out, `it is ${shared}; write to the collection medium instead (or --allow-same-volume for a copy on your own disk)`)
  try {
    mkdirSync(dir, {recursive: true})
  } catch (error) {
    throw new OutputNotWritableError(out, errorMessage(error))
  }
  for (const path of [out, `${out}.partial`, `${out}.work`]) {
    if (existsSync(path)) throw new OutputNotWritableError(path, 'already exists (trawl never overwrites)')
  }
  return out
}

interface CopiedFile {
  entry: ManifestEntry
  copyPath?: string
  /** A shadow copy's file identical to one already collected: listed as another location of that entry. */
  sameAsCollected?: boolean
}

class CollectionRun {
  private readonly writer: BundleZipWriter
  private readonly workDir: string
  private readonly records: RecordStore
  private readonly names = new BundleNames()
  private readonly entries: ManifestEntry[] = []
  /** The copies and derived entries by bundle path, for the records that name them (perceptual matches, derived files). */
  private readonly entryByPath = new Map<string, ManifestEntry>()
  /** What every picture parser is told about perceptual hashing (--no-phash; crop probes when a list carries companions). */
  private readonly pictureHashing: Pick<ParserInput, 'perceptualHash' | 'perceptualProbes'>
  private readonly errors: RunError[] = []
  /** volume + path -> entry, so a file selected twice is copied once. */
  private readonly copied = new Map<string, ManifestEntry>()
  /** Copies read whole, by SHA-256 and by size: a shadow copy's file identical to one of them is not stored again. */
  private readonly bySha256 = new Map<string, ManifestEntry>()
  private readonly copiedSizes = new Set<number>()
  /** Keys (as `copied` has them) of shadow-copy files found identical to an earlier copy. */
  private readonly sameKeys = new Set<string>()
  private readonly summaries = new Map<string, ArtifactSummary>()
  /** The last reading of a concurrent parser to be taken up, and those still out (parseAlongside). */
  private alongside: Promise<void> = Promise.resolve()
  private alongsideOut: Array<Promise<void>> = []
  private readonly hashMatches: Array<Record<string, unknown>> = []
  private bytes = 0
  private files = 0
  private currentArtifact: string | undefined
  private scratchCounter = 0
  private lastProgress = 0
  private live: Manifest['live']
  /** Every DPAPI unprotect asked of the running machine (--unprotect-keys), for the manifest. */
  private readonly keyUnwraps: NonNullable<Manifest['keyUnwraps']> = []
  private readonly dpapi: DpapiUnprotect | undefined
  /** The field kit this run came from (read once, before the first evidence byte). */
  private readonly kit = kitIdentity()
  private cameras: Array<Record<string, unknown>> = []
  private readonly coverage: CoverageAccount[] = []
  /** By volume, path and reason: one entry however many definitions named the path. */
  private readonly notCollected = new Map<string, NotCollected>()
  /** Set when encrypting: where the working copies are (off the output medium), as the manifest says it. */
  private readonly workingCopies: string | undefined

  constructor(
    private readonly options: CollectOptions,
    private readonly definitions: ArtifactDefinition[],
    private readonly signer: Signer,
    private readonly source: EvidenceSource,
    private readonly out: string,
    private readonly startedAt: string,
    private readonly t0: number,
    private readonly recipients?: Recipients,
  ) {
    this.dpapi = options.unprotectKeys ? (options.dpapi ?? liveDpapi()) : undefined
    const perceptualHash = options.perceptualHash !== false
    this.pictureHashing = {perceptualHash, perceptualProbes: perceptualHash && (options.phashSets ?? []).some((set) => set.cropCompanions > 0)}
    let workDir: string | undefined
    try {
      if (recipients) {
        // plaintext must not reach the output medium: working copies go to memory
        const folder = memoryWorkFolder(options.workDir)
        const conflict = outputConflictOf(source, folder.path)
        if (conflict) throw new OutputNotWritableError(folder.path, `it is ${conflict}; give --work-dir on a RAM disk`)
        workDir = mkdtempSync(join(folder.path, 'trawl-work-'))
        this.workingCopies = folder.description
      } else {
        workDir = `${out}.work`
        mkdirSync(workDir)
      }
      this.workDir = workDir
      this.writer = new BundleZipWriter(`${out}.partial`, {forceZip64: options.forceZip64, envelope: recipients ? new EnvelopeEncryptor(recipients.certificates) : undefined})
      this.records = new RecordStore(this.workDir)
    } catch (error) {
      // resolveOutput made sure neither existed: what is here now was made by this run and holds nothing
      if (workDir) rmSync(workDir, {recursive: true, force: true})
      rmSync(`${out}.partial`, {force: true})
      // no usable SQLite engine is this machine's Node, not the output medium
      throw error instanceof OutputNotWritableError || error instanceof SqliteUnavailableError ? error : new OutputNotWritableError(out, errorMessage(error))
    }
  }

  async execute(): Promise<CollectResult> {
    let interrupted = false
    for (const warning of this.source.warnings ?? []) this.errors.push({message: `source: ${warning}`})
    try {
      for (const volume of this.source.volumes) {
        if (!volume.fs) {
          this.errors.push({volume: volume.id, message: `volume ${volume.id} not read: ${volume.unreadable ?? 'no file system driver'}`})
          continue
        }
        const fs = new ListingCache(volume.fs)
        try {
          for (const definition of this.definitions) {
            if (this.options.signal?.aborted) throw new InterruptedError('signal')
            await this.collectArtifact(definition, volume, fs)
          }
        } finally {
          // damage the reader met on the way: a listing it left something out of says why here
          for (const problem of fileSystemProblems(volume.fs)) this.errors.push({volume: volume.id, message: `${volume.id}: file system damaged: ${problem}`})
        }
      }
      if (this.options.live && !this.options.signal?.aborted) await this.collectLive()
    } catch (error) {
      // the files already copied keep their records (a concurrent parser may still be reading some)
      const settled = await this.settleAlongside().then(
        () => true,
        () => false,
      )
      if ((error instanceof InterruptedError || this.options.signal?.aborted) && settled) {
        interrupted = true
        this.errors.push({message: 'collection interrupted before it finished; this bundle is incomplete'})
      } else {
        // the output failed (full disk, removed medium): nothing more can be written
        await this.writer.abort()
        this.cleanup()
        throw this.writer.error ?? error
      }
    }
    return this.seal(!interrupted)
  }

  /** Live state: each command's output is an entry, hashed as it goes in, with how it ran in the manifest. */
  private async collectLive(): Promise<void> {
    this.currentArtifact = LIVE_DEFINITION.id
    const summary = this.summary(LIVE_DEFINITION)
    const state = await collectLiveNetworkState()
    this.live = {platform: state.platform, hostname: state.hostname, startedAt: state.startTime, endedAt: state.endTime}
    for (const output of state.outputs) {
      const written = await this.writer.addBuffer(this.names.claim(output.path), output.data)
      this.entries.push({path: written.path, size: written.size, sha256: written.sha256, sha1: written.sha1, md5: written.md5, kind: 'live', command: {...output.metadata}})
      summary.files++
      summary.bytes += written.size
      if (output.metadata.missing) this.error({artifact: LIVE_DEFINITION.id, message: `live: ${output.metadata.name} is not on this machine (recorded as missing)`}, LIVE_DEFINITION)
      else if (output.metadata.error) this.error({artifact: LIVE_DEFINITION.id, message: `live: ${output.metadata.name}: ${output.metadata.error}`}, LIVE_DEFINITION)
    }
    for (const record of state.records) await this.addRecord(LIVE_DEFINITION, record, summary)
  }

  private summary(definition: ArtifactDefinition): ArtifactSummary {
    let summary = this.summaries.get(definition.id)
    if (!summary) {
      summary = {
        id: definition.id,
        name: definition.name,
        category: definition.category,
        parser: definition.parser,
        parserAvailable: definition.parser ? getParser(definition.parser) !== undefined : false,
        files: 0,
        bytes: 0,
        records: 0,
        errors: 0,
      }
      this.summaries.set(definition.id, summary)
    }
    return summary
  }

  private error(error: RunError, definition?: ArtifactDefinition): void {
    this.errors.push(error)
    if (definition) this.summary(definition).errors++
  }

  private progress(force = false): void {
    const now = Date.now()
    if (!this.options.onProgress || (!force && now - this.lastProgress < 250)) return
    this.lastProgress = now
    this.options.onProgress({
      artifact: this.currentArtifact,
      files: this.files,
      bytes: this.bytes,
      records: [...this.records.counts.values()].reduce((a, b) => a + b, 0),
      errors: this.errors.length,
      elapsedMs: now - this.t0,
    })
  }

  private async collectArtifact(definition: ArtifactDefinition, volume: EvidenceVolume, fs: ReadOnlyFileSystem): Promise<void> {
    this.currentArtifact = definition.id
    const summary = this.summary(definition)
    const parser = definition.parser ? getParser(definition.parser) : undefined
    const seen = new Set<string>()
    for (const pattern of definition.paths) {
      const matches = matchPattern(
        fs,
        pattern,
        ({path, error}) => this.error({artifact: definition.id, volume: volume.id, path, message: `cannot list ${path || '/'}: ${errorMessage(error)}`}, definition),
        ({entry, whole}) => this.notCollectedEntry(definition, volume, entry, whole ? notAFile(entry) : `${notAFile(entry)}; the definition needs a directory here, so nothing below it was collected`),
      )
      for await (const {entry, captures, byName} of matches) {
        if (this.options.signal?.aborted) throw new InterruptedError('signal')
        // paths come from the file system's own listings, so they are spelled one way per file;
        // names equal but for case are different files on a POSIX source
        if (seen.has(entry.path)) continue
        seen.add(entry.path)
        if (parser?.accepts && !(await this.accepts(parser, fs, entry, definition, volume, byName))) continue
        await this.collectFile(definition, volume, fs, entry, captures, parser, summary)
        this.progress()
      }
    }
    // the next definition starts with every record of this one taken
    await this.settleAlongside()
  }

  /**
   * The parser's content check. A file the pattern names (NTUSER.DAT) that fails it is listed
   * as not collected; files a trailing `**` took are selected by content by design (pictures
   * among documents), so those that fail are counted per artifact (notOfThisKind) instead.
   */
  private async accepts(parser: Parser, fs: ReadOnlyFileSystem, entry: FileEntry, definition: ArtifactDefinition, volume: EvidenceVolume, byName: boolean): Promise<boolean> {
    try {
      const stream = await fs.open(entry.path)
      const head = await readHead(stream, HEAD_BYTES)
      const accepted = parser.accepts!(head)
      if (!accepted && byName) this.notCollectedEntry(definition, volume, entry, `its first bytes are not what ${parser.id} reads (no signature match): a file of the same name that is something else`)
      if (!accepted && !byName) {
        const summary = this.summary(definition)
        summary.notOfThisKind = (summary.notOfThisKind ?? 0) + 1
      }
      return accepted
    } catch (error) {
      this.error({artifact: definition.id, volume: volume.id, path: entry.path, message: `cannot read ${entry.path}: ${errorMessage(error)}`}, definition)
      this.notCollectedEntry(definition, volume, entry, unreadable(error))
      return false
    }
  }

  private async collectFile(
    definition: ArtifactDefinition,
    volume: EvidenceVolume,
    fs: ReadOnlyFileSystem,
    entry: FileEntry,
    captures: Record<string, string>,
    parser: Parser | undefined,
    summary: ArtifactSummary,
  ): Promise<void> {
    const scratch = parser ? this.scratchFolder('copy') : undefined
    const copyPath = scratch ? join(scratch, sanitizeLocalName(entry.name)) : undefined
    const main = await this.copy(definition, volume, fs, entry, copyPath)
    if (!main) {
      if (scratch) rmSync(scratch, {recursive: true, force: true})
      return
    }
    countCopy(summary, main)
    const companions: string[] = []
    let companionsUnchanged = true
    for (const suffix of definition.companions) {
      let companion: FileEntry
      try {
        companion = await fs.stat(entry.path + suffix)
      } catch (error) {
        if (!(error instanceof FileNotFoundError)) {
          this.error({artifact: definition.id, volume: volume.id, path: entry.path + suffix, message: `cannot read companion: ${errorMessage(error)}`}, definition)
        }
        continue
      }
      if (companion.kind !== 'file') {
        this.notCollectedEntry(definition, volume, companion, `companion of ${entry.path}: ${notAFile(companion)}`)
        continue
      }
      const copied = await this.copy(definition, volume, fs, companion, copyPath ? copyPath + suffix : undefined)
      if (copied) {
        companions.push(suffix)
        countCopy(summary, copied)
        if (!copied.sameAsCollected) companionsUnchanged = false
      }
    }
    // alternate data streams travel with their file (Zone.Identifier says where a download came from)
    for (const stream of entry.streams ?? []) {
      if (stream.name === '') continue
      countCopy(summary, await this.copy(definition, volume, fs, entry, undefined, stream.name))
    }
    // a shadow copy's database identical (with its companions) to one already parsed gives the same records: parsed once
    const unchanged = main.sameAsCollected === true && companionsUnchanged
    if (unchanged) summary.sameAsCollected = (summary.sameAsCollected ?? 0) + 1
    if (parser?.concurrent && copyPath && !unchanged) {
      // read while the next files are copied; its records are taken in the order of the files
      await this.parseAlongside({definition, volume, fs, parser, main, copyPath, companions, captures, summary}, scratch)
      return
    }
    if (parser && copyPath && !unchanged) await this.parse({definition, volume, fs, parser, main, copyPath, companions, captures, summary})
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  }

  /**
   * A concurrent parser's reading of one file, started now and taken up in turn: its records
   * (and an error it throws) are added after those of the files before it, exactly as if it
   * had run in place. At most MAX_PARSES_ALONGSIDE are out at once (each keeps its working copy).
   */
  private async parseAlongside(job: ParseJob, scratch: string | undefined): Promise<void> {
    const {definition, volume, parser, summary} = job
    const refuse = (what: string) => () => {
      throw new Error(`${what} is not offered to a concurrent parser (${parser.id})`)
    }
    const input: ParserInput = {
      ...this.parserInput(job, []),
      collectRelated: refuse('collectRelated'),
      addDerived: refuse('addDerived'),
      reportCoverage: refuse('reportCoverage'),
      unprotectDpapi: undefined,
    }
    const reading = (async () => {
      const records: ParsedRecord[] = []
      try {
        for await (const record of parser.parse(input)) records.push(record)
        return {records}
      } catch (error) {
        return {records, error}
      }
    })()
    const turn = this.alongside.then(async () => {
      const {records, error} = await reading
      try {
        for (const record of records) await this.addRecord(definition, record, summary)
        if (error !== undefined) await this.parseFailed(definition, volume, parser, input, error, summary)
      } finally {
        if (scratch) rmSync(scratch, {recursive: true, force: true})
      }
    })
    // awaited in turn below or by settleAlongside: a failure is thrown there, not reported as unhandled here
    turn.catch(() => undefined)
    this.alongside = turn
    this.alongsideOut.push(turn)
    while (this.alongsideOut.length >= MAX_PARSES_ALONGSIDE) await this.alongsideOut.shift()
  }

  /** Waits for every reading still out (parseAlongside); the first failure among them is thrown. */
  private async settleAlongside(): Promise<void> {
    const out = this.alongsideOut
    this.alongsideOut = []
    for (const turn of out) await turn
  }

  /** Copies one file into the bundle (and a working copy when asked), hashing in the same pass. */
  private async copy(
    definition: ArtifactDefinition,
    volume: EvidenceVolume,
    fs: ReadOnlyFileSystem,
    entry: FileEntry,
    copyPath: string | undefined,
    stream?: string,
  ): Promise<CopiedFile | undefined> {
    const key = `${volume.id}\0${entry.path}${stream === undefined ? '' : `\0${stream}`}`
    const existing = this.copied.get(key)
    if (existing) {
      if (!existing.artifacts?.includes(definition.id)) existing.artifacts?.push(definition.id)
      // a working copy is still needed for this artifact's parser: copy again, and make sure the bytes are the same
      if (copyPath) {
        const again = await this.copyToScratch(fs, entry, copyPath, definition, volume)
        if (again && again !== existing.sha256) {
          this.error({artifact: definition.id, volume: volume.id, path: entry.path, message: `${entry.path} changed between two reads (sha256 ${existing.sha256} then ${again})`}, definition)
        }
        if (!again) return undefined
      }
      return {entry: existing, copyPath, ...(this.sameKeys.has(key) ? {sameAsCollected: true} : {})}
    }
    const expectedSize = stream === undefined ? entry.size : entry.streams?.find((s) => s.name === stream)?.size
    if (volume.description.snapshot && expectedSize !== undefined && this.copiedSizes.has(expectedSize)) {
      const same = await this.sameAsCollected(definition, volume, fs, entry, copyPath, stream)
      if (same) {
        this.copied.set(key, same.entry)
        this.sameKeys.add(key)
        return same
      }
    }
    const name = this.names.claim(bundlePathFor(volume.id, entry.path, stream))
    const written = (await this.copyWhole(fs, entry, name, copyPath, stream)) ?? (await this.copyStreamed(fs, entry, name, copyPath, stream, definition, volume))
    if (!written) return undefined
    const sourceInfo = await this.copySource(fs, entry, volume, written.size, stream)
    if (written.readError) {
      // the bytes read before the failure stay in the bundle, listed and flagged: nothing collected is lost
      sourceInfo.incompleteRead = errorMessage(written.readError)
      this.error({artifact: definition.id, volume: volume.id, path: entry.path, message: `reading ${entry.path} failed after ${written.size} bytes: ${errorMessage(written.readError)}`}, definition)
    }
    const manifestEntry: ManifestEntry = {path: name, size: written.size, sha256: written.sha256, sha1: written.sha1, md5: written.md5, kind: 'copy', source: sourceInfo, artifacts: [definition.id]}
    this.checkHashSets(manifestEntry)
    this.entries.push(manifestEntry)
    this.entryByPath.set(manifestEntry.path, manifestEntry)
    this.copied.set(key, manifestEntry)
    if (!written.readError) {
      if (!this.bySha256.has(written.sha256)) this.bySha256.set(written.sha256, manifestEntry)
      this.copiedSizes.add(written.size)
    }
    this.files++
    this.bytes += written.size
    // a file that could not be read whole is not handed to a parser
    return written.readError ? undefined : {entry: manifestEntry, copyPath}
  }

  /**
   * A small file read whole, where the source can (a directory): the same entry bytes,
   * digests and working copy as the streamed copy, without a stream per file. Anything
   * unusual (not a regular file, grown past the limit, any error) is left to the streamed
   * copy, which reads it again and reports it as it always has.
   */
  private async copyWhole(fs: ReadOnlyFileSystem, entry: FileEntry, name: string, copyPath: string | undefined, stream: string | undefined): Promise<WrittenEntry | undefined> {
    if (stream !== undefined || !fs.readSmall || entry.size > WHOLE_READ_BYTES) return undefined
    let data: Buffer | undefined
    try {
      data = await fs.readSmall(entry.path, WHOLE_READ_BYTES)
    } catch {
      return undefined
    }
    return data && this.writer.addWhole(name, data, {copyTo: copyPath})
  }

  private async copyStreamed(
    fs: ReadOnlyFileSystem,
    entry: FileEntry,
    name: string,
    copyPath: string | undefined,
    stream: string | undefined,
    definition: ArtifactDefinition,
    volume: EvidenceVolume,
  ): Promise<WrittenEntry | undefined> {
    const label = stream === undefined ? entry.path : `${entry.path}:${stream}`
    let input: Readable
    try {
      input = await fs.open(entry.path, stream === undefined ? undefined : {stream})
    } catch (error) {
      this.error({artifact: definition.id, volume: volume.id, path: label, message: `cannot read ${label}: ${errorMessage(error)}`}, definition)
      this.notCollectedEntry(definition, volume, {...entry, path: label}, unreadable(error))
      return undefined
    }
    const expectedSize = stream === undefined ? entry.size : entry.streams?.find((s) => s.name === stream)?.size
    // the working copy for the parser is written from the same chunks as the entry
    return this.writer.addStream(name, input, {expectedSize, copyTo: copyPath})
  }

  /**
   * A file of a shadow copy whose size is that of a file already collected: its SHA-256 is
   * computed first, and when the bundle holds those bytes already, this place is added to
   * that entry's other locations instead of storing them again (evidence is read-only, so
   * reading twice is safe; the copy path still hashes what it stores). Undefined when the
   * bytes are new, or could not be read (the ordinary copy then reports why).
   */
  private async sameAsCollected(definition: ArtifactDefinition, volume: EvidenceVolume, fs: ReadOnlyFileSystem, entry: FileEntry, copyPath: string | undefined, stream?: string): Promise<CopiedFile | undefined> {
    let sha256: string
    let size = 0
    try {
      const hash = createHash('sha256')
      for await (const chunk of await fs.open(entry.path, stream === undefined ? undefined : {stream})) {
        hash.update(chunk as Buffer)
        size += (chunk as Buffer).length
      }
      sha256 = hash.digest('hex')
    } catch {
      return undefined
    }
    const same = this.bySha256.get(sha256)
    if (!same || same.size !== size) return undefined
    if (copyPath) {
      const again = await this.copyToScratch(fs, entry, copyPath, definition, volume, stream)
      if (again !== sha256) {
        if (again) this.error({artifact: definition.id, volume: volume.id, path: entry.path, message: `${entry.path} changed between two reads (sha256 ${sha256} then ${again})`}, definition)
        return undefined
      }
    }
    const location = await this.copySource(fs, entry, volume, size, stream)
    same.otherLocations ??= []
    same.otherLocations.push(location)
    // a known file found again in a snapshot is a hit at that place too
    for (const match of same.hashSetMatches ?? []) {
      this.hashMatches.push({type: 'hash.match', set: match.set, algorithm: match.algorithm, file: same.path, sourcePath: location.path, volume: volume.id, size: same.size, sha256: same.sha256, sha1: same.sha1, md5: same.md5})
    }
    if (!same.artifacts?.includes(definition.id)) same.artifacts?.push(definition.id)
    return {entry: same, copyPath, sameAsCollected: true}
  }

  private async copyToScratch(fs: ReadOnlyFileSystem, entry: FileEntry, copyPath: string, definition: ArtifactDefinition, volume: EvidenceVolume, streamName?: string): Promise<string | undefined> {
    try {
      const stream = await fs.open(entry.path, streamName === undefined ? undefined : {stream: streamName})
      const hash = createHash('sha256')
      const out = createWriteStream(copyPath, {flags: 'wx'})
      stream.on('data', (chunk: Buffer) => hash.update(chunk))
      stream.pipe(out)
      await finished(out)
      return hash.digest('hex')
    } catch (error) {
      this.error({artifact: definition.id, volume: volume.id, path: entry.path, message: `cannot read ${entry.path}: ${errorMessage(error)}`}, definition)
      return undefined
    }
  }

  private async copySource(fs: ReadOnlyFileSystem, entry: FileEntry, volume: EvidenceVolume, copiedSize: number, stream?: string): Promise<CopySource> {
    const size = stream === undefined ? entry.size : (entry.streams?.find((s) => s.name === stream)?.size ?? copiedSize)
    const info: CopySource = {volume: volume.id, path: entry.path, size, times: entry.times}
    if (stream !== undefined) info.stream = stream
    if (entry.fileNameTimes) info.fileNameTimes = entry.fileNameTimes
    if (entry.inode) info.inode = entry.inode
    if (entry.deleted) info.deleted = true
    if (entry.attributes?.length) info.attributes = entry.attributes
    const snapshot = volume.description.snapshot
    if (snapshot) info.snapshot = {of: snapshot.of, number: snapshot.number, createdAt: snapshot.createdAt}
    // a live source can change under us: say so rather than pretend the copy is of a still file
    try {
      const after = await fs.stat(entry.path)
      const afterSize = stream === undefined ? after.size : after.streams?.find((s) => s.name === stream)?.size
      if (afterSize !== size || after.times.modified !== entry.times.modified || copiedSize !== size) info.changedDuringCopy = true
    } catch {
      info.changedDuringCopy = true
    }
    return info
  }

  private checkHashSets(entry: ManifestEntry): void {
    for (const set of this.options.hashSets ?? []) {
      const match = set.match(entry)
      if (!match) continue
      entry.hashSetMatches ??= []
      entry.hashSetMatches.push({set: set.name, algorithm: match.algorithm, hash: match.hash})
      this.hashMatches.push({type: 'hash.match', set: set.name, setPath: set.path, algorithm: match.algorithm, file: entry.path, sourcePath: entry.source?.path, volume: entry.source?.volume, size: entry.size, sha256: entry.sha256, sha1: entry.sha1, md5: entry.md5})
    }
  }

  /**
   * A picture near a listed PDQ hash is flagged like an exact match: on its record
   * (phashMatches), on the manifest entry of its copy, and in parsed/hash-matches.jsonl.
   */
  private checkPhashSets(record: ParsedRecord): void {
    const threshold = this.options.phashThreshold ?? DEFAULT_PDQ_THRESHOLD
    const probes = Array.isArray(record.probes) ? (record.probes as Array<{pdq: string; crop: string}>) : []
    const matches = (this.options.phashSets ?? []).flatMap((set) => nearestPerListedPicture([
      ...set.match(record.pdq as string, threshold),
      ...probes.flatMap((probe) => set.match(probe.pdq, threshold).map((m) => ({...m, probe: probe.crop}))),
    ]).slice(0, 5))
    if (matches.length === 0) return
    record.phashMatches = matches
    const entry = this.entryByPath.get(record.file as string)
    for (const m of matches) {
      if (entry && !entry.hashSetMatches?.some((h) => h.set === m.set && h.algorithm === 'pdq')) {
        entry.hashSetMatches ??= []
        entry.hashSetMatches.push({set: m.set, algorithm: 'pdq', hash: m.hash, distance: m.distance, ...(m.label ? {label: m.label} : {}), ...cropFields(m)})
      }
      const set = this.options.phashSets?.find((s) => s.name === m.set)
      this.hashMatches.push({type: 'hash.match', set: m.set, setPath: set?.path, algorithm: 'pdq', hash: m.hash, ...(m.label ? {label: m.label} : {}), distance: m.distance, ...cropFields(m), threshold, pdq: record.pdq, file: record.file, sourcePath: record.source.sourcePath, volume: record.source.volume, sha256: record.sha256})
    }
  }

  private async parse(job: ParseJob): Promise<void> {
    const {definition, volume, parser, summary} = job
    const related: string[] = []
    const input = this.parserInput(job, related)
    try {
      for await (const record of parser.parse(input)) {
        await this.addRecord(definition, record, summary)
      }
    } catch (error) {
      await this.parseFailed(definition, volume, parser, input, error, summary)
    } finally {
      for (const dir of related) rmSync(dir, {recursive: true, force: true})
    }
  }

  /** A parser that threw: an output failure ends the run; anything else is a record and an error of the run, and the run goes on. */
  private async parseFailed(definition: ArtifactDefinition, volume: EvidenceVolume, parser: Parser, input: ParserInput, error: unknown, summary: ArtifactSummary): Promise<void> {
    if (this.writer.error) throw this.writer.error
    const message = `${parser.id} could not read ${input.sourcePath}: ${errorMessage(error)}`
    await this.addRecord(definition, {type: 'error', source: input.source(), parser: parser.id, error: errorMessage(error)}, summary)
    this.error({artifact: definition.id, volume: volume.id, path: input.sourcePath, message}, definition)
  }

  /** What a parser is given for one copied file; scratch folders of related files it collects go into `related`. */
  private parserInput(job: ParseJob, related: string[]): ParserInput {
    const {definition, volume, fs, main, copyPath, companions, captures, summary} = job
    const bundlePath = main.entry.path
    const sourcePath = main.entry.source?.path ?? ''
    return {
      copyPath,
      companions,
      bundlePath,
      sourcePath,
      sha256: main.entry.sha256,
      volume: volume.id,
      artifact: {id: definition.id, name: definition.name, category: definition.category},
      captures,
      attributes: definition.attributes,
      source: (extra?: Partial<RecordSource>) => ({file: bundlePath, sourcePath, volume: volume.id, ...extra}),
      collectRelated: async (volumePath: string): Promise<CollectedFile | undefined> => {
        let entry: FileEntry
        try {
          entry = await fs.stat(volumePath)
        } catch (error) {
          // not there: the parser says what it looked for; anything else (a damaged record) is named here
          if (!(error instanceof FileNotFoundError)) {
            this.error({artifact: definition.id, volume: volume.id, path: volumePath, message: `cannot read ${volumePath} (referred to by ${sourcePath}): ${errorMessage(error)}`}, definition)
            this.notCollectedEntry(definition, volume, {path: volumePath, name: volumePath.split('/').pop() ?? '', kind: 'file', size: 0, times: {}}, `referred to by ${sourcePath}: ${unreadable(error)}`)
          }
          return undefined
        }
        if (entry.kind !== 'file') {
          this.notCollectedEntry(definition, volume, entry, `referred to by ${sourcePath}: ${notAFile(entry)}`)
          return undefined
        }
        const scratch = this.scratchFolder('related')
        related.push(scratch)
        const target = join(scratch, sanitizeLocalName(entry.name))
        const copied = await this.copy(definition, volume, fs, entry, target)
        if (!copied) return undefined
        countCopy(summary, copied)
        return {bundlePath: copied.entry.path, copyPath: target, sourcePath: entry.path, size: copied.entry.size, sha256: copied.entry.sha256}
      },
      addDerived: (file: DerivedFile) => this.addDerived(definition, volume, file, summary, related),
      ...(this.dpapi ? {unprotectDpapi: (blob: Buffer, purpose: string) => this.unprotect(definition, volume, blob, purpose)} : {}),
      reportCoverage: (account: CoverageAccount) => this.addCoverage(definition, account),
      ...this.pictureHashing,
    }
  }

  /** DPAPI on the running machine for a parser, each call listed in the manifest; a refusal is also an error of the run. */
  private async unprotect(definition: ArtifactDefinition, volume: EvidenceVolume, blob: Buffer, purpose: string): Promise<{plaintext: Buffer; user: string} | {error: string}> {
    const result = await this.dpapi!(blob)
    const blobSha256 = createHash('sha256').update(blob).digest('hex')
    if ('error' in result) {
      this.keyUnwraps.push({artifact: definition.id, volume: volume.id, purpose, blobSha256, commandLine: result.commandLine, at: result.at, error: result.error})
      this.error({artifact: definition.id, volume: volume.id, message: `${purpose}: ${result.error}`}, definition)
      return {error: result.error}
    }
    this.keyUnwraps.push({artifact: definition.id, volume: volume.id, purpose, blobSha256, commandLine: result.commandLine, at: result.at, user: result.user})
    return {plaintext: result.plaintext, user: result.user}
  }

  /**
   * Bytes a parser made from a copy (a decrypted attachment): an entry under derived/,
   * hashed as it goes in, naming the copy and the method; checked against the hash lists.
   * A derived picture is read by the picture parser, so its EXIF, PDQ hash and
   * perceptual matches are in the bundle as a collected picture's would be.
   */
  private async addDerived(definition: ArtifactDefinition, volume: EvidenceVolume, file: DerivedFile, summary: ArtifactSummary, scratchDirs: string[]): Promise<CollectedFile> {
    const from = this.entryByPath.get(file.from)
    if (from?.kind !== 'copy') throw new Error(`derived file: ${file.from} is not a copy in this bundle`)
    const name = this.names.claim(`derived/${file.from.replace(/^files\//, '')}${file.suffix ?? ''}`)
    const written = await this.writer.addBuffer(name, file.data)
    const entry: ManifestEntry = {path: name, size: written.size, sha256: written.sha256, sha1: written.sha1, md5: written.md5, kind: 'derived', derivedFrom: {path: file.from, method: file.method}, artifacts: [definition.id]}
    this.checkHashSets(entry)
    this.entries.push(entry)
    this.entryByPath.set(name, entry)
    const scratch = this.scratchFolder('derived')
    scratchDirs.push(scratch)
    const copyPath = join(scratch, 'derived')
    writeFileSync(copyPath, file.data)
    const collected: CollectedFile = {bundlePath: name, copyPath, sourcePath: from.source?.path ?? file.from, size: written.size, sha256: written.sha256}
    const pictures = getParser('exif')
    if (pictures?.accepts?.(file.data.subarray(0, 4096))) {
      const sourcePath = `${collected.sourcePath} (derived)`
      const input: ParserInput = {
        copyPath,
        companions: [],
        bundlePath: name,
        sourcePath,
        sha256: written.sha256,
        volume: volume.id,
        artifact: {id: definition.id, name: definition.name, category: definition.category},
        captures: {},
        attributes: definition.attributes,
        source: (extra?: Partial<RecordSource>) => ({file: name, sourcePath, volume: volume.id, ...extra}),
        collectRelated: async () => undefined,
        reportCoverage: (account: CoverageAccount) => this.addCoverage(definition, account),
        ...this.pictureHashing,
      }
      try {
        for await (const record of pictures.parse(input)) await this.addRecord(definition, record, summary)
      } catch (error) {
        if (this.writer.error) throw this.writer.error
        await this.addRecord(definition, {type: 'error', source: input.source(), parser: pictures.id, error: errorMessage(error)}, summary)
      }
    }
    return collected
  }

  /**
   * Keeps a parser's coverage account for the manifest. Rows of a known table that became
   * no record and have no stated reason, records pointing at rows that are not there, and
   * unread tables that look like a renamed known table are reported as errors: the run must
   * not look clean.
   */
  private addCoverage(definition: ArtifactDefinition, account: CoverageAccount): void {
    this.coverage.push(account)
    for (const warning of coverageWarnings(account)) {
      this.error({artifact: definition.id, volume: account.volume, path: account.sourcePath, message: `coverage: ${warning}`}, definition)
    }
  }

  /** Lists a path a definition named that was not collected, with why (once per path and reason). */
  private notCollectedEntry(definition: ArtifactDefinition, volume: EvidenceVolume, entry: FileEntry, reason: string): void {
    const key = `${volume.id}\0${entry.path}\0${reason}`
    const existing = this.notCollected.get(key)
    if (existing) {
      if (!existing.artifacts.includes(definition.id)) existing.artifacts.push(definition.id)
      return
    }
    this.notCollected.set(key, {volume: volume.id, path: entry.path, kind: kindOf(entry), reason, ...(entry.linkTarget !== undefined ? {linkTarget: entry.linkTarget} : {}), artifacts: [definition.id]})
  }

  /** Every record the definitions using this parser produced. */
  private recordsOfParser(parserId: string): ParsedRecord[] {
    return this.definitions.filter((d) => d.parser === parserId).flatMap((d) => this.records.records(d.id))
  }

  private async addRecord(definition: ArtifactDefinition, record: ParsedRecord, summary: ArtifactSummary): Promise<void> {
    if (record.type === 'media.phash' && typeof record.pdq === 'string') this.checkPhashSets(record)
    await this.records.add(definition.id, record)
    summary.records++
    if (record.type === 'error') summary.errors++
  }

  /** Writes parsed records, sums, the manifest, its signature and the first custody event; renames when complete. */
  private async seal(complete: boolean): Promise<CollectResult> {
    this.currentArtifact = undefined
    this.progress(true)
    // outputs made from all records (maps, camera groups) are computed while the record store is open
    const outputs = new Map<string, Buffer>()
    try {
      // once per parser, over the records of every definition that uses it
      const parserIds = new Set(this.definitions.filter((d) => d.parser && this.summaries.get(d.id)?.records).map((d) => d.parser as string))
      for (const id of parserIds) {
        const parser = getParser(id)
        if (!parser?.finalize) continue
        for (const output of await parser.finalize(this.recordsOfParser(id))) outputs.set(output.path, output.data)
      }
      const pictures = this.records.recordsOfType('media.exif')
      if (pictures.length > 0) this.cameras = groupByCamera(pictures) as unknown as Array<Record<string, unknown>>
    } catch (error) {
      this.errors.push({message: `making the record summaries failed: ${errorMessage(error)}`})
    }
    // report.html is made from the records before sealing, so the manifest and SHA256SUMS list it like every entry
    const report = await renderSealingReport(this.manifest(complete, {length: 0, sha256: ''}), this.records.all(), this.hashMatches).catch((error: unknown) => {
      this.errors.push({message: `making report.html failed: ${errorMessage(error)}`})
    })
    await this.records.close()
    const add = async (path: string, data: Buffer | {stream: Readable; size: number}, kind: ManifestEntry['kind']) => {
      const written = Buffer.isBuffer(data) ? await this.writer.addBuffer(path, data) : await this.writer.addStream(path, data.stream, {expectedSize: data.size})
      this.entries.push({path, size: written.size, sha256: written.sha256, sha1: written.sha1, md5: written.md5, kind})
    }
    try {
      const file = (path: string) => ({stream: createReadStream(path, {highWaterMark: 1 << 20}), size: statSync(path).size})
      for (const {artifact, path} of this.records.jsonlFiles()) await add(`parsed/${artifact}.jsonl`, file(path), 'parsed')
      await add('parsed/records.sqlite', file(this.records.databasePath), 'parsed')
      if (this.hashMatches.length > 0) {
        await add('parsed/hash-matches.jsonl', Buffer.from(this.hashMatches.map((m) => JSON.stringify(m)).join('\n') + '\n'), 'parsed')
      }
      for (const [path, data] of outputs) await add(path, data, 'output')
      if (report) await add('report.html', report, 'output')
      const sums = Buffer.from(this.entries.map((e) => `${e.sha256}  ${e.path}\n`).join(''), 'utf8')
      await add(SUMS_PATH, sums, 'sums')
      await add(SUMS_SIGNATURE_PATH, signDetached(sums, this.signer), 'sums')
      const prefix = await this.writer.sealPrefix()
      const manifest = this.manifest(complete, prefix)
      const manifestBytes = serializeManifest(manifest)
      await this.writer.addBuffer(MANIFEST_PATH, manifestBytes, {store: true})
      await this.writer.addBuffer(SIGNATURE_PATH, signDetached(manifestBytes, this.signer), {store: true})
      const event = makeEvent({action: 'collected', by: this.options.examiner, note: complete ? 'collected by trawl' : 'collection interrupted; bundle incomplete', manifest: manifestBytes, seq: 1}, this.signer)
      await this.writer.addBuffer(CUSTODY_PATH, Buffer.from(`${eventLine(event)}\n`, 'utf8'), {store: true})
      await this.writer.finalize()
      const bundlePath = complete ? this.out : `${this.out}.partial`
      if (complete) renameSync(`${this.out}.partial`, this.out)
      this.cleanup()
      return {bundlePath, complete, manifest, durationMs: Date.now() - this.t0, bundleSha256: this.writer.sha256, ...(this.recipients ? {encryptedSha256: this.writer.fileSha256} : {})}
    } catch (error) {
      await this.writer.abort()
      this.cleanup()
      throw this.writer.error ?? error
    }
  }

  /** A new folder on the output medium for working copies (never on the evidence, never in the system temp). */
  private scratchFolder(kind: string): string {
    const path = join(this.workDir, `${kind}-${++this.scratchCounter}`)
    mkdirSync(path)
    return path
  }

  private cleanup(): void {
    rmSync(this.workDir, {recursive: true, force: true})
  }

  private manifest(complete: boolean, prefix: {length: number; sha256: string}): Manifest {
    let user: string | undefined
    try {
      user = userInfo().username
    } catch {
      user = undefined
    }
    return {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      complete,
      case: {id: this.options.caseId, examiner: this.options.examiner, evidenceItem: this.options.evidenceItem, notes: this.options.notes},
      tool: {
        name: 'trawl',
        version: toolVersion(),
        commandLine: this.options.commandLine ?? process.argv.slice(1),
        platform: {os: platform(), release: release(), arch: arch(), node: process.version},
        sqlite: sqliteEngineInfo(),
        ...(this.kit ? {kit: this.kit} : {}),
      },
      host: {hostname: hostname(), user, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone},
      source: {
        ...this.source.description,
        volumes: this.source.volumes.map((v) => ({id: v.id, description: v.description, ...(v.unreadable ? {unreadable: v.unreadable} : {})})),
      },
      startedAt: this.startedAt,
      endedAt: nowIso(),
      ...(this.live ? {live: this.live} : {}),
      ...(this.keyUnwraps.length > 0 ? {keyUnwraps: this.keyUnwraps} : {}),
      signer: {subject: this.signer.certificate.subject.replaceAll('\n', ', '), certificateSha256: this.signer.certificate.fingerprint256},
      ...(this.recipients ? {encryption: {scheme: 'cms-auth-enveloped-data', contentEncryption: 'aes-256-gcm', recipients: this.recipients.summaries, workingCopies: this.workingCopies ?? ''}} : {}),
      archive: {sealedPrefixLength: prefix.length, sealedPrefixSha256: prefix.sha256},
      artifacts: [...this.summaries.values()],
      hashSets: [
        ...(this.options.hashSets ?? []).map((s) => ({name: s.name, entries: s.size, path: s.path, format: s.format, sha256: s.sha256})),
        ...(this.options.phashSets ?? []).map((s) => ({name: s.name, entries: s.size, path: s.path, format: s.format, sha256: s.sha256, threshold: this.options.phashThreshold ?? DEFAULT_PDQ_THRESHOLD, ...(s.rejectedLines ? {rejectedLines: s.rejectedLines} : {})})),
      ],
      ...(this.cameras.length > 0 ? {cameras: this.cameras} : {}),
      coverage: this.coverage,
      notCollected: [...this.notCollected.values()],
      entries: this.entries,
      errors: this.errors,
    }
  }
}

/** Counts a copy into its artifact's summary. */
function countCopy(summary: ArtifactSummary, copied: CopiedFile | undefined): void {
  if (!copied) return
  summary.files++
  summary.bytes += copied.entry.size
}

async function readHead(stream: Readable, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer)
      total += (chunk as Buffer).length
      if (total >= bytes) break
    }
  } finally {
    stream.destroy()
  }
  return Buffer.concat(chunks).subarray(0, bytes)
}

/** A local scratch file name that any file system accepts. */
function sanitizeLocalName(name: string): string {
  const clean = basename(name).replace(/[\x00-\x1f\\/:*?"<>|]/g, '_')
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean.slice(0, 200)
}


/** What an entry that is not a regular file is, in the examiner's words. */
function kindOf(entry: FileEntry): string {
  if (entry.kind !== 'other') return entry.kind
  const special = entry.attributes?.find((a) => ['fifo', 'socket', 'character-device', 'block-device'].includes(a))
  return special ? special.replace('-', ' ') : 'other'
}

/** Why an entry named by a definition is not copied: it is not a regular file. */
function notAFile(entry: FileEntry): string {
  const kind = kindOf(entry)
  if (kind === 'symlink') return `symbolic link or junction${entry.linkTarget !== undefined ? ` to ${entry.linkTarget}` : ''}: never followed`
  if (kind === 'directory') return 'a directory where the definition names a file'
  if (kind === 'fifo') return 'a FIFO (named pipe), not a regular file: nothing read from it'
  if (kind === 'file') return 'a regular file'
  return `a ${kind}, not a regular file: nothing read from it`
}

/** Why a listed file could not be copied after all. */
function unreadable(error: unknown): string {
  if (error instanceof FileNotFoundError) return 'listed, then gone when opened (deleted or moved during the run)'
  return `unreadable: ${errorMessage(error)}`
}
