/**
 * Whether an entry is worth deflating, judged from its first bytes before its
 * local header is written. Deflating data that is already compressed costs about
 * 30 s of CPU per GiB for nothing (level 6 on incompressible input), so such
 * entries are stored: a stored entry is an ordinary ZIP entry (method 0, with its
 * CRC-32 and sizes) that every unzip reads. What is stored is byte for byte what
 * would have been deflated; only the ZIP's size changes.
 */

/** Content signatures of formats whose bodies are already compressed. */
const COMPRESSED_SIGNATURES: ReadonlyArray<{offset: number; bytes: number[]}> = [
  {offset: 0, bytes: [0xff, 0xd8, 0xff]}, // JPEG
  {offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]}, // PNG
  {offset: 0, bytes: [0x47, 0x49, 0x46, 0x38]}, // GIF (LZW)
  {offset: 4, bytes: [0x66, 0x74, 0x79, 0x70]}, // ISO BMFF 'ftyp': HEIC/HEIF/AVIF, MP4, MOV, 3GP, M4A
  {offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04]}, // ZIP (and DOCX, XLSX, APK, JAR)
  {offset: 0, bytes: [0x1f, 0x8b]}, // gzip
  {offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]}, // 7z
  {offset: 0, bytes: [0x42, 0x5a, 0x68]}, // bzip2
  {offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]}, // xz
  {offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd]}, // zstd
  {offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]}, // RAR
  {offset: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3]}, // Matroska / WebM
  {offset: 0, bytes: [0x4f, 0x67, 0x67, 0x53]}, // Ogg
  {offset: 0, bytes: [0x49, 0x44, 0x33]}, // MP3 with ID3 tag
]

/** RIFF containers whose form type is compressed media (WebP; AVI and WAV are often not). */
const RIFF_COMPRESSED_FORMS = ['WEBP']

/** Bits per byte above which a sample is taken to be incompressible (uniform random data gives 8). */
const ENTROPY_LIMIT = 7.9
/** The sample judged by entropy; below this many bytes the estimate is too rough, so deflate. */
const SAMPLE_BYTES = 64 * 1024
const MIN_SAMPLE_BYTES = 1024

export function isAlreadyCompressed(head: Buffer): boolean {
  for (const {offset, bytes} of COMPRESSED_SIGNATURES) {
    if (head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b)) return true
  }
  return head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && RIFF_COMPRESSED_FORMS.includes(head.toString('latin1', 8, 12))
}

/**
 * Order-0 entropy of the sample in bits per byte, with the Miller-Madow correction
 * for the bias of a short sample. Deflate cannot shrink data near 8 bits per byte
 * unless it repeats itself at a distance, which random-looking content does not.
 */
export function sampleEntropy(sample: Buffer): number {
  const counts = new Uint32Array(256)
  for (let i = 0; i < sample.length; i++) counts[sample[i]]++
  let entropy = 0
  let used = 0
  for (let b = 0; b < 256; b++) {
    const c = counts[b]
    if (c === 0) continue
    used++
    const p = c / sample.length
    entropy -= p * Math.log2(p)
  }
  return entropy + (used - 1) / (2 * sample.length * Math.LN2)
}

/** True when `head` (the entry's first bytes) says deflating the entry would not pay. */
export function shouldStore(head: Buffer): boolean {
  if (isAlreadyCompressed(head)) return true
  if (head.length < MIN_SAMPLE_BYTES) return false
  return sampleEntropy(head.subarray(0, SAMPLE_BYTES)) >= ENTROPY_LIMIT
}
