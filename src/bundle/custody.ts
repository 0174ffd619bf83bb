import {X509Certificate} from 'node:crypto'
import {UsageError} from '../errors.js'
import {nowIso} from '../time.js'
import {signDetached, verifyDetached} from './cms.js'
import {sha256Hex} from './hash.js'
import type {Signer} from './keys.js'

/**
 * The custody log: one signed event per line. Each event names the hash of the
 * previous line; the first names the hash of manifest.json. So an edited,
 * removed, reordered or forged event breaks the chain or a signature.
 *
 * The custody log lies outside the seal (events are appended later), so anyone
 * can write a whole new chain that links to the manifest. What they cannot do is
 * sign its first event, `collected`, with the certificate that signed the
 * manifest: the sealed manifest names it (`signer.certificateSha256`), and the
 * first event must be signed by exactly that certificate.
 */

export const CUSTODY_ACTIONS = ['collected', 'transferred', 'received', 'examined', 'verified'] as const
export type CustodyAction = (typeof CUSTODY_ACTIONS)[number]

export interface CustodyEvent {
  seq: number
  action: CustodyAction
  by: string
  at: string
  note: string
  /** SHA-256 (hex) of the previous event's line, or of manifest.json for the first event. */
  previous: string
  signer: {subject: string; certificateSha256: string}
}

export interface SignedCustodyEvent extends CustodyEvent {
  /** Base64 DER of a detached CMS signature over the canonical JSON of the event without this field. */
  signature: string
}

/** The exact bytes that are signed: fixed key order, no whitespace. */
export function canonicalEvent(event: CustodyEvent): string {
  return JSON.stringify({
    seq: event.seq,
    action: event.action,
    by: event.by,
    at: event.at,
    note: event.note,
    previous: event.previous,
    signer: {subject: event.signer.subject, certificateSha256: event.signer.certificateSha256},
  })
}

export function eventLine(event: SignedCustodyEvent): string {
  return `${canonicalEvent(event).slice(0, -1)},"signature":${JSON.stringify(event.signature)}}`
}

export function makeEvent(
  options: {action: string; by: string; note?: string; previousLine?: string; manifest?: Buffer; seq: number},
  signer: Signer,
): SignedCustodyEvent {
  if (!(CUSTODY_ACTIONS as readonly string[]).includes(options.action)) {
    throw new UsageError(`custody action must be one of ${CUSTODY_ACTIONS.join(', ')}`)
  }
  const previous = options.previousLine !== undefined ? sha256Hex(options.previousLine) : sha256Hex(options.manifest ?? Buffer.alloc(0))
  const event: CustodyEvent = {
    seq: options.seq,
    action: options.action as CustodyAction,
    by: options.by,
    at: nowIso(),
    note: options.note ?? '',
    previous,
    signer: {subject: signer.certificate.subject.replaceAll('\n', ', '), certificateSha256: signer.certificate.fingerprint256},
  }
  const signature = signDetached(Buffer.from(canonicalEvent(event), 'utf8'), signer).toString('base64')
  return {...event, signature}
}

export interface CustodyCheck {
  events: SignedCustodyEvent[]
  problems: string[]
  /** SHA-256 of the last line, to compare with the paper record. */
  lastEventSha256?: string
  signers: X509Certificate[]
}

/**
 * Checks every line: canonical form, signature, sequence, hash chain back to the
 * manifest, and that the first event is signed by the certificate the manifest names.
 */
export function checkCustody(log: string, manifest: Buffer): CustodyCheck {
  const problems: string[] = []
  const collector = manifestSigner(manifest)
  const events: SignedCustodyEvent[] = []
  const signers: X509Certificate[] = []
  if (!log.endsWith('\n') && log !== '') problems.push('custody log does not end with a newline')
  const lines = log.split('\n').slice(0, -1)
  if (lines.length === 0) problems.push('custody log has no events')
  let previous = sha256Hex(manifest)
  lines.forEach((line, index) => {
    const label = `custody event ${index + 1}`
    let event: SignedCustodyEvent
    try {
      event = JSON.parse(line) as SignedCustodyEvent
    } catch {
      problems.push(`${label}: not valid JSON`)
      previous = sha256Hex(line)
      return
    }
    if (typeof event !== 'object' || event === null || typeof event.signature !== 'string' || typeof event.signer !== 'object' || event.signer === null) {
      problems.push(`${label}: malformed`)
      previous = sha256Hex(line)
      return
    }
    if (eventLine(event) !== line) problems.push(`${label}: not in canonical form (edited)`)
    if (event.seq !== index + 1) problems.push(`${label}: sequence number ${event.seq}, expected ${index + 1} (removed or reordered)`)
    if (!(CUSTODY_ACTIONS as readonly string[]).includes(event.action)) problems.push(`${label}: unknown action ${event.action}`)
    if (index === 0 && event.action !== 'collected') problems.push(`${label}: the first event must be "collected"`)
    if (event.previous !== previous) {
      problems.push(index === 0 ? `${label}: does not link to this manifest` : `${label}: does not link to event ${index} (removed, reordered or edited)`)
    }
    const check = verifyDetached(Buffer.from(event.signature, 'base64'), Buffer.from(canonicalEvent(event), 'utf8'))
    for (const problem of check.problems) problems.push(`${label}: ${problem}`)
    if (check.certificate) {
      signers.push(check.certificate)
      if (check.certificate.fingerprint256 !== event.signer.certificateSha256) problems.push(`${label}: signed by a certificate other than the one it names`)
      if (index === 0 && check.certificate.fingerprint256 !== collector) {
        problems.push(
          `${label}: the "collected" event is signed by SHA-256 ${check.certificate.fingerprint256}, not by the certificate that signed the manifest (SHA-256 ${collector ?? 'unknown'}): the custody log was replaced`,
        )
      }
    }
    events.push(event)
    previous = sha256Hex(line)
  })
  return {events, problems, lastEventSha256: lines.length > 0 ? sha256Hex(lines[lines.length - 1]) : undefined, signers}
}

/** The fingerprint of the certificate the manifest names as its signer, if it names one. */
function manifestSigner(manifest: Buffer): string | undefined {
  try {
    const fingerprint = (JSON.parse(manifest.toString('utf8')) as {signer?: {certificateSha256?: unknown}}).signer?.certificateSha256
    return typeof fingerprint === 'string' ? fingerprint : undefined
  } catch {
    return undefined
  }
}
