import {randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import jpeg from 'jpeg-js'
import {describe, expect, it} from 'vitest'
import {readJpegStream, scanJpeg} from '../../src/parsers/media/jpeg-stream.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {scratchDir} from '../helpers/cli.js'

const JPEG_DIRS = ['exif/jpg_camera', 'exif/jpg_gps', 'exif/jpg_edge']
/** Decoded both ways (each with an EXIF thumbnail inside APP1, which holds an EOI of its own). */
const DECODED = new Set(['exif/jpg_camera/Canon_40D.jpg', 'exif/jpg_gps/DSCN0010.jpg', 'exif/jpg_edge/Kodak_CX7530.jpg'])

/** The scan fed a few bytes at a time, as chunked reads feed it: it must end where the one-shot scan ends. */
function scanInSteps(bytes: Buffer, step: number): number | 'invalid' | 'open' {
  const buf = Buffer.alloc(bytes.length)
  let length = 0
  let state: ReturnType<typeof scanJpeg> = {resume: 2, inScan: false}
  while (length < bytes.length) {
    const n = Math.min(step, bytes.length - length)
    bytes.copy(buf, length, length, length + n)
    length += n
    if (!('resume' in state)) break
    state = scanJpeg(buf, length, state.resume, state.inScan)
  }
  return 'end' in state ? state.end : 'invalid' in state ? 'invalid' : 'open'
}

describeShared('the JPEG stream of the shared camera pictures', () => {
  const pictures = JPEG_DIRS.flatMap((dir) => readdirSync(sharedFile(dir)).filter((n) => /\.jpe?g$/i.test(n)).map((n) => join(dir, n)))

  it('ends at the picture\'s own EOI, past the EXIF thumbnail\'s, and decodes to the same pixels as the whole file', async () => {
    expect(pictures.length).toBeGreaterThan(12)
    for (const picture of pictures) {
      const whole = readFileSync(sharedFile(picture))
      const stream = await readJpegStream(sharedFile(picture), 128 << 20)
      expect('bytes' in stream, picture).toBe(true)
      if (!('bytes' in stream)) continue
      // a prefix of the file; where the file ends at EOI, all of it
      expect(whole.subarray(0, stream.bytes.length).equals(stream.bytes), picture).toBe(true)
      if (picture.endsWith('corrupted.jpg')) continue
      expect(stream.bytes.subarray(-2).toString('hex'), picture).toBe('ffd9')
      if (DECODED.has(picture)) {
        const decodedWhole = jpeg.decode(whole, {useTArray: true, formatAsRGBA: true})
        const decoded = jpeg.decode(stream.bytes, {useTArray: true, formatAsRGBA: true})
        expect([decoded.width, decoded.height], picture).toEqual([decodedWhole.width, decodedWhole.height])
        expect(Buffer.from(decoded.data).equals(Buffer.from(decodedWhole.data)), picture).toBe(true)
      }
      // the same end whatever the chunks the bytes arrive in
      for (const step of whole.length < 200_000 ? [1, 2, 3, 64] : [7, 4093]) expect(scanInSteps(whole, step), `${picture} in steps of ${step}`).toBe(stream.bytes.length)
    }
  })

  it('a motion photo (a video after the EOI) and a padded picture: only the picture is read', async () => {
    const dir = scratchDir()
    const picture = readFileSync(sharedFile('exif/jpg_gps/DSCN0010.jpg'))
    const end = (await readJpegStream(sharedFile('exif/jpg_gps/DSCN0010.jpg'), 1 << 30)) as {bytes: Buffer}
    for (const [name, tail] of [['motion.jpg', Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), randomBytes(3 << 20)])], ['padded.jpg', Buffer.alloc(5 << 20)]] as const) {
      const path = join(dir, name)
      writeFileSync(path, Buffer.concat([end.bytes, tail]))
      const stream = await readJpegStream(path, 1 << 20)
      expect('bytes' in stream && stream.bytes.equals(end.bytes), name).toBe(true)
    }
    expect(end.bytes.length).toBeLessThanOrEqual(picture.length)
  })
})

describe('the JPEG stream of files that are not whole JPEGs', () => {
  it('a file without SOI is read whole, for the decoder to judge; a stream that never ends stops at the limit', async () => {
    const dir = scratchDir()
    const notJpeg = join(dir, 'not.jpg')
    writeFileSync(notJpeg, Buffer.from('not a picture at all'))
    expect(await readJpegStream(notJpeg, 1 << 20)).toEqual({bytes: Buffer.from('not a picture at all')})
    // SOI, an SOS, then entropy-coded data that never reaches a marker
    const endless = join(dir, 'endless.jpg')
    const body = Buffer.alloc(3 << 20, 0x11)
    writeFileSync(endless, Buffer.concat([Buffer.from('ffd8ffda0008010100003f00', 'hex'), body]))
    expect(await readJpegStream(endless, 1 << 20)).toEqual({tooLarge: body.length + 12})
    const whole = await readJpegStream(endless, 8 << 20)
    expect('bytes' in whole && whole.bytes.length).toBe(body.length + 12)
  })

  it('markers out of order or a length below 2 stop the scan: the file is read whole', async () => {
    for (const hex of ['ffd8ffe00001', 'ffd8ffd8', 'ffd812345678']) {
      const buf = Buffer.from(hex, 'hex')
      expect(scanJpeg(buf, buf.length, 2, false), hex).toEqual({invalid: true})
    }
  })
})
