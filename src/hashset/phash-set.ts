/**
 * Lists of known pictures by PDQ perceptual hash (--phashset): one hash per line,
 * 64 hex digits, optionally followed by a label (separated by whitespace, a comma or a
 * tab), as agencies exchange them; `#` starts a comment. A picture whose PDQ hash lies
 * within the threshold (default 31 bits, PDQ's recommendation) of a listed one is
 * flagged like an exact hash-set match, with its distance. Lines that are not a hash
 * are counted and reported, never skipped unsaid; a file with no hash at all is refused.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {basename} from 'node:path'
import {createInterface} from 'node:readline'
import {FileNotFoundError, ParseError, errorMessage} from '../errors.js'
import {cropLabel, parseCropLabel, type Crop} from '../parsers/media/pdq-crops.js'
import {PdqIndex} from './pdq-index.js'

export const DEFAULT_PDQ_THRESHOLD = 31

export interface PhashMatch {
  set: string
  /** The listed hash matched. */
  hash: string
  label?: string
  distance: number
  /** The listed hash is a crop companion of the labelled picture (`phashset make --crops`): the cut. */
  crop?: Crop
  /** The collected picture matched through one of its probe cuts (pdq-crops.ts), not its own hash: the cut's label. */
  probe?: string
}

export interface PhashSet {
  readonly name: string
  readonly path: string
  readonly format: 'pdq'
  readonly size: number
  readonly sha256: string
  /** Lines that are neither a hash, a comment nor blank. */
  readonly rejectedLines: number
  readonly firstRejected?: {line: number; text: string}
  /** Entries that are crop companions ("[crop ...]" labels): collected pictures are then probed with cuts too. */
  readonly cropCompanions: number
  /** The listed hashes within `threshold` of `pdq` (hex), nearest first. */
  match(pdq: string, threshold: number): PhashMatch[]
}

const LINE = /^([0-9a-f]{64})(?:[\s,;]+(.*))?$/i

export async function loadPhashSet(path: string): Promise<PhashSet> {
  const index = new PdqIndex()
  const hashes: string[] = []
  const labels: Array<string | undefined> = []
  const crops: Array<Crop | undefined> = []
  const digest = createHash('sha256')
  let rejectedLines = 0
  let firstRejected: {line: number; text: string} | undefined
  let number = 0
  try {
    const stream = createReadStream(path)
    stream.on('data', (chunk) => digest.update(chunk))
    for await (const raw of createInterface({input: stream, crlfDelay: Infinity})) {
      number++
      const line = raw.replace(/^\uFEFF/, '').trim()
      if (line === '' || line.startsWith('#')) continue
      const m = LINE.exec(line)
      if (!m) {
        rejectedLines++
        firstRejected ??= {line: number, text: line.slice(0, 80)}
        continue
      }
      index.add(Buffer.from(m[1], 'hex'), hashes.length)
      hashes.push(m[1].toLowerCase())
      const label = m[2]?.trim() || undefined
      const cut = label ? parseCropLabel(label) : undefined
      labels.push(cut ? cut.label || undefined : label)
      crops.push(cut?.crop)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(path)
    throw new ParseError(`PDQ hash set cannot be read: ${errorMessage(error)}`, path)
  }
  if (hashes.length === 0) throw new ParseError(`no PDQ hash (64 hex digits per line) in the file${firstRejected ? `; line ${firstRejected.line} is "${firstRejected.text}"` : ''}`, path)
  index.build()
  const name = basename(path)
  return {
    name,
    path,
    format: 'pdq',
    size: hashes.length,
    sha256: digest.digest('hex'),
    rejectedLines,
    ...(firstRejected ? {firstRejected} : {}),
    cropCompanions: crops.filter(Boolean).length,
    match(pdq: string, threshold: number): PhashMatch[] {
      return index.near(Buffer.from(pdq, 'hex'), threshold).map(({id, distance}) => ({set: name, hash: hashes[id], ...(labels[id] ? {label: labels[id]} : {}), distance, ...(crops[id] ? {crop: crops[id]} : {})}))
    },
  }
}

/**
 * The nearest match per listed picture, nearest first: a picture listed with its crop
 * companions, or matched through several probe cuts, is one match, not dozens.
 */
export function nearestPerListedPicture(matches: PhashMatch[]): PhashMatch[] {
  const best = new Map<string, PhashMatch>()
  for (const m of matches) {
    const key = `${m.set}\0${m.label ?? m.hash}`
    const seen = best.get(key)
    if (!seen || m.distance < seen.distance || (m.distance === seen.distance && !m.crop && !m.probe && (seen.crop || seen.probe))) best.set(key, m)
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance)
}

/** How a match was made through cuts, for the manifest and hash-matches.jsonl: the listed cut and the collected picture's probe cut. */
export function cropFields(m: PhashMatch): {listedCrop?: string; probeCrop?: string} {
  return {...(m.crop ? {listedCrop: cropLabel(m.crop)} : {}), ...(m.probe ? {probeCrop: m.probe} : {})}
}
