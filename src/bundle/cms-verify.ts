import {X509Certificate, createHash, verify as cryptoVerify} from 'node:crypto'
import {DerError, decodeOid, decodeTime, derChildren, readDerExact, type DerElement} from './der.js'

/**
 * Verification of detached CMS (PKCS#7) signatures, RFC 5652 section 5.4, with
 * node:crypto only: kept apart from signing (cms.ts, node-forge) so that checking a
 * signature, as the field kit does at every start, does not load node-forge.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
}

export interface SignatureCheck {
  valid: boolean
  problems: string[]
  /** The signer's certificate as carried in the signature. */
  certificate?: X509Certificate
  signingTime?: Date
}

/**
 * Verifies a detached signature over `content`. Strict: only the structure trawl
 * writes is accepted (one signer, SHA-256, RSA, one certificate, no CRLs, no
 * unsigned attributes), so no byte of the signature file is left unchecked.
 */
export function verifyDetached(signature: Buffer, content: Buffer): SignatureCheck {
  const problems: string[] = []
  try {
    return checkSignedData(signature, content, problems)
  } catch (error) {
    if (error instanceof DerError || error instanceof SyntaxError || error instanceof RangeError) {
      problems.push(`signature is not a well-formed CMS structure: ${error.message}`)
      return {valid: false, problems}
    }
    throw error
  }
}

function expect(condition: boolean, problems: string[], message: string): boolean {
  if (!condition) problems.push(message)
  return condition
}

/** AlgorithmIdentifier with the given OID and NULL (or absent) parameters. */
function algorithm(element: DerElement | undefined, oids: string[], problems: string[], what: string): boolean {
  if (!element || element.tag !== 0x30) return expect(false, problems, `${what}: not an algorithm identifier`)
  const parts = derChildren(element)
  const oid = decodeOid(parts[0])
  const paramsOk = parts.length === 1 || (parts.length === 2 && parts[1].tag === 0x05 && parts[1].content.length === 0)
  return expect(oids.includes(oid) && paramsOk, problems, `${what}: unexpected algorithm ${oid}`)
}

function checkSignedData(signature: Buffer, content: Buffer, problems: string[]): SignatureCheck {
  const contentInfo = readDerExact(signature)
  const ci = derChildren(contentInfo)
  if (!expect(contentInfo.tag === 0x30 && ci.length === 2 && decodeOid(ci[0]) === OID.signedData && ci[1].tag === 0xa0, problems, 'not a CMS SignedData')) {
    return {valid: false, problems}
  }
  const wrapper = derChildren(ci[1])
  if (!expect(wrapper.length === 1 && wrapper[0].tag === 0x30, problems, 'SignedData is malformed')) return {valid: false, problems}
  const parts = derChildren(wrapper[0])
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos }
  if (!expect(parts.length === 5, problems, `SignedData has ${parts.length} fields; expected version, digest algorithms, content info, certificates, signer infos`)) {
    return {valid: false, problems}
  }
  const [version, digestAlgorithms, encap, certificates, signerInfos] = parts
  expect(version.tag === 0x02 && version.content.equals(Buffer.from([1])), problems, 'SignedData version is not 1')
  const digestSet = derChildren(digestAlgorithms)
  expect(digestAlgorithms.tag === 0x31 && digestSet.length === 1, problems, 'expected exactly one digest algorithm')
  if (digestSet[0]) algorithm(digestSet[0], [OID.sha256], problems, 'digest algorithm')
  const encapParts = derChildren(encap)
  expect(encap.tag === 0x30 && encapParts.length === 1 && decodeOid(encapParts[0]) === OID.data, problems, 'signature is not detached over plain data')
  expect(certificates.tag === 0xa0, problems, 'signature carries no certificates')
  const certs = certificates.tag === 0xa0 ? derChildren(certificates) : []
  expect(certs.length === 1, problems, `expected exactly one certificate, found ${certs.length}`)
  let certificate: X509Certificate | undefined
  try {
    certificate = certs[0] ? new X509Certificate(certs[0].raw) : undefined
  } catch (error) {
    problems.push(`the signer certificate cannot be read: ${(error as Error).message}`)
  }
  const signers = derChildren(signerInfos)
  if (!expect(signerInfos.tag === 0x31 && signers.length === 1, problems, 'expected exactly one signer') || !certificate) {
    return {valid: false, problems, certificate}
  }
  // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature }
  const info = derChildren(signers[0])
  if (!expect(info.length === 6 && info[3].tag === 0xa0 && info[5].tag === 0x04, problems, 'signer info lacks signed attributes or has unsigned ones')) {
    return {valid: false, problems, certificate}
  }
  const [signerVersion, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signatureValue] = info
  expect(signerVersion.tag === 0x02 && signerVersion.content.equals(Buffer.from([1])), problems, 'signer info version is not 1')
  checkSignerId(sid, certs[0], problems)
  algorithm(digestAlgorithm, [OID.sha256], problems, 'signer digest algorithm')
  algorithm(signatureAlgorithm, [OID.rsaEncryption, OID.sha256WithRSA], problems, 'signature algorithm')

  let messageDigest: Buffer | undefined
  let contentType: string | undefined
  let signingTime: Date | undefined
  const seen = new Set<string>()
  for (const attribute of derChildren(signedAttrs)) {
    const [type, values] = derChildren(attribute)
    const oid = decodeOid(type)
    if (seen.has(oid)) problems.push(`signed attribute ${oid} appears twice`)
    seen.add(oid)
    const value = derChildren(values)
    if (!expect(values.tag === 0x31 && value.length === 1, problems, `signed attribute ${oid} must have one value`)) continue
    if (oid === OID.messageDigest && value[0].tag === 0x04) messageDigest = value[0].content
    else if (oid === OID.contentType) contentType = decodeOid(value[0])
    else if (oid === OID.signingTime) signingTime = decodeTime(value[0])
    else problems.push(`unexpected signed attribute ${oid}`)
  }
  expect(contentType === OID.data, problems, 'contentType attribute missing or not id-data')
  const digest = createHash('sha256').update(content).digest()
  expect(messageDigest !== undefined && messageDigest.equals(digest), problems, 'the signed messageDigest does not match the content (content changed)')
  expect(signingTime !== undefined, problems, 'signingTime attribute missing')
  // RFC 5652 5.4: the signature is over the DER of the attributes with an explicit SET OF tag
  const signedBytes = Buffer.from(signedAttrs.raw)
  signedBytes[0] = 0x31
  const ok = cryptoVerify('sha256', signedBytes, certificate.publicKey, signatureValue.content)
  expect(ok, problems, 'the signature does not verify with the signer certificate')
  if (signingTime) {
    const from = new Date(certificate.validFrom)
    const to = new Date(certificate.validTo)
    expect(signingTime >= from && signingTime <= to, problems, `signed at ${signingTime.toISOString()}, outside the certificate's validity ${from.toISOString()} to ${to.toISOString()}`)
  }
  return {valid: problems.length === 0, problems, certificate, signingTime}
}

/** sid must be the IssuerAndSerialNumber of the carried certificate. */
function checkSignerId(sid: DerElement, certDer: DerElement, problems: string[]): void {
  const tbs = derChildren(derChildren(certDer)[0])
  const offset = tbs[0].tag === 0xa0 ? 1 : 0
  const serial = tbs[offset]
  const issuer = tbs[offset + 2]
  const parts = derChildren(sid)
  expect(
    sid.tag === 0x30 && parts.length === 2 && parts[0].raw.equals(issuer.raw) && parts[1].raw.equals(serial.raw),
    problems,
    'the signer is not identified by the carried certificate',
  )
}
