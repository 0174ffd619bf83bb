import {constants, privateEncrypt, type KeyObject} from 'node:crypto'
import forge from 'node-forge'
import type {Signer} from '../../src/bundle/keys.js'

/**
 * The detached CMS signature as trawl built it with node-forge until src/bundle/cms.ts
 * built it with node:crypto: kept as the reference the new builder must match byte for
 * byte (test/spine/cms-sign.test.ts).
 */
export function forgeSignDetached(content: Buffer, signer: Signer, signingTime = new Date()): Buffer {
  const p7 = forge.pkcs7.createSignedData()
  p7.content = forge.util.createBuffer(content.toString('binary'))
  const certificate = forge.pki.certificateFromPem(signer.certificatePem)
  p7.addCertificate(certificate)
  // forge parses a UTF8String name as its raw bytes but UTF-8-encodes it again when it
  // writes the signer's issuer (sid): decode it first, or any non-ASCII issuer name
  // (Δημήτρης, Jürgen in UTF8String) would name a certificate that does not exist
  for (const attribute of certificate.issuer.attributes) {
    if ((attribute.valueTagClass as unknown) === forge.asn1.Type.UTF8 && typeof attribute.value === 'string') attribute.value = forge.util.decodeUtf8(attribute.value)
  }
  p7.addSigner({
    key: nodeCryptoSigningKey(signer.privateKey) as unknown as forge.pki.rsa.PrivateKey,
    certificate,
    digestAlgorithm: forge.pki.oids.sha256,
    authenticatedAttributes: [
      {type: forge.pki.oids.contentType, value: forge.pki.oids.data},
      {type: forge.pki.oids.messageDigest},
      // forge types say string; it takes a Date for signingTime
      {type: forge.pki.oids.signingTime, value: signingTime as unknown as string},
    ],
  })
  p7.sign({detached: true})
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary')
}

/** DER prefix of a DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex')

/**
 * node-forge builds the SignedData but asks its key to sign the digest of the signed
 * attributes. Pure-JavaScript RSA-3072 takes about half a second a signature; this key
 * hands the same RSASSA-PKCS1-v1_5 operation (DigestInfo, then PKCS#1 v1.5 padding) to node:crypto.
 */
function nodeCryptoSigningKey(privateKey: KeyObject): {sign(md: forge.md.MessageDigest): string} {
  return {
    sign(md) {
      if (md.algorithm !== 'sha256') throw new Error(`unexpected digest ${md.algorithm}`)
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')])
      return privateEncrypt({key: privateKey, padding: constants.RSA_PKCS1_PADDING}, digestInfo).toString('binary')
    },
  }
}
