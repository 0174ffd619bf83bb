import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {signDetached, verifyDetached} from '../../src/bundle/cms.js'
import {createKeys, loadSigner, type Signer} from '../../src/bundle/keys.js'
import {scratchDir} from '../helpers/cli.js'
import {forgeSignDetached} from '../helpers/forge-cms.js'

// The signatures of manifest.json, SHA256SUMS and every custody event are now built with
// node:crypto (the content hashed once by OpenSSL instead of in JavaScript). A court has
// bundles signed the old way: the new builder must give the same DER, byte for byte, as
// the node-forge builder it replaced, for the same content, signer and signing time.

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})

describe('detached CMS signatures built with node:crypto', () => {
  const dir = scratchDir()
  const signers: Array<[string, Signer]> = []

  beforeAll(() => {
    // an examiner's own key (UTF8String names, non-ASCII), as `trawl keys create` makes it
    const own = createKeys({name: 'Δημήτρης Jürgen', org: 'Lab Ü', outDir: join(dir, 'own')})
    signers.push(['self-signed, UTF8String non-ASCII names', loadSigner({key: own.keyPath, cert: own.certPath})])
    // an examiner's certificate issued by an agency CA with OpenSSL (PrintableString names, issuer differs from subject)
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/C=GB/CN=Agency CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
    openssl(['req', '-newkey', 'rsa:3072', '-nodes', '-keyout', 'examiner.key', '-out', 'examiner.csr', '-subj', '/CN=Agency Examiner/O=Unit 7'], dir)
    openssl(['x509', '-req', '-in', 'examiner.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x00ff01', '-out', 'examiner.pem', '-days', '30'], dir)
    signers.push(['issued by a CA, PrintableString names', loadSigner({key: join(dir, 'examiner.key'), cert: join(dir, 'examiner.pem')})])
  })

  const contents: Array<[string, Buffer]> = [
    ['an empty file', Buffer.alloc(0)],
    ['a short text', Buffer.from('manifest\n')],
    ['a 3 MiB manifest', Buffer.alloc(3 << 20, '{"path": "files/C/Users/u/a.jpg"}\n')],
  ]
  const times: Array<[string, Date]> = [
    ['now (UTCTime)', new Date('2026-12-03T13:00:00.123Z')],
    ['the last UTCTime second, 2049', new Date('2049-12-31T23:59:59Z')],
    ['2050 (GeneralizedTime)', new Date('2050-01-01T00:00:00Z')],
    ['before 1950 (GeneralizedTime)', new Date('1949-06-01T08:09:10Z')],
  ]

  it('is the DER node-forge built, byte for byte, for every signer, content and signing time', () => {
    for (const [who, signer] of signers) {
      for (const [what, content] of contents) {
        for (const [when, time] of times) {
          expect(signDetached(content, signer, time).equals(forgeSignDetached(content, signer, time)), `${who}, ${what}, ${when}`).toBe(true)
        }
      }
    }
  })

  it('verifies with trawl and with openssl cms -verify, and fails on one changed byte', () => {
    for (const [who, signer] of signers) {
      const content = contents[2][1]
      const signature = signDetached(content, signer)
      expect(verifyDetached(signature, content).valid, who).toBe(true)
      const changed = Buffer.from(content)
      changed[1000] ^= 1
      expect(verifyDetached(signature, changed).valid, who).toBe(false)
      writeFileSync(join(dir, 'content'), content)
      writeFileSync(join(dir, 'content.p7s'), signature)
      writeFileSync(join(dir, 'signer.pem'), signer.certificatePem)
      // -noverify: the chain is not the point here, the signature over the content is
      expect(() => openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'content.p7s', '-content', 'content', '-noverify', '-out', '/dev/null'], dir), who).not.toThrow()
    }
  })
})
