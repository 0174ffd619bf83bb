import {X509Certificate} from 'node:crypto'
import {createHash} from 'node:crypto'
import {errorMessage} from '../errors.js'
import {coverageWarnings} from '../parsers/coverage.js'
import {verifyDetached} from './cms.js'
import {checkCustody, type SignedCustodyEvent} from './custody.js'
import {MultiHash} from './hash.js'
import {isSelfIssued, readCertificate, summarizeCertificate, type CertificateSummary} from './keys.js'
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  CUSTODY_PATH,
  MANIFEST_PATH,
  SIGNATURE_PATH,
  SUMS_PATH,
  SUMS_SIGNATURE_PATH,
  UNLISTED_ENTRIES,
  type Manifest,
} from './manifest.js'
import {BundleZip} from './zip-reader.js'

export interface VerifyOptions {
  /** Pin the signer: the bundle must be signed by exactly this certificate (a PEM file, or the certificate itself). */
  cert?: string | X509Certificate
  /** Or: the signer certificate must be issued by this CA. */
  ca?: string
}

export interface VerifyReport {
  bundle: string
  /** Intact, complete and correctly signed, and (when one was given) signed as the trust anchor requires. */
  valid: boolean
  /**
   * Valid, and the signer was checked against a trust anchor the examiner gave
   * (`trustAnchor`). Without one, anyone can make a bundle that is valid: a forger
   * re-seals with a look-alike self-signed certificate of the same subject.
   */
  trusted: boolean
  /** What the signer was checked against: the pinned certificate (--cert), a CA (--ca), or nothing. */
  trustAnchor: 'certificate' | 'ca' | null
  /** Everything that makes the bundle invalid, each one line. */
  problems: string[]
  /** Facts the examiner should check by other means (not failures). */
  warnings: string[]
  signer?: CertificateSummary
  signingTime?: string
  case?: Manifest['case']
  complete?: boolean
  startedAt?: string
  endedAt?: string
  /** otherLocations: places in shadow copies where the bytes of a listed copy were found again (stored once). */
  entries: {listed: number; checked: number; bytes: number; otherLocations?: number}
  /**
   * What the sealed manifest itself says the run did not get: errors, paths not collected,
   * copies cut short or changed while read, volumes not read, and coverage warnings.
   * None of these makes the bundle invalid (the seal covers what was collected), but a
   * valid bundle is not a clean collection unless all are zero.
   */
  collection?: CollectionFindings
  custody: {
    events: number
    lastEventSha256?: string
    /** Each event; `signer` is its certificate's subject and fingerprint, `signerSha256` the fingerprint alone. */
    log: Array<Pick<SignedCustodyEvent, 'seq' | 'action' | 'by' | 'at' | 'note'> & {signer: string; signerSha256: string}>
  }
}

export interface CollectionFindings {
  errors: number
  notCollected: number
  incompleteReads: number
  changedDuringCopy: number
  unreadableVolumes: number
  coverageWarnings: number
}

/** The manifest's own account of what the run missed, counted, with one line per kind for the examiner. */
export function collectionFindings(manifest: Manifest): {findings: CollectionFindings; lines: string[]} {
  const copies = (manifest.entries ?? []).filter((e) => e.source)
  const findings: CollectionFindings = {
    errors: manifest.errors?.length ?? 0,
    notCollected: manifest.notCollected?.length ?? 0,
    incompleteReads: copies.filter((e) => e.source?.incompleteRead).length,
    changedDuringCopy: copies.filter((e) => e.source?.changedDuringCopy).length,
    unreadableVolumes: (manifest.source?.volumes ?? []).filter((v) => v.unreadable).length,
    coverageWarnings: (manifest.coverage ?? []).reduce((n, account) => n + coverageWarnings(account).length, 0),
  }
  const lines: string[] = []
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
  if (findings.errors) lines.push(`the collection recorded ${count(findings.errors, 'error', 'errors')} (manifest "errors")`)
  if (findings.notCollected) lines.push(`${count(findings.notCollected, 'path', 'paths')} named by artifact definitions ${findings.notCollected === 1 ? 'was' : 'were'} not collected, each with its reason (manifest "notCollected")`)
  if (findings.incompleteReads) lines.push(`${count(findings.incompleteReads, 'copy holds', 'copies hold')} only the bytes read before a read error (entries with source.incompleteRead)`)
  if (findings.changedDuringCopy) lines.push(`${count(findings.changedDuringCopy, 'file', 'files')} changed while being copied from the live system (source.changedDuringCopy)`)
  if (findings.unreadableVolumes) lines.push(`${count(findings.unreadableVolumes, 'volume', 'volumes')} of the source could not be read (source.volumes[].unreadable)`)
  if (findings.coverageWarnings) lines.push(`${count(findings.coverageWarnings, 'coverage warning', 'coverage warnings')}: database or hive rows that became no record without a stated reason, or unread tables that look like renamed known ones (manifest "coverage")`)
  return {findings, lines}
}

/**
 * Verifies a bundle: ZIP structure, the seal over the archive prefix, the
 * signature and signer, every entry's size and hashes, completeness, and the custody chain.
 * Throws CorruptBundleError only when the file cannot be read as a ZIP at all.
 */
export async function verifyBundle(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyZip(BundleZip.open(path), options)
}

/** Verifies a bundle already opened (from a file, or decrypted into memory). */
export async function verifyZip(zip: BundleZip, options: VerifyOptions = {}): Promise<VerifyReport> {
  const path = zip.path
  const report: VerifyReport = {
    bundle: path,
    valid: false,
    trusted: false,
    trustAnchor: options.cert ? 'certificate' : options.ca ? 'ca' : null,
    problems: [...zip.problems],
    warnings: [],
    entries: {listed: 0, checked: 0, bytes: 0},
    custody: {events: 0, log: []},
  }
  try {
    await check(zip, options, report)
  } finally {
    zip.close()
  }
  report.valid = report.problems.length === 0
  report.trusted = report.valid && report.trustAnchor !== null && report.signer !== undefined
  return report
}

async function check(zip: BundleZip, options: VerifyOptions, report: VerifyReport): Promise<void> {
  const problems = report.problems
  const names = zip.entries.map((e) => e.name)
  const tail = names.slice(-3)
  if (tail.join('\n') !== UNLISTED_ENTRIES.join('\n')) {
    problems.push(`the bundle must end with ${UNLISTED_ENTRIES.join(', ')}; it ends with ${tail.join(', ') || 'nothing'}`)
  }
  const manifestEntry = zip.entry(MANIFEST_PATH)
  const signatureEntry = zip.entry(SIGNATURE_PATH)
  const custodyEntry = zip.entry(CUSTODY_PATH)
  if (!manifestEntry || !signatureEntry) {
    problems.push(`no ${manifestEntry ? SIGNATURE_PATH : MANIFEST_PATH}: the bundle is unsealed (an interrupted or failed run?)`)
    return
  }
  for (const entry of [manifestEntry, signatureEntry, custodyEntry]) {
    if (entry && entry.method !== 0) problems.push(`${entry.name} must be stored uncompressed`)
  }
  let manifestBytes: Buffer
  let signatureBytes: Buffer
  try {
    manifestBytes = await zip.readEntry(manifestEntry, 512 * 1024 * 1024)
    signatureBytes = await zip.readEntry(signatureEntry)
  } catch (error) {
    problems.push(errorMessage(error))
    return
  }
  let manifest: Manifest
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest
  } catch {
    problems.push(`${MANIFEST_PATH} is not valid JSON`)
    return
  }

  // the signature over the manifest, and who made it
  const signature = verifyDetached(signatureBytes, manifestBytes)
  for (const problem of signature.problems) problems.push(`manifest signature: ${problem}`)
  if (signature.certificate) {
    const cert = signature.certificate
    report.signer = summarizeCertificate(cert)
    report.signingTime = signature.signingTime?.toISOString()
    checkSigner(cert, signature.signingTime, options, report, manifest)
  }

  if (manifest.format !== BUNDLE_FORMAT || manifest.formatVersion !== BUNDLE_FORMAT_VERSION) {
    problems.push(`not a ${BUNDLE_FORMAT} version ${BUNDLE_FORMAT_VERSION} manifest`)
    return
  }
  report.case = manifest.case
  report.complete = manifest.complete
  report.startedAt = manifest.startedAt
  report.endedAt = manifest.endedAt
  if (manifest.complete !== true) problems.push('the manifest says the collection did not complete (interrupted or failed run)')
  const {findings, lines} = collectionFindings(manifest)
  report.collection = findings
  for (const line of lines) report.warnings.push(line)

  // the seal over every archive byte before the manifest: ZIP headers as well as data
  const prefixLength = manifest.archive?.sealedPrefixLength
  if (prefixLength !== manifestEntry.localHeaderOffset) {
    problems.push(`the sealed archive prefix is ${prefixLength} bytes but the manifest entry starts at byte ${manifestEntry.localHeaderOffset}`)
  } else {
    const digest = await hashRange(zip, prefixLength)
    if (digest !== manifest.archive.sealedPrefixSha256) problems.push('the archive bytes before the manifest differ from what was sealed (an entry or header was changed)')
  }

  // every listed entry present, with its size and hashes; nothing unlisted
  const listed = new Map((manifest.entries ?? []).map((e) => [e.path, e]))
  report.entries.listed = listed.size
  for (const entry of zip.entries) {
    if (UNLISTED_ENTRIES.includes(entry.name)) continue
    const expected = listed.get(entry.name)
    if (!expected) {
      problems.push(`entry ${entry.name} is not in the manifest (added)`)
      continue
    }
    const hash = new MultiHash()
    try {
      for await (const chunk of zip.openEntry(entry)) hash.update(chunk as Buffer)
    } catch (error) {
      problems.push(`entry ${entry.name}: ${errorMessage(error)}`)
      continue
    }
    const digests = hash.digest()
    report.entries.checked++
    report.entries.bytes += hash.size
    if (hash.size !== expected.size) problems.push(`entry ${entry.name}: ${hash.size} bytes, the manifest says ${expected.size}`)
    for (const [algorithm, label] of [['sha256', 'SHA-256'], ['sha1', 'SHA-1'], ['md5', 'MD5']] as const) {
      if (digests[algorithm] !== expected[algorithm]) problems.push(`entry ${entry.name}: ${label} does not match the manifest`)
    }
  }
  const present = new Set(names)
  for (const path of listed.keys()) if (!present.has(path)) problems.push(`entry ${path} is listed in the manifest but missing (removed)`)

  // a copy found again in a shadow copy is stored once: each other location must name a volume the source had
  const volumes = new Set((manifest.source?.volumes ?? []).map((v) => v.id))
  for (const entry of manifest.entries ?? []) {
    for (const location of entry.otherLocations ?? []) {
      report.entries.otherLocations = (report.entries.otherLocations ?? 0) + 1
      if (entry.kind !== 'copy') problems.push(`entry ${entry.path}: only a copy can list other locations`)
      if (!volumes.has(location.volume)) problems.push(`entry ${entry.path}: another location names volume ${location.volume}, which the manifest's source does not list`)
    }
  }
  // a derived entry (a decrypted attachment) must name the copy it was made from, and only a derived entry names one
  const kinds = new Map((manifest.entries ?? []).map((e) => [e.path, e.kind]))
  for (const entry of manifest.entries ?? []) {
    if (entry.kind === 'derived' && kinds.get(entry.derivedFrom?.path ?? '') !== 'copy') problems.push(`entry ${entry.path}: derived from ${entry.derivedFrom?.path ?? 'nothing'}, which is not a copy in this bundle`)
    if (entry.kind !== 'derived' && entry.derivedFrom) problems.push(`entry ${entry.path}: only a derived entry can name what it was derived from`)
  }

  // the stock-tool sums file must be signed by the same signer
  const sums = zip.entry(SUMS_PATH)
  const sumsSignature = zip.entry(SUMS_SIGNATURE_PATH)
  if (!sums || !sumsSignature) {
    problems.push(`${SUMS_PATH} or its signature is missing`)
  } else {
    const check = verifyDetached(await zip.readEntry(sumsSignature), await zip.readEntry(sums))
    for (const problem of check.problems) problems.push(`${SUMS_PATH} signature: ${problem}`)
    if (check.certificate && signature.certificate && check.certificate.fingerprint256 !== signature.certificate.fingerprint256) {
      problems.push(`${SUMS_PATH} is signed by another certificate than the manifest`)
    }
  }

  // the custody chain
  if (!custodyEntry) {
    problems.push(`no ${CUSTODY_PATH}`)
    return
  }
  const custody = checkCustody((await zip.readEntry(custodyEntry)).toString('utf8'), manifestBytes)
  for (const problem of custody.problems) problems.push(problem)
  report.custody.events = custody.events.length
  report.custody.lastEventSha256 = custody.lastEventSha256
  report.custody.log = custody.events.map((e) => ({
    seq: e.seq,
    action: e.action,
    by: e.by,
    at: e.at,
    note: e.note,
    signer: `${e.signer.subject} (SHA-256 ${e.signer.certificateSha256})`,
    signerSha256: e.signer.certificateSha256,
  }))
  // the first event's signer is the manifest's (checkCustody); a later one is someone who handled the bundle
  if (options.ca) {
    const ca = readCertificate(options.ca)
    custody.signers.forEach((cert, i) => {
      if (!issuedBy(cert, ca)) problems.push(`custody event ${i + 1}: its signer certificate is not issued by the given CA`)
    })
  } else if (options.cert && signature.certificate) {
    const sealer = signature.certificate.fingerprint256
    custody.signers.forEach((cert, i) => {
      if (cert.fingerprint256 !== sealer) {
        report.warnings.push(`custody event ${i + 1} is signed by another certificate, SHA-256 ${cert.fingerprint256}, not checked against a trust anchor: compare it with the record of who handled the bundle, or verify with --ca`)
      }
    })
  }
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey)
}

function checkSigner(cert: X509Certificate, signingTime: Date | undefined, options: VerifyOptions, report: VerifyReport, manifest: Manifest): void {
  const problems = report.problems
  if (manifest.signer?.certificateSha256 !== cert.fingerprint256) problems.push('the signer certificate is not the one the manifest names (certificate swapped)')
  const selfIssued = isSelfIssued(cert)
  if (selfIssued && !cert.verify(cert.publicKey)) problems.push("the signer certificate's own signature does not verify (certificate altered)")
  if (options.cert) {
    const pinned = typeof options.cert === 'string' ? readCertificate(options.cert) : options.cert
    if (pinned.fingerprint256 !== cert.fingerprint256) problems.push(`signed by ${cert.fingerprint256}, not by the given certificate ${pinned.fingerprint256}`)
  } else if (options.ca) {
    const ca = readCertificate(options.ca)
    if (!issuedBy(cert, ca)) problems.push('the signer certificate is not issued by the given CA')
    const when = signingTime ?? new Date()
    if (when < new Date(ca.validFrom) || when > new Date(ca.validTo)) problems.push('the CA certificate was not valid at signing time')
  } else if (!selfIssued) {
    // without a trust anchor the report is not trusted (VerifyReport.trusted), whoever issued the certificate
    report.warnings.push(`the signer certificate is issued by ${cert.issuer.replaceAll('\n', ', ')}, a CA that was not checked (use --ca)`)
  }
}

async function hashRange(zip: BundleZip, length: number): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of zip.openRange(0, length)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
