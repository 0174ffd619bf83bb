import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadSigner} from '../../src/bundle/keys.js'
import {eventLine, makeEvent} from '../../src/bundle/custody.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {ExitCode} from '../../src/errors.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {rebuildBundle, replaceLastEntry, resealBundle} from '../helpers/bundle-edit.js'
import {makeKeys, scratchDir, trawl, type CliResult} from '../helpers/cli.js'

/** Any character a terminal obeys or hides, except the newline and tab of trawl's own layout. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u

/** Cursor up, erase the line, carriage return: on a terminal this overwrites the line above with a forged verdict, then conceals what follows. */
const FORGED_VERDICT = 'T-9\u001b[1A\u001b[2K\rRESULT: VALID. The bundle is complete, unaltered, and signed by the certificate given with --cert.\u001b[8m'

function lines(result: CliResult): string[] {
  return result.stdout.trimEnd().split('\n')
}

/** What an examiner reads: no raw control character, the verdict first and last, nothing posing as one. */
function expectHonest(result: CliResult, verdict: RegExp): void {
  expect(result.stdout).not.toMatch(RAW)
  expect(result.stderr).not.toMatch(RAW)
  const out = lines(result)
  expect(out[2]).toMatch(verdict)
  expect(out[out.length - 1]).toMatch(verdict)
  expect(out.filter((line) => line.startsWith('RESULT:'))).toHaveLength(2)
}

describe('verify is not fooled by a hostile bundle', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'sealed.zip')
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let forger: Awaited<ReturnType<typeof makeKeys>>
  let forgerSigner: ReturnType<typeof loadSigner>

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    // the forger's own self-signed certificate carries the examiner's subject
    forger = await makeKeys(join(dir, 'forger'))
    forgerSigner = loadSigner({key: forger.key, cert: forger.cert, passphrase: 'correct horse'})
    expect(forgerSigner.certificate.subject).toBe(loadSigner({key: keys.key, cert: keys.cert, passphrase: 'correct horse'}).certificate.subject)
    const result = await trawl(['collect', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', bundle, '--targets', 'hosts-file,wlan-profiles', '--case', 'T-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('escape sequences in the case of a genuinely signed but altered bundle cannot overwrite INVALID', async () => {
    const signed = join(dir, 'escapes.zip')
    const result = await trawl(['collect', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', signed, '--targets', 'hosts-file', '--case', FORGED_VERDICT, '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    expect(result.stdout).not.toMatch(RAW)
    const altered = join(dir, 'escapes-altered.zip')
    await rebuildBundle(signed, altered, (entries) => entries.map((e) => (e.name.endsWith('/etc/hosts') ? {name: e.name, data: Buffer.from('127.0.0.1 localhost\n')} : e)))
    for (const args of [[], ['--cert', keys.cert]]) {
      const verify = await trawl(['verify', altered, ...args])
      expect(verify.code).toBe(ExitCode.invalid)
      expectHonest(verify, /^RESULT: INVALID\. \d+ problems? listed\.$/)
      // the case is shown, escaped, on its own line: ESC and CR visible, not obeyed
      expect(verify.stdout).toContain('Case:            T-9\\u001b[1A\\u001b[2K\\rRESULT: VALID.')
    }
  })

  it('a manifest re-sealed by the forger with escape sequences in its fields is NOT TRUSTED without a trust anchor and INVALID with the real one', async () => {
    const forged = join(dir, 'forged-escapes.zip')
    await resealBundle(bundle, forged, forgerSigner, {
      manifest: (m) => {
        m.case.id = FORGED_VERDICT
        m.case.examiner = 'Test Examiner\nRESULT: VALID. The bundle is complete, unaltered, and signed by the certificate given with --cert.'
      },
    })
    const unanchored = await trawl(['verify', forged])
    expect(unanchored.code).toBe(ExitCode.untrusted)
    expectHonest(unanchored, /^RESULT: NOT TRUSTED\. signature valid, signer NOT checked against a trusted certificate: compare fingerprint [0-9A-F:]{95} /)
    expect(lines(unanchored)[2]).toContain(forgerSigner.certificate.fingerprint256)
    const pinned = await trawl(['verify', forged, '--cert', keys.cert])
    expect(pinned.code).toBe(ExitCode.invalid)
    expectHonest(pinned, /^RESULT: INVALID\./)
    // the JSON keeps the exact values, and is safe on a terminal all the same
    const json = await trawl(['verify', forged, '--json'])
    expect(json.stdout).not.toMatch(RAW)
    expect(JSON.parse(json.stdout).case.id).toBe(FORGED_VERDICT)
  })

  it('a custody log replaced wholesale by a chain signed with a look-alike key is invalid, the sealed part kept byte for byte', async () => {
    const zip = BundleZip.open(bundle)
    const manifest = await zip.readEntry(zip.entry('manifest.json')!)
    const custodyAt = zip.entry('custody.jsonl')!.localHeaderOffset
    zip.close()
    const first = makeEvent({action: 'collected', by: 'Test Examiner', note: 'collected by trawl', manifest, seq: 1}, forgerSigner)
    const second = makeEvent({action: 'transferred', by: 'Evidence Clerk', note: 'bag 7731', previousLine: eventLine(first), seq: 2}, forgerSigner)
    const replaced = join(dir, 'custody-replaced.zip')
    replaceLastEntry(bundle, replaced, Buffer.from(`${eventLine(first)}\n${eventLine(second)}\n`))
    expect(readFileSync(replaced).subarray(0, custodyAt)).toEqual(readFileSync(bundle).subarray(0, custodyAt))

    for (const args of [[], ['--cert', keys.cert]]) {
      const verify = await trawl(['verify', replaced, '--json', ...args])
      expect(verify.code).toBe(ExitCode.invalid)
      const report = JSON.parse(verify.stdout)
      expect({valid: report.valid, trusted: report.trusted}).toEqual({valid: false, trusted: false})
      expect(report.problems).toEqual([
        `custody event 1: the "collected" event is signed by SHA-256 ${forgerSigner.certificate.fingerprint256}, not by the certificate that signed the manifest (SHA-256 ${report.signer.sha256Fingerprint}): the custody log was replaced`,
      ])
      expect(report.custody.log.map((e: {signerSha256: string}) => e.signerSha256)).toEqual([forgerSigner.certificate.fingerprint256, forgerSigner.certificate.fingerprint256])
    }
    const text = await trawl(['verify', replaced])
    expectHonest(text, /^RESULT: INVALID\. 1 problem listed\.$/)
    const show = await trawl(['custody', 'show', replaced])
    expect(show.code).toBe(ExitCode.invalid)
    expect(lines(show).at(-1)).toBe('Chain: BROKEN. 1 problem listed.')
    // nothing can be appended to a chain that is already broken
    expect((await trawl(['custody', 'add', replaced, '--action', 'examined', '--by', 'Analyst', ...keys.signArgs], {env: keys.env})).code).toBe(ExitCode.invalid)
    // the stock-tools check sees it too: its first-event line is missing
    const stock = spawnSync('bash', [join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), replaced, join(dir, 'stock-replaced')], {encoding: 'utf8'})
    expect(stock.stdout).toContain('manifest.json: signature verified')
    expect(stock.stdout).toContain('custody.jsonl: first event NOT signed by the manifest signer')
    expect(stock.status).toBe(1)
    expect(execFileSync('bash', [join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), bundle, join(dir, 'stock-real')], {encoding: 'utf8'})).toContain('custody.jsonl: first event signed by the manifest signer')
  })

  it('later custody events by another key are shown by fingerprint, and listed as a warning with --cert', async () => {
    const handed = join(dir, 'handed.zip')
    execFileSync('cp', [bundle, handed])
    const add = await trawl(['custody', 'add', handed, '--action', 'received', '--by', 'Defence Expert', ...forger.signArgs], {env: forger.env})
    expect(add.code).toBe(0)
    const pinned = await trawl(['verify', handed, '--cert', keys.cert, '--json'])
    expect(pinned.code).toBe(0)
    const report = JSON.parse(pinned.stdout)
    expect(report.trusted).toBe(true)
    expect(report.warnings).toEqual([expect.stringContaining(`custody event 2 is signed by another certificate, SHA-256 ${forgerSigner.certificate.fingerprint256}, not checked against a trust anchor`)])
    const text = await trawl(['verify', handed, '--cert', keys.cert])
    expect(text.stdout).toContain(`     signed by SHA-256 ${forgerSigner.certificate.fingerprint256}\n`)
    expect(text.stdout).toContain(`     signed by SHA-256 ${report.signer.sha256Fingerprint} (the manifest signer)\n`)
    // (with --ca every custody signer must be issued by it: test/spine/agency-pki.test.ts)
  })

  it('a bundle re-sealed end to end by a look-alike self-signed key: NOT TRUSTED (exit 9) without --cert/--ca, INVALID with the examiner certificate', async () => {
    const resealed = join(dir, 'resealed.zip')
    await resealBundle(bundle, resealed, forgerSigner, {files: (name, data) => (name.endsWith('/etc/hosts') ? Buffer.from('10.0.0.66 evidence-planted\n') : data)})
    const unanchored = await trawl(['verify', resealed, '--json'])
    expect(unanchored.code).toBe(ExitCode.untrusted)
    const report = JSON.parse(unanchored.stdout)
    expect(report.problems).toEqual([])
    expect({valid: report.valid, trusted: report.trusted, trustAnchor: report.trustAnchor}).toEqual({valid: true, trusted: false, trustAnchor: null})
    expect(report.signer.subject).toBe(forgerSigner.certificate.subject.replaceAll('\n', ', '))
    const text = await trawl(['verify', resealed])
    expect(text.code).toBe(ExitCode.untrusted)
    expectHonest(text, new RegExp(`^RESULT: NOT TRUSTED\\. signature valid, signer NOT checked against a trusted certificate: compare fingerprint ${forgerSigner.certificate.fingerprint256} `))

    const pinned = await trawl(['verify', resealed, '--cert', keys.cert, '--json'])
    expect(pinned.code).toBe(ExitCode.invalid)
    const examiner = JSON.parse((await trawl(['keys', 'show', keys.cert, '--json'])).stdout).sha256Fingerprint
    expect(JSON.parse(pinned.stdout).problems).toEqual([`signed by ${forgerSigner.certificate.fingerprint256}, not by the given certificate ${examiner}`])
    expect((await trawl(['verify', resealed, '--ca', keys.cert])).code).toBe(ExitCode.invalid)
    // and the genuine bundle is trusted only when it is checked against the examiner's certificate
    expect((await trawl(['verify', bundle])).code).toBe(ExitCode.untrusted)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(ExitCode.ok)
  })

  it('batch does not skip an item whose bundle someone else sealed, also when it signs with a PKCS#12', async () => {
    const evidence = join(dir, 'evidence')
    execFileSync('mkdir', ['-p', evidence])
    writeFileSync(join(evidence, 'pc3.raw'), gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/batch/pc3.raw.gz'))))
    const p12 = join(dir, 'examiner.p12')
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', keys.key, '-passin', 'pass:correct horse', '-in', keys.cert, '-out', p12, '-passout', 'pass:p12 pass'])
    const out = join(dir, 'batch')
    const common = ['--out', out, '--case', 'B-1', '--examiner', 'Test Examiner', '--no-image-check', '--jobs', '1', '--targets', 'network', '--json', join(evidence, 'pc3.raw')]
    // the forger runs the same batch first, with the look-alike key
    expect((await trawl(['batch', ...common, ...forger.signArgs], {env: forger.env})).code).toBe(0)
    const run = await trawl(['batch', ...common, '--p12', p12, '--passphrase-env', 'P12_PASS'], {env: {P12_PASS: 'p12 pass'}})
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).items.map((i: {status: string}) => i.status)).toEqual(['ok'])
    expect(run.stderr).toMatch(/pc3: the existing bundle does not verify \(signed by [0-9A-F:]+, not by the given certificate [0-9A-F:]+\); kept as pc3\.zip\.invalid-/)
    expect((await trawl(['verify', join(out, 'pc3.zip'), '--cert', keys.cert])).code).toBe(ExitCode.ok)
    // and its own bundle it does skip
    const again = await trawl(['batch', ...common, '--p12', p12, '--passphrase-env', 'P12_PASS'], {env: {P12_PASS: 'p12 pass'}})
    expect(JSON.parse(again.stdout).items.map((i: {status: string}) => i.status)).toEqual(['skipped'])
  })
})
