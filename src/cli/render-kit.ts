import type {KitVerifyReport} from '../kit/verify.js'
import {formatBytes} from './render.js'

export function renderKitVerify(report: KitVerifyReport, pinned: boolean): string {
  const lines = [`trawl kit verify: ${report.kit}`, '']
  lines.push(report.valid ? 'RESULT: VALID. Every file of the kit is as it was built and signed.' : 'RESULT: INVALID. The kit was changed since it was built; do not use it on evidence.')
  lines.push('')
  if (report.version) lines.push(`Kit:             trawl ${report.version}, built ${report.builtAt}`)
  if (report.manifestSha256) lines.push(`Kit manifest:    SHA-256 ${report.manifestSha256}`)
  if (report.signer) {
    lines.push(`Signed by:       ${report.signer.subject}${report.buildKey ? '  (a build key made by npm run kit: it says nothing of who built the kit)' : ''}`)
    lines.push(`Certificate:     SHA-256 ${report.signer.sha256Fingerprint}${pinned ? ' (the given certificate)' : ' (not pinned: give --cert to check who signed)'}`)
  }
  if (report.signingTime) lines.push(`Signing time:    ${report.signingTime}`)
  lines.push(`Files:           ${report.files.hashed} of ${report.files.listed} listed files hashed (${formatBytes(report.files.bytes)}): size and SHA-256`)
  if (report.problems.length > 0) {
    lines.push('', `Problems (${report.problems.length}):`)
    for (const problem of report.problems) lines.push(`  - ${problem}`)
  }
  return lines.join('\n')
}
