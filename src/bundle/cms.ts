import {constants, createHash, sign as rsaSign} from 'node:crypto'
import {derChildren, readDerExact} from './der.js'
import type {Signer} from './keys.js'

export {verifyDetached, type SignatureCheck} from './cms-verify.js'

/**
 * Detached CMS (PKCS#7) signatures, RFC 5652, built with node:crypto: the content is
 * hashed once by OpenSSL (node-forge hashed it in JavaScript at about 55 ms per MiB, four
 * seconds for the manifest of 100 000 files) and the signed attributes are signed with
 * RSASSA-PKCS1-v1_5 / SHA-256. The DER is the one node-forge wrote before, byte for byte
 * (test/spine/cms-sign.test.ts builds both), so `openssl cms -verify` and every bundle
 * reader see the same structure:
 *
 *   ContentInfo { signedData, [0] SignedData {
 *     version 1, digestAlgorithms {sha256}, encapContentInfo {data} (detached: no content),
 *     [0] certificates {the signer's certificate},
 *     signerInfos { SignerInfo { version 1, issuerAndSerialNumber, sha256,
 *       [0] signedAttrs {contentType data, messageDigest, signingTime}, rsaEncryption, signature } } } }
 *
 * The attributes keep that order (RFC 5652 section 5.4 signs the DER of the SET as it is
 * carried, so any verifier hashes what is there). Verification follows section 5.4 in
 * cms-verify.ts (re-exported here).
 */

const OID_SIGNED_DATA = '06092a864886f70d010702'
const OID_DATA = '06092a864886f70d010701'
const OID_CONTENT_TYPE = '06092a864886f70d010903'
const OID_MESSAGE_DIGEST = '06092a864886f70d010904'
const OID_SIGNING_TIME = '06092a864886f70d010905'
/** AlgorithmIdentifier {sha256, NULL} (RFC 5754 section 2; node-forge wrote the NULL). */
const SHA256_ALGORITHM = tlv(0x30, hex('0609608648016503040201'), hex('0500'))
/** AlgorithmIdentifier {rsaEncryption, NULL} (RFC 3370 section 3.2). */
const RSA_ALGORITHM = tlv(0x30, hex('06092a864886f70d010101'), hex('0500'))
const VERSION_1 = hex('020101')

/** Signs `content` and returns the DER of a detached SignedData carrying the signer's certificate. */
export function signDetached(content: Buffer, signer: Signer, signingTime = new Date()): Buffer {
  const certificate = signer.certificate.raw
  const {issuer, serial} = issuerAndSerial(certificate)
  const attributes = [
    tlv(0x30, hex(OID_CONTENT_TYPE), tlv(0x31, hex(OID_DATA))),
    tlv(0x30, hex(OID_MESSAGE_DIGEST), tlv(0x31, tlv(0x04, createHash('sha256').update(content).digest()))),
    tlv(0x30, hex(OID_SIGNING_TIME), tlv(0x31, signingTimeDer(signingTime))),
  ]
  // RFC 5652 section 5.4: the signature is over the attributes encoded as a SET OF, not as the [0] that carries them
  const signature = rsaSign('sha256', tlv(0x31, ...attributes), {key: signer.privateKey, padding: constants.RSA_PKCS1_PADDING})
  const signerInfo = tlv(0x30, VERSION_1, tlv(0x30, issuer, serial), SHA256_ALGORITHM, tlv(0xa0, ...attributes), RSA_ALGORITHM, tlv(0x04, signature))
  const signedData = tlv(0x30, VERSION_1, tlv(0x31, SHA256_ALGORITHM), tlv(0x30, hex(OID_DATA)), tlv(0xa0, certificate), tlv(0x31, signerInfo))
  return tlv(0x30, hex(OID_SIGNED_DATA), tlv(0xa0, signedData))
}

/** The issuer Name and serialNumber INTEGER of a certificate, as its DER carries them (RFC 5280 section 4.1). */
function issuerAndSerial(certificate: Buffer): {issuer: Buffer; serial: Buffer} {
  const tbs = derChildren(derChildren(readDerExact(certificate))[0])
  // [0] EXPLICIT version is absent from v1 certificates
  const at = tbs[0].tag === 0xa0 ? 1 : 0
  return {serial: tbs[at].raw, issuer: tbs[at + 2].raw}
}

/** RFC 5652 section 11.3: UTCTime from 1950 to 2049, GeneralizedTime otherwise; whole seconds, as node-forge wrote them. */
function signingTimeDer(date: Date): Buffer {
  const year = date.getUTCFullYear()
  const rest = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join('')
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${String(year % 100).padStart(2, '0')}${rest}Z`, 'latin1'))
  return tlv(0x18, Buffer.from(`${year}${rest}Z`, 'latin1'))
}

/** One DER element: tag, definite minimal length (X.690 section 8.1.3), content. */
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.length, 0)
  let header: Buffer
  if (length < 0x80) {
    header = Buffer.from([tag, length])
  } else {
    const bytes: number[] = []
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256)
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([header, ...parts], header.length + length)
}

function hex(text: string): Buffer {
  return Buffer.from(text, 'hex')
}
