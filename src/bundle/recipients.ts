import {X509Certificate, createPublicKey} from 'node:crypto'
import {existsSync, statfsSync} from 'node:fs'
import {platform} from 'node:os'
import {resolve} from 'node:path'
import {KeyFormatError, UsageError} from '../errors.js'
import {checkRecipient, type DecryptionKey, type RecipientSummary} from './cms-envelope.js'
import {loadPrivateKey, passphraseFromEnv, readCertificate} from './keys.js'

/** The certificates a bundle is encrypted to, checked, and as the manifest records them. */
export interface Recipients {
  certificates: X509Certificate[]
  summaries: RecipientSummary[]
}

/** Loads and checks each `--recipient` certificate; one given twice counts once. */
export function loadRecipients(paths: string[]): Recipients {
  const certificates: X509Certificate[] = []
  const summaries: RecipientSummary[] = []
  for (const path of paths) {
    const certificate = readCertificate(path)
    const summary = checkRecipient(certificate, path)
    if (summaries.some((s) => s.certificateSha256 === summary.certificateSha256)) continue
    certificates.push(certificate)
    summaries.push(summary)
  }
  return {certificates, summaries}
}

/** The recipients a manifest names, from the certificates it carries (to encrypt again after a custody event). */
export function recipientsOfManifest(summaries: RecipientSummary[], label: string): Recipients {
  const certificates = summaries.map((s) => {
    const certificate = new X509Certificate(s.certificate)
    if (certificate.fingerprint256 !== s.certificateSha256) throw new KeyFormatError(label, `the manifest's recipient certificate ${s.subject} does not match its own fingerprint`)
    return certificate
  })
  return {certificates, summaries}
}

/** Linux statfs f_type of tmpfs (linux/magic.h TMPFS_MAGIC): a file system held in memory. */
const TMPFS_MAGIC = 0x01021994

/**
 * The folder an encrypted collect keeps its working copies in: one the examiner names
 * (`--work-dir`, a RAM disk), or on Linux /dev/shm when it is tmpfs. Anything else would put
 * plaintext copies of evidence databases and parsed records on a disk, so it is refused.
 */
export function memoryWorkFolder(workDir: string | undefined): {path: string; description: string} {
  if (workDir !== undefined) {
    const path = resolve(workDir)
    if (!existsSync(path)) throw new UsageError(`--work-dir ${path} does not exist`)
    return {path, description: isTmpfs(path) ? `memory (tmpfs ${path})` : `${path} (named with --work-dir)`}
  }
  if (platform() === 'linux' && isTmpfs('/dev/shm')) return {path: '/dev/shm', description: 'memory (tmpfs /dev/shm)'}
  throw new UsageError(
    'an encrypted collect keeps its working copies (evidence databases opened by parsers, records before sealing) off the output disk: give --work-dir on a RAM disk',
  )
}

function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC
  } catch {
    return false
  }
}

/** A recipient's private key (and optionally its certificate), the passphrase from the variable named. */
export function loadDecryptionKey(options: {key: string; cert?: string; passphraseEnv?: string}): DecryptionKey {
  const privateKey = loadPrivateKey(options.key, passphraseFromEnv(options.passphraseEnv))
  const certificate = options.cert ? readCertificate(options.cert) : undefined
  if (certificate) {
    const fromKey = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
    if (!fromKey.equals(certificate.publicKey.export({type: 'spki', format: 'der'}))) throw new KeyFormatError(options.key, `the private key does not belong to the certificate ${options.cert}`)
  }
  return {privateKey, certificate, label: options.cert ?? options.key}
}
