/**
 * Lists of known pictures by PDQ hash, made from the pictures themselves (`trawl phashset
 * make`), in the format --phashset reads (phash-set.ts) and other PDQ tools exchange: a
 * hash, a space, a label (the picture's path under the folder given). With `crops`, each
 * picture also gets its 35 crop companions (src/parsers/media/pdq-crops.ts), labelled
 * "<path> [crop l..% r..% t..% b..%]", so that a copy of it cut by up to 5% is found.
 *
 * Nothing given is left out unsaid: a file that is no JPEG, PNG, WebP or HEIC, or that does not decode,
 * and a picture too flat for PDQ to vouch for (quality under 50), get a `#` line saying
 * why, and are counted.
 */
import {lstatSync, readFileSync, readdirSync, type Stats} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {FileNotFoundError, errorMessage} from '../errors.js'
import {DECODED_FORMATS, decodeAnyPicture} from '../parsers/media/decode.js'
import {sniffPicture} from '../parsers/media/sniff.js'
import {cropCompanions, cropLabel} from '../parsers/media/pdq-crops.js'
import {lumaOf, pdqOfLuma} from '../parsers/media/pdq.js'

/** PDQ's own advice: a hash of quality under 50 (a flat or tiny picture) is not to be trusted for matching. */
export const MIN_LIST_QUALITY = 50

export interface PhashListCounts {
  pictures: number
  hashes: number
  lowQuality: number
  notHashed: number
}

/** A label safe in a one-line format: control characters written as \xNN. */
function labelOf(path: string): string {
  return path.split(sep).join('/').replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** Every regular file at or under each path, in name order; a symbolic link or device is named with its kind, not followed. */
function* filesOf(paths: string[]): Generator<{path: string; label: string; skipped?: string}> {
  for (const root of paths) {
    let stats: Stats
    try {
      stats = lstatSync(root)
    } catch {
      throw new FileNotFoundError(root)
    }
    if (!stats.isDirectory()) {
      yield {path: root, label: labelOf(root), ...(stats.isFile() ? {} : {skipped: 'not a regular file'})}
      continue
    }
    const walk = function* (dir: string): Generator<{path: string; label: string; skipped?: string}> {
      for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const path = join(dir, entry.name)
        const label = labelOf(relative(root, path))
        if (entry.isDirectory()) yield* walk(path)
        else if (entry.isFile()) yield {path, label}
        else yield {path, label, skipped: entry.isSymbolicLink() ? 'a symbolic link, not followed' : 'not a regular file'}
      }
    }
    yield* walk(root)
  }
}

/** The picture format by signature, where trawl decodes it (JPEG, PNG, WebP, HEIC/HEIF). */
function formatOf(bytes: Buffer): string | undefined {
  const format = sniffPicture(bytes.subarray(0, 4096))
  return format && DECODED_FORMATS.has(format) ? format : undefined
}

/**
 * Writes the list, a line at a time, through `write`: a header of `#` lines, then for each
 * picture its hash (and its companions with `crops`).
 */
export async function makePhashList(paths: string[], options: {crops: boolean; write: (line: string) => void; tool: string}): Promise<PhashListCounts> {
  const {write} = options
  const counts: PhashListCounts = {pictures: 0, hashes: 0, lowQuality: 0, notHashed: 0}
  write(`# PDQ hashes (64 hex digits, then the picture's path) made by ${options.tool} on ${new Date().toISOString()}`)
  if (options.crops) write('# with crop companions: each picture also hashed cut by 0, 2.5 or 5% at each edge (at most 5% per axis), labelled [crop l r t b]')
  for (const file of filesOf(paths)) {
    const skip = (why: string) => {
      counts.notHashed++
      write(`# not hashed: ${file.label}: ${why}`)
    }
    if (file.skipped) {
      skip(file.skipped)
      continue
    }
    let bytes: Buffer
    try {
      bytes = readFileSync(file.path)
    } catch (error) {
      skip(`cannot be read: ${errorMessage(error)}`)
      continue
    }
    const format = formatOf(bytes)
    if (!format) {
      skip('not a JPEG, PNG, WebP or HEIC picture')
      continue
    }
    const decoded = await decodeAnyPicture(bytes, format)
    if (!('picture' in decoded)) {
      skip(decoded.notDecoded)
      continue
    }
    const {rgba, width, height} = decoded.picture
    const luma = lumaOf(rgba, width, height)
    const {hash, quality} = pdqOfLuma(luma, height, width)
    counts.pictures++
    if (quality < MIN_LIST_QUALITY) {
      counts.lowQuality++
      write(`# quality ${quality} (under ${MIN_LIST_QUALITY}: too flat for PDQ to vouch for), not listed: ${hash} ${file.label}`)
      continue
    }
    write(`${hash} ${file.label}`)
    counts.hashes++
    if (!options.crops) continue
    for (const companion of cropCompanions(luma, height, width)) {
      write(`${companion.hash} ${file.label} [${cropLabel(companion.crop)}]`)
      counts.hashes++
    }
  }
  return counts
}
