import {readFile} from 'node:fs/promises'
import {errorMessage} from '../../errors.js'
import {decodeAnyPicture} from './decode.js'
import {readJpegStream} from './jpeg-stream.js'
import {cropLabel, cropProbes} from './pdq-crops.js'
import {lumaOf, pdqOfLuma} from './pdq.js'

/**
 * Pictures larger than this are not read whole for the perceptual hash (their record says
 * so); for a JPEG the limit is on its stream through EOI, which is all that is read of it.
 */
export const PHASH_FILE_LIMIT = 128 << 20

/** What the perceptual hash of one picture file gives: the hash and how it was made, or why there is none. */
export type PictureHash =
  | {pdq: string; quality: number; width: number; height: number; decoder: string; probes?: Array<{pdq: string; crop: string}>}
  | {pdq: null; quality: null; notHashed: string}

/**
 * The PDQ perceptual hash (pdq.ts) of the picture at `path`, of `size` bytes; with `probes`,
 * also the hashes of its probe cuts (pdq-crops.ts), each with its cut. Never throws: a
 * picture that is not decoded says why.
 */
export async function pictureHash(path: string, format: string, size: number, probes: boolean): Promise<PictureHash> {
  if (size > PHASH_FILE_LIMIT && format !== 'jpeg') return {pdq: null, quality: null, notHashed: `${size} bytes: larger than ${PHASH_FILE_LIMIT} bytes, not decoded`}
  try {
    // a JPEG is read through its EOI only: a motion photo's video, padding or a 128 MiB tail is not the picture
    const stream = format === 'jpeg' ? await readJpegStream(path, PHASH_FILE_LIMIT) : {bytes: await readFile(path)}
    if ('tooLarge' in stream) return {pdq: null, quality: null, notHashed: `its JPEG stream runs on past ${PHASH_FILE_LIMIT} bytes (a ${stream.tooLarge}-byte file), not decoded`}
    const decoded = await decodeAnyPicture(stream.bytes, format)
    if (!('picture' in decoded)) return {pdq: null, quality: null, notHashed: decoded.notDecoded}
    const {rgba, width, height, decoder} = decoded.picture
    const luma = lumaOf(rgba, width, height)
    const {hash, quality} = pdqOfLuma(luma, height, width)
    // the probe cuts, for lists that carry crop companions: each says its cut
    const cuts = probes ? cropProbes(luma, height, width).map((p) => ({pdq: p.hash, crop: cropLabel(p.crop)})) : undefined
    return {pdq: hash, quality, width, height, decoder, ...(cuts ? {probes: cuts} : {})}
  } catch (error) {
    return {pdq: null, quality: null, notHashed: `not hashed: ${errorMessage(error)}`}
  }
}
