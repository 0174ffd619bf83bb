import {createHash} from 'node:crypto'
import {digestPool} from '../bundle/digest-pool.js'
import {openImage} from './detect.js'

const VERIFY_GROUPS = [['md5'], ['sha1']]

/**
 * `trawl image verify`: recomputes the MD5 and SHA-1 of the media data by
 * streaming it once, and compares them with the hashes stored in an EWF image
 * (as ewfverify does). A raw image stores none: its hashes are printed for the
 * examiner to compare with the acquisition notes.
 */

export interface ImageVerification {
  path: string
  format: string
  segments: string[]
  size: number
  computed: {md5: string; sha1: string}
  stored: {md5?: string; sha1?: string}
  /** 'verified': every stored hash matches; 'mismatch': one differs; 'no-stored-hash': nothing to compare. */
  verdict: 'verified' | 'mismatch' | 'no-stored-hash'
  mismatches: string[]
}

export interface VerifyOptions {
  /** Bytes read per step (default 4 MiB). */
  blockSize?: number
  onProgress?: (done: number, total: number) => void
}

export async function verifyImage(path: string, options: VerifyOptions = {}): Promise<ImageVerification> {
  const image = openImage(path)
  try {
    const source = image.source
    // EWF: one chunk per step, so each read is the decompressed chunk itself, not a copy.
    const block = options.blockSize ?? image.ewf?.chunkSize ?? 4 * 1024 * 1024
    // MD5 and SHA-1 each on a thread of their own while this one reads and inflates
    // (ewfverify does all three one after another); both hashed here when there are no threads
    const threads = digestPool(VERIFY_GROUPS)?.open()
    const md5 = threads ? undefined : createHash('md5')
    const sha1 = threads ? undefined : createHash('sha1')
    for (let offset = 0, step = 0; offset < source.size; step++) {
      const bytes = source.read(offset, Math.min(block, source.size - offset))
      if (bytes.length === 0) break
      // the read may reuse its buffer: the threads' copy is taken before the next read
      if (threads) await threads.update(bytes)
      else {
        md5!.update(bytes)
        sha1!.update(bytes)
      }
      offset += bytes.length
      options.onProgress?.(offset, source.size)
      // Let signals and progress output through on long images.
      if (step % 256 === 255) await new Promise<void>((resolve) => setImmediate(resolve))
    }
    const digests = threads ? await threads.digestAll() : {md5: md5!.digest('hex'), sha1: sha1!.digest('hex')}
    const computed = {md5: digests.md5, sha1: digests.sha1}
    const stored = image.description.storedHashes ?? {}
    const mismatches: string[] = []
    if (stored.md5 && stored.md5 !== computed.md5) mismatches.push(`MD5 stored ${stored.md5}, computed ${computed.md5}`)
    if (stored.sha1 && stored.sha1 !== computed.sha1) mismatches.push(`SHA-1 stored ${stored.sha1}, computed ${computed.sha1}`)
    const verdict = !stored.md5 && !stored.sha1 ? 'no-stored-hash' : mismatches.length > 0 ? 'mismatch' : 'verified'
    return {
      path: image.description.path,
      format: image.description.format ?? 'raw',
      segments: image.description.segments ?? [image.description.path],
      size: source.size,
      computed,
      stored,
      verdict,
      mismatches,
    }
  } finally {
    image.source.close()
  }
}

export function formatVerification(v: ImageVerification): string {
  const lines = [`Image:  ${v.path} (${v.format}, ${v.size} bytes)`]
  lines.push(`MD5 computed:   ${v.computed.md5}${v.stored.md5 ? `  stored: ${v.stored.md5} ${v.stored.md5 === v.computed.md5 ? 'MATCH' : 'MISMATCH'}` : ''}`)
  lines.push(`SHA-1 computed: ${v.computed.sha1}${v.stored.sha1 ? `  stored: ${v.stored.sha1} ${v.stored.sha1 === v.computed.sha1 ? 'MATCH' : 'MISMATCH'}` : ''}`)
  lines.push(
    v.verdict === 'verified'
      ? 'Verified: the media data matches the hashes stored in the image.'
      : v.verdict === 'mismatch'
        ? 'MISMATCH: the media data does not match the hashes stored in the image.'
        : 'No hashes are stored in this image format; compare the computed hashes with the acquisition record.',
  )
  return lines.join('\n')
}
