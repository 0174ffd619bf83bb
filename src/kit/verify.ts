import {UsageError} from '../errors.js'
import {readCertificate, summarizeCertificate, type CertificateSummary} from '../bundle/keys.js'
import {kitRoot} from './identity.js'
import {checkKit, type KitCheck} from './manifest.js'

export interface KitVerifyReport extends Omit<KitCheck, 'certificate'> {
  signer?: CertificateSummary
}

/**
 * `trawl kit verify`: every file of a kit (the one trawl runs from, or `kit`) against
 * its signed manifest, byte for byte, and the signer against `cert` when given.
 */
export function verifyKit(options: {kit?: string; cert?: string}): KitVerifyReport {
  const root = options.kit ?? kitRoot()
  if (!root) throw new UsageError('this trawl does not run from a field kit: name one with --kit <folder of the stick>')
  const cert = options.cert ? readCertificate(options.cert) : undefined
  const {certificate, ...check} = checkKit(root, {cert})
  return {...check, ...(certificate ? {signer: summarizeCertificate(certificate)} : {})}
}
