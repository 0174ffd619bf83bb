import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  constants,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type CipherGCM,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto'
import {ExitCode, TrawlError} from '../errors.js'
import {DerError, decodeOid, derChildren, readDerExact, type DerElement} from './der.js'
import {int, length, octets, oid, seq, setOf, tlv} from './der-write.js'

/*
 * Bundles encrypted to recipients: CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM
 * (RFC 5084), one RecipientInfo per recipient certificate:
 * - RSA: KeyTransRecipientInfo with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC 8017, parameters as RFC 4055 section 4.1);
 * - EC P-256 / P-384: KeyAgreeRecipientInfo, ephemeral-static ECDH (RFC 5753 section 3.1),
 *   dhSinglePass-stdDH-sha256kdf-scheme (P-256) or -sha384kdf-scheme (P-384): the ANSI X9.63
 *   KDF over ECC-CMS-SharedInfo (RFC 5753 section 7.2), and the content key wrapped with
 *   id-aes256-wrap (RFC 3394).
 *
 * Why GCM rather than EnvelopedData with AES-256-CBC: OpenSSL 3.0's `openssl cms -decrypt`
 * decrypts AuthEnvelopedData with AES-GCM (checked with 3.0.19 on this module's output and on
 * its own `-aes-256-gcm` output), and the GCM tag lets the decryptor tell a damaged or altered
 * file from a good one before anything is called a bundle; CBC would leave that to the
 * signatures inside. (OpenSSL before 3.0 cannot read it; the docs say so.)
 *
 * The encoding is BER with indefinite lengths for the outer structures and the encrypted
 * content as a constructed [0] of OCTET STRING segments (X.690 8.7.3.2), so a bundle of any
 * size is encrypted as it is written, in one pass, without knowing its length in advance and
 * without the plaintext ever being written anywhere. RecipientInfos and the algorithm
 * parameters are DER.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  // SEC 1 / RFC 5753 section 7.1.4
  stdDhSha1Kdf: '1.3.133.16.840.63.0.2',
  stdDhSha224Kdf: '1.3.132.1.11.0',
  stdDhSha256Kdf: '1.3.132.1.11.1',
  stdDhSha384Kdf: '1.3.132.1.11.2',
  stdDhSha512Kdf: '1.3.132.1.11.3',
} as const

const KDF_HASH: Record<string, string> = {
  [OID.stdDhSha1Kdf]: 'sha1',
  [OID.stdDhSha224Kdf]: 'sha224',
  [OID.stdDhSha256Kdf]: 'sha256',
  [OID.stdDhSha384Kdf]: 'sha384',
  [OID.stdDhSha512Kdf]: 'sha512',
}
const HASH_OF_OID: Record<string, string> = {[OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512'}
const CURVES: Record<string, {oid: string; kdf: string}> = {
  prime256v1: {oid: OID.p256, kdf: OID.stdDhSha256Kdf},
  secp384r1: {oid: OID.p384, kdf: OID.stdDhSha384Kdf},
}
const CURVE_OF_OID: Record<string, string> = {[OID.p256]: 'prime256v1', [OID.p384]: 'secp384r1'}

/** RFC 3394 section 2.2.3.1: the default initial value of AES key wrap. */
const KEY_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex')
const GCM_NONCE_BYTES = 12
const GCM_TAG_BYTES = 16
/** BER end-of-contents octets (X.690 8.1.5). */
const EOC = Buffer.from([0, 0])

/** The recipient certificate cannot be used to encrypt to (key type, key usage). */
export class RecipientCertificateError extends TrawlError {
  constructor(readonly path: string, reason: string) {
    super(`recipient certificate ${path} cannot be used: ${reason}`, ExitCode.key)
  }
}

/** The key given is not one of the file's recipients (or the wrapped key did not unwrap with it). */
export class NotARecipientError extends TrawlError {
  constructor(readonly path: string, reason: string) {
    super(`${path} is not encrypted to this key: ${reason}`, ExitCode.key)
  }
}

/** An encrypted bundle that cannot be decrypted as it is: truncated, not CMS, or altered (the GCM tag does not match). */
export class CorruptEnvelopeError extends TrawlError {
  constructor(readonly path: string, reason: string, readonly offset?: number, exitCode: number = ExitCode.unusable) {
    super(`unusable encrypted bundle ${path}: ${reason}${offset === undefined ? '' : ` (at byte ${offset})`}`, exitCode)
  }
}

/** The header of a constructed element of unknown length (X.690 8.1.3.6). */
const indefinite = (tag: number) => Buffer.from([tag, 0x80])

// ---- certificates ------------------------------------------------------------------------

/** The DER of the certificate's issuer Name and serialNumber (RFC 5652 IssuerAndSerialNumber). */
function issuerAndSerial(certificate: X509Certificate): Buffer {
  const tbs = derChildren(derChildren(readDerExact(certificate.raw))[0])
  const at = tbs[0].tag === 0xa0 ? 1 : 0
  return seq(tbs[at + 2].raw, tbs[at].raw)
}

export interface RecipientSummary {
  subject: string
  certificateSha256: string
  /** 'rsa-oaep-sha256' or 'ecdh-p256' / 'ecdh-p384'. */
  keyManagement: string
  /** The certificate itself (PEM), so a recipient adding a custody event can encrypt again to the same recipients. */
  certificate: string
}

/**
 * Checks a recipient certificate: RSA (at least 2048 bits) or EC P-256/P-384, and, when the
 * certificate restricts its key's use, allowed to encipher keys (RSA) or agree keys (EC).
 * RFC 5280 4.2.1.3: keyEncipherment for key transport, keyAgreement for ECDH.
 */
export function checkRecipient(certificate: X509Certificate, path: string): RecipientSummary {
  const key = certificate.publicKey
  const usage = keyUsageOf(certificate)
  let keyManagement: string
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < 2048) throw new RecipientCertificateError(path, `RSA key of ${bits} bits; at least 2048 are required`)
    if (!usage?.has('keyEncipherment')) throw new RecipientCertificateError(path, 'it is not an encryption certificate (its key usage lacks keyEncipherment); make one with `trawl keys create --encryption`')
    keyManagement = 'rsa-oaep-sha256'
  } else if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? ''
    if (!CURVES[curve]) throw new RecipientCertificateError(path, `EC curve ${curve || 'unknown'}; P-256 or P-384 is required`)
    if (!usage?.has('keyAgreement')) throw new RecipientCertificateError(path, 'it is not an encryption certificate (its key usage lacks keyAgreement); make one with `trawl keys create --encryption --ec P-256`')
    keyManagement = curve === 'prime256v1' ? 'ecdh-p256' : 'ecdh-p384'
  } else {
    throw new RecipientCertificateError(path, `key type ${key.asymmetricKeyType}; RSA or EC is required`)
  }
  const now = Date.now()
  if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
    throw new RecipientCertificateError(path, `not valid now (valid ${new Date(certificate.validFrom).toISOString()} to ${new Date(certificate.validTo).toISOString()})`)
  }
  return {subject: certificate.subject.replaceAll('\n', ', '), certificateSha256: certificate.fingerprint256, keyManagement, certificate: certificate.toString()}
}

const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']

/** The key usage extension (2.5.29.15) as names, or undefined when the certificate has none. */
export function keyUsageOf(certificate: X509Certificate): Set<string> | undefined {
  const tbs = derChildren(derChildren(readDerExact(certificate.raw))[0])
  const extensions = tbs.find((e) => e.tag === 0xa3)
  if (!extensions) return undefined
  for (const extension of derChildren(derChildren(extensions)[0])) {
    const parts = derChildren(extension)
    if (decodeOid(parts[0]) !== '2.5.29.15') continue
    const bits = readDerExact(parts[parts.length - 1].content).content
    const names = new Set<string>()
    for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
      const byte = bits[1 + (i >> 3)]
      if (byte !== undefined && byte & (0x80 >> (i & 7))) names.add(KEY_USAGE_BITS[i])
    }
    return names
  }
  return undefined
}

// ---- encrypting ----------------------------------------------------------------------------

function keyTransRecipient(certificate: X509Certificate, contentKey: Buffer): Buffer {
  const sha256 = seq(oid(OID.sha256))
  const oaepParams = seq(tlv(0xa0, sha256), tlv(0xa1, seq(oid(OID.mgf1), sha256)))
  const encryptedKey = publicEncrypt({key: certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256'}, contentKey)
  return seq(int(0), issuerAndSerial(certificate), seq(oid(OID.rsaesOaep), oaepParams), octets(encryptedKey))
}

/** RFC 5753 section 7.2 ECC-CMS-SharedInfo: the wrap algorithm, the optional ukm, and the KEK length in bits. */
function sharedInfo(ukm: Buffer | undefined): Buffer {
  const bits = Buffer.alloc(4)
  bits.writeUInt32BE(256)
  return seq(seq(oid(OID.aes256Wrap)), ...(ukm ? [tlv(0xa0, octets(ukm))] : []), tlv(0xa2, octets(bits)))
}

/** ANSI X9.63 KDF (SEC 1 section 3.6.1): Hash(Z || counter || SharedInfo), counter from 1. */
function x963Kdf(hash: string, z: Buffer, info: Buffer, bytes: number): Buffer {
  const out: Buffer[] = []
  for (let counter = 1, total = 0; total < bytes; counter++) {
    const c = Buffer.alloc(4)
    c.writeUInt32BE(counter)
    const block = createHash(hash).update(z).update(c).update(info).digest()
    out.push(block)
    total += block.length
  }
  return Buffer.concat(out).subarray(0, bytes)
}

function keyAgreeRecipient(certificate: X509Certificate, contentKey: Buffer): Buffer {
  const curve = certificate.publicKey.asymmetricKeyDetails?.namedCurve ?? ''
  const {kdf} = CURVES[curve]
  const ephemeral = generateKeyPairSync('ec', {namedCurve: curve})
  const z = diffieHellman({privateKey: ephemeral.privateKey, publicKey: certificate.publicKey})
  const kek = x963Kdf(KDF_HASH[kdf], z, sharedInfo(undefined), 32)
  const wrap = createCipheriv('id-aes256-wrap', kek, KEY_WRAP_IV)
  const wrapped = Buffer.concat([wrap.update(contentKey), wrap.final()])
  const point = ecPoint(ephemeral.publicKey)
  // RFC 5753 section 3.1.1: originatorKey with id-ecPublicKey and absent parameters
  const originator = tlv(0xa0, tlv(0xa1, seq(oid(OID.ecPublicKey)), tlv(0x03, Buffer.from([0]), point)))
  return tlv(0xa1, int(3), originator, seq(oid(kdf), seq(oid(OID.aes256Wrap))), seq(seq(issuerAndSerial(certificate), octets(wrapped))))
}

/** The uncompressed point 04 || X || Y of an EC public key (SEC 1 section 2.3.3). */
function ecPoint(key: KeyObject): Buffer {
  const jwk = key.export({format: 'jwk'})
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')])
}

/**
 * Encrypts one stream of bytes to the recipients: `header` first, then what `update` returns
 * for each piece in order, then `final()`. Every output piece can be written at once; nothing
 * is held back but the GCM state.
 */
export class EnvelopeEncryptor {
  readonly header: Buffer
  private readonly cipher: CipherGCM
  private finished = false

  constructor(recipients: X509Certificate[]) {
    if (recipients.length === 0) throw new Error('no recipients')
    const contentKey = randomBytes(32)
    const nonce = randomBytes(GCM_NONCE_BYTES)
    const infos = recipients.map((certificate) => (certificate.publicKey.asymmetricKeyType === 'rsa' ? keyTransRecipient(certificate, contentKey) : keyAgreeRecipient(certificate, contentKey)))
    this.cipher = createCipheriv('aes-256-gcm', contentKey, nonce, {authTagLength: GCM_TAG_BYTES})
    contentKey.fill(0)
    const algorithm = seq(oid(OID.aes256Gcm), seq(octets(nonce), int(GCM_TAG_BYTES)))
    this.header = Buffer.concat([
      indefinite(0x30), // ContentInfo
      oid(OID.authEnvelopedData),
      indefinite(0xa0), // [0] EXPLICIT content
      indefinite(0x30), // AuthEnvelopedData
      int(0), // version
      setOf(infos),
      indefinite(0x30), // EncryptedContentInfo
      oid(OID.data),
      algorithm,
      indefinite(0xa0), // [0] IMPLICIT encryptedContent, constructed
    ])
  }

  /** The encrypted piece as one OCTET STRING segment of the encrypted content. */
  update(plain: Buffer): Buffer {
    if (this.finished) throw new Error('envelope already finished')
    if (plain.length === 0) return Buffer.alloc(0)
    const encrypted = this.cipher.update(plain)
    return Buffer.concat([Buffer.from([0x04]), length(encrypted.length), encrypted])
  }

  /** Closes the content and every open structure; the GCM tag is the mac (RFC 5083 section 2.1). */
  final(): Buffer {
    this.finished = true
    const rest = this.cipher.final()
    const tail = rest.length > 0 ? Buffer.concat([Buffer.from([0x04]), length(rest.length), rest]) : Buffer.alloc(0)
    return Buffer.concat([tail, EOC, EOC, octets(this.cipher.getAuthTag()), EOC, EOC, EOC])
  }
}

// ---- decrypting ----------------------------------------------------------------------------

/** What decrypts: the recipient's private key, and optionally its certificate to pick its RecipientInfo. */
export interface DecryptionKey {
  privateKey: KeyObject
  certificate?: X509Certificate
  /** For messages. */
  label: string
}

export interface EnvelopeInfo {
  /** The RecipientInfos' identifiers: issuer and serial of each recipient certificate, hex DER. */
  recipients: string[]
}

/** The IssuerAndSerialNumber of a certificate as hex, to compare with an envelope's recipients. */
export function recipientId(certificate: X509Certificate): string {
  return issuerAndSerial(certificate).toString('hex')
}

/** Reads bytes from an async stream on demand, counting the offset. */
class ByteReader {
  private buffer: Buffer = Buffer.alloc(0)
  private done = false
  offset = 0

  constructor(private readonly source: AsyncIterator<Buffer>, private readonly path: string) {}

  /** At least `n` buffered bytes, or fewer only at the end of the stream. */
  private async fill(n: number): Promise<void> {
    while (this.buffer.length < n && !this.done) {
      const next = await this.source.next()
      if (next.done) this.done = true
      else this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value])
    }
  }

  async take(n: number): Promise<Buffer> {
    await this.fill(n)
    if (this.buffer.length < n) throw new CorruptEnvelopeError(this.path, 'the file ends early (truncated?)', this.offset + this.buffer.length)
    const out = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    this.offset += n
    return out
  }

  /** Up to `max` bytes (at least one), for streaming long content. */
  async some(max: number): Promise<Buffer> {
    await this.fill(1)
    if (this.buffer.length === 0) throw new CorruptEnvelopeError(this.path, 'the file ends early (truncated?)', this.offset)
    const n = Math.min(max, this.buffer.length)
    return this.take(n)
  }

  async atEnd(): Promise<boolean> {
    await this.fill(1)
    return this.buffer.length === 0
  }

  async peek(): Promise<number | undefined> {
    await this.fill(1)
    return this.buffer[0]
  }
}

interface Header {
  tag: number
  /** Content length, or undefined for indefinite. */
  length: number | undefined
  /** Offset of the first content byte. */
  start: number
  raw: Buffer
}

async function readHeader(reader: ByteReader, path: string): Promise<Header> {
  const at = reader.offset
  const first = await reader.take(2)
  const tag = first[0]
  if ((tag & 0x1f) === 0x1f) throw new CorruptEnvelopeError(path, 'not CMS (multi-byte tag)', at)
  let n = first[1]
  const parts = [first]
  let contentLength: number | undefined
  if (n === 0x80) {
    if ((tag & 0x20) === 0) throw new CorruptEnvelopeError(path, 'indefinite length on a primitive element', at)
    contentLength = undefined
  } else if (n & 0x80) {
    const count = n & 0x7f
    if (count > 6) throw new CorruptEnvelopeError(path, 'length too large', at)
    const bytes = await reader.take(count)
    parts.push(bytes)
    n = 0
    for (const b of bytes) n = n * 256 + b
    contentLength = n
  } else {
    contentLength = n
  }
  return {tag, length: contentLength, start: reader.offset, raw: Buffer.concat(parts)}
}

/** A whole element of definite length (the small, DER parts: OIDs, parameters, RecipientInfos). */
async function readElement(reader: ByteReader, path: string, limit = 1 << 20): Promise<DerElement> {
  const at = reader.offset
  const header = await readHeader(reader, path)
  if (header.length === undefined) throw new CorruptEnvelopeError(path, 'indefinite length where DER is expected', at)
  if (header.length > limit) throw new CorruptEnvelopeError(path, `element of ${header.length} bytes where a small one is expected`, at)
  const raw = Buffer.concat([header.raw, await reader.take(header.length)])
  try {
    const element = readDerExact(raw)
    return {...element, offset: at}
  } catch (error) {
    throw new CorruptEnvelopeError(path, (error as Error).message, at)
  }
}

async function expect(reader: ByteReader, path: string, tag: number, what: string): Promise<Header> {
  const at = reader.offset
  const header = await readHeader(reader, path)
  if (header.tag !== tag) throw new CorruptEnvelopeError(path, `expected ${what}`, at)
  return header
}

/** The end of a container: end-of-contents octets if indefinite, else exactly its length consumed. */
async function close(reader: ByteReader, path: string, header: Header, what: string): Promise<void> {
  if (header.length === undefined) {
    const at = reader.offset
    const eoc = await reader.take(2)
    if (eoc[0] !== 0 || eoc[1] !== 0) throw new CorruptEnvelopeError(path, `${what} does not end where it should`, at)
  } else if (reader.offset !== header.start + header.length) {
    throw new CorruptEnvelopeError(path, `${what} does not end where its length says`, reader.offset)
  }
}

/** The content-encryption key from the RecipientInfo this key opens. */
function contentKeyFrom(infos: DerElement, key: DecryptionKey, path: string): Buffer {
  const wanted = key.certificate ? recipientId(key.certificate) : undefined
  const type = key.privateKey.asymmetricKeyType
  let matched = false
  const reasons: string[] = []
  for (const info of derChildren(infos)) {
    try {
      if (info.tag === 0x30 && type === 'rsa') {
        const [, rid, algorithm, encryptedKey] = derChildren(info)
        if (wanted && rid.raw.toString('hex') !== wanted) continue
        matched = true
        const hash = oaepHash(algorithm)
        try {
          return privateDecrypt({key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash}, encryptedKey.content)
        } catch {
          reasons.push('the RSA-OAEP key transport does not decrypt with this key')
        }
      } else if (info.tag === 0xa1 && type === 'ec') {
        const result = keyAgree(info, key, wanted)
        if (result === undefined) continue
        matched = true
        if (result) return result
        reasons.push('the ECDH-wrapped key does not unwrap with this key')
      }
    } catch (error) {
      if (error instanceof TrawlError) throw error
      throw new CorruptEnvelopeError(path, `malformed RecipientInfo (${(error as Error).message})`, info.offset)
    }
  }
  if (!matched) throw new NotARecipientError(path, key.certificate ? `no RecipientInfo names ${key.label}'s certificate` : `no RecipientInfo for a ${type?.toUpperCase()} key`)
  throw new NotARecipientError(path, reasons[0] ?? 'wrong key')
}

function oaepHash(algorithm: DerElement): string {
  const [id, params] = derChildren(algorithm)
  const name = decodeOid(id)
  if (name !== OID.rsaesOaep) throw new Error(name === OID.rsaEncryption ? 'RSA PKCS#1 v1.5 key transport is not accepted (RSA-OAEP only)' : `key transport ${name} is not supported`)
  let hash = 'sha1'
  let mgfHash = 'sha1'
  for (const field of params ? derChildren(params) : []) {
    if (field.tag === 0xa0) hash = HASH_OF_OID[decodeOid(derChildren(derChildren(field)[0])[0])] ?? 'unknown'
    if (field.tag === 0xa1) mgfHash = HASH_OF_OID[decodeOid(derChildren(derChildren(derChildren(field)[0])[1])[0])] ?? 'unknown'
    if (field.tag === 0xa2) throw new Error('RSA-OAEP with a label is not supported')
  }
  if (hash === 'unknown' || hash !== mgfHash) throw new Error('RSA-OAEP with this hash / MGF combination is not supported')
  return hash
}

/** undefined: no RecipientEncryptedKey for this key; false: one matched but did not unwrap. */
function keyAgree(info: DerElement, key: DecryptionKey, wanted: string | undefined): Buffer | false | undefined {
  const fields = derChildren(info)
  const originator = fields[1]
  let at = 2
  let ukm: Buffer | undefined
  if (fields[at].tag === 0xa1) {
    ukm = derChildren(fields[at])[0].content
    at++
  }
  const [kdfOid, wrapAlgorithm] = derChildren(fields[at])
  const kdf = KDF_HASH[decodeOid(kdfOid)]
  if (!kdf) throw new Error(`key agreement ${decodeOid(kdfOid)} is not supported`)
  if (decodeOid(derChildren(wrapAlgorithm)[0]) !== OID.aes256Wrap) throw new Error('key wrap other than id-aes256-wrap is not supported')
  const curve = key.privateKey.asymmetricKeyDetails?.namedCurve ?? ''
  const originatorKey = derChildren(originator)[0]
  if (originatorKey.tag !== 0xa1) throw new Error('the originator is not an ephemeral public key')
  const point = derChildren(originatorKey)[1].content.subarray(1)
  let publicKey: KeyObject
  try {
    publicKey = createPublicKey({
      key: seq(seq(oid(OID.ecPublicKey), oid(CURVES[curve]?.oid ?? OID.p256)), tlv(0x03, Buffer.from([0]), point)),
      format: 'der',
      type: 'spki',
    })
  } catch {
    // the ephemeral key is on another curve: this RecipientInfo is for someone else
    return undefined
  }
  let result: Buffer | false | undefined
  for (const encrypted of derChildren(fields[at + 1])) {
    const [rid, wrapped] = derChildren(encrypted)
    if (wanted && rid.raw.toString('hex') !== wanted) continue
    result = false
    try {
      const z = diffieHellman({privateKey: key.privateKey, publicKey})
      const kek = x963Kdf(kdf, z, sharedInfoFor(wrapAlgorithm, ukm), 32)
      const unwrap = createDecipheriv('id-aes256-wrap', kek, KEY_WRAP_IV)
      return Buffer.concat([unwrap.update(wrapped.content), unwrap.final()])
    } catch {
      // another recipient's key, or an ephemeral point not on this key's curve
    }
  }
  return result
}

/** SharedInfo as the sender built it: with the wrap algorithm exactly as it appears in the RecipientInfo. */
function sharedInfoFor(wrapAlgorithm: DerElement, ukm: Buffer | undefined): Buffer {
  const bits = Buffer.alloc(4)
  bits.writeUInt32BE(256)
  return seq(wrapAlgorithm.raw, ...(ukm ? [tlv(0xa0, octets(ukm))] : []), tlv(0xa2, octets(bits)))
}

/**
 * Decrypts an AuthEnvelopedData stream as it is read, yielding the plaintext in pieces.
 * The plaintext is only good once the generator has finished: the GCM tag and the end of
 * every structure are checked last, and a mismatch throws (CorruptEnvelopeError, exit 1).
 * Callers must not treat what was yielded as a bundle before then.
 */
export async function* decryptEnvelope(source: AsyncIterable<Buffer>, key: DecryptionKey, path: string, onInfo?: (info: EnvelopeInfo) => void): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source[Symbol.asyncIterator](), path)
  let decipher: DecipherGCM | undefined
  try {
    const contentInfo = await expect(reader, path, 0x30, 'a CMS ContentInfo (SEQUENCE)')
    const type = decodeOid(await readElement(reader, path))
    if (type !== OID.authEnvelopedData) throw new CorruptEnvelopeError(path, `content type ${type}, not AuthEnvelopedData (RFC 5083)`)
    const explicit = await expect(reader, path, 0xa0, 'the [0] content')
    const envelope = await expect(reader, path, 0x30, 'AuthEnvelopedData')
    const version = await readElement(reader, path)
    if (version.tag !== 0x02 || version.content.length !== 1 || version.content[0] !== 0) throw new CorruptEnvelopeError(path, 'AuthEnvelopedData version is not 0', version.offset)
    if ((await reader.peek()) === 0xa0) await readElement(reader, path) // originatorInfo: certificates, not needed to decrypt
    const infos = await readElement(reader, path, 16 << 20)
    if (infos.tag !== 0x31) throw new CorruptEnvelopeError(path, 'expected the RecipientInfos SET', infos.offset)
    onInfo?.({recipients: derChildren(infos).map(recipientIdsOf).flat()})
    const contentKey = contentKeyFrom(infos, key, path)
    const encryptedContentInfo = await expect(reader, path, 0x30, 'EncryptedContentInfo')
    const contentType = decodeOid(await readElement(reader, path))
    if (contentType !== OID.data) throw new CorruptEnvelopeError(path, `encrypted content type ${contentType}, not data`)
    const algorithm = await readElement(reader, path)
    const [algorithmId, parameters] = derChildren(algorithm)
    if (decodeOid(algorithmId) !== OID.aes256Gcm || !parameters) throw new CorruptEnvelopeError(path, `content encryption ${decodeOid(algorithmId)} is not AES-256-GCM`, algorithm.offset)
    const [nonce, icv] = derChildren(parameters)
    const tagLength = icv ? icv.content.readUIntBE(0, icv.content.length) : 12
    if (tagLength < 12 || tagLength > 16) throw new CorruptEnvelopeError(path, `GCM tag length ${tagLength}`, algorithm.offset)
    decipher = createDecipheriv('aes-256-gcm', contentKey, nonce.content, {authTagLength: tagLength})
    contentKey.fill(0)
    const content = await readHeader(reader, path)
    if (content.tag === 0x80) {
      for (let left = content.length ?? 0; left > 0; ) {
        const piece = await reader.some(Math.min(left, 1 << 20))
        left -= piece.length
        yield decipher.update(piece)
      }
    } else if (content.tag === 0xa0) {
      for (;;) {
        if (content.length !== undefined && reader.offset === content.start + content.length) break
        if (content.length === undefined && (await reader.peek()) === 0) break
        const at = reader.offset
        const segment = await readHeader(reader, path)
        if (segment.tag !== 0x04 || segment.length === undefined) throw new CorruptEnvelopeError(path, 'the encrypted content holds something other than OCTET STRING segments', at)
        for (let left = segment.length; left > 0; ) {
          const piece = await reader.some(Math.min(left, 1 << 20))
          left -= piece.length
          yield decipher.update(piece)
        }
      }
      await close(reader, path, content, 'the encrypted content')
    } else {
      throw new CorruptEnvelopeError(path, 'no encrypted content (detached content is not accepted)', content.start)
    }
    await close(reader, path, encryptedContentInfo, 'EncryptedContentInfo')
    if ((await reader.peek()) === 0xa1) throw new CorruptEnvelopeError(path, 'authenticated attributes are not supported', reader.offset)
    const mac = await readElement(reader, path)
    if (mac.tag !== 0x04 || mac.content.length !== tagLength) throw new CorruptEnvelopeError(path, 'the GCM tag (mac) is missing or of the wrong length', mac.offset)
    decipher.setAuthTag(mac.content)
    if ((await reader.peek()) === 0xa2) await readElement(reader, path) // unauthAttrs: not covered by the tag, ignored
    await close(reader, path, envelope, 'AuthEnvelopedData')
    await close(reader, path, explicit, 'the [0] content')
    await close(reader, path, contentInfo, 'ContentInfo')
    if (!(await reader.atEnd())) throw new CorruptEnvelopeError(path, 'bytes after the end of the CMS structure', reader.offset)
    try {
      const last = decipher.final()
      if (last.length > 0) yield last
    } catch {
      throw new CorruptEnvelopeError(path, 'the GCM tag does not match: the file was altered or damaged after it was encrypted', undefined, ExitCode.invalid)
    }
  } catch (error) {
    if (error instanceof TrawlError) throw error
    if (error instanceof DerError) throw new CorruptEnvelopeError(path, error.message)
    throw new CorruptEnvelopeError(path, (error as Error).message, reader.offset)
  }
}

/** The IssuerAndSerialNumber of each recipient a RecipientInfo names (hex DER). */
function recipientIdsOf(info: DerElement): string[] {
  try {
    if (info.tag === 0x30) return [derChildren(info)[1].raw.toString('hex')]
    if (info.tag === 0xa1) {
      const fields = derChildren(info)
      return derChildren(fields[fields.length - 1]).map((e) => derChildren(e)[0].raw.toString('hex'))
    }
  } catch {
    // malformed: named by nothing; contentKeyFrom reports it
  }
  return []
}

/** Curve of an EC key, P-256 or P-384, for messages. */
export function curveName(key: KeyObject): string | undefined {
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve
}

/** The OIDs of the curves trawl accepts (for building certificates). */
export const CURVE_OIDS = {'P-256': OID.p256, 'P-384': OID.p384} as const
export {CURVE_OF_OID}
