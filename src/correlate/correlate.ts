/**
 * trawl correlate: finds what bundles of different cases or evidence items share —
 * a phone number, an e-mail address, a chat account or group, a Wi-Fi network, a
 * camera body, a picture (exact, or re-encoded and resized, by PDQ distance) — as
 * investigators link cases (CETS-style). Every bundle is verified first; one that
 * does not verify, or whose signer is not one the examiner trusts, is refused and
 * takes no part. Every link cites the records on each side (file, table, row).
 */
import {createHash, type X509Certificate} from 'node:crypto'
import {createReadStream, mkdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {readCertificate} from '../bundle/keys.js'
import {verifyBundle, type VerifyReport} from '../bundle/verify.js'
import {OutputNotWritableError, errorMessage} from '../errors.js'
import {PdqIndex} from '../hashset/pdq-index.js'
import type {ParsedRecord} from '../parsers/types.js'
import {BundleRecords} from '../report/records.js'
import {correlationFiles} from './graph.js'
import {extractIdentifiers, type ExtractOptions, type IdentifierKind, type SkipReason} from './identifiers.js'

export interface CorrelateOptions extends ExtractOptions {
  /** Signer certificates trusted (any examiner's); a bundle must be signed by one of them or issued by a CA. */
  certs?: string[]
  /** CA certificates a bundle's signer may be issued by. */
  cas?: string[]
  /** Correlate bundles whose signer was checked against nothing (no --cert/--ca): said in the result. */
  allowUntrusted?: boolean
  /** PDQ Hamming distance up to which two pictures are one (PDQ's recommended 31). */
  pdqThreshold?: number
  /** Citations kept per bundle and identifier; the rest are counted (default 20). */
  maxCitations?: number
}

/** Where in a bundle an identifier was found: the record's artifact, type, and its own source. */
export interface Citation {
  artifact: string | null
  type: string
  /** The copy in the bundle the record was read from. */
  file: string
  /** Where that file was on the evidence, and on which volume. */
  sourcePath?: string
  volume?: string
  table?: string
  rowid?: string | number
  key?: string
  field: string
  /** The text as the record has it, when normalising changed it. */
  raw?: string
}

export interface CorrelatedBundle {
  /** B1, B2, ... in the order given. */
  id: string
  path: string
  sha256: string
  case: {id: string; examiner: string; evidenceItem?: string}
  signer: {subject: string; sha256: string}
  trusted: boolean
  records: number
  /** Distinct identifiers found, per kind. */
  identifiers: Partial<Record<IdentifierKind, number>>
  /** Values that looked like identifiers and were not made ones, per reason. */
  skipped: Partial<Record<SkipReason, number>>
}

export interface LinkSide {
  bundle: string
  /** How many times the bundle's records name the identifier. */
  occurrences: number
  /** The first `maxCitations` of them. */
  citations: Citation[]
  /** For picture-pdq: this bundle's hashes in the group. */
  hashes?: string[]
}

export interface Link {
  kind: IdentifierKind
  /** The shared identifier ('+15557654321'); for picture-pdq, the group's first hash. */
  value: string
  /** For picture-pdq: the greatest distance between two matched hashes of the group. */
  distance?: number
  sides: LinkSide[]
}

export interface RefusedBundle {
  path: string
  reason: string
  problems: string[]
}

export interface CorrelationResult {
  bundles: CorrelatedBundle[]
  refused: RefusedBundle[]
  links: Link[]
  options: {countryCode: string | null; domains: boolean; pdqThreshold: number; trustAnchors: number; allowUntrusted: boolean}
}

const KIND_ORDER: IdentifierKind[] = ['phone', 'email', 'chat-account', 'camera-serial', 'picture-sha256', 'picture-pdq', 'wifi-network', 'domain']

interface Occurrences {
  occurrences: number
  citations: Citation[]
}

/** The verification of one bundle against the trust anchors given: the matching --cert, else each --ca, else none. */
async function verifyTrusted(path: string, options: CorrelateOptions, certs: X509Certificate[]): Promise<VerifyReport> {
  let signerSha256: string | undefined
  try {
    const opened = await BundleRecords.open(path)
    signerSha256 = opened.manifest.signer?.certificateSha256
    opened.close()
  } catch {
    // verifyBundle says what is wrong with it
  }
  const pinned = certs.find((c) => c.fingerprint256 === signerSha256)
  if (pinned) return verifyBundle(path, {cert: pinned})
  let last: VerifyReport | undefined
  for (const ca of options.cas ?? []) {
    last = await verifyBundle(path, {ca})
    if (last.trusted) return last
  }
  return last ?? verifyBundle(path)
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function citationOf(record: ParsedRecord, field: string, raw: string | undefined): Citation {
  const source = record.source ?? {file: ''}
  return {
    artifact: typeof record.artifact === 'string' ? record.artifact : null,
    type: record.type,
    file: source.file,
    ...(source.sourcePath !== undefined ? {sourcePath: source.sourcePath} : {}),
    ...(source.volume !== undefined ? {volume: source.volume} : {}),
    ...(source.table !== undefined ? {table: source.table} : {}),
    ...(source.rowid !== undefined ? {rowid: source.rowid} : {}),
    ...(source.key !== undefined ? {key: source.key} : {}),
    field,
    ...(raw !== undefined ? {raw} : {}),
  }
}

/** Verifies every bundle, reads the identifiers of those that pass, and links what bundles of different items share. */
export async function correlate(paths: string[], options: CorrelateOptions = {}): Promise<CorrelationResult> {
  const maxCitations = options.maxCitations ?? 20
  const pdqThreshold = options.pdqThreshold ?? 31
  const certs = (options.certs ?? []).map((c) => readCertificate(c))
  const anchors = certs.length + (options.cas ?? []).length
  const bundles: CorrelatedBundle[] = []
  const refused: RefusedBundle[] = []
  /** kind\0value -> bundle id -> occurrences. */
  const index = new Map<string, Map<string, Occurrences>>()
  /** The item each bundle is of: bundles of one item never link to each other. */
  const itemOf = new Map<string, string>()

  for (const given of paths) {
    const path = resolve(given)
    let report: VerifyReport
    try {
      report = await verifyTrusted(path, options, certs)
    } catch (error) {
      refused.push({path, reason: 'cannot be read as a bundle', problems: [errorMessage(error)]})
      continue
    }
    if (!report.valid) {
      refused.push({path, reason: 'does not verify', problems: report.problems})
      continue
    }
    if (!report.trusted && !options.allowUntrusted) {
      refused.push({
        path,
        reason: anchors > 0 ? 'signed by a certificate that is none of those given with --cert, nor issued by a --ca' : 'signer not checked: give the examiners\' certificates with --cert (or --ca), or --allow-untrusted',
        problems: [`signer SHA-256 ${report.signer?.sha256Fingerprint ?? '-'}`],
      })
      continue
    }
    const id = `B${bundles.length + 1}`
    const opened = await BundleRecords.open(path)
    const manifest = opened.manifest
    const bundle: CorrelatedBundle = {
      id,
      path,
      sha256: await sha256Of(path),
      case: {id: manifest.case.id, examiner: manifest.case.examiner, ...(manifest.case.evidenceItem ? {evidenceItem: manifest.case.evidenceItem} : {})},
      signer: {subject: report.signer?.subject ?? manifest.signer.subject, sha256: report.signer?.sha256Fingerprint ?? manifest.signer.certificateSha256},
      trusted: report.trusted,
      records: 0,
      identifiers: {},
      skipped: {},
    }
    // a bundle without an evidence item is an item of its own
    itemOf.set(id, manifest.case.evidenceItem ? `${manifest.case.id}\0${manifest.case.evidenceItem}` : `bundle\0${bundle.sha256}`)
    const distinct = new Set<string>()
    try {
      for await (const record of opened.records()) {
        bundle.records++
        const found = extractIdentifiers(record, options)
        for (const skip of found.skipped) bundle.skipped[skip.reason] = (bundle.skipped[skip.reason] ?? 0) + 1
        for (const identifier of found.identifiers) {
          const key = `${identifier.kind}\0${identifier.value}`
          if (!distinct.has(key)) {
            distinct.add(key)
            bundle.identifiers[identifier.kind] = (bundle.identifiers[identifier.kind] ?? 0) + 1
          }
          let sides = index.get(key)
          if (!sides) index.set(key, (sides = new Map()))
          let side = sides.get(id)
          if (!side) sides.set(id, (side = {occurrences: 0, citations: []}))
          side.occurrences++
          if (side.citations.length < maxCitations) side.citations.push(citationOf(record, identifier.field, identifier.raw))
        }
      }
    } finally {
      opened.close()
    }
    bundles.push(bundle)
  }

  const links: Link[] = []
  for (const [key, sides] of index) {
    const [kind, value] = key.split('\0') as [IdentifierKind, string]
    if (kind === 'picture-pdq') continue
    if (new Set([...sides.keys()].map((b) => itemOf.get(b))).size < 2) continue
    links.push({kind, value, sides: [...sides].map(([bundle, o]) => ({bundle, occurrences: o.occurrences, citations: o.citations}))})
  }
  links.push(...pdqLinks(index, itemOf, pdqThreshold))
  links.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || b.sides.length - a.sides.length || a.value.localeCompare(b.value))
  return {bundles, refused, links, options: {countryCode: options.countryCode ?? null, domains: options.domains === true, pdqThreshold, trustAnchors: anchors, allowUntrusted: options.allowUntrusted === true}}
}

/**
 * Pictures whose PDQ hashes lie within the threshold, across items: every hash is
 * matched against all others through a multi-index hash, matched pairs are joined
 * into groups, and each group that spans two items or more is one link.
 */
function pdqLinks(index: Map<string, Map<string, Occurrences>>, itemOf: Map<string, string>, threshold: number): Link[] {
  const entries: Array<{hash: string; bundle: string; occurrences: Occurrences}> = []
  for (const [key, sides] of index) {
    const [kind, value] = key.split('\0')
    if (kind !== 'picture-pdq') continue
    for (const [bundle, occurrences] of sides) entries.push({hash: value, bundle, occurrences})
  }
  if (entries.length < 2) return []
  const pdq = new PdqIndex()
  entries.forEach((e, i) => pdq.add(Buffer.from(e.hash, 'hex'), i))
  pdq.build()
  const parent = entries.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]]
    return i
  }
  const widest = new Map<number, number>()
  const pairs: Array<[number, number, number]> = []
  for (let i = 0; i < entries.length; i++) {
    for (const {id: j, distance} of pdq.near(Buffer.from(entries[i].hash, 'hex'), threshold)) {
      if (j <= i) continue
      pairs.push([i, j, distance])
      parent[find(i)] = find(j)
    }
  }
  for (const [i, , distance] of pairs) widest.set(find(i), Math.max(widest.get(find(i)) ?? 0, distance))
  const groups = new Map<number, number[]>()
  entries.forEach((_, i) => {
    const root = find(i)
    groups.set(root, [...(groups.get(root) ?? []), i])
  })
  const links: Link[] = []
  for (const [root, members] of groups) {
    if (new Set(members.map((m) => itemOf.get(entries[m].bundle))).size < 2) continue
    const byBundle = new Map<string, LinkSide>()
    for (const m of members) {
      const e = entries[m]
      let side = byBundle.get(e.bundle)
      if (!side) byBundle.set(e.bundle, (side = {bundle: e.bundle, occurrences: 0, citations: [], hashes: []}))
      side.occurrences += e.occurrences.occurrences
      side.citations.push(...e.occurrences.citations)
      side.hashes!.push(e.hash)
    }
    const hashes = members.map((m) => entries[m].hash).sort()
    links.push({kind: 'picture-pdq', value: hashes[0], distance: widest.get(root) ?? 0, sides: [...byBundle.values()]})
  }
  return links
}

/** Writes correlation.json, correlation.graphml and correlation.graph.json into `dir` (created), never over existing files. */
export function writeCorrelation(result: CorrelationResult, dir: string): string[] {
  const out = resolve(dir)
  try {
    mkdirSync(out, {recursive: true})
  } catch (error) {
    throw new OutputNotWritableError(out, errorMessage(error))
  }
  const written: string[] = []
  for (const file of correlationFiles(result)) {
    const path = join(out, file.name)
    try {
      // 'wx': an earlier correlation in the same folder is kept, not overwritten
      writeFileSync(path, file.text, {flag: 'wx'})
    } catch (error) {
      throw new OutputNotWritableError(path, (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists (trawl never overwrites)' : errorMessage(error))
    }
    written.push(path)
  }
  return written
}
