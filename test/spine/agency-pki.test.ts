import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {ExitCode} from '../../src/errors.js'
import {scratchDir, trawl} from '../helpers/cli.js'

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})

/** An agency CA (made with OpenSSL) that issues the examiner's certificate, delivered as PKCS#12. */
function agencyPki(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-subj', `/CN=${name} Agency CA`, '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
  openssl(['req', '-newkey', 'rsa:3072', '-nodes', '-keyout', `${name}-examiner.key`, '-out', `${name}-examiner.csr`, '-subj', `/CN=${name} Examiner/O=${name} Unit`], dir)
  openssl(['x509', '-req', '-in', `${name}-examiner.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}-examiner.pem`, '-days', '30'], dir)
  openssl(['pkcs12', '-export', '-inkey', `${name}-examiner.key`, '-in', `${name}-examiner.pem`, '-certfile', `${name}-ca.pem`, '-out', `${name}.p12`, '-passout', 'pass:agency pass'], dir)
}

describe('a PKCS#12 from an agency PKI', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'agency.zip')
  const env = {P12_PASS: 'agency pass'}

  beforeAll(async () => {
    agencyPki(dir, 'north')
    agencyPki(dir, 'south')
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', bundle, '--case', 'PKI-1', '--examiner', 'north Examiner', '--targets', 'network', '--p12', join(dir, 'north.p12'), '--passphrase-env', 'P12_PASS'], {env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('signs a bundle that verifies against the issuing CA, and not against another CA', async () => {
    const good = await trawl(['verify', bundle, '--ca', join(dir, 'north-ca.pem'), '--json'])
    expect(JSON.parse(good.stdout).problems).toEqual([])
    expect(good.code).toBe(0)
    expect(JSON.parse(good.stdout).signer.subject).toContain('north Examiner')
    const wrong = await trawl(['verify', bundle, '--ca', join(dir, 'south-ca.pem'), '--json'])
    expect(wrong.code).toBe(1)
    expect(JSON.parse(wrong.stdout).problems.join('\n')).toMatch(/not issued by the given CA/)
  })

  it('appends custody with another PKCS#12 and checks each signer against the CA', async () => {
    const add = await trawl(['custody', 'add', bundle, '--action', 'received', '--by', 'south Examiner', '--p12', join(dir, 'south.p12'), '--passphrase-env', 'P12_PASS'], {env})
    expect(add.code).toBe(0)
    const verify = await trawl(['verify', bundle, '--ca', join(dir, 'north-ca.pem'), '--json'])
    expect(verify.code).toBe(1)
    expect(JSON.parse(verify.stdout).problems).toEqual(['custody event 2: its signer certificate is not issued by the given CA'])
    // without --ca: intact, but its signers were checked against nothing
    expect((await trawl(['verify', bundle])).code).toBe(ExitCode.untrusted)
  })

  it('verifies with stock tools using the CA as trust anchor', () => {
    const out = execFileSync('bash', [join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), bundle, join(dir, 'stock'), join(dir, 'north-ca.pem')], {encoding: 'utf8'})
    expect(out).toContain('manifest.json: signature verified')
  })

  it('refuses a wrong PKCS#12 password with exit 5', async () => {
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', join(dir, 'x.zip'), '--case', 'PKI-2', '--examiner', 'E', '--p12', join(dir, 'north.p12'), '--passphrase-env', 'P12_PASS'], {env: {P12_PASS: 'wrong'}})
    expect(result.code).toBe(5)
    expect(result.stderr.trim()).toMatch(/^trawl: the passphrase does not open the key/)
  })
})
