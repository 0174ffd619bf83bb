import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCertificate, summarizeCertificate} from '../../src/bundle/keys.js'
import {renderCertificate} from '../../src/cli/render.js'
import {scratchDir} from '../helpers/cli.js'

describe('a certificate summary names its key as it is', () => {
  it('an RSA key by its bits, an EC key by its curve', () => {
    const dir = scratchDir()
    const make = (name: string, key: string[]) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', ...key, '-nodes', '-subj', `/CN=${name}`, '-days', '1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], {stdio: 'ignore'})
      return renderCertificate(summarizeCertificate(readCertificate(join(dir, `${name}.pem`))))
    }
    expect(make('rsa', ['rsa:2048'])).toContain('Key:          RSA 2048 bits')
    expect(make('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'])).toContain('Key:          EC secp384r1')
  })
})
