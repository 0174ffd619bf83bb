import {deflateSync} from 'node:zlib'
import {beforeEach, describe, expect, it, vi} from 'vitest'

/**
 * ZlibInflater drives Node's internal zlib handle; a Node whose zlib.Inflate
 * looks or behaves differently must not be trusted with evidence. Here
 * node:zlib's Inflate is replaced by look-alikes that fail in the ways a
 * changed internal could.
 */
const fake = vi.hoisted(() => ({kind: 'no handle' as 'no handle' | 'writes nothing' | 'misses errors'}))

vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof import('node:zlib')>()
  class LookAlikeInflate {
    _writeState = new Uint32Array(2)
    _handle: unknown
    constructor() {
      if (fake.kind === 'no handle') return
      const state = this._writeState
      const handle = {
        onerror: undefined as unknown,
        reset() {},
        writeSync(_flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number) {
          if (fake.kind === 'writes nothing') {
            // reports corrupt streams, but claims output it never writes
            try {
              zlib.inflateSync(input.subarray(inOffset, inOffset + inLength))
            } catch (error) {
              const {message, errno, code} = error as NodeJS.ErrnoException
              ;(handle.onerror as (m: string, e?: number, c?: string) => void)(message, errno, code)
              return
            }
            state[0] = outLength - 1
            return
          }
          // misses errors: inflates good streams right, and corrupt ones without a word
          const data = zlib.inflateSync(input.subarray(inOffset, inOffset + inLength - 1), {finishFlush: zlib.constants.Z_SYNC_FLUSH})
          output.set(data.subarray(0, outLength), outOffset)
          state[0] = outLength - Math.min(outLength, data.length)
        },
        close() {},
      }
      this._handle = handle
    }
    close() {}
  }
  return {...zlib, Inflate: LookAlikeInflate}
})

describe('ZlibInflater on a Node whose zlib internals differ', () => {
  beforeEach(() => {
    vi.resetModules()
  })

  for (const kind of ['no handle', 'writes nothing', 'misses errors'] as const) {
    it(`${kind}: falls back to inflateSync, which still inflates and still refuses a corrupt stream`, async () => {
      fake.kind = kind
      const {ZlibInflater} = await import('../../src/image/zlib-inflater.js')
      const inflater = new ZlibInflater()
      expect(inflater.usesNativeHandle).toBe(false)
      const data = Buffer.from('evidence bytes '.repeat(100))
      const stream = deflateSync(data)
      expect(inflater.inflate(stream, data.length).equals(data)).toBe(true)
      const corrupt = Buffer.from(stream)
      corrupt[corrupt.length - 1] ^= 0x01
      expect(() => inflater.inflate(corrupt, data.length)).toThrow('incorrect data check')
    })
  }
})
