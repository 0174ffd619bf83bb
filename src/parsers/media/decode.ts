/**
 * Pixels of a picture, for the perceptual hash. JPEG through jpeg-js and PNG through
 * pngjs: both pure JavaScript. WebP through @jsquash/webp (Google's libwebp compiled to
 * WebAssembly) and HEIC/HEIF through libheif-js (libheif with libde265, compiled to
 * WebAssembly): the reference decoders of those formats, and WebAssembly runs in the
 * field kit's Node on Windows and Linux alike, with no native library and nothing to
 * install (a native decoder such as sharp/libvips would need a binary per platform in
 * the kit). Both are loaded on the first picture that needs them. AVIF (no AV1 decoder
 * in that build), TIFF and camera RAW are not decoded: their records say so instead of
 * carrying a hash.
 *
 * Limits guard against decompression bombs: a picture of more than MAX_MEGAPIXELS is
 * not decoded, and says why.
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import jpeg from 'jpeg-js'
import {PNG} from 'pngjs'
import {webpSize} from './pixel-size.js'

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

const require = createRequire(import.meta.url)

/** What trawl uses of libheif-js (its embind API: HeifDecoder, and the image decode it wraps). */
interface HeifImageHandle {
  handle: unknown
  get_width(): number
  get_height(): number
  is_primary(): boolean
  free(): void
}
interface HeifModule {
  HeifDecoder: new () => {decode(bytes: Uint8Array): HeifImageHandle[]}
  heif_js_decode_image2(handle: unknown, colorspace: unknown, chroma: unknown): Promise<{code?: unknown; image?: unknown; channels?: Array<{id: unknown; width: number; height: number; stride: number; data: Uint8Array}>}>
  heif_image_release(image: unknown): void
  heif_colorspace: {heif_colorspace_RGB: unknown}
  heif_chroma: {heif_chroma_interleaved_RGBA: unknown}
  heif_channel: {heif_channel_interleaved: unknown}
  heif_get_version(): string
}

let webpDecoder: Promise<(bytes: ArrayBuffer) => Promise<{width: number; height: number; data: Uint8ClampedArray}>> | undefined
let heif: HeifModule | undefined

function loadWebp(): Promise<(bytes: ArrayBuffer) => Promise<{width: number; height: number; data: Uint8ClampedArray}>> {
  webpDecoder ??= (async () => {
    const {default: decode, init} = await import('@jsquash/webp/decode.js')
    // the .wasm beside the module, compiled from the file (Node has no fetch of file: URLs)
    await init(await WebAssembly.compile(readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'))))
    return decode as (bytes: ArrayBuffer) => Promise<{width: number; height: number; data: Uint8ClampedArray}>
  })()
  return webpDecoder
}

/** libheif writes its refusals with console.log: kept off trawl's standard output (the reason is returned instead). */
function quietly<T>(run: () => T): T {
  const log = console.log
  console.log = () => undefined
  try {
    return run()
  } finally {
    console.log = log
  }
}

async function decodeWebp(bytes: Buffer): Promise<DecodeResult> {
  const size = webpSize(bytes.subarray(0, 64))
  if (!size) return {notDecoded: 'the WebP header gives no picture size: not decoded'}
  if (size.width * size.height > MAX_MEGAPIXELS * 1e6) return {notDecoded: `${size.width} x ${size.height} pixels: more than ${MAX_MEGAPIXELS} MP, not decoded`}
  // VP8X flags: animation (bit 1); libwebp's still-picture decoder refuses animations
  if (bytes.toString('latin1', 12, 16) === 'VP8X' && (bytes[20] & 0x02) !== 0) return {notDecoded: 'an animated WebP: not decoded (only still pictures are hashed)'}
  const decode = await loadWebp()
  const image = await decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer)
  return {picture: {width: image.width, height: image.height, rgba: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length), decoder: 'libwebp (@jsquash/webp 1.5.0)'}}
}

async function decodeHeif(bytes: Buffer, format: string): Promise<DecodeResult> {
  heif ??= require('libheif-js/wasm-bundle') as HeifModule
  const lib = heif
  const images = quietly(() => new lib.HeifDecoder().decode(bytes))
  try {
    const image = images.find((i) => i.is_primary()) ?? images[0]
    if (!image) return {notDecoded: `libheif found no picture in this ${format.toUpperCase()} file`}
    const width = image.get_width()
    const height = image.get_height()
    if (width * height > MAX_MEGAPIXELS * 1e6) return {notDecoded: `${width} x ${height} pixels: more than ${MAX_MEGAPIXELS} MP, not decoded`}
    const decoded = await quietly(() => lib.heif_js_decode_image2(image.handle, lib.heif_colorspace.heif_colorspace_RGB, lib.heif_chroma.heif_chroma_interleaved_RGBA))
    if (decoded.code || !decoded.image || !decoded.channels) {
      return {notDecoded: format === 'avif' ? 'AVIF: the libheif build trawl carries has no AV1 decoder, not decoded' : `libheif could not decode the ${format.toUpperCase()} picture`}
    }
    try {
      const plane = decoded.channels.find((c) => c.id === lib.heif_channel.heif_channel_interleaved)
      if (!plane) return {notDecoded: 'libheif gave no interleaved RGBA plane'}
      const rgba = new Uint8Array(plane.width * plane.height * 4)
      if (plane.stride === plane.width * 4) rgba.set(plane.data.subarray(0, rgba.length))
      else for (let y = 0; y < plane.height; y++) rgba.set(plane.data.subarray(y * plane.stride, y * plane.stride + plane.width * 4), y * plane.width * 4)
      return {picture: {width: plane.width, height: plane.height, rgba, decoder: `libheif ${lib.heif_get_version()} (libheif-js)`}}
    } finally {
      lib.heif_image_release(decoded.image)
    }
  } finally {
    for (const i of images) i.free()
  }
}

/** The formats decodeAnyPicture reads. */
export const DECODED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'heic', 'heif'])

/**
 * Decodes a JPEG, PNG, WebP or HEIC/HEIF picture; any other format, or a picture its
 * decoder rejects, gives the reason it was not decoded.
 */
export async function decodeAnyPicture(bytes: Buffer, format: string): Promise<DecodeResult> {
  if (format === 'jpeg' || format === 'png') return decodePicture(bytes, format)
  try {
    if (format === 'webp') return await decodeWebp(bytes)
    if (format === 'heic' || format === 'heif' || format === 'avif') return await decodeHeif(bytes, format)
  } catch (error) {
    return {notDecoded: `the ${format.toUpperCase()} decoder rejected it: ${error instanceof Error ? error.message : String(error)}`}
  }
  return {notDecoded: `${format} pictures are not decoded for the perceptual hash (JPEG, PNG, WebP and HEIC are)`}
}
