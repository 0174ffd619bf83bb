/**
 * Picture detection by content signature, never by extension: a renamed
 * "invoice.pdf" that is a JPEG is still a picture, and a "photo.jpg" that is a
 * ZIP is not. Works on the first bytes of a file (the engine passes 4096).
 */

export type PictureFormat =
  | 'jpeg'
  | 'png'
  | 'webp'
  | 'tiff'
  | 'heic'
  | 'heif'
  | 'avif'
  // camera RAW
  | 'cr2'
  | 'cr3'
  | 'crw'
  | 'nef'
  | 'arw'
  | 'dng'
  | 'orf'
  | 'rw2'
  | 'raf'
  | 'pef'
  | 'srw'
  | 'x3f'
  | 'mrw'

/** Formats whose EXIF exifr reads straight from the file (TIFF-based RAWs are TIFF to exifr). */
export const EXIFR_FILE_FORMATS: ReadonlySet<PictureFormat> = new Set<PictureFormat>([
  'jpeg', 'png', 'tiff', 'heic', 'heif', 'avif', 'cr2', 'nef', 'arw', 'dng', 'pef', 'srw',
  // exifr's TIFF reader takes any 'II'/'MM' header, so ORF ('IIRO') and RW2 ('IIU') read as TIFF
  'orf', 'rw2',
])

/** Formats whose EXIF trawl locates itself (a WebP chunk, the RAF preview JPEG) and gives to exifr as bytes; CR3 has its own reader (cr3.ts). */
export const EMBEDDED_EXIF_FORMATS: ReadonlySet<PictureFormat> = new Set<PictureFormat>(['webp', 'raf'])

function ascii(head: Buffer, start: number, length: number): string {
  if (head.length < start + length) return ''
  return head.toString('latin1', start, start + length)
}

/**
 * HEIF family brands (ISO/IEC 23008-12 Annex B, AV1 Image File Format §7).
 * 'mif1'/'msf1' are the generic image/sequence brands every HEIF writer lists.
 */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'])
const AVIF_BRANDS = new Set(['avif', 'avis'])
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf'])

/** ISO base media file: 'ftyp' box first, major brand then compatible brands. */
function sniffFtyp(head: Buffer): PictureFormat | undefined {
  if (ascii(head, 4, 4) !== 'ftyp') return undefined
  const boxSize = head.readUInt32BE(0)
  if (boxSize < 16) return undefined
  const end = Math.min(boxSize, head.length)
  const brands = [ascii(head, 8, 4)]
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(head, at, 4))
  // The major brand decides when it is a picture brand; a file whose major brand
  // is e.g. 'mp42' (a video) is a picture only if it carries no video brand and lists one.
  const major = brands[0]
  if (major === 'crx ') return 'cr3'
  if (AVIF_BRANDS.has(major)) return 'avif'
  if (HEIC_BRANDS.has(major)) return 'heic'
  if (HEIF_BRANDS.has(major)) {
    if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif'
    if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic'
    return 'heif'
  }
  return undefined
}

/**
 * TIFF and the camera RAW formats built on it. Most RAWs (NEF, ARW, PEF, SRW, DNG)
 * have a plain TIFF header; they are told apart by IFD0's DNGVersion tag (0xC612)
 * or its Make string, read from the head when it lies there.
 */
function sniffTiff(head: Buffer): PictureFormat | undefined {
  if (head.length < 8) return undefined
  const order = ascii(head, 0, 2)
  if (order !== 'II' && order !== 'MM') return undefined
  const little = order === 'II'
  const magic = little ? head.readUInt16LE(2) : head.readUInt16BE(2)
  // Olympus ORF: 'IIRO' / 'IIRS' / 'MMOR'; Panasonic RW2: 'IIU\0' (magic 0x55).
  if (magic === 0x4f52 || magic === 0x5352 || (little && magic === 0x524f)) return 'orf'
  if (little && magic === 0x0055) return 'rw2'
  if (magic !== 42) return undefined
  // Canon CR2: 'CR' and major version 2 right after the TIFF header (offset 8).
  if (ascii(head, 8, 2) === 'CR' && head[10] === 2) return 'cr2'
  const u16 = (at: number) => (little ? head.readUInt16LE(at) : head.readUInt16BE(at))
  const u32 = (at: number) => (little ? head.readUInt32LE(at) : head.readUInt32BE(at))
  const ifd0 = u32(4)
  if (ifd0 < 8 || ifd0 + 2 > head.length) return 'tiff'
  const count = u16(ifd0)
  let make = ''
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12
    if (entry + 12 > head.length) break
    const tag = u16(entry)
    if (tag === 0xc612) return 'dng'
    if (tag === 0x010f) {
      const type = u16(entry + 2)
      const length = u32(entry + 4)
      if (type !== 2 || length === 0 || length > 64) continue
      const at = length <= 4 ? entry + 8 : u32(entry + 8)
      if (at + length <= head.length) make = head.toString('latin1', at, at + length).replace(/\0.*$/s, '').trim().toUpperCase()
    }
  }
  if (make.startsWith('NIKON')) return 'nef'
  if (make.startsWith('SONY')) return 'arw'
  if (make.startsWith('PENTAX') || make.startsWith('ASAHI') || make.startsWith('RICOH')) return 'pef'
  if (make.startsWith('SAMSUNG')) return 'srw'
  return 'tiff'
}

/** The picture format of a file from its first bytes, or undefined if it is not a picture trawl reads. */
export function sniffPicture(head: Buffer): PictureFormat | undefined {
  if (head.length < 4) return undefined
  // JPEG: SOI marker followed by another marker (JFIF APP0, Exif APP1, DQT ...).
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg'
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return 'png'
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp'
  if (ascii(head, 0, 16) === 'FUJIFILMCCD-RAW ') return 'raf'
  if (ascii(head, 0, 4) === 'FOVb') return 'x3f'
  if (ascii(head, 0, 4) === '\0MRM') return 'mrw'
  // Canon CRW (CIFF): 'II' header length 0x1A then 'HEAPCCDR'.
  if (ascii(head, 6, 8) === 'HEAPCCDR') return 'crw'
  return sniffFtyp(head) ?? sniffTiff(head)
}
