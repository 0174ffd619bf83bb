import {X509Certificate, createPrivateKey, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {beforeAll, describe, expect, it} from 'vitest'
import {CorruptEnvelopeError, EnvelopeEncryptor, NotARecipientError, decryptEnvelope, type DecryptionKey} from '../../src/bundle/cms-envelope.js'
import {createKeys} from '../../src/bundle/keys.js'
import {scratchDir} from '../helpers/cli.js'

/** Encrypts `plain` handed over in pieces of the given sizes (cycled), as the ZIP writer hands them. */
function encrypt(plain: Buffer, certificates: X509Certificate[], pieces: number[]): Buffer {
  const envelope = new EnvelopeEncryptor(certificates)
  const out = [envelope.header]
  for (let at = 0, i = 0; at < plain.length; i++) {
    const size = Math.max(1, pieces[i % pieces.length])
    out.push(envelope.update(plain.subarray(at, at + size)))
    at += size
  }
  out.push(envelope.final())
  return Buffer.concat(out)
}

/** Decrypts `file` read in pieces of the given sizes (cycled), as a slow disk or pipe delivers it. */
async function decrypt(file: Buffer, key: DecryptionKey, pieces: number[]): Promise<Buffer> {
  async function* source() {
    for (let at = 0, i = 0; at < file.length; i++) {
      const size = Math.max(1, pieces[i % pieces.length])
      yield file.subarray(at, at + size)
      at += size
    }
  }
  const chunks: Buffer[] = []
  for await (const chunk of decryptEnvelope(source(), key, 'test.p7m')) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('the streaming CMS envelope, however the bytes are cut', () => {
  const dir = scratchDir('trawl-envelope-')
  const keys: Array<{certificate: X509Certificate; key: DecryptionKey}> = []

  beforeAll(() => {
    for (const [folder, curve] of [['rsa', undefined], ['p256', 'P-256'], ['p384', 'P-384']] as const) {
      const made = createKeys({name: `Recipient ${folder}`, outDir: join(dir, folder), encryption: true, curve})
      const certificate = new X509Certificate(readFileSync(made.certPath))
      keys.push({certificate, key: {privateKey: createPrivateKey(readFileSync(made.keyPath)), label: folder}})
    }
  })

  it('round-trips any content, cut into any pieces on both sides, for every recipient', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({min: 0, max: 70_000}),
        fc.array(fc.integer({min: 1, max: 20_000}), {minLength: 1, maxLength: 6}),
        fc.array(fc.integer({min: 1, max: 5_000}), {minLength: 1, maxLength: 6}),
        async (size, writePieces, readPieces) => {
          const plain = randomBytes(size)
          const file = encrypt(plain, keys.map((k) => k.certificate), writePieces)
          for (const {key} of keys) expect((await decrypt(file, key, readPieces)).equals(plain)).toBe(true)
        },
      ),
      {numRuns: 25},
    )
  })

  it('names the failure: not a recipient, truncated at any point, trailing bytes', async () => {
    const plain = randomBytes(10_000)
    const file = encrypt(plain, [keys[0].certificate, keys[1].certificate], [4096])
    await expect(decrypt(file, keys[2].key, [1 << 20])).rejects.toBeInstanceOf(NotARecipientError)
    for (const cut of [1, 10, 100, 600, file.length - 100, file.length - 18, file.length - 1]) {
      await expect(decrypt(file.subarray(0, cut), keys[0].key, [1 << 20]), `cut at ${cut}`).rejects.toBeInstanceOf(CorruptEnvelopeError)
    }
    await expect(decrypt(Buffer.concat([file, Buffer.from([0])]), keys[1].key, [1 << 20])).rejects.toThrow(/bytes after the end/)
  })
})
