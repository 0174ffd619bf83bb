/**
 * Picture EXIF with exifr: camera identity, times with their UTC offset, GPS fix,
 * size, orientation and the embedded thumbnail's hash. For JPEG, PNG, TIFF and
 * TIFF-based RAW exifr is given the path of the scratch copy, so it reads only the
 * chunks that hold metadata, never the whole picture. For HEIF/AVIF, WebP and RAF
 * trawl locates the EXIF bytes itself (heif.ts, webp.ts, raf.ts) and gives exifr
 * only those; Canon CR3 likewise (cr3.ts). The file's SHA-256 is computed alongside, unless the engine gives it.
 */
import {createHash} from 'node:crypto'
import {open, readFile, stat} from 'node:fs/promises'
import exifr from 'exifr'
import {errorMessage, ParseError} from '../../errors.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {exifTime, gpsTimeUtc, signedAltitude, signedCoordinate, tagNumber, tagText, type ExifTime} from './exif-values.js'
import {readCr3Metadata} from './cr3.js'
import {findHeifMeta, readHeifExifItem} from './heif.js'
import {makerNoteSerial} from './makernote.js'
import {photoMapOutputs} from './photo-map.js'
import {hashPicture} from './picture-pool.js'
import {pixelSize, type PixelSize} from './pixel-size.js'
import {findRafPreview} from './raf.js'
import {EMBEDDED_EXIF_FORMATS, EXIFR_FILE_FORMATS, sniffPicture, type PictureFormat} from './sniff.js'
import {findWebpExif, type ByteRange} from './webp.js'

// exifr ships as UMD: Node's ESM loader sees only its default export, whose typing misnames the class.
const {Exifr} = exifr as unknown as {Exifr: typeof import('exifr').Exifr}

/** A GPS fix from the GPS IFD, with references applied (south, west and below sea level are negative). */
export interface GpsFix {
  latitude: number
  longitude: number
  /** Metres above (negative: below) sea level. */
  altitude: number | null
  /** GPSDateStamp + GPSTimeStamp, UTC by definition; null when either is missing. */
  time: string | null
  /** Direction the camera pointed, degrees (GPSImgDirection). */
  direction: number | null
  /** 'T' true north or 'M' magnetic north (GPSImgDirectionRef). */
  directionRef: string | null
}

export interface ExifThumbnail {
  present: boolean
  length: number | null
  sha256: string | null
}

export interface ExifRecord extends ParsedRecord {
  type: 'media.exif'
  file: string
  sha256: string
  size: number
  format: PictureFormat
  /** False when the picture carries no EXIF (or trawl does not read EXIF from this format). */
  exif: boolean
  make: string | null
  model: string | null
  software: string | null
  lensMake: string | null
  lensModel: string | null
  /** EXIF BodySerialNumber (0xA431). */
  bodySerial: string | null
  /** Serial number from the maker's own MakerNote (Nikon, Olympus/OM System) and where it was read. */
  makerNoteSerial: string | null
  makerNoteSerialSource: string | null
  lensSerial: string | null
  /** DateTimeOriginal + SubSecTimeOriginal + OffsetTimeOriginal: when the picture was taken. */
  dateTimeOriginal: ExifTime | null
  /** CreateDate (DateTimeDigitized) + SubSecTimeDigitized + OffsetTimeDigitized. */
  dateTimeDigitized: ExifTime | null
  /** ModifyDate (IFD0 DateTime) + SubSecTime + OffsetTime: last change by the camera or software. */
  dateTimeModified: ExifTime | null
  /** GPS fix, or null when the picture has no usable latitude and longitude. */
  gps: GpsFix | null
  /** PixelXDimension/PixelYDimension, else IFD0 ImageWidth/ImageLength (TIFF and RAW). */
  imageWidth: number | null
  imageHeight: number | null
  /**
   * The size the image data itself declares (JPEG SOF, PNG IHDR, WebP header, HEIF
   * primary item 'ispe', TIFF IFD0); null for camera RAW. May differ from the EXIF size after an edit.
   */
  pixelWidth: number | null
  pixelHeight: number | null
  /** EXIF Orientation 1-8. */
  orientation: number | null
  thumbnail: ExifThumbnail
  /** Problems met while reading (bad offsets, values of the wrong type). */
  warnings: string[]
  /** Why no EXIF was read from a container (e.g. 'no EXIF chunk'), when that is the case. */
  notes?: string[]
}

// TIFF/EXIF tag numbers (EXIF 2.32, CIPA DC-008-2019, tables 4-14).
const TAG = {
  Make: 0x010f,
  Model: 0x0110,
  Orientation: 0x0112,
  Software: 0x0131,
  ImageWidth: 0x0100,
  ImageLength: 0x0101,
  ModifyDate: 0x0132,
  ThumbnailOffset: 0x0201,
  ThumbnailLength: 0x0202,
  DateTimeOriginal: 0x9003,
  CreateDate: 0x9004,
  OffsetTime: 0x9010,
  OffsetTimeOriginal: 0x9011,
  OffsetTimeDigitized: 0x9012,
  SubSecTime: 0x9290,
  SubSecTimeOriginal: 0x9291,
  SubSecTimeDigitized: 0x9292,
  PixelXDimension: 0xa002,
  PixelYDimension: 0xa003,
  MakerNote: 0x927c,
  BodySerialNumber: 0xa431,
  LensMake: 0xa433,
  LensModel: 0xa434,
  LensSerialNumber: 0xa435,
  ExifIFDPointer: 0x8769,
  GPSInfoIFDPointer: 0x8825,
  GPSLatitudeRef: 0x0001,
  GPSLatitude: 0x0002,
  GPSLongitudeRef: 0x0003,
  GPSLongitude: 0x0004,
  GPSAltitudeRef: 0x0005,
  GPSAltitude: 0x0006,
  GPSTimeStamp: 0x0007,
  GPSImgDirectionRef: 0x0010,
  GPSImgDirection: 0x0011,
  GPSDateStamp: 0x001d,
} as const

/**
 * exifr options: only the TIFF blocks we report (IFD0, EXIF, GPS, IFD1), raw
 * numeric tag keys and untranslated values, read in chunks from the file.
 */
const EXIFR_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: true,
  interop: false,
  // The MakerNote bytes are kept for the serial numbers some makers store only there.
  makerNote: true,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  translateKeys: false,
  translateValues: false,
  reviveValues: false,
  // Keep the sub-IFD pointer tags: checkStructure needs them to tell a missing IFD from a damaged one.
  sanitize: false,
  mergeOutput: false,
  silentErrors: true,
  chunked: true,
  // The EXIF APP1 segment of a JPEG is at most 64 KiB and sits at the start.
  firstChunkSize: 65_536,
  chunkSize: 65_536,
  chunkLimit: 8,
}

/** How long one picture may take before it is reported as unreadable (a hostile file must not stall a run). */
export const EXIF_TIME_LIMIT_MS = 15_000

type TagMap = Record<number, unknown>

interface ExifrOutput {
  ifd0?: TagMap
  exif?: TagMap
  gps?: TagMap
  ifd1?: TagMap
  errors?: unknown[]
}

/** Idle 1 MiB read buffers: hashing reuses them instead of allocating a chunk per read. */
const idleHashBuffers: Buffer[] = []

/** SHA-256 of a file, read 1 MiB at a time (a file handle and reused buffers cost less CPU than a stream). */
export async function sha256File(path: string): Promise<{sha256: string; size: number}> {
  const hash = createHash('sha256')
  const buffer = idleHashBuffers.pop() ?? Buffer.allocUnsafe(1 << 20)
  const handle = await open(path, 'r')
  let size = 0
  try {
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, size)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
    }
  } finally {
    await handle.close()
    if (idleHashBuffers.length < 8) idleHashBuffers.push(buffer)
  }
  return {sha256: hash.digest('hex'), size}
}

/**
 * The engine hashes every copy as it makes it; when it hands that hash to the parser
 * (an optional `sha256` beside the ParserInput fields) the picture is not read twice.
 */
function knownHash(input: ParserInput): Promise<{sha256: string; size: number}> | undefined {
  const known = (input as ParserInput & {sha256?: unknown}).sha256
  if (typeof known !== 'string' || !/^[0-9a-f]{64}$/.test(known)) return undefined
  return stat(input.copyPath).then((info) => ({sha256: known, size: info.size}))
}

/** The first bytes (for the signature) and the size the image data declares, reading headers only. */
async function readHeadAndSize(path: string): Promise<{head: Buffer; format: PictureFormat | undefined; size: PixelSize | undefined}> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(4096)
    const {bytesRead} = await handle.read(buffer, 0, 4096, 0)
    const head = buffer.subarray(0, bytesRead)
    const format = sniffPicture(head)
    const {size: fileSize} = await handle.stat()
    return {head, format, size: format ? await pixelSize(handle, format, head, fileSize) : undefined}
  } finally {
    await handle.close()
  }
}

function text(map: TagMap | undefined, tag: number): string | null {
  const value = tagText(map?.[tag])
  return value === null || value === '' ? null : value
}

function gpsFix(gps: TagMap | undefined, warnings: string[]): GpsFix | null {
  if (!gps) return null
  const latitude = signedCoordinate(gps[TAG.GPSLatitude], gps[TAG.GPSLatitudeRef], 'S')
  const longitude = signedCoordinate(gps[TAG.GPSLongitude], gps[TAG.GPSLongitudeRef], 'W')
  if (latitude === null || longitude === null) {
    if (gps[TAG.GPSLatitude] !== undefined || gps[TAG.GPSLongitude] !== undefined) warnings.push('GPS latitude/longitude present but unreadable')
    return null
  }
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    warnings.push(`GPS position out of range: latitude ${latitude}, longitude ${longitude}`)
    return null
  }
  return {
    latitude,
    longitude,
    altitude: signedAltitude(gps[TAG.GPSAltitude], gps[TAG.GPSAltitudeRef]),
    time: gpsTimeUtc(gps[TAG.GPSDateStamp], gps[TAG.GPSTimeStamp]),
    direction: tagNumber(gps[TAG.GPSImgDirection]),
    directionRef: text(gps, TAG.GPSImgDirectionRef),
  }
}

export class ExifTimeLimitError extends Error {}

/** Runs `work`, rejecting after `ms`; `onTimeout` releases what the work holds open. */
export async function withTimeLimit<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout()
      reject(new ExifTimeLimitError(`EXIF reading did not finish within ${ms / 1000} s`))
    }, ms)
  })
  try {
    return await Promise.race([work, limit])
  } finally {
    clearTimeout(timer)
  }
}

interface ExifReading {
  output: ExifrOutput | undefined
  thumbnail: Uint8Array | undefined
  thumbnailError: string | undefined
  /** Damage found around the EXIF (in its container), reported as warnings. */
  problems: string[]
}

async function readExif(input: string | Buffer): Promise<ExifReading> {
  const exr = new Exifr(EXIFR_OPTIONS as ConstructorParameters<typeof Exifr>[0])
  const closeFile = () => {
    const file = (exr as unknown as {file?: {close?: () => unknown}}).file
    void Promise.resolve(file?.close?.()).catch(() => undefined)
  }
  const work = (async (): Promise<ExifReading> => {
    try {
      await exr.read(input)
      const output = (await exr.parse()) as ExifrOutput | undefined
      let thumbnail: Uint8Array | undefined
      let thumbnailError: string | undefined
      const length = tagNumber(output?.ifd1?.[TAG.ThumbnailLength])
      if (output?.ifd1?.[TAG.ThumbnailOffset] !== undefined && length) {
        try {
          thumbnail = await exr.extractThumbnail()
        } catch (error) {
          thumbnailError = errorMessage(error)
        }
      }
      return {output, thumbnail, thumbnailError, problems: []}
    } finally {
      closeFile()
    }
  })()
  return withTimeLimit(work, EXIF_TIME_LIMIT_MS, closeFile)
}

/**
 * EXIF embedded in a container exifr does not read (WebP chunk, RAF preview JPEG):
 * only that byte range is read, capped, and given to exifr as a buffer.
 */
const EMBEDDED_EXIF_CAP = 1 << 20

/** Why a container gave no EXIF: `damaged` when its structure is broken rather than simply without EXIF. */
interface NoExif {
  note: string
  damaged: boolean
}

async function readEmbeddedExif(path: string, format: PictureFormat): Promise<ExifReading | NoExif> {
  const handle = await open(path, 'r')
  let bytes: Buffer
  let problem: string | undefined
  try {
    const {size} = await handle.stat()
    let range: ByteRange | undefined
    if (format === 'webp') {
      const found = await findWebpExif(handle, size)
      range = found.range
      problem = found.problem
      if (!range) return problem ? {note: problem, damaged: true} : {note: 'no EXIF chunk in the WebP file', damaged: false}
    } else {
      range = await findRafPreview(handle, size)
      if (!range) return {note: 'RAF header names no preview JPEG inside the file', damaged: true}
    }
    // A RAF preview JPEG starts with its EXIF APP1 segment (at most 64 KiB): the head suffices.
    const length = Math.min(range.length, EMBEDDED_EXIF_CAP)
    bytes = Buffer.alloc(length)
    const {bytesRead} = await handle.read(bytes, 0, length, range.offset)
    bytes = bytes.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  // Some WebP writers keep the JPEG APP1 'Exif\0\0' prefix before the TIFF header.
  if (bytes.toString('latin1', 0, 6) === 'Exif\0\0') bytes = bytes.subarray(6)
  const reading = await readExif(bytes)
  if (problem) reading.problems.push(problem)
  return reading
}

const HEIF_FORMATS = new Set<PictureFormat>(['heic', 'heif', 'avif'])

/**
 * HEIF/AVIF: trawl finds the Exif item itself (top-level boxes, then iinf and iloc, see
 * heif.ts) and gives exifr only its TIFF bytes. exifr's own HEIF walk loops forever on a
 * box of size 0 and reads one extent of a split Exif item.
 */
async function readHeifExif(path: string): Promise<ExifReading | NoExif> {
  const handle = await open(path, 'r')
  let item: Awaited<ReturnType<typeof readHeifExifItem>>
  try {
    const fileSize = (await handle.stat()).size
    const meta = await findHeifMeta(handle, fileSize)
    if ('problem' in meta) return {note: meta.problem, damaged: true}
    const length = Math.min(meta.length, 4 << 20)
    const payload = Buffer.alloc(length)
    const {bytesRead} = await handle.read(payload, 0, length, meta.offset)
    try {
      item = await readHeifExifItem(handle, fileSize, payload.subarray(0, bytesRead), meta.offset)
    } catch (error) {
      // a box table cut short: reading past the meta payload
      return {note: `HEIF meta box damaged: ${errorMessage(error)}`, damaged: true}
    }
  } finally {
    await handle.close()
  }
  if (item === undefined) return {note: 'no Exif item in the HEIF file', damaged: false}
  if ('problem' in item) return {note: item.problem, damaged: true}
  return readExif(item)
}

/**
 * Canon CR3: each CMT box is a TIFF whose first IFD is IFD0, the EXIF IFD or the GPS
 * IFD; exifr reads each as "IFD0" and the blocks are put back where they belong.
 */
async function readCr3Exif(path: string): Promise<ExifReading | NoExif> {
  const handle = await open(path, 'r')
  let found: Awaited<ReturnType<typeof readCr3Metadata>>
  try {
    found = await readCr3Metadata(handle, (await handle.stat()).size)
  } finally {
    await handle.close()
  }
  if ('problem' in found) return {note: found.problem, damaged: true}
  if (!found.ifd0 && !found.exif && !found.gps) return {note: 'no CMT metadata boxes in the CR3 file', damaged: false}
  const read = async (tiff: Buffer | undefined) => (tiff ? readExif(tiff) : undefined)
  const [ifd0, exif, gps] = [await read(found.ifd0), await read(found.exif), await read(found.gps)]
  const output: ExifrOutput = {ifd0: ifd0?.output?.ifd0, exif: exif?.output?.ifd0, gps: gps?.output?.ifd0}
  const errors = [ifd0, exif, gps].flatMap((r) => r?.output?.errors ?? [])
  if (errors.length > 0) output.errors = errors
  return {output, thumbnail: undefined, thumbnailError: undefined, problems: []}
}

function baseRecord(input: ParserInput, format: PictureFormat, hash: {sha256: string; size: number}): ExifRecord {
  return {
    type: 'media.exif',
    file: input.bundlePath,
    sha256: hash.sha256,
    size: hash.size,
    format,
    exif: false,
    make: null,
    model: null,
    software: null,
    lensMake: null,
    lensModel: null,
    bodySerial: null,
    makerNoteSerial: null,
    makerNoteSerialSource: null,
    lensSerial: null,
    dateTimeOriginal: null,
    dateTimeDigitized: null,
    dateTimeModified: null,
    gps: null,
    imageWidth: null,
    imageHeight: null,
    pixelWidth: null,
    pixelHeight: null,
    orientation: null,
    thumbnail: {present: false, length: null, sha256: null},
    warnings: [],
    source: input.source(),
  }
}

/**
 * exifr skips an IFD it cannot reach and reads a looping pointer once: both leave a
 * trace in its output that is reported here, as exiftool warns of them.
 */
function checkStructure(output: ExifrOutput | undefined, warnings: string[]): void {
  const {ifd0, exif, gps, ifd1} = output ?? {}
  const exifPointer = tagNumber(ifd0?.[TAG.ExifIFDPointer])
  if (exifPointer && !exif) warnings.push(`EXIF IFD pointer (${exifPointer}) leads outside the EXIF data`)
  const gpsPointer = tagNumber(ifd0?.[TAG.GPSInfoIFDPointer])
  if (gpsPointer && !gps) warnings.push(`GPS IFD pointer (${gpsPointer}) leads outside the EXIF data`)
  // A sub-IFD holding the pointer tags of IFD0 is IFD0 (or itself) reached again: a loop.
  for (const [name, block] of [['EXIF', exif], ['GPS', gps], ['IFD1', ifd1]] as const) {
    if (block && (block[TAG.ExifIFDPointer] !== undefined || block[TAG.GPSInfoIFDPointer] !== undefined)) {
      warnings.push(`${name} IFD points back at an IFD already read (IFD loop)`)
    }
  }
}

/** A time tag that holds text but not a valid time (all-zero or blank means "not set" and is not reported). */
function checkTime(name: string, time: ExifTime | null, offsetValue: unknown, warnings: string[]): void {
  if (!time) return
  if (time.local === null && !/^[\s0:]*$/.test(time.raw)) warnings.push(`${name} ${JSON.stringify(time.raw)} is not a valid date and time`)
  const offsetText = tagText(offsetValue)?.trim()
  if (offsetText && time.offset === null) warnings.push(`offset of ${name} ${JSON.stringify(offsetText)} is not a UTC offset`)
}

function fillFromExif(record: ExifRecord, reading: ExifReading): void {
  const {ifd0, exif, gps, ifd1} = reading.output ?? {}
  const warnings = record.warnings
  warnings.push(...reading.problems)
  checkStructure(reading.output, warnings)
  record.exif = Boolean(ifd0 || exif || gps)
  record.make = text(ifd0, TAG.Make)
  record.model = text(ifd0, TAG.Model)
  record.software = text(ifd0, TAG.Software)
  record.lensMake = text(exif, TAG.LensMake)
  record.lensModel = text(exif, TAG.LensModel)
  record.bodySerial = text(exif, TAG.BodySerialNumber)
  record.lensSerial = text(exif, TAG.LensSerialNumber)
  const fromMakerNote = makerNoteSerial(exif?.[TAG.MakerNote])
  record.makerNoteSerial = fromMakerNote?.serial ?? null
  record.makerNoteSerialSource = fromMakerNote?.source ?? null
  record.dateTimeOriginal = exifTime(exif?.[TAG.DateTimeOriginal], exif?.[TAG.SubSecTimeOriginal], exif?.[TAG.OffsetTimeOriginal])
  record.dateTimeDigitized = exifTime(exif?.[TAG.CreateDate], exif?.[TAG.SubSecTimeDigitized], exif?.[TAG.OffsetTimeDigitized])
  record.dateTimeModified = exifTime(ifd0?.[TAG.ModifyDate], exif?.[TAG.SubSecTime], exif?.[TAG.OffsetTime])
  checkTime('DateTimeOriginal', record.dateTimeOriginal, exif?.[TAG.OffsetTimeOriginal], warnings)
  checkTime('CreateDate', record.dateTimeDigitized, exif?.[TAG.OffsetTimeDigitized], warnings)
  checkTime('ModifyDate', record.dateTimeModified, exif?.[TAG.OffsetTime], warnings)
  record.gps = gpsFix(gps, warnings)
  record.imageWidth = tagNumber(exif?.[TAG.PixelXDimension]) ?? tagNumber(ifd0?.[TAG.ImageWidth])
  record.imageHeight = tagNumber(exif?.[TAG.PixelYDimension]) ?? tagNumber(ifd0?.[TAG.ImageLength])
  record.orientation = tagNumber(ifd0?.[TAG.Orientation])
  if (record.format === 'tiff') {
    // A plain TIFF's IFD0 describes its main image.
    record.pixelWidth = tagNumber(ifd0?.[TAG.ImageWidth])
    record.pixelHeight = tagNumber(ifd0?.[TAG.ImageLength])
  }
  const thumbnailLength = tagNumber(ifd1?.[TAG.ThumbnailLength])
  if (reading.thumbnail && reading.thumbnail.length > 0) {
    record.thumbnail = {
      present: true,
      length: reading.thumbnail.length,
      sha256: createHash('sha256').update(reading.thumbnail).digest('hex'),
    }
  } else if (thumbnailLength) {
    // IFD1 names a thumbnail that cannot be read: say so rather than claim there is none.
    record.thumbnail = {present: true, length: thumbnailLength, sha256: null}
    warnings.push(`embedded thumbnail (${thumbnailLength} bytes) could not be read${reading.thumbnailError ? `: ${reading.thumbnailError}` : ''}`)
  }
  for (const error of reading.output?.errors ?? []) warnings.push(errorMessage(error))
}

/**
 * JPEG and PNG pictures up to 16 MiB are given to exifr as bytes: its lazy file reader can
 * leave a file handle open for garbage collection to close, which Node 24+ treats as a fatal
 * error. A picture exifr cannot read from bytes is read again from the file, whose chunked
 * reads give the precise damage report (which pointer leads where). TIFF and TIFF-based RAW
 * files, and larger pictures, keep exifr's lazy reads of only the blocks it needs.
 */
const EXIF_IN_MEMORY_LIMIT = 16 << 20

async function readExifOfFile(path: string, format: PictureFormat): Promise<ExifReading> {
  const {size} = await stat(path)
  if ((format !== 'jpeg' && format !== 'png') || size > EXIF_IN_MEMORY_LIMIT) return readExif(path)
  let reading: ExifReading
  try {
    reading = await readExif(await readFile(path))
  } catch {
    return readExif(path)
  }
  return reading.output?.errors?.length ? readExif(path) : reading
}

/**
 * The PDQ perceptual hash of the picture (picture-hash.ts, on a picture thread where there
 * is one), as a record of its own beside the EXIF record: `pdq` null with `notHashed` saying
 * why for a picture that is not decoded (AVIF, TIFF, RAW, animated WebP, damaged or too
 * large), so no picture lacks a hash unsaid.
 */
async function perceptualHash(input: ParserInput, format: PictureFormat, sha256: string, size: number): Promise<ParsedRecord> {
  const base = {type: 'media.phash', source: input.source(), file: input.bundlePath, sha256, format, algorithm: 'PDQ'}
  return {...base, ...(await hashPicture(input.copyPath, format, size, input.perceptualProbes === true))}
}

async function* parseExif(input: ParserInput): AsyncIterable<ParsedRecord> {
  for await (const record of parseExifOnly(input)) {
    yield record
    if (record.type === 'media.exif' && input.perceptualHash !== false) yield await perceptualHash(input, record.format as PictureFormat, record.sha256 as string, record.size as number)
  }
}

async function* parseExifOnly(input: ParserInput): AsyncIterable<ParsedRecord> {
  const {format, size: declaredSize} = await readHeadAndSize(input.copyPath)
  if (!format) throw new ParseError('not a picture format trawl reads', input.bundlePath)
  const hashing = knownHash(input) ?? sha256File(input.copyPath)
  // Reading runs alongside hashing; a failure is reported after the hash is known.
  const read: Promise<ExifReading | NoExif> = EXIFR_FILE_FORMATS.has(format)
    ? HEIF_FORMATS.has(format)
      ? readHeifExif(input.copyPath)
      : readExifOfFile(input.copyPath, format)
    : format === 'cr3'
      ? readCr3Exif(input.copyPath)
      : EMBEDDED_EXIF_FORMATS.has(format)
        ? readEmbeddedExif(input.copyPath, format)
      : Promise.resolve({note: `EXIF of ${format.toUpperCase()} files is not read by this version`, damaged: false})
  const reading = read.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
  const [hash, result] = await Promise.all([hashing, reading])
  const record = baseRecord(input, format, hash)
  record.pixelWidth = declaredSize?.width ?? null
  record.pixelHeight = declaredSize?.height ?? null
  if (result instanceof Error) {
    yield {
      type: 'error',
      source: input.source(),
      file: input.bundlePath,
      sha256: hash.sha256,
      format,
      error: `EXIF unreadable: ${result.message}`,
    }
    // the picture may still be a picture: its perceptual hash does not need its EXIF
    if (input.perceptualHash !== false) yield await perceptualHash(input, format, hash.sha256, hash.size)
    return
  }
  if ('note' in result) {
    // A container without EXIF, or a RAW format whose EXIF trawl does not locate: said so in the record.
    if (result.damaged) {
      record.warnings.push(result.note)
      yield {type: 'error', source: input.source(), file: input.bundlePath, sha256: hash.sha256, format, error: `EXIF damaged: ${result.note}`}
    } else {
      record.notes = [result.note]
    }
    yield record
    return
  }
  fillFromExif(record, result)
  if (record.warnings.length > 0) {
    // Partial damage: the fields that could be read stay, and the damage is counted as an error.
    yield {type: 'error', source: input.source(), file: input.bundlePath, sha256: hash.sha256, format, error: `EXIF damaged: ${record.warnings.join('; ')}`}
  }
  yield record
}

export const exifParser: Parser = {
  id: 'exif',
  description: 'Picture EXIF (camera, serials, times with offsets, GPS, size, thumbnail) by exifr, for JPEG, HEIC/AVIF, TIFF, PNG and TIFF-based RAW',
  accepts: (head: Buffer) => sniffPicture(head) !== undefined,
  parse: parseExif,
  concurrent: true,
  finalize: (records: ParsedRecord[]) => photoMapOutputs(records),
}
