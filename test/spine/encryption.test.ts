import {execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {beforeAll, describe, expect, it} from 'vitest'
import {derChildren, readDer} from '../../src/bundle/der.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {scratchDir, trawl, type CliResult} from '../helpers/cli.js'

/*
 * Issue 18: a lost stick leaks nothing. The bundle is sealed and signed as always, then
 * written encrypted (CMS AuthEnvelopedData, AES-256-GCM) to the lab's recipients; each
 * recipient decrypts alone, with trawl or with stock openssl, and the stock verify recipe
 * passes on what comes out.
 */

const SAMPLE = join(REPO_ROOT, 'fixtures/sample/tree')
/** A passphrase no output, log, manifest or bundle may ever contain. */
const PASSPHRASE = 'pale-Orchid-47 under the pier'
const ENV = {LAB_PASS: PASSPHRASE}
const STOCK_VERIFY = join(REPO_ROOT, 'docs/verify-with-stock-tools.sh')
/** Strings of the sample evidence: file names (in ZIP headers) and record contents (in parsed/). */
const PLAINTEXT_MARKERS = ['harbour.jpg', 'places.sqlite', 'Wlansvc', 'work visa europe', 'manifest.json', 'custody.jsonl', 'SHA256SUMS']

interface KeyPair {
  key: string
  cert: string
}

const outputs: CliResult[] = []
async function run(args: string[]): Promise<CliResult> {
  const result = await trawl(args, {env: ENV})
  outputs.push(result)
  return result
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, ...ENV}})
}

describe('bundles encrypted to the lab: RSA-OAEP, ECDH P-256 and P-384 recipients', () => {
  const dir = scratchDir('trawl-enc-')
  const out = join(dir, 'stick')
  const bundle = join(out, 'case.zip.p7m')
  let signer: KeyPair
  let rsa: KeyPair
  let p256: KeyPair
  let p384: KeyPair
  let outsider: KeyPair
  let collected: CliResult
  let summary: {bundle: string; bundleSha256: string; encryptedSha256: string; recipients: Array<{keyManagement: string}>}

  const signArgs = () => ['--key', signer.key, '--cert', signer.cert, '--passphrase-env', 'LAB_PASS']
  const makePair = async (name: string, folder: string, extra: string[]): Promise<KeyPair> => {
    const result = await run(['keys', 'create', '--name', name, '--org', 'North Lab', '--out', join(dir, folder), '--passphrase-env', 'LAB_PASS', ...extra])
    expect(result.code, result.stderr).toBe(0)
    const prefix = extra.includes('--encryption') ? 'encryption-' : ''
    return {key: join(dir, folder, `${prefix}key.pem`), cert: join(dir, folder, `${prefix}cert.pem`)}
  }

  beforeAll(async () => {
    signer = await makePair('Field Examiner', 'signer', [])
    rsa = await makePair('Lab RSA', 'rsa', ['--encryption'])
    p256 = await makePair('Lab P-256', 'p256', ['--encryption', '--ec', 'P-256'])
    p384 = await makePair('Second Custodian P-384', 'p384', ['--encryption', '--ec', 'P-384'])
    outsider = await makePair('Not A Recipient', 'outsider', ['--encryption'])
    collected = await run([
      'collect', '--source', SAMPLE, '--out', join(out, 'case.zip'), '--case', 'ENC-1', '--examiner', 'Field Examiner', ...signArgs(),
      '--recipient', rsa.cert, '--recipient', p256.cert, '--recipient', p384.cert, '--json',
    ])
    expect(collected.code, collected.stderr).toBe(0)
    summary = JSON.parse(collected.stdout)
  })

  it('writes only <bundle>.zip.p7m on the stick, and none of the evidence in the clear', () => {
    expect(summary.bundle).toBe(bundle)
    expect(readdirSync(out)).toEqual(['case.zip.p7m'])
    const bytes = readFileSync(bundle)
    for (const marker of PLAINTEXT_MARKERS) expect(bytes.includes(Buffer.from(marker)), marker).toBe(false)
    expect(summary.recipients.map((r) => r.keyManagement)).toEqual(['rsa-oaep-sha256', 'ecdh-p256', 'ecdh-p384'])
    expect(execFileSync('sha256sum', [bundle], {encoding: 'utf8'}).split(' ')[0]).toBe(summary.encryptedSha256)
  })

  it('each recipient decrypts alone with trawl (with or without its certificate), to the bundle that was sealed', async () => {
    for (const [i, pair] of [rsa, p256, p384].entries()) {
      const target = join(dir, `trawl-${i}.zip`)
      const args = ['decrypt', bundle, '--key', pair.key, '--passphrase-env', 'LAB_PASS', '--out', target, ...(i === 1 ? [] : ['--cert', pair.cert])]
      const result = await run(args)
      expect(result.code, result.stderr).toBe(0)
      expect(execFileSync('sha256sum', [target], {encoding: 'utf8'}).split(' ')[0]).toBe(summary.bundleSha256)
      const verified = await run(['verify', target, '--cert', signer.cert])
      expect(verified.code, verified.stdout).toBe(0)
    }
  })

  it('stock openssl decrypts for each recipient, and the stock verify recipe passes on the result', () => {
    for (const [i, pair] of [rsa, p256, p384].entries()) {
      const target = join(dir, `openssl-${i}.zip`)
      openssl(['cms', '-decrypt', '-inform', 'DER', '-in', bundle, '-recip', pair.cert, '-inkey', pair.key, '-passin', 'env:LAB_PASS', '-out', target].map(String))
      expect(execFileSync('sha256sum', [target], {encoding: 'utf8'}).split(' ')[0]).toBe(summary.bundleSha256)
    }
    const stock = execFileSync('bash', [STOCK_VERIFY, join(dir, 'openssl-0.zip'), join(dir, 'stock'), signer.cert], {encoding: 'utf8'})
    expect(stock).toContain('manifest.json: signature verified')
    expect(stock).toMatch(/all \d+ files OK/)
    expect(stock).toContain('manifest.json: collection complete')
  })

  it('the sealed manifest names every recipient by certificate fingerprint', () => {
    const manifest = JSON.parse(execFileSync('unzip', ['-p', join(dir, 'openssl-0.zip'), 'manifest.json'], {encoding: 'utf8'}))
    const fingerprint = (cert: string) => execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {encoding: 'utf8'}).trim().split('=')[1]
    expect(manifest.encryption.recipients.map((r: {certificateSha256: string}) => r.certificateSha256)).toEqual([rsa, p256, p384].map((p) => fingerprint(p.cert)))
    expect(manifest.encryption.contentEncryption).toBe('aes-256-gcm')
    expect(manifest.encryption.workingCopies).toMatch(/^memory/)
  })

  it('trawl verify decrypts in memory and verifies; a recipient adds a custody event and the seal holds', async () => {
    const verified = await run(['verify', bundle, '--key', p384.key, '--passphrase-env', 'LAB_PASS', '--cert', signer.cert])
    expect(verified.code, verified.stdout).toBe(0)
    const added = await run(['custody', 'add', bundle, '--action', 'received', '--by', 'Lab Intake', ...signArgs(), '--decrypt-key', p256.key, '--decrypt-passphrase-env', 'LAB_PASS'])
    expect(added.code, added.stderr).toBe(0)
    expect(readdirSync(out)).toEqual(['case.zip.p7m'])
    const again = await run(['verify', bundle, '--key', rsa.key, '--passphrase-env', 'LAB_PASS', '--cert', signer.cert, '--json'])
    expect(again.code, again.stdout).toBe(0)
    const report = JSON.parse(again.stdout)
    expect(report.custody.events).toBe(2)
    const shown = await run(['custody', 'show', bundle, '--decrypt-key', p384.key, '--decrypt-passphrase-env', 'LAB_PASS', '--json'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(JSON.parse(shown.stdout).events.map((e: {action: string}) => e.action)).toEqual(['collected', 'received'])
    expect(report.custody.log[1].action).toBe('received')
    // encrypted again to the same three: the P-384 custodian still opens it, with stock openssl too
    openssl(['cms', '-decrypt', '-inform', 'DER', '-in', bundle, '-recip', p384.cert, '-inkey', p384.key, '-passin', 'env:LAB_PASS', '-out', join(dir, 'after-custody.zip')])
    const stock = execFileSync('bash', [STOCK_VERIFY, join(dir, 'after-custody.zip'), join(dir, 'stock2'), signer.cert], {encoding: 'utf8'})
    expect(stock).toMatch(/all \d+ files OK/)
  })

  it('a file re-encrypted to someone the sealed manifest does not name fails verification', async () => {
    const plain = join(dir, 'openssl-1.zip')
    const widened = join(dir, 'widened.zip.p7m')
    openssl(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', plain, '-outform', 'DER', '-out', widened, '-recip', rsa.cert, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-recip', outsider.cert, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'])
    const result = await run(['verify', widened, '--key', rsa.key, '--passphrase-env', 'LAB_PASS', '--cert', signer.cert])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('recipient(s) the sealed manifest does not name')
    expect(result.stdout).toContain('is not encrypted to it')
  })

  it('refuses a signing certificate as a recipient, before anything is written', async () => {
    const target = join(dir, 'refused')
    const result = await run(['collect', '--source', SAMPLE, '--out', join(target, 'x.zip'), '--case', 'ENC-2', '--examiner', 'E', ...signArgs(), '--recipient', signer.cert])
    expect(result.code).toBe(6)
    expect(result.stderr).toContain('not an encryption certificate (its key usage lacks keyEncipherment)')
    expect(existsSync(target)).toBe(false)
  })

  it('a wrong key, a truncated or a bit-flipped file: a clear error, its exit code, and nothing that looks like a bundle', {timeout: 240_000}, async () => {
    const original = readFileSync(bundle)
    const cases: Array<{name: string; file: string; key: KeyPair; code: number; message: RegExp}> = []
    cases.push({name: 'wrong key', file: bundle, key: outsider, code: 6, message: /is not encrypted to this key/})
    const truncated = join(dir, 'bad', 'truncated.zip.p7m')
    mkdirSync(join(dir, 'bad'))
    writeFileSync(truncated, original.subarray(0, Math.floor(original.length * 0.6)))
    cases.push({name: 'truncated', file: truncated, key: rsa, code: 2, message: /ends early/})
    const flipped = join(dir, 'bad', 'flipped.zip.p7m')
    const copy = Buffer.from(original)
    copy[Math.floor(copy.length / 2)] ^= 0x01
    writeFileSync(flipped, copy)
    cases.push({name: 'bit flipped in the content', file: flipped, key: rsa, code: 1, message: /GCM tag does not match/})
    const tag = join(dir, 'bad', 'tag.zip.p7m')
    const tagCopy = Buffer.from(original)
    tagCopy[tagCopy.length - 10] ^= 0x80
    writeFileSync(tag, tagCopy)
    cases.push({name: 'bit flipped in the tag', file: tag, key: rsa, code: 1, message: /GCM tag does not match/})
    for (const c of cases) {
      const target = join(dir, 'bad', `${c.name.replaceAll(' ', '-')}.zip`)
      const result = await run(['decrypt', c.file, '--key', c.key.key, '--passphrase-env', 'LAB_PASS', '--out', target])
      expect(result.code, `${c.name}: ${result.stderr}`).toBe(c.code)
      expect(result.stderr, c.name).toMatch(c.message)
      expect(result.stderr.trim().split('\n'), c.name).toHaveLength(1)
      expect(existsSync(target) || existsSync(`${target}.partial`), c.name).toBe(false)
      const verified = await run(['verify', c.file, '--key', c.key.key, '--passphrase-env', 'LAB_PASS', '--cert', signer.cert])
      expect(verified.code, c.name).toBe(c.code)
    }
    // and a sweep: a flipped bit anywhere is an error, never a different bundle. RFC 5083 does not
    // authenticate the RecipientInfos: a flip inside another recipient's wrapped key harms only that
    // recipient (their key no longer opens the file); this key still gets the sealed bundle, exactly.
    let errors = 0
    // ContentInfo, OID, [0], AuthEnvelopedData (indefinite) and version: the RecipientInfos SET starts at byte 22
    const infos = derChildren(readDer(original, 22))
    const rsaId = execFileSync('openssl', ['x509', '-in', rsa.cert, '-noout', '-serial'], {encoding: 'utf8'}).trim().split('=')[1].toLowerCase()
    const othersRecipientInfos = infos
      .filter((info) => !(info.tag === 0x30 && info.raw.toString('hex').includes(rsaId.replace(/^0+/, ''))))
      .map((info) => ({start: info.offset, end: info.offset + info.raw.length}))
    expect(othersRecipientInfos).toHaveLength(2)
    // the bundle as it is now (a custody event was added above)
    const intact = join(dir, 'bad', 'intact.zip')
    expect((await run(['decrypt', bundle, '--key', rsa.key, '--passphrase-env', 'LAB_PASS', '--out', intact])).code).toBe(0)
    const intactSha256 = execFileSync('sha256sum', [intact], {encoding: 'utf8'}).split(' ')[0]
    const positions = [0, 1, 5, 20, 100, 300, 700, 1200, original.length - 40, original.length - 2]
    for (let p = 2000; p < original.length; p += Math.floor(original.length / 7)) positions.push(p)
    const sweep = join(dir, 'bad', 'sweep.zip.p7m')
    for (const p of positions) {
      const damaged = Buffer.from(original)
      damaged[p] ^= 0x04
      writeFileSync(sweep, damaged)
      const target = join(dir, 'bad', `sweep-${p}.zip`)
      const result = await run(['decrypt', sweep, '--key', rsa.key, '--passphrase-env', 'LAB_PASS', '--out', target])
      if (result.code === 0) {
        expect(execFileSync('sha256sum', [target], {encoding: 'utf8'}).split(' ')[0], `byte ${p}`).toBe(intactSha256)
        const other = othersRecipientInfos.find((r) => p >= r.start && p < r.end)
        expect(other, `byte ${p}: only a flip in another recipient's RecipientInfo goes unnoticed by this key`).toBeDefined()
      } else {
        errors++
        expect(existsSync(target) || existsSync(`${target}.partial`), `byte ${p}`).toBe(false)
      }
    }
    expect(errors).toBeGreaterThanOrEqual(positions.length - 3)
  })

  it('decrypts what stock openssl encrypted (AuthEnvelopedData, RSA-OAEP and ECDH as openssl does them by default)', async () => {
    const plain = join(dir, 'openssl-2.zip')
    const made = join(dir, 'by-openssl.zip.p7m')
    openssl(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', plain, '-outform', 'DER', '-out', made, '-recip', rsa.cert, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-recip', p256.cert])
    for (const pair of [rsa, p256]) {
      const target = join(dir, `from-openssl-${pair === rsa ? 'rsa' : 'ec'}.zip`)
      const result = await run(['decrypt', made, '--key', pair.key, '--cert', pair.cert, '--passphrase-env', 'LAB_PASS', '--out', target])
      expect(result.code, result.stderr).toBe(0)
      expect(readFileSync(target).equals(readFileSync(plain))).toBe(true)
    }
  })

  it('an interrupted encrypted collect leaves only encrypted bytes on the stick', {timeout: 240_000}, async () => {
    // a source with a large document, so the run is still copying when it is killed
    const source = join(dir, 'suspect')
    cpSync(SAMPLE, source, {recursive: true})
    // incompressible (so it is stored and the partial file grows as it is copied), a marker in every MiB
    const line = Buffer.from('VICTIM-STATEMENT-7731 the plaintext that must never reach the stick\n')
    const document = randomBytes(200 << 20)
    for (let at = 4096; at + line.length < document.length; at += 1 << 20) line.copy(document, at)
    mkdirSync(join(source, 'Users/ana/Documents'), {recursive: true})
    writeFileSync(join(source, 'Users/ana/Documents/statement-7731.txt'), document)
    const definitions = join(dir, 'definitions')
    cpSync(join(REPO_ROOT, 'artifacts'), definitions, {recursive: true})
    writeFileSync(join(definitions, 'zz-documents.yaml'), '- id: user-documents\n  name: User documents\n  category: media\n  description: Documents of every user\n  paths: [\'Users/{user}/Documents/*.txt\']\n')
    const stick = join(dir, 'stick2')
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/run.js'), 'collect', '--allow-same-volume', '--source', source, '--definitions', definitions, '--out', join(stick, 'run.zip'), '--case', 'ENC-3', '--examiner', 'E', ...signArgs(), '--recipient', rsa.cert], {env: {...process.env, ...ENV}, stdio: 'ignore'})
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const shmBefore = new Set(existsSync('/dev/shm') ? readdirSync('/dev/shm') : [])
    // killed outright (no chance to clean up) once the large document is being written
    const partial = join(stick, 'run.zip.p7m.partial')
    for (let i = 0; i < 600; i++) {
      if (existsSync(partial) && statSync(partial).size > 8 << 20) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(existsSync(partial)).toBe(true)
    child.kill('SIGKILL')
    await exited
    // the killed run's working copies were in memory (tmpfs), not on the stick; they go with it here
    for (const name of existsSync('/dev/shm') ? readdirSync('/dev/shm') : []) if (!shmBefore.has(name) && name.startsWith('trawl-work-')) rmSync(join('/dev/shm', name), {recursive: true, force: true})
    rmSync(join(source, 'Users/ana/Documents/statement-7731.txt'))
    const files = filesUnder(stick)
    expect(files.map((f) => f.slice(stick.length + 1))).toEqual(['run.zip.p7m.partial'])
    const markers = [...PLAINTEXT_MARKERS, 'VICTIM-STATEMENT-7731', 'statement-7731', 'ana']
    for (const file of files) {
      for (const marker of markers) expect(file.includes(marker), file).toBe(false)
      const bytes = readFileSync(file)
      for (const marker of markers.slice(0, -1)) expect(bytes.includes(Buffer.from(marker)), `${file}: ${marker}`).toBe(false)
    }
    rmSync(partial)
  })

  it('batch --recipient writes <item>.zip.p7m per item; the lab decrypts and verifies it; a rerun keeps it', {timeout: 120_000}, async () => {
    const evidence = join(dir, 'intake')
    mkdirSync(evidence)
    writeFileSync(join(evidence, 'pc4.raw'), gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/batch/pc4.raw.gz'))))
    const batchOut = join(dir, 'batch')
    const args = ['batch', '--out', batchOut, '--case', 'ENC-4', '--examiner', 'Lab Intake', ...signArgs(), '--recipient', p256.cert, '--recipient', rsa.cert, '--no-image-check', '--json', join(evidence, 'pc4.raw')]
    const first = await run(args)
    expect(first.code, first.stderr).toBe(0)
    expect(readdirSync(batchOut).sort()).toEqual(['pc4.zip.p7m', 'summary.csv', 'summary.json'])
    const row = JSON.parse(first.stdout).items[0]
    expect(row.status).toBe('ok')
    expect(execFileSync('sha256sum', [join(batchOut, 'pc4.zip.p7m')], {encoding: 'utf8'}).split(' ')[0]).toBe(row.bundleSha256)
    const verified = await run(['verify', join(batchOut, 'pc4.zip.p7m'), '--key', p256.key, '--passphrase-env', 'LAB_PASS', '--cert', signer.cert])
    expect(verified.code, verified.stdout).toBe(0)
    const again = await run(args)
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).items[0].status).toBe('skipped')
    // a file that is not the one reported complete is kept aside and the item redone
    writeFileSync(join(batchOut, 'pc4.zip.p7m'), Buffer.concat([readFileSync(join(batchOut, 'pc4.zip.p7m')), Buffer.from([0])]))
    const third = await run(args)
    expect(third.code, third.stderr).toBe(0)
    expect(JSON.parse(third.stdout).items[0].status).toBe('ok')
    expect(readdirSync(batchOut).some((n) => n.startsWith('pc4.zip.p7m.unverified-'))).toBe(true)
  })

  it('the passphrase appears in no output, error, manifest or bundle', async () => {
    const wrong = await trawl(['decrypt', bundle, '--key', rsa.key, '--passphrase-env', 'WRONG'], {env: {WRONG: `${PASSPHRASE}x`}})
    expect(wrong.code).toBe(5)
    outputs.push(wrong)
    for (const result of outputs) {
      expect(result.stdout.includes(PASSPHRASE)).toBe(false)
      expect(result.stderr.includes(PASSPHRASE)).toBe(false)
    }
    for (const file of filesUnder(dir)) {
      if (statSync(file).size > 64 << 20) continue // the interrupted run's random document and its partial copy
      expect(readFileSync(file).includes(Buffer.from(PASSPHRASE)), file).toBe(false)
    }
    // not in the sealed command line either: only the variable's name is
    const manifest = execFileSync('unzip', ['-p', join(dir, 'openssl-0.zip'), 'manifest.json'], {encoding: 'utf8'})
    expect(manifest).toContain('LAB_PASS')
    expect(manifest.includes(PASSPHRASE)).toBe(false)
  })
})
