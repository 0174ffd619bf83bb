import type {Citation, CorrelationResult} from '../correlate/correlate.js'

const KIND_LABEL: Record<string, string> = {
  phone: 'phone number',
  email: 'e-mail address',
  'chat-account': 'chat account',
  'camera-serial': 'camera body',
  'picture-sha256': 'picture (identical)',
  'picture-pdq': 'picture (perceptual)',
  'wifi-network': 'Wi-Fi network',
  domain: 'domain',
}

function cite(c: Citation): string {
  const where = [c.table ? `table ${c.table}` : '', c.rowid !== undefined ? `row ${c.rowid}` : '', c.key ? `key ${c.key}` : ''].filter(Boolean).join(' ')
  return `${c.type} ${c.sourcePath ?? c.file}${where ? ` ${where}` : ''} (${c.field}${c.raw !== undefined ? `: ${c.raw}` : ''})`
}

export function renderCorrelation(result: CorrelationResult): string {
  const lines = [`trawl correlate: ${result.bundles.length} bundle${result.bundles.length === 1 ? '' : 's'} verified and read, ${result.refused.length} refused; ${result.links.length} shared identifier${result.links.length === 1 ? '' : 's'}`, '']
  lines.push('Bundles:')
  for (const b of result.bundles) {
    lines.push(`  ${b.id}  case ${b.case.id}${b.case.evidenceItem ? `, item ${b.case.evidenceItem}` : ''}, examiner ${b.case.examiner}; ${b.records} records; ${b.trusted ? 'signer trusted' : 'signer NOT checked'} (SHA-256 ${b.signer.sha256})`)
    lines.push(`      ${b.path}`)
  }
  if (result.refused.length > 0) {
    lines.push('', 'Refused (not correlated):')
    for (const r of result.refused) {
      lines.push(`  - ${r.path}: ${r.reason}`)
      for (const p of r.problems.slice(0, 5)) lines.push(`      ${p}`)
      if (r.problems.length > 5) lines.push(`      and ${r.problems.length - 5} more`)
    }
  }
  lines.push('', result.links.length > 0 ? 'Shared identifiers:' : 'Shared identifiers: none')
  for (const link of result.links) {
    const label = KIND_LABEL[link.kind] ?? link.kind
    lines.push(`  ${label} ${link.value}${link.distance !== undefined ? ` (PDQ distance up to ${link.distance} of ${result.options.pdqThreshold})` : ''}: ${link.sides.map((s) => `${s.bundle} (${s.occurrences})`).join(', ')}`)
    for (const side of link.sides) {
      for (const c of side.citations.slice(0, 3)) lines.push(`      ${side.bundle}: ${cite(c)}`)
      if (side.occurrences > 3) lines.push(`      ${side.bundle}: and ${side.occurrences - Math.min(3, side.citations.length)} more`)
    }
  }
  const skipped = new Map<string, number>()
  for (const b of result.bundles) for (const [reason, n] of Object.entries(b.skipped)) skipped.set(reason, (skipped.get(reason) ?? 0) + (n ?? 0))
  if (skipped.size > 0) {
    lines.push('', 'Not made identifiers (so never linked):')
    for (const [reason, n] of skipped) lines.push(`  ${n} ${reason}`)
  }
  return lines.join('\n')
}
