import {randomBytes} from 'node:crypto'
import {deflateRawSync, deflateSync, inflateSync} from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {ZlibInflater} from '../../src/image/zlib-inflater.js'

/** What an EWF image holds: compressible text, zeros, random (stored-block) data, in 32 KiB chunks. */
function chunks(): Buffer[] {
  const text = Buffer.from('The quick brown fox jumps over the lazy dog. 0123456789\n'.repeat(600)).subarray(0, 32768)
  return [text, Buffer.alloc(32768), randomBytes(32768), text.subarray(0, 1000), randomBytes(65536 + 17)]
}

/** zlib's message for a stream that inflateSync refuses. */
function zlibError(stream: Buffer): string {
  try {
    inflateSync(stream)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('inflateSync accepted the stream')
}

for (const native of [true, false]) {
  describe(`ZlibInflater (${native ? 'one reused native handle' : 'inflateSync fallback'})`, () => {
    it(native ? 'uses the native handle on this Node' : 'uses inflateSync when told to', () => {
      expect(new ZlibInflater({native}).usesNativeHandle).toBe(native)
    })

    it('inflates stream after stream to what inflateSync gives, each into a buffer of its own', () => {
      const inflater = new ZlibInflater({native})
      const data = chunks()
      const outputs = data.map((d) => inflater.inflate(deflateSync(d, {level: 1}), d.length))
      outputs.forEach((out, i) => expect(out.equals(data[i])).toBe(true))
      // no output shares memory with the next stream's
      expect(new Set(outputs.map((o) => o.buffer)).size).toBe(outputs.length)
      inflater.close()
    })

    it('inflates a stream that sits in the middle of a larger buffer', () => {
      const inflater = new ZlibInflater({native})
      const data = Buffer.from('a chunk read into a reused buffer')
      const stream = deflateSync(data)
      const scratch = Buffer.concat([Buffer.from('before'), stream, Buffer.from('after')])
      expect(inflater.inflate(scratch.subarray(6, 6 + stream.length), data.length).equals(data)).toBe(true)
      inflater.close()
    })

    it('returns every byte of a stream that inflates to more than expected', () => {
      const inflater = new ZlibInflater({native})
      const data = randomBytes(5000)
      expect(inflater.inflate(deflateSync(data), 4096).equals(data)).toBe(true)
      expect(inflater.inflate(deflateSync(data), 5000).equals(data)).toBe(true)
      inflater.close()
    })

    it('a corrupt stream after a good one throws what inflateSync throws, and the next good one still inflates', () => {
      const inflater = new ZlibInflater({native})
      const [text] = chunks()
      const good = deflateSync(text)
      const badChecksum = Buffer.from(good)
      badChecksum[badChecksum.length - 1] ^= 0x01
      const badData = Buffer.from(good)
      for (let i = 2; i < 18; i++) badData[i] ^= 0x5a
      const truncated = good.subarray(0, good.length - 10)

      expect(inflater.inflate(good, text.length).equals(text)).toBe(true)
      for (const bad of [badChecksum, badData, truncated]) {
        expect(() => inflater.inflate(bad, text.length)).toThrow(zlibError(bad))
        expect(inflater.inflate(good, text.length).equals(text)).toBe(true)
      }
      expect(() => inflater.inflate(badChecksum, text.length)).toThrow(expect.objectContaining({code: 'Z_DATA_ERROR'}))
      expect(zlibError(badChecksum)).toBe('incorrect data check')
      expect(zlibError(truncated)).toBe('unexpected end of file')
      inflater.close()
    })

    it('inflates again after close', () => {
      const inflater = new ZlibInflater({native})
      const data = Buffer.from('after close')
      inflater.close()
      expect(inflater.inflate(deflateSync(data), data.length).toString()).toBe('after close')
      inflater.close()
    })
  })
}

describe('ZlibInflater for raw deflate streams (QCOW2 compressed clusters)', () => {
  for (const native of [true, false]) {
    it(`${native ? 'native handle' : 'inflateRawSync fallback'}: inflates raw streams one after another, ignores the sector tail after a stream's end, refuses a corrupt one`, () => {
      const inflater = new ZlibInflater({native, raw: true})
      expect(inflater.usesNativeHandle).toBe(native)
      for (const d of chunks()) {
        // QCOW2 stores whole 512-byte sectors: bytes of the next cluster may follow the stream
        const stream = Buffer.concat([deflateRawSync(d), randomBytes(300)])
        expect(inflater.inflate(stream, d.length).equals(d)).toBe(true)
      }
      const corrupt = deflateRawSync(chunks()[0])
      corrupt[0] |= 0x06 // block type 3 is reserved
      expect(() => inflater.inflate(corrupt, 32768)).toThrow(/invalid block type/)
      // and a good stream after the corrupt one
      expect(inflater.inflate(deflateRawSync(Buffer.from('after')), 5).toString()).toBe('after')
      inflater.close()
    })
  }
})
