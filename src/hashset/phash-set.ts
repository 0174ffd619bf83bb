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
import {PdqIndex} from './pdq-index.js'

export const DEFAULT_PDQ_THRESHOLD = 31

export interface PhashMatch {
  set: string
  /** The listed hash matched. */
  hash: string
  label?: string
  distance: number
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
  /** The listed hashes within `threshold` of `pdq` (hex), nearest first. */
  match(pdq: string, threshold: number): PhashMatch[]
}

const LINE = /^([0-9a-f]{64})(?:[\s,;]+(.*))?$/i

export async function loadPhashSet(path: string): Promise<PhashSet> {
  const index = new PdqIndex()
  const hashes: string[] = []
  const labels: Array<string | undefined> = []
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
      labels.push(m[2]?.trim() || undefined)
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
    match(pdq: string, threshold: number): PhashMatch[] {
      return index.near(Buffer.from(pdq, 'hex'), threshold).map(({id, distance}) => ({set: name, hash: hashes[id], ...(labels[id] ? {label: labels[id]} : {}), distance}))
    },
  }
}
