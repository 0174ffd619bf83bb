import type {CollectResult} from '../collect/collect.js'
import type {CertificateSummary} from '../bundle/keys.js'
import type {VerifyReport} from '../bundle/verify.js'
import type {CustodyCheck} from '../bundle/custody.js'
import type {ArtifactDefinition} from '../artifacts/definition.js'
import {coverageWarnings, type CoverageAccount} from '../parsers/coverage.js'

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** A plain-text table; columns whose cells are all numbers are right-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const numeric = rows[0].map((_, i) => rows.slice(1).every((r) => /^\d+$/.test(r[i])))
  return rows.map((r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n')
}

export function renderCollectSummary(result: CollectResult & {bundleSha256: string}): string {
  const m = result.manifest
  const files = m.entries.filter((e) => e.kind === 'copy')
  const bytes = files.reduce((a, e) => a + e.size, 0)
  const records = m.artifacts.reduce((a, s) => a + s.records, 0)
  const lines = [
    `trawl collect: ${result.complete ? 'COMPLETE' : 'INCOMPLETE (interrupted; the bundle will not verify as complete)'}`,
    `Bundle:    ${result.bundlePath}`,
    ...(result.encryptedSha256
      ? [
          `SHA-256:   ${result.encryptedSha256} (the encrypted file)`,
          `           ${result.bundleSha256} (the bundle inside, after decryption)`,
          `Encrypted: to ${m.encryption?.recipients.map((r) => `${r.subject} [${r.keyManagement}]`).join('; ')}`,
        ]
      : [`SHA-256:   ${result.bundleSha256}`]),
    `Case:      ${m.case.id}   Examiner: ${m.case.examiner}${m.case.evidenceItem ? `   Evidence item: ${m.case.evidenceItem}` : ''}`,
    `Source:    ${m.source.path} (${m.source.kind}${m.source.format ? `, ${m.source.format}` : ''}); volumes: ${m.source.volumes.map((v) => `${v.id}${v.unreadable ? ' (not read)' : ''}`).join(', ')}`,
    // how a volume was read, where that limits what could be found (triage, a dirty ext journal)
    ...m.source.volumes.flatMap((v) => (v.description.notes ?? []).map((note) => `           ${v.id}: ${note}`)),
    `Time:      ${m.startedAt} to ${m.endedAt} (${(result.durationMs / 1000).toFixed(1)} s)`,
    `Collected: ${files.length} files, ${formatBytes(bytes)}, ${records} records, ${m.errors.length} errors`,
    `Signer:    ${m.signer.subject}`,
    `           SHA-256 fingerprint ${m.signer.certificateSha256}`,
  ]
  const accounts = m.coverage ?? []
  if (accounts.length > 0) {
    const attention = accounts.filter((a) => coverageWarnings(a).length > 0)
    lines.push(
      `Coverage:  ${accounts.length} ${accounts.length === 1 ? 'database/hive' : 'databases/hives'} read, ${attention.length === 0 ? 'every row of every known table accounted for' : `${attention.length} WITH ROWS NOT ACCOUNTED FOR (see Coverage and Errors below)`}`,
    )
  }
  const skipped = m.notCollected ?? []
  if (skipped.length > 0) {
    const byKind = new Map<string, number>()
    for (const n of skipped) byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + 1)
    const kinds = [...byKind].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    lines.push(`Not collected: ${skipped.length} ${skipped.length === 1 ? 'path' : 'paths'} a definition names (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}; see below and manifest.json notCollected)`)
  }
  lines.push(...renderShadowCopies(m))
  const matched = m.entries.filter((e) => e.hashSetMatches?.length)
  if (m.hashSets.length > 0) {
    const perceptual = matched.filter((e) => e.hashSetMatches?.some((h) => h.algorithm === 'pdq')).length
    const sets = m.hashSets.map((s) => `${s.name} (${s.entries}${s.format === 'pdq' ? ` PDQ, within ${s.threshold} bits` : ''}${s.rejectedLines ? `; ${s.rejectedLines} lines that are no hash` : ''})`)
    lines.push(`Hash sets: ${sets.join(', ')}: ${matched.length} matching files${m.hashSets.some((s) => s.format === 'pdq') ? ` (${perceptual} by perceptual hash)` : ''}`)
  }
  if (m.cameras && m.cameras.length > 0) {
    lines.push('', 'Cameras (pictures grouped by body serial, else make and model):')
    for (const c of m.cameras as Array<{basis: string; make: string | null; model: string | null; bodySerial: string | null; pictures: number}>) {
      const name = [c.make, c.model].filter(Boolean).join(' ') || '(no camera recorded)'
      lines.push(`  ${String(c.pictures).padStart(5)}  ${name}${c.bodySerial ? `, serial ${c.bodySerial}` : c.basis === 'make-model' ? ' (no serial)' : ''}`)
    }
  }
  const active = m.artifacts.filter((a) => a.files > 0 || a.errors > 0)
  if (active.length > 0) {
    lines.push('', table([['Artifact', 'Files', 'Records', 'Errors'], ...active.map((a) => [`${a.id}${a.parser && !a.parserAvailable ? ' (no parser yet)' : ''}`, String(a.files), String(a.records), String(a.errors)])]))
  } else {
    lines.push('', 'No artifact matched on this source.')
  }
  const coverage = renderCoverage(m.coverage ?? [])
  if (coverage) lines.push('', coverage)
  if (skipped.length > 0) {
    lines.push('', 'Not collected (named by a definition, not copied):')
    for (const n of skipped.slice(0, 20)) {
      const named = n.artifacts.length > 4 ? `${n.artifacts.slice(0, 3).join(', ')} and ${n.artifacts.length - 3} more` : n.artifacts.join(', ')
      lines.push(`  - ${n.volume}:${n.path}: ${n.reason} [${named}]`)
    }
    if (skipped.length > 20) lines.push(`  ... and ${skipped.length - 20} more (see manifest.json)`)
  }
  if (m.errors.length > 0) {
    lines.push('', 'Errors:')
    for (const error of m.errors.slice(0, 20)) lines.push(`  - ${error.message}`)
    if (m.errors.length > 20) lines.push(`  ... and ${m.errors.length - 20} more (see manifest.json)`)
  }
  return lines.join('\n')
}

/**
 * Per database or hive read: parsed rows / table rows for each known table, with the
 * stated exclusions, and the tables trawl did not read with their row counts.
 */
export function renderCoverage(accounts: CoverageAccount[]): string {
  if (accounts.length === 0) return ''
  const lines = ['Coverage (parsed / rows per table, or per registry key its subkeys and values; rows not parsed are excluded by design or flagged):']
  for (const account of accounts) {
    lines.push(`  ${account.sourcePath ?? account.file}${account.readAs ? ` (${account.readAs})` : ''}`)
    const known = account.tables.filter((t) => t.known && !t.absent && (t.rows !== 0 || t.error))
    const empty = account.tables.filter((t) => t.known && !t.absent && t.rows === 0 && !t.error)
    const absent = account.tables.filter((t) => t.known && t.absent)
    const unknown = account.tables.filter((t) => !t.known && (t.rows ?? 0) > 0 && t.excluded.length === 0)
    for (const t of known) {
      const excluded = t.excluded.map((e) => `${e.rows} ${e.reason}`).join('; ')
      const unresolved = (t.unresolved ?? []).map((u) => `${u.rows} ${u.reason}`).join('; ')
      const flag = t.unexplained > 0 ? `  ${t.unexplained} UNEXPLAINED` : ''
      lines.push(
        `    ${t.table}: ${t.parsed} / ${t.rows ?? '?'}${excluded ? ` (excluded: ${excluded})` : ''}${t.error ? ` (not counted: ${t.error})` : ''}${flag}${unresolved ? `  INCOMPLETE: ${unresolved}` : ''}`,
      )
    }
    if (empty.length > 0) lines.push(`    empty: ${empty.map((t) => t.table).join(', ')}`)
    if (absent.length > 0) lines.push(`    absent from this ${account.store === 'registry' ? 'hive' : 'database'}: ${absent.map((t) => t.table).join(', ')}`)
    if (unknown.length > 0) {
      const unit = account.store === 'registry' ? 'subkeys and values' : 'rows'
      const described = unknown.map((t) => `${t.table} (${t.rows} ${unit}${t.looksLike ? `; LOOKS LIKE A RENAMED ${t.looksLike}` : ''})`)
      lines.push(`    not read: ${described.join(', ')}`)
    }
  }
  return lines.join('\n')
}

/** The verdict, printed first and again last, so that nothing printed after it can sit under it. */
function verifyVerdict(report: VerifyReport): string {
  if (!report.valid) return `RESULT: INVALID. ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} listed.`
  if (!report.trusted) {
    return `RESULT: NOT TRUSTED. signature valid, signer NOT checked against a trusted certificate: compare fingerprint ${report.signer?.sha256Fingerprint ?? '-'} with the examiner's record, or verify with --cert or --ca.`
  }
  const anchor = report.trustAnchor === 'ca' ? 'issued by the CA given with --ca' : 'the certificate given with --cert'
  const gaps = report.collection ? Object.values(report.collection).reduce((a, n) => a + n, 0) : 0
  const caveat = gaps > 0 ? ' The collection itself recorded gaps (listed under "Check by other means"): sealed is not the same as everything read.' : ''
  return `RESULT: VALID. The bundle is complete, unaltered, and signed by ${anchor}.${caveat}`
}

export function renderVerifyReport(report: VerifyReport): string {
  const lines = [`trawl verify: ${report.bundle}`, '']
  lines.push(verifyVerdict(report))
  lines.push('')
  if (report.case) lines.push(`Case:            ${report.case.id}   Examiner: ${report.case.examiner}${report.case.evidenceItem ? `   Evidence item: ${report.case.evidenceItem}` : ''}`)
  if (report.startedAt) lines.push(`Collected:       ${report.startedAt} to ${report.endedAt}${report.complete ? '' : ' (INCOMPLETE)'}`)
  if (report.signer) {
    lines.push(`Signed by:       ${report.signer.subject}`)
    lines.push(`Certificate:     SHA-256 ${report.signer.sha256Fingerprint}`)
    lines.push(`                 valid ${report.signer.validFrom} to ${report.signer.validTo}${report.signer.selfSigned ? ', self-signed' : `, issued by ${report.signer.issuer}`}`)
  }
  if (report.signingTime) lines.push(`Signing time:    ${report.signingTime}`)
  const encryption = (report as VerifyReport & {encryption?: {recipients: Array<{subject: string; certificateSha256: string}>}}).encryption
  if (encryption) {
    lines.push(`Encrypted to:    ${encryption.recipients.length} recipient(s) named in the sealed manifest (decrypted in memory)`)
    for (const r of encryption.recipients) lines.push(`                 ${r.subject} (SHA-256 ${r.certificateSha256})`)
  }
  lines.push(`Entries:         ${report.entries.checked} of ${report.entries.listed} listed entries checked (${formatBytes(report.entries.bytes)}): size, SHA-256, SHA-1, MD5`)
  if (report.entries.otherLocations) lines.push(`                 ${report.entries.otherLocations} more ${report.entries.otherLocations === 1 ? 'place' : 'places'} in shadow copies hold the bytes of a listed copy (stored once)`)
  lines.push(`Custody events:  ${report.custody.events}; last event SHA-256 ${report.custody.lastEventSha256 ?? '-'}`)
  lines.push('                 (a removed last event cannot be seen from the bundle: compare this count and hash with the paper record)')
  for (const event of report.custody.log) {
    lines.push(`  ${event.seq}. ${event.at} ${event.action} by ${event.by}${event.note ? `: ${event.note}` : ''}`)
    lines.push(`     signed by SHA-256 ${event.signerSha256}${event.signerSha256 === report.signer?.sha256Fingerprint ? ' (the manifest signer)' : ''}`)
  }
  if (report.warnings.length > 0) {
    lines.push('', 'Check by other means:')
    for (const warning of report.warnings) lines.push(`  - ${warning}`)
  }
  if (report.problems.length > 0) {
    lines.push('', `Problems (${report.problems.length}):`)
    for (const problem of report.problems) lines.push(`  - ${problem}`)
  }
  lines.push('', verifyVerdict(report))
  return lines.join('\n')
}

export function renderCertificate(summary: CertificateSummary): string {
  return [
    `Subject:      ${summary.subject}`,
    `Issuer:       ${summary.issuer}${summary.selfSigned ? ' (self-signed)' : ''}`,
    `Serial:       ${summary.serialNumber}`,
    `Valid from:   ${summary.validFrom}`,
    `Valid to:     ${summary.validTo}`,
    `Key:          ${summary.keyType === 'ec' ? `EC ${summary.curve ?? '?'}` : `RSA ${summary.keyBits ?? '?'} bits`}`,
    `SHA-256:      ${summary.sha256Fingerprint}`,
  ].join('\n')
}

export function renderCustody(check: Pick<CustodyCheck, 'events' | 'problems' | 'lastEventSha256'>): string {
  const lines = check.events.map((e) => `${e.seq}. ${e.at}  ${e.action.padEnd(11)} by ${e.by}${e.note ? `: ${e.note}` : ''}\n   signed by ${e.signer.subject} (SHA-256 ${e.signer.certificateSha256})`)
  lines.push('', `${check.events.length} events; last event SHA-256 ${check.lastEventSha256 ?? '-'}`)
  if (check.problems.length > 0) lines.push(`Problems (${check.problems.length}):`, ...check.problems.map((p) => `  - ${p}`))
  // the verdict last, so that nothing printed after it can sit under it
  lines.push(check.problems.length === 0 ? 'Chain: intact (the seal and its signer are checked by trawl verify)' : `Chain: BROKEN. ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'} listed.`)
  return lines.join('\n')
}

export function renderArtifacts(definitions: ArtifactDefinition[], parserAvailable: (id: string) => boolean): string {
  return table([
    ['ID', 'Category', 'Parser', 'Name'],
    ...definitions.map((d) => [d.id, d.category, d.parser ? `${d.parser}${parserAvailable(d.parser) ? '' : ' (files only)'}` : '(files only)', d.name]),
  ])
}

/** Which volumes have Volume Shadow Copies, which were collected, and how many of their files were already in the bundle. */
function renderShadowCopies(m: CollectResult['manifest']): string[] {
  const lines: string[] = []
  const read = new Set(m.source.volumes.filter((v) => v.description.snapshot && !v.unreadable).map((v) => v.id))
  for (const volume of m.source.volumes) {
    const copies = volume.description.shadowCopies
    if (volume.description.shadowCopiesUnreadable) lines.push(`Shadow copies of ${volume.id}: cannot be read (${volume.description.shadowCopiesUnreadable})`)
    if (!copies?.length) continue
    const collected = copies.filter((c) => read.has(`${volume.id}@vss${c.number}`))
    const list = copies.map((c) => `${volume.id}@vss${c.number} ${c.createdAt ?? '(no time)'}${read.has(`${volume.id}@vss${c.number}`) ? '' : ' (not collected)'}`).join(', ')
    lines.push(`Shadow copies of ${volume.id}: ${copies.length}, ${collected.length === 0 ? 'none collected (--snapshots all to collect them)' : `${collected.length} collected`}: ${list}`)
  }
  const locations = m.entries.reduce((a, e) => a + (e.otherLocations?.length ?? 0), 0)
  if (locations > 0) lines.push(`           ${locations} ${locations === 1 ? 'file' : 'files'} of shadow copies identical to one collected: stored once, every location listed in the manifest`)
  return lines
}
