import {Inflate, InflateRaw, constants, deflateRawSync, deflateSync, inflateRawSync, inflateSync} from 'node:zlib'

/**
 * Inflates many small, complete zlib streams (RFC 1950) one after another, as
 * an EWF image's chunks are, through one native zlib handle that is reset
 * between streams. `inflateSync` builds and tears down a whole zlib stream
 * object (a Transform with its listeners and state) for every call: a third of
 * its time on a 32 KiB chunk.
 *
 * The handle is Node's internal binding behind `zlib.Inflate` (`_handle`,
 * `_writeState`), the same calls `inflateSync` makes; it is no public API, so
 * it is used only after a self-check on known streams, and `inflateSync` takes
 * over if it is missing or behaves differently. Either way every stream is
 * checked to its end: zlib verifies the Adler-32 trailer, and a corrupt or
 * truncated stream throws as `inflateSync` does.
 */
export class ZlibInflater {
  private native: NativeInflate | undefined

  /**
   * `native: false` always uses `inflateSync` (the fallback, for tests). `raw: true` reads raw
   * deflate streams (RFC 1951, no zlib header or Adler-32), as QCOW2 compresses its clusters.
   */
  constructor(private readonly options: {native?: boolean; raw?: boolean} = {}) {}

  /** True when streams go through the reused native handle, false when through `inflateSync`. */
  get usesNativeHandle(): boolean {
    return this.nativeInflate() !== undefined
  }

  /**
   * All the bytes of the zlib stream `input`, in a new buffer of their own.
   * `expectedSize` sizes the output: a stream that inflates to more still
   * returns all of it. Throws zlib's error (message and code) when the stream
   * is corrupt, truncated, or fails its Adler-32.
   */
  inflate(input: Uint8Array, expectedSize: number): Buffer {
    const native = this.nativeInflate()
    const raw = this.options.raw === true
    if (!native) return (raw ? inflateRawSync : inflateSync)(input, {chunkSize: Math.max(64, expectedSize + 1)})
    // One byte more than expected tells "ended exactly" from "more to come".
    const output = Buffer.allocUnsafe(expectedSize + 1)
    const left = native.run(input, output)
    if (left === 'error') {
      // A new handle for the next stream, rather than trusting one that failed.
      native.close()
      this.native = undefined
      throw native.error
    }
    if (left === 0) return raw ? inflateRawSync(input) : inflateSync(input)
    return output.subarray(0, output.length - left)
  }

  /** Releases the native handle (a later inflate opens another). */
  close(): void {
    this.native?.close()
    this.native = undefined
  }

  private nativeInflate(): NativeInflate | undefined {
    const raw = this.options.raw === true
    if (this.options.native === false || nativeBroken[raw ? 1 : 0]) return undefined
    if (!this.native) {
      this.native = NativeInflate.create(raw)
      if (!this.native) nativeBroken[raw ? 1 : 0] = true
    }
    return this.native
  }
}

/** The binding's handle, called as lib/zlib.js's processChunkSync calls it. */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void
  reset(): void
  onerror: (message: string, errno: number, code?: string) => void
}

/** Set once the native handle failed its self-check (zlib, raw deflate): inflateSync from then on. */
const nativeBroken = [false, false]
const selfCheckStreams: Array<Buffer | undefined> = [undefined, undefined]

class NativeInflate {
  error: Error | undefined

  private constructor(
    // Kept referenced: it owns the handle.
    private readonly stream: Inflate | InflateRaw,
    private readonly handle: ZlibHandle,
    /** [available output, available input] after each write. */
    private readonly state: Uint32Array,
    private readonly raw: boolean,
  ) {
    // Errors arrive here, synchronously, during writeSync; zlib's own handler
    // would destroy the stream and emit an 'error' event instead.
    handle.onerror = (message, errno, code) => {
      this.error = Object.assign(new Error(message), {errno, code})
    }
  }

  static create(raw = false): NativeInflate | undefined {
    try {
      const stream = raw ? new InflateRaw() : new Inflate()
      const internals = stream as unknown as {_handle?: ZlibHandle; _writeState?: unknown}
      const handle = internals._handle
      const state = internals._writeState
      if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
        return undefined
      }
      const native = new NativeInflate(stream, handle, state, raw)
      if (native.selfCheck()) return native
      native.close()
      return undefined
    } catch {
      return undefined
    }
  }

  /** Bytes of `output` left unwritten once the stream ended, or 'error' (then `error` says why). */
  run(input: Uint8Array, output: Uint8Array): number | 'error' {
    this.error = undefined
    this.handle.writeSync(constants.Z_FINISH, input, 0, input.length, output, 0, output.length)
    if (this.error) return 'error'
    const left = this.state[0]
    this.handle.reset()
    return left
  }

  close(): void {
    this.stream.close()
  }

  /**
   * The handle reports a corrupt stream as an error, and after a reset
   * inflates a known stream right, twice in a row.
   */
  private selfCheck(): boolean {
    const text = Buffer.from('trawl checks its zlib handle. '.repeat(8))
    const selfCheckStream = (selfCheckStreams[this.raw ? 1 : 0] ??= this.raw ? deflateRawSync(text) : deflateSync(text))
    const expected = this.raw ? inflateRawSync(selfCheckStream) : inflateSync(selfCheckStream)
    // a raw stream has no checksum to fail: its header is made invalid (block type 3 is reserved)
    const corrupt = Buffer.from(selfCheckStream)
    if (this.raw) corrupt[0] |= 0x06
    else corrupt[corrupt.length - 1] ^= 0xff
    if (this.run(corrupt, Buffer.alloc(expected.length + 1)) !== 'error' || !this.error) return false
    this.handle.reset()
    for (let i = 0; i < 2; i++) {
      const output = Buffer.alloc(expected.length + 1)
      if (this.run(selfCheckStream, output) !== 1 || !output.subarray(0, expected.length).equals(expected)) return false
    }
    return true
  }
}
