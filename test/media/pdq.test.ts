import {execFileSync} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {basename, join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {hammingDistance} from '../../src/hashset/pdq-index.js'
import {decodeAnyPicture, decodePicture, type DecodedPicture} from '../../src/parsers/media/decode.js'
import {sniffPicture} from '../../src/parsers/media/sniff.js'
import {cropCompanions, cropProbes} from '../../src/parsers/media/pdq-crops.js'
import {lumaOf, pdqOfLuma, type PdqHash} from '../../src/parsers/media/pdq.js'
import {scratchDir} from '../helpers/cli.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'

const FIXTURES = join(REPO_ROOT, 'fixtures')

function pdqOfFile(path: string): PdqHash {
  const bytes = readFileSync(path)
  const decoded = decodePicture(bytes, bytes[0] === 0x89 ? 'png' : 'jpeg')
  if (!('picture' in decoded)) throw new Error(`${path}: ${decoded.notDecoded}`)
  const {rgba, width, height} = decoded.picture
  return pdqOfLuma(lumaOf(rgba, width, height), height, width)
}

/** Any picture trawl decodes (JPEG, PNG, WebP, HEIC), by its signature. */
async function decodeFile(path: string): Promise<DecodedPicture> {
  const bytes = readFileSync(path)
  const format = sniffPicture(bytes.subarray(0, 4096)) ?? 'unknown'
  const decoded = await decodeAnyPicture(bytes, format)
  if (!('picture' in decoded)) throw new Error(`${path}: ${decoded.notDecoded}`)
  return decoded.picture
}

const pdqOf = ({rgba, width, height}: DecodedPicture): PdqHash => pdqOfLuma(lumaOf(rgba, width, height), height, width)

const distance = (a: string, b: string) => hammingDistance(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))

describe('PDQ perceptual hash', () => {
  it("equals Meta's own Python reference, bit for bit, on the same decoded pixels", () => {
    const golden = JSON.parse(readFileSync(join(FIXTURES, 'pdq/golden-python-reference.json'), 'utf8')) as Record<string, PdqHash>
    expect(Object.keys(golden).length).toBeGreaterThanOrEqual(16)
    for (const [name, expected] of Object.entries(golden)) {
      const folder = name.startsWith('reference/') ? 'pdq' : ''
      expect({name, ...pdqOfFile(join(FIXTURES, folder, name))}).toEqual({name, hash: expected.hash, quality: expected.quality})
    }
  })

  it("is within a few bits of the hashes Meta's tests publish for its reference pictures (decoded there by PIL)", () => {
    // facebook/ThreatExchange pdq/python/pdqhashing/tests/pdq_test.py; PIL's JPEG decoder rounds a
    // little differently from jpeg-js, which moves a hash by a few bits, except in flat pictures
    // (quality under 50), whose hashes PDQ itself says not to trust
    const published: Record<string, string> = {
      'small.jpg': '0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff',
      'wee.jpg': '6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d',
      'q0122.jpg': 'cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940',
      'q0291.jpg': 'a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7',
      'q0746.jpg': '1049d96239e24d4dca2c55512b8bdb77425f4dbcf575a0a95555aaab5554aaaa',
      'q1050.jpg': '489db672e9190276d452aeab41eba20f02375fe4092d88defdf491a5c55c5f70',
      'q2821.jpg': 'b150231ffae4710ffcf4f18bb574b109a576f14bb8543189f8743289f174b109',
      // quality 4: skipped by the check below (our hash is 18 bits from PIL's)
      'q0004.jpg': '992d44af36d69e6ca6b812585928bac11def254ef5398c6d07466c9abcc65b92',
    }
    for (const [name, hash] of Object.entries(published)) {
      const ours = pdqOfFile(join(FIXTURES, 'pdq/reference', name))
      if (ours.quality < 50) continue
      expect({name, near: distance(ours.hash, hash) <= 10}).toEqual({name, near: true})
    }
    expect(distance(pdqOfFile(join(FIXTURES, 'pdq/reference/small.jpg')).hash, published['small.jpg'])).toBe(0)
  })

  it('says why it does not hash a picture it cannot decode', () => {
    expect(decodePicture(Buffer.from('not a jpeg'), 'jpeg')).toEqual({notDecoded: expect.stringMatching(/^the JPEG decoder rejected it: /)})
    expect(decodePicture(Buffer.alloc(100), 'heic')).toEqual({notDecoded: 'heic pictures are not decoded for the perceptual hash (JPEG and PNG are)'})
  })
})

describeShared('PDQ finds the camera pictures of the shared test data after resizing, re-encoding, conversion and cropping', () => {
  const dir = scratchDir()
  const originals: Array<{name: string; path: string; hash: PdqHash}> = []
  /** Pictures PDQ rightly declines to vouch for: flat or tiny, quality under 50 (10 x 10 pixels; a grey frame). */
  const lowQuality: string[] = []

  // hashing a 8-megapixel photo blocks for a second or more: yield between pictures, so the test
  // worker still answers vitest
  const breathe = () => new Promise((resolve) => setImmediate(resolve))

  beforeAll(async () => {
    for (const folder of ['jpg_camera', 'jpg_gps', 'jpg_edge', 'heic']) {
      for (const name of readdirSync(sharedFile(`exif/${folder}`))) {
        if (!/\.(jpe?g|hei[cf])$/i.test(name)) continue
        await breathe()
        const path = sharedFile(`exif/${folder}/${name}`)
        let picture: DecodedPicture
        try {
          picture = await decodeFile(path)
        } catch {
          continue // corrupted.jpg: its record says why (test above)
        }
        const hash = pdqOf(picture)
        if (hash.quality < 50) lowQuality.push(name)
        else originals.push({name, path, hash})
      }
    }
  }, 120_000)

  it('hashes every decodable camera picture (JPEG and HEIC), and no two different pictures match', () => {
    expect(originals.length).toBeGreaterThanOrEqual(17)
    expect(originals.filter((o) => /\.hei[cf]$/i.test(o.name))).toHaveLength(3)
    expect(lowQuality.sort()).toEqual(['67-0_length_string.jpg', 'Sony_alpha_a58.JPG'])
    for (let i = 0; i < originals.length; i++) {
      for (let j = i + 1; j < originals.length; j++) {
        expect({pair: `${originals[i].name} ${originals[j].name}`, match: distance(originals[i].hash.hash, originals[j].hash.hash) <= 31}).toEqual({pair: `${originals[i].name} ${originals[j].name}`, match: false})
      }
    }
  })

  it('every resized, re-encoded and converted variant made with ImageMagick is within 31 bits of its original', async () => {
    const variants: Array<[string, string[]]> = [
      ['half.jpg', ['-resize', '50%']],
      ['q40.jpg', ['-quality', '40']],
      ['as.png', []],
    ]
    const distances: Record<string, number> = {}
    for (const original of originals) {
      for (const [suffix, args] of variants) {
        const out = join(dir, `${basename(original.name, '.jpg')}.${suffix}`)
        await breathe()
        // ImageMagick warns of some pictures' XMP on stderr; the picture is still written
        execFileSync('convert', [original.path, ...args, out], {stdio: 'ignore'})
        const d = distance(pdqOfFile(out).hash, original.hash.hash)
        distances[`${original.name} ${suffix}`] = d
        expect({variant: `${original.name} ${suffix}`, withinThreshold: d <= 31}).toEqual({variant: `${original.name} ${suffix}`, withinThreshold: true})
      }
    }
    expect(Object.keys(distances)).toHaveLength(originals.length * 3)
  }, 300_000)

  // PDQ alone does not survive a crop (a 5% crop moves these pictures by 24 to 64 bits,
  // docs/pdq.md): crop companions on the list's side and probe cuts on the collected
  // picture's side (pdq-crops.ts) find them, as `phashset make --crops` and collect do
  it('every variant cut by 5% made with ImageMagick matches its original through crop companions and probes, and no other original', async () => {
    const hashesOf = async (path: string, side: 'list' | 'probe') => {
      const {rgba, width, height} = await decodeFile(path)
      const luma = lumaOf(rgba, width, height)
      const extra = side === 'list' ? cropCompanions(luma, height, width) : cropProbes(luma, height, width)
      return [pdqOfLuma(luma, height, width).hash, ...extra.map((h) => h.hash)]
    }
    const nearest = (a: string[], b: string[]) => Math.min(...a.flatMap((x) => b.map((y) => distance(x, y))))
    const listed = new Map<string, string[]>()
    for (const original of originals) {
      await breathe()
      listed.set(original.name, await hashesOf(original.path, 'list'))
    }
    expect([...listed.values()].every((hashes) => hashes.length === 36)).toBe(true)
    const cuts = (w: number, h: number): Array<[string, string[]]> => [
      ['centred 95%', ['-gravity', 'center', '-crop', '95%x95%+0+0']],
      ['5% off the left', ['-gravity', 'east', '-crop', '95%x100%+0+0']],
      ['5% off the top', ['-gravity', 'south', '-crop', '100%x95%+0+0']],
      ['top-left 95%', ['-gravity', 'northwest', '-crop', '95%x95%+0+0']],
      ['bottom-right 95%', ['-gravity', 'southeast', '-crop', '95%x95%+0+0']],
      // off every grid: 3% left, 2% right, 1% top, 4% bottom
      ['off centre', ['-crop', `${Math.round(w * 0.95)}x${Math.round(h * 0.95)}+${Math.round(w * 0.03)}+${Math.round(h * 0.01)}`]],
    ]
    const seen: Record<string, number> = {}
    for (const original of originals) {
      const picture = await decodeFile(original.path)
      for (const [cut, args] of cuts(picture.width, picture.height)) {
        const out = join(dir, `${basename(original.name, '.jpg')}.crop.jpg`)
        await breathe()
        execFileSync('convert', [original.path, ...args, '+repage', out], {stdio: 'ignore'})
        const probes = await hashesOf(out, 'probe')
        const own = nearest(probes, listed.get(original.name)!)
        seen[`${original.name} ${cut}`] = own
        expect({variant: `${original.name} ${cut}`, withinThreshold: own <= 31}).toEqual({variant: `${original.name} ${cut}`, withinThreshold: true})
        for (const other of originals) {
          if (other === original) continue
          expect({variant: `${original.name} ${cut}`, other: other.name, match: nearest(probes, listed.get(other.name)!) <= 31}).toEqual({variant: `${original.name} ${cut}`, other: other.name, match: false})
        }
      }
    }
    expect(Object.keys(seen)).toHaveLength(originals.length * 6)
  }, 300_000)
})

describeShared('PDQ of WebP and HEIC pictures, decoded by libwebp and libheif (WebAssembly)', () => {
  const dir = scratchDir()
  const breathe = () => new Promise((resolve) => setImmediate(resolve))
  const hashOf = async (path: string, format: string): Promise<PdqHash & {width: number; height: number}> => {
    const decoded = await decodeAnyPicture(readFileSync(path), format)
    if (!('picture' in decoded)) throw new Error(`${path}: ${decoded.notDecoded}`)
    const {rgba, width, height} = decoded.picture
    return {...pdqOfLuma(lumaOf(rgba, width, height), height, width), width, height}
  }

  it('the camera pictures converted to WebP and to HEIC by ImageMagick match their originals within 31 bits, and no other original', async () => {
    const originals: Array<{name: string; path: string; hash: string}> = []
    for (const folder of ['jpg_camera', 'jpg_gps']) {
      for (const name of readdirSync(sharedFile(`exif/${folder}`))) {
        if (!/\.jpe?g$/i.test(name)) continue
        await breathe()
        const path = sharedFile(`exif/${folder}/${name}`)
        const hash = pdqOfFile(path)
        if (hash.quality >= 50) originals.push({name, path, hash: hash.hash})
      }
    }
    expect(originals.length).toBeGreaterThanOrEqual(10)
    const seen: string[] = []
    for (const original of originals) {
      for (const [format, args] of [['webp', ['-quality', '75']], ['heic', ['-quality', '50']]] as const) {
        const out = join(dir, `${basename(original.name, '.jpg')}.${format}`)
        await breathe()
        execFileSync('convert', [original.path, ...args, out], {stdio: 'ignore'})
        const {hash} = await hashOf(out, format)
        const variant = `${original.name} as ${format}`
        expect({variant, withinThreshold: distance(hash, original.hash) <= 31}).toEqual({variant, withinThreshold: true})
        for (const other of originals) if (other !== original) expect({variant, other: other.name, match: distance(hash, other.hash) <= 31}).toEqual({variant, other: other.name, match: false})
        seen.push(variant)
      }
    }
    expect(seen).toHaveLength(originals.length * 2)
  }, 600_000)

  it('a lossless WebP decodes to the very pixels of the PNG it was made from', async () => {
    const png = join(dir, 'small.png')
    const webp = join(dir, 'small.webp')
    execFileSync('convert', [sharedFile('exif/jpg_gps/DSCN0010.jpg'), '-resize', '320x240', '-alpha', 'off', png], {stdio: 'ignore'})
    execFileSync('convert', [png, '-define', 'webp:lossless=true', webp], {stdio: 'ignore'})
    const fromPng = decodePicture(readFileSync(png), 'png')
    const fromWebp = await decodeAnyPicture(readFileSync(webp), 'webp')
    if (!('picture' in fromPng) || !('picture' in fromWebp)) throw new Error('not decoded')
    expect([fromWebp.picture.width, fromWebp.picture.height]).toEqual([fromPng.picture.width, fromPng.picture.height])
    expect(Buffer.from(fromWebp.picture.rgba).equals(Buffer.from(fromPng.picture.rgba))).toBe(true)
    expect(fromWebp.picture.decoder).toMatch(/^libwebp/)
  })

  it("the shared HEIC photos hash as ImageMagick's own libheif decodes them, and do not match each other", async () => {
    const hashes: string[] = []
    for (const name of readdirSync(sharedFile('exif/heic'))) {
      await breathe()
      const path = sharedFile(`exif/heic/${name}`)
      const ours = await hashOf(path, 'heic')
      const png = join(dir, `${name}.png`)
      execFileSync('convert', [path, png], {stdio: 'ignore'})
      const theirs = pdqOfFile(png)
      const decoded = decodePicture(readFileSync(png), 'png')
      if (!('picture' in decoded)) throw new Error(name)
      expect({name, size: [ours.width, ours.height]}).toEqual({name, size: [decoded.picture.width, decoded.picture.height]})
      expect({name, near: distance(ours.hash, theirs.hash) <= 8}).toEqual({name, near: true})
      hashes.push(ours.hash)
    }
    expect(hashes).toHaveLength(3)
    for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) expect(distance(hashes[i], hashes[j])).toBeGreaterThan(31)
  }, 120_000)

  it('says why it does not hash an animated WebP or an AVIF', async () => {
    const a = join(dir, 'a.png')
    const b = join(dir, 'b.png')
    execFileSync('convert', ['-size', '64x48', 'gradient:red-blue', a], {stdio: 'ignore'})
    execFileSync('convert', ['-size', '64x48', 'gradient:green-yellow', b], {stdio: 'ignore'})
    const anim = join(dir, 'anim.webp')
    execFileSync('convert', ['-delay', '10', a, b, '-loop', '0', anim], {stdio: 'ignore'})
    expect(await decodeAnyPicture(readFileSync(anim), 'webp')).toEqual({notDecoded: 'an animated WebP: not decoded (only still pictures are hashed)'})
    const avif = join(dir, 'a.avif')
    execFileSync('convert', [a, avif], {stdio: 'ignore'})
    expect(await decodeAnyPicture(readFileSync(avif), 'avif')).toEqual({notDecoded: 'AVIF: the libheif build trawl carries has no AV1 decoder, not decoded'})
    expect(await decodeAnyPicture(Buffer.from('RIFF....WEBPVP8 '), 'webp')).toEqual({notDecoded: 'the WebP header gives no picture size: not decoded'})
  })
})
