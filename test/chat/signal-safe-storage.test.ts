/**
 * Signal Desktop whose config.json holds only "encryptedKey" (Electron safeStorage), read on a
 * live Windows run with --unprotect-keys: Local State's os_crypt key is unprotected by DPAPI
 * (here a stand-in for Windows, which this Linux machine has not), opens encryptedKey
 * (AES-256-GCM, "v10"), and the key opens the database. The profiles are ana's fixture
 * (fixtures/signal) with her key wrapped as Electron wraps it on Windows.
 */
import {createCipheriv, createHash, randomBytes} from 'node:crypto'
import {cpSync, mkdirSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {collect} from '../../src/collect/collect.js'
import type {DpapiUnprotect} from '../../src/live/dpapi.js'
import {decryptSafeStorage, localStateKeyBlob} from '../../src/parsers/chat/safe-storage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const ANA_KEY = '6b1f0d1c2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const SIGNAL = 'AppData/Roaming/Signal'

/** What Electron's safeStorage.encryptString writes on Windows: "v10", a 12-byte nonce, AES-256-GCM ciphertext and tag. */
function safeStorageEncrypt(plaintext: Buffer, key: Buffer): Buffer {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from('v10'), nonce, body, cipher.getAuthTag()])
}

/** A Signal profile of ana's database whose key is kept by safeStorage under `osKey`, itself "DPAPI-protected" as `blob`. */
function wrappedProfile(volume: string, user: string, osKey: Buffer, blob: Buffer): void {
  const dir = join(volume, 'Users', user, SIGNAL)
  mkdirSync(dir, {recursive: true})
  cpSync(join(REPO_ROOT, 'fixtures/signal/windows/Users/ana', SIGNAL), dir, {recursive: true})
  writeFileSync(join(dir, 'config.json'), JSON.stringify({encryptedKey: safeStorageEncrypt(Buffer.from(ANA_KEY), osKey).toString('hex')}, null, 2))
  writeFileSync(join(dir, 'Local State'), JSON.stringify({os_crypt: {encrypted_key: Buffer.concat([Buffer.from('DPAPI'), blob]).toString('base64')}}))
}

describe('Signal Desktop keys kept by safeStorage (DPAPI), unwrapped on a live run with --unprotect-keys', () => {
  it('safeStorage values open under their os_crypt key and refuse any other', () => {
    const key = randomBytes(32)
    const sealed = safeStorageEncrypt(Buffer.from(ANA_KEY), key)
    expect(decryptSafeStorage(sealed, key)).toEqual({plaintext: Buffer.from(ANA_KEY)})
    expect(decryptSafeStorage(sealed, randomBytes(32))).toEqual({problem: expect.stringMatching(/tag does not match/)})
    expect(decryptSafeStorage(Buffer.concat([Buffer.from('v20'), sealed.subarray(3)]), key)).toEqual({problem: expect.stringMatching(/prefix "v20"/)})
    expect(localStateKeyBlob('{"os_crypt":{"encrypted_key":"QVBQQgAAAA=="}}')).toEqual({problem: expect.stringMatching(/does not start with "DPAPI"/)})
    expect(localStateKeyBlob('{}')).toEqual({problem: 'Local State holds no os_crypt.encrypted_key'})
  })

  it("reads the database whose key DPAPI gives, lists every DPAPI call in the manifest, and reports the one Windows refuses with Windows' reason", async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    const carolKey = randomBytes(32)
    const carolBlob = randomBytes(230)
    wrappedProfile(volume, 'carol', carolKey, carolBlob)
    // dave's key was protected for another user: Windows refuses it
    wrappedProfile(volume, 'dave', randomBytes(32), randomBytes(230))
    const calls: Buffer[] = []
    const dpapi: DpapiUnprotect = async (blob) => {
      calls.push(blob)
      const at = '2026-12-04T10:00:00.000Z'
      return blob.equals(carolBlob) ? {plaintext: carolKey, user: 'carol', commandLine: 'powershell.exe (stand-in)', at} : {error: 'Windows did not unprotect the DPAPI blob (exit code 1: Key not valid for use in specified state.)', commandLine: 'powershell.exe (stand-in)', at}
    }
    const out = join(dir, 'signal.zip')
    const signer = {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}
    const result = await collect({source: volume, out, caseId: 'SS-1', examiner: 'Test Examiner', signer, targets: ['signal-desktop'], allowSameVolume: true, unprotectKeys: true, dpapi})
    expect(result.complete).toBe(true)
    expect(calls).toHaveLength(2)
    const records = execFileSync('unzip', ['-p', out, 'parsed/signal-desktop.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    const decryption = records.find((r) => r.type === 'chat.decryption')
    expect(decryption).toMatchObject({
      keySource: expect.stringMatching(/encryptedKey.*safeStorage, AES-256-GCM.*unprotected by DPAPI on the live machine as Windows user carol/),
      recoveredKeys: {osCryptKey: carolKey.toString('hex'), databaseKey: ANA_KEY},
      damagedPages: 0,
    })
    expect(decryption.source.sourcePath).toBe(`Users/carol/${SIGNAL}/sql/db.sqlite`)
    const messages = records.filter((r) => r.type === 'chat.message')
    expect(messages.map((m) => m.body)).toEqual(['Hi, are you the one with the job offer?', 'Yes. Contract attached.', 'Send a passport scan to the group.', 'Here it is'])
    const dave = records.find((r) => r.type === 'chat.encrypted-store')
    expect(dave).toMatchObject({user: 'dave', unwrapAttempt: expect.stringContaining('Key not valid for use in specified state')})
    const manifest = JSON.parse(execFileSync('unzip', ['-p', out, 'manifest.json'], {encoding: 'utf8'}))
    expect(manifest.keyUnwraps).toEqual([
      {artifact: 'signal-desktop', volume: expect.any(String), purpose: `Signal Desktop Users/carol/${SIGNAL}/Local State os_crypt.encrypted_key`, blobSha256: createHash('sha256').update(carolBlob).digest('hex'), commandLine: 'powershell.exe (stand-in)', at: '2026-12-04T10:00:00.000Z', user: 'carol'},
      expect.objectContaining({purpose: `Signal Desktop Users/dave/${SIGNAL}/Local State os_crypt.encrypted_key`, error: expect.stringContaining('Key not valid')}),
    ])
    expect(manifest.errors.some((e: {message: string}) => e.message.includes('dave') && e.message.includes('Key not valid'))).toBe(true)
    expect((await trawl(['verify', out, '--cert', keys.cert])).code).toBe(0)
  })

  it('without --unprotect-keys nothing is asked of DPAPI, and --unprotect-keys is refused off a live Windows run', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    wrappedProfile(volume, 'carol', randomBytes(32), randomBytes(230))
    const calls: Buffer[] = []
    const out = join(dir, 'plain.zip')
    const signer = {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}
    await collect({source: volume, out, caseId: 'SS-2', examiner: 'Test Examiner', signer, targets: ['signal-desktop'], allowSameVolume: true, dpapi: async (b) => (calls.push(b), {error: 'x', commandLine: 'x', at: 'x'})})
    expect(calls).toEqual([])
    const records = execFileSync('unzip', ['-p', out, 'parsed/signal-desktop.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    expect(records.map((r) => r.type)).toEqual(['chat.encrypted-store'])
    expect(records[0].unwrapAttempt).toBeUndefined()
    const refused = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', join(dir, 'refused.zip'), '--case', 'SS-3', '--examiner', 'Test Examiner', '--unprotect-keys', ...keys.signArgs], {env: keys.env})
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('--unprotect-keys needs --live on Windows')
  })
})
