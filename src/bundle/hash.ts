import * as crypto from 'node:crypto'
import {createHash, type Hash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'

export interface Digests {
  sha256: string
  sha1: string
  md5: string
}

/** SHA-256, SHA-1 and MD5 over the same bytes, in one pass. */
export class MultiHash {
  private readonly sha256 = createHash('sha256')
  private readonly sha1 = createHash('sha1')
  private readonly md5 = createHash('md5')
  size = 0

  update(chunk: Buffer): void {
    this.sha256.update(chunk)
    this.sha1.update(chunk)
    this.md5.update(chunk)
    this.size += chunk.length
  }

  digest(): Digests {
    return {sha256: this.sha256.digest('hex'), sha1: this.sha1.digest('hex'), md5: this.md5.digest('hex')}
  }
}

/** node:crypto's one-shot hash (Node 20.12+): no Hash object per digest, which costs more than hashing a 4 KiB file. */
const oneShot = (crypto as {hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string}).hash

export function digestsOf(data: Buffer): Digests {
  if (oneShot) return {sha256: oneShot('sha256', data, 'hex'), sha1: oneShot('sha1', data, 'hex'), md5: oneShot('md5', data, 'hex')}
  const hash = new MultiHash()
  hash.update(data)
  return hash.digest()
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Passes bytes through unchanged while hashing them: the copy into the bundle
 * and its hashes come from the same read of the evidence.
 */
export class HashingStream extends Transform {
  readonly hash = new MultiHash()

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    callback(null, chunk)
  }
}

/**
 * Counts and hashes every byte written to the bundle file, and can report the
 * SHA-256 of exactly the first N bytes (the sealed prefix of the archive).
 */
export class PrefixHashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256')
  private written = 0
  private target: {length: number; resolve: (hex: string) => void} | undefined

  /** Resolves with the SHA-256 of bytes [0, length) once they have passed. */
  prefixDigest(length: number): Promise<string> {
    if (length < this.written) throw new Error(`prefix of ${length} bytes already passed (${this.written} written)`)
    return new Promise((resolve) => {
      this.target = {length, resolve}
      this.check()
    })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.target && this.written + chunk.length > this.target.length) {
      const cut = this.target.length - this.written
      this.hash.update(chunk.subarray(0, cut))
      this.written += cut
      this.check()
      this.hash.update(chunk.subarray(cut))
      this.written += chunk.length - cut
    } else {
      this.hash.update(chunk)
      this.written += chunk.length
      this.check()
    }
    callback(null, chunk)
  }

  private check(): void {
    if (this.target && this.written === this.target.length) {
      const {resolve} = this.target
      this.target = undefined
      resolve(this.hash.copy().digest('hex'))
    }
  }
}
