import type {SignerFiles} from '../bundle/keys.js'
import type {SnapshotSelection} from '../source/types.js'
import type {BundleFacts} from './summary.js'

/**
 * What the batch process asks one worker to do (one evidence item). The signer comes
 * as files and the name of the passphrase variable: the worker inherits the
 * environment, so the secret never crosses IPC.
 */
export interface WorkerJob extends SignerFiles {
  /** 'collect': make the bundle, then check the image; 'image-check': only check the image (its bundle exists). */
  mode: 'collect' | 'image-check'
  source: string
  out: string
  /** `<out>.lock`: held while the worker runs. */
  lock: string
  caseId: string
  examiner: string
  evidenceItem: string
  notes?: string
  targets?: string[]
  definitions?: string
  /** Volume Shadow Copies to collect (collect --snapshots). */
  snapshots?: SnapshotSelection
  /** collect --triage */
  triage?: boolean
  hashSets: string[]
  imageCheck: boolean
  commandLine: string[]
  /** Encryption certificates (absolute paths): the bundle is written encrypted to them. */
  recipients?: string[]
  workDir?: string
}

/** The image's own integrity: EWF stored MD5/SHA-1 against the media data, or the computed hashes of a raw image. */
export interface ImageCheck {
  /** 'verified' | 'mismatch' | 'no-stored-hash' (raw: compare computed with the acquisition notes) | 'error' (could not be read whole). */
  verdict: 'verified' | 'mismatch' | 'no-stored-hash' | 'error'
  stored: {md5?: string; sha1?: string}
  computed?: {md5: string; sha1: string}
  mismatches: string[]
  durationMs: number
}

export type WorkerMessage =
  | {type: 'progress'; phase: 'collect'; bytes: number; files: number; records: number; errors: number; artifact?: string; elapsedMs: number}
  | {type: 'progress'; phase: 'image-check'; bytes: number; total: number; elapsedMs: number}
  | {type: 'done'; bundlePath: string; bundleSha256: string; facts: BundleFacts; imageCheck?: ImageCheck; checkInterrupted: boolean; durationMs: number}
  | {type: 'checked'; imageCheck?: ImageCheck}
  | {type: 'failed'; error: string; exitCode: number}
