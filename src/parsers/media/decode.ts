/**
 * Pixels of a picture, for the perceptual hash. JPEG through jpeg-js and PNG through
 * pngjs: both pure JavaScript, so the field kit runs them on Windows and Linux with
 * no native library and nothing to install (a native decoder such as sharp/libvips
 * would need a binary per platform in the kit). Other formats (HEIC, WebP, RAW) are
 * not decoded: their records say so instead of carrying a hash.
 *
 * Limits guard against decompression bombs: a picture of more than MAX_MEGAPIXELS is
 * not decoded, and says why.
 */
import jpeg from 'jpeg-js'
import {PNG} from 'pngjs'

/** 100 MP: above any camera's picture (a 61 MP full-frame is 9504 x 6336), below what exhausts a kit's memory. */
export const MAX_MEGAPIXELS = 100

export interface DecodedPicture {
  width: number
  height: number
  /** RGBA, 4 bytes per pixel, row by row. */
  rgba: Uint8Array
  decoder: string
}

export type DecodeResult = {picture: DecodedPicture} | {notDecoded: string}

/** Decodes a JPEG or PNG; any other format, or a picture its decoder rejects, gives the reason it was not decoded. */
export function decodePicture(bytes: Buffer, format: string): DecodeResult {
  try {
    if (format === 'jpeg') {
      const image = jpeg.decode(bytes, {useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 2048})
      return {picture: {width: image.width, height: image.height, rgba: image.data, decoder: 'jpeg-js 0.4.4'}}
    }
    if (format === 'png') {
      const width = bytes.readUInt32BE(16)
      const height = bytes.readUInt32BE(20)
      if (width * height > MAX_MEGAPIXELS * 1e6) return {notDecoded: `${width} x ${height} pixels: more than ${MAX_MEGAPIXELS} MP, not decoded`}
      // 16-bit samples scaled to 8 bits, as the reference hashers read them
      const image = PNG.sync.read(bytes, {skipRescale: false})
      return {picture: {width: image.width, height: image.height, rgba: image.data, decoder: 'pngjs 7.0.0'}}
    }
  } catch (error) {
    return {notDecoded: `the ${format.toUpperCase()} decoder rejected it: ${error instanceof Error ? error.message : String(error)}`}
  }
  return {notDecoded: `${format} pictures are not decoded for the perceptual hash (JPEG and PNG are)`}
}
