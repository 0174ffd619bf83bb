import type {FileEntry, Timestamps} from '../fs/types.js'
import type {SourceDescription, VolumeDescription} from '../source/types.js'
import type {CoverageAccount} from '../parsers/coverage.js'
import type {Digests} from './hash.js'
import type {RecipientSummary} from './cms-envelope.js'
import type {SqliteEngineInfo} from '../sqlite/types.js'
import type {KitIdentity} from '../kit/identity.js'

/** Bundle format v1; see docs/bundle-format.md. */
export const BUNDLE_FORMAT = 'trawl-evidence-bundle'
export const BUNDLE_FORMAT_VERSION = 1

export const MANIFEST_PATH = 'manifest.json'
export const SIGNATURE_PATH = 'manifest.json.p7s'
export const CUSTODY_PATH = 'custody.jsonl'
export const SUMS_PATH = 'SHA256SUMS'
export const SUMS_SIGNATURE_PATH = 'SHA256SUMS.p7s'
/** Entries the manifest cannot list: itself, its signature, and the custody log appended after sealing; the last three entries, in this order. */
export const UNLISTED_ENTRIES = [MANIFEST_PATH, SIGNATURE_PATH, CUSTODY_PATH]

export type EntryKind = 'copy' | 'derived' | 'parsed' | 'output' | 'live' | 'sums'

export interface CopySource {
  volume: string
  path: string
  size: number
  times: Timestamps
  fileNameTimes?: FileEntry['fileNameTimes']
  inode?: string
  deleted?: boolean
  stream?: string
  attributes?: string[]
  /** Set when size or modification time changed while the file was being copied (live source). */
  changedDuringCopy?: boolean
  /** Set when reading the evidence failed part-way: the entry holds only the bytes read before the error. */
  incompleteRead?: string
  /** A file of a Volume Shadow Copy (volume 'p2@vss1'): which snapshot of which volume, made when. */
  snapshot?: {of: string; number: number; createdAt: string | null}
}

export interface ManifestEntry extends Digests {
  path: string
  size: number
  kind: EntryKind
  /** For copies: where the bytes came from. */
  source?: CopySource
  /**
   * For copies: the other places the same bytes (same SHA-256) were found, each a file of a
   * shadow copy identical to this one. The bytes are stored once, under `path`.
   */
  otherLocations?: CopySource[]
  /** For derived entries (bytes a parser made from a copy, e.g. a decrypted attachment): the copy's path and how. */
  derivedFrom?: {path: string; method: string}
  /** Artifact definitions that selected this file. */
  artifacts?: string[]
  /** Names of hash sets this file's hashes appear in. */
  /** For algorithm 'pdq' (a perceptual match): the bits between the picture's PDQ hash and the listed one, and the list's label. */
  hashSetMatches?: Array<{set: string; algorithm: string; hash?: string; distance?: number; label?: string; listedCrop?: string; probeCrop?: string}>
  /** For live-system output: the command (or file) and how it ran: command line, times, exit code, missing. */
  command?: Record<string, unknown>
}

/**
 * A path a definition names that was not collected, with why: a symbolic link or junction
 * (never followed; its target listed), a FIFO, socket or device, a directory where a file
 * was expected, a file gone or unreadable when opened, or content the parser rejects.
 */
export interface NotCollected {
  volume: string
  path: string
  /** 'symlink', 'fifo', 'socket', 'character device', 'block device', 'directory', 'file', 'other'. */
  kind: string
  reason: string
  linkTarget?: string
  /** The artifact definitions that named it. */
  artifacts: string[]
}

export interface RunError {
  message: string
  artifact?: string
  volume?: string
  path?: string
}

export interface ArtifactSummary {
  id: string
  name: string
  category: string
  parser?: string
  parserAvailable: boolean
  files: number
  bytes: number
  records: number
  errors: number
  /** Files a trailing `**` took whose first bytes the parser does not read (not pictures under Documents/**): selection by content, by design. */
  notOfThisKind?: number
  /**
   * Files of shadow copies identical (same SHA-256) to a file already collected: listed as
   * another location of that entry (ManifestEntry.otherLocations), stored and parsed once.
   */
  sameAsCollected?: number
}

export interface Manifest {
  format: string
  formatVersion: number
  complete: boolean
  case: {id: string; examiner: string; evidenceItem?: string; notes?: string}
  tool: {
    name: string
    version: string
    commandLine: string[]
    platform: {os: string; release: string; arch: string; node: string}
    /** The SQLite engine that read every database of the run and wrote records.sqlite (absent in older bundles). */
    sqlite?: SqliteEngineInfo
    /** Present when trawl ran from a field kit: which exact build (src/kit/identity.ts). */
    kit?: KitIdentity
  }
  host: {hostname: string; user?: string; timeZone: string}
  source: SourceDescription & {volumes: Array<{id: string; description: VolumeDescription; unreadable?: string}>}
  startedAt: string
  endedAt: string
  /** Present when live-system state was collected (`collect --live`). */
  live?: {platform: string; hostname: string; startedAt: string; endedAt: string}
  /**
   * Each DPAPI blob the running machine was asked to unprotect (collect --live --unprotect-keys):
   * for which artifact and purpose, the blob's SHA-256, the command line, when, and the Windows
   * user it was unprotected as, or Windows' refusal.
   */
  keyUnwraps?: Array<{artifact: string; volume: string; purpose: string; blobSha256: string; commandLine: string; at: string; user?: string; error?: string}>
  signer: {subject: string; certificateSha256: string}
  /**
   * Set when the bundle was written encrypted (`.zip.p7m`, CMS AuthEnvelopedData): the recipients
   * it was encrypted to (sealed here, so the list cannot be changed without breaking the seal)
   * and where the working copies were kept instead of the output medium.
   */
  encryption?: {scheme: 'cms-auth-enveloped-data'; contentEncryption: 'aes-256-gcm'; recipients: RecipientSummary[]; workingCopies: string}
  /** SHA-256 of every archive byte before the manifest's own entry: seals ZIP headers as well as data. */
  archive: {sealedPrefixLength: number; sealedPrefixSha256: string}
  artifacts: ArtifactSummary[]
  /** Known-file sets (format plain, csv, hashdeep, nsrl-sqlite) and PDQ picture lists (format pdq, with their threshold and lines that were no hash). */
  hashSets: Array<{name: string; entries: number; path?: string; format?: string; sha256?: string; threshold?: number; rejectedLines?: number}>
  /** Pictures grouped by camera identity (body serial, else make and model), when any were parsed. */
  cameras?: Array<Record<string, unknown>>
  /** Per database or hive a parser read: rows per table, rows that became records, rows excluded and why, tables not read. */
  coverage: CoverageAccount[]
  /** Paths definitions named that were not collected, with the reason: nothing matched is dropped in silence. */
  notCollected: NotCollected[]
  entries: ManifestEntry[]
  errors: RunError[]
}

/** Canonical JSON of the manifest: two-space indentation, a final newline. */
export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8')
}
