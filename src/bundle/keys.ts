import {X509Certificate, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import forge from 'node-forge'
import {KeyFormatError, OutputNotWritableError, UsageError, WrongPassphraseError, errorMessage} from '../errors.js'
import {octets, oid, seq, tlv} from './der-write.js'

/** RSA key size below which trawl refuses to sign (the bundle format requires >= 3072). */
export const MIN_RSA_BITS = 3072

/** A loaded signing identity: the private key and its certificate. */
export interface Signer {
  privateKey: KeyObject
  certificatePem: string
  certificate: X509Certificate
  /** Extra certificates from a PKCS#12 (intermediate CAs), PEM. */
  chain: string[]
}

export interface CertificateSummary {
  subject: string
  issuer: string
  serialNumber: string
  validFrom: string
  validTo: string
  sha256Fingerprint: string
  keyBits?: number
  /** 'rsa' or 'ec' (node's asymmetricKeyType), and the curve of an EC key ('prime256v1', 'secp384r1'). */
  keyType?: string
  curve?: string
  selfSigned: boolean
}

export interface CreateKeysOptions {
  name: string
  org?: string
  email?: string
  outDir: string
  passphrase?: string
  /** Years of validity; examiners' certificates outlive cases. */
  years?: number
  /** Label added to the subject, e.g. 'DEMO KEY - NOT FOR CASEWORK'. */
  label?: string
  /**
   * An encryption certificate (a recipient of encrypted bundles) instead of a signing one:
   * key usage keyEncipherment (RSA) or keyAgreement (EC), never digitalSignature, written as
   * encryption-key.pem / encryption-cert.pem so it can sit beside a signing pair.
   */
  encryption?: boolean
  /** With `encryption`: an EC key on this curve instead of RSA-3072. */
  curve?: 'P-256' | 'P-384'
}

/** Creates an RSA-3072 key and a self-signed X.509 certificate in `outDir`. */
export function createKeys(options: CreateKeysOptions): {keyPath: string; certPath: string; summary: CertificateSummary} {
  try {
    mkdirSync(options.outDir, {recursive: true})
  } catch (error) {
    throw new OutputNotWritableError(options.outDir, errorMessage(error))
  }
  const prefix = options.encryption ? 'encryption-' : ''
  const keyPath = join(options.outDir, `${prefix}key.pem`)
  const certPath = join(options.outDir, `${prefix}cert.pem`)
  for (const path of [keyPath, certPath]) {
    if (existsSync(path)) throw new OutputNotWritableError(path, 'already exists (trawl never overwrites a key)')
  }
  if (options.curve && !options.encryption) throw new UsageError('--ec makes an encryption key: give --encryption too (signing keys are RSA-3072)')
  if (options.curve) {
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: options.curve})
    return writeKeys(options, keyPath, certPath, privateKey, ecEncryptionCertificate(options, privateKey))
  }
  const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: MIN_RSA_BITS})
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({type: 'spki', format: 'pem'}).toString())
  // positive serial: clear the top bit
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  cert.serialNumber = serial.toString('hex')
  const now = new Date()
  cert.validity.notBefore = new Date(now.getTime() - 60_000)
  cert.validity.notAfter = new Date(now)
  cert.validity.notAfter.setUTCFullYear(now.getUTCFullYear() + (options.years ?? 10))
  // UTF8String (RFC 5280 section 4.1.2.4): forge's default PrintableString cannot hold a name such as Δημήτρης
  // (@types/node-forge types valueTagClass as an asn1.Class; forge reads it as the universal tag, an asn1.Type)
  const utf8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class
  const attributes: forge.pki.CertificateField[] = [{name: 'commonName', value: options.name, valueTagClass: utf8}]
  if (options.org) attributes.push({name: 'organizationName', value: options.org, valueTagClass: utf8})
  if (options.label) attributes.push({name: 'organizationalUnitName', value: options.label, valueTagClass: utf8})
  if (options.email) attributes.push({name: 'emailAddress', value: options.email})
  cert.setSubject(attributes)
  cert.setIssuer(attributes)
  cert.setExtensions([
    {name: 'basicConstraints', cA: false, critical: true},
    options.encryption ? {name: 'keyUsage', keyEncipherment: true, critical: true} : {name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true},
    {name: 'subjectKeyIdentifier'},
  ])
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({type: 'pkcs8', format: 'pem'}).toString())
  cert.sign(forgeKey, forge.md.sha256.create())
  return writeKeys(options, keyPath, certPath, privateKey, forge.pki.certificateToPem(cert))
}

function writeKeys(options: CreateKeysOptions, keyPath: string, certPath: string, privateKey: KeyObject, certificatePem: string): {keyPath: string; certPath: string; summary: CertificateSummary} {
  const keyPem = options.passphrase
    ? privateKey.export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: options.passphrase})
    : privateKey.export({type: 'pkcs8', format: 'pem'})
  try {
    writeFileSync(keyPath, keyPem, {mode: 0o600, flag: 'wx'})
    writeFileSync(certPath, certificatePem, {flag: 'wx'})
  } catch (error) {
    throw new OutputNotWritableError(options.outDir, errorMessage(error))
  }
  return {keyPath, certPath, summary: summarizeCertificate(new X509Certificate(certificatePem))}
}

/** ecdsa-with-SHA256 / -SHA384 (RFC 5758 section 3.2): the hash that matches the curve's strength. */
const ECDSA = {'P-256': {oid: '1.2.840.10045.4.3.2', hash: 'sha256'}, 'P-384': {oid: '1.2.840.10045.4.3.3', hash: 'sha384'}} as const

/**
 * A self-signed X.509 v3 certificate for an EC encryption key (RFC 5280), built in DER:
 * node-forge has no EC. Key usage keyAgreement only (RFC 5480 section 3: an ECDH key), so
 * it cannot pass for a signing certificate; the self-signature only binds the name to the key.
 */
function ecEncryptionCertificate(options: CreateKeysOptions, privateKey: KeyObject): string {
  const curve = options.curve!
  const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'))
  const rdn = (type: string, value: Buffer) => tlv(0x31, seq(oid(type), value))
  const name = seq(
    rdn('2.5.4.3', utf8(options.name)),
    ...(options.org ? [rdn('2.5.4.10', utf8(options.org))] : []),
    ...(options.label ? [rdn('2.5.4.11', utf8(options.label))] : []),
    ...(options.email ? [rdn('1.2.840.113549.1.9.1', tlv(0x16, Buffer.from(options.email, 'ascii')))] : []),
  )
  const now = new Date()
  const notAfter = new Date(now)
  notAfter.setUTCFullYear(now.getUTCFullYear() + (options.years ?? 10))
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  serial[0] |= 0x01
  const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  const publicKeyBits = spki.subarray(spki.length - (curve === 'P-256' ? 65 : 97))
  const extension = (type: string, critical: boolean, value: Buffer) => seq(oid(type), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), octets(value))
  const algorithm = seq(oid(ECDSA[curve].oid))
  const tbs = seq(
    tlv(0xa0, Buffer.from([0x02, 0x01, 0x02])), // v3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(certificateTime(new Date(now.getTime() - 60_000)), certificateTime(notAfter)),
    name,
    spki,
    tlv(0xa3, seq(
      extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
      extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x03, 0x08])), // keyUsage: keyAgreement (bit 4)
      extension('2.5.29.14', false, octets(createHash('sha1').update(publicKeyBits).digest())), // RFC 5280 4.2.1.2 method (1)
    )),
  )
  const signature = sign(ECDSA[curve].hash, tbs, privateKey)
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature))
  return new X509Certificate(der).toString()
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 section 4.1.2.5). */
function certificateTime(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'))
}

export function readCertificate(path: string): X509Certificate {
  let data: Buffer
  try {
    data = readFileSync(path)
  } catch (error) {
    throw new KeyFormatError(path, errorMessage(error))
  }
  try {
    return new X509Certificate(data)
  } catch (error) {
    throw new KeyFormatError(path, `not an X.509 certificate (${errorMessage(error)})`)
  }
}

export function summarizeCertificate(cert: X509Certificate): CertificateSummary {
  const key = cert.publicKey
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    serialNumber: cert.serialNumber,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    sha256Fingerprint: cert.fingerprint256,
    keyBits: key.asymmetricKeyDetails?.modulusLength,
    keyType: key.asymmetricKeyType,
    ...(key.asymmetricKeyDetails?.namedCurve ? {curve: key.asymmetricKeyDetails.namedCurve} : {}),
    selfSigned: isSelfIssued(cert) && cert.verify(key),
  }
}

/**
 * Subject equals issuer. (X509Certificate.checkIssued also demands keyCertSign in
 * the issuer's key usage, which a signing-only examiner certificate rightly lacks.)
 */
export function isSelfIssued(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer
}

export function loadPrivateKey(path: string, passphrase: string | undefined): KeyObject {
  let pem: Buffer
  try {
    pem = readFileSync(path)
  } catch (error) {
    throw new KeyFormatError(path, errorMessage(error))
  }
  const text = pem.toString('latin1')
  const encrypted = text.includes('ENCRYPTED')
  if (encrypted && passphrase === undefined) throw new UsageError(`the key ${path} is encrypted: give its passphrase with --passphrase-env VAR`)
  try {
    return createPrivateKey({key: pem, format: 'pem', passphrase: encrypted ? passphrase : undefined})
  } catch (error) {
    const code = (error as {code?: string}).code ?? ''
    if (encrypted && /BAD_DECRYPT|bad decrypt|DECODER|unsupported/i.test(`${code} ${errorMessage(error)}`)) throw new WrongPassphraseError(path)
    throw new KeyFormatError(path, `not a usable private key (${errorMessage(error)})`)
  }
}

function checkPair(privateKey: KeyObject, cert: X509Certificate, label: string): void {
  if (privateKey.asymmetricKeyType !== 'rsa') throw new KeyFormatError(label, `key type ${privateKey.asymmetricKeyType} is not RSA`)
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_BITS) throw new KeyFormatError(label, `RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`)
  const fromKey = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  const fromCert = cert.publicKey.export({type: 'spki', format: 'der'})
  if (!fromKey.equals(fromCert)) throw new KeyFormatError(label, 'the private key does not belong to the certificate')
}

export interface SignerOptions {
  key?: string
  cert?: string
  p12?: string
  passphrase?: string
}

/** Loads a signer from a PEM key + certificate, or from a PKCS#12 file as an agency PKI issues it. */
export function loadSigner(options: SignerOptions): Signer {
  if (options.p12) return loadPkcs12(options.p12, options.passphrase)
  if (!options.key || !options.cert) throw new UsageError('signing needs --key and --cert, or --p12')
  const privateKey = loadPrivateKey(options.key, options.passphrase)
  const certificate = readCertificate(options.cert)
  checkPair(privateKey, certificate, options.key)
  return {privateKey, certificate, certificatePem: certificate.toString(), chain: []}
}

function loadPkcs12(path: string, passphrase: string | undefined): Signer {
  let der: Buffer
  try {
    der = readFileSync(path)
  } catch (error) {
    throw new KeyFormatError(path, errorMessage(error))
  }
  let p12: forge.pkcs12.Pkcs12Pfx
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase ?? '')
  } catch (error) {
    if (/MAC could not be verified|Invalid password/i.test(errorMessage(error))) throw new WrongPassphraseError(path)
    throw new KeyFormatError(path, `not a PKCS#12 file (${errorMessage(error)})`)
  }
  const keyBags = [
    ...(p12.getBags({bagType: forge.pki.oids.pkcs8ShroudedKeyBag})[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({bagType: forge.pki.oids.keyBag})[forge.pki.oids.keyBag] ?? []),
  ]
  const certBags = p12.getBags({bagType: forge.pki.oids.certBag})[forge.pki.oids.certBag] ?? []
  const forgeKey = keyBags.find((b) => b.key)?.key
  if (!forgeKey) throw new KeyFormatError(path, 'no private key inside (wrong passphrase or empty PKCS#12)')
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(forgeKey))
  const certificates = certBags.filter((b) => b.cert).map((b) => new X509Certificate(forge.pki.certificateToPem(b.cert as forge.pki.Certificate)))
  const publicDer = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  const certificate = certificates.find((c) => c.publicKey.export({type: 'spki', format: 'der'}).equals(publicDer))
  if (!certificate) throw new KeyFormatError(path, 'no certificate for its private key')
  checkPair(privateKey, certificate, path)
  return {
    privateKey,
    certificate,
    certificatePem: certificate.toString(),
    chain: certificates.filter((c) => c !== certificate).map((c) => c.toString()),
  }
}

/**
 * A signer as a command is given it: files, and the name of the environment variable
 * holding the key's passphrase (the secret itself never passes through options or IPC).
 */
export interface SignerFiles {
  key?: string
  cert?: string
  p12?: string
  passphraseEnv?: string
}

/** SignerFiles as loadSigner takes them, the passphrase read from its variable. */
export function signerOptionsFrom(files: SignerFiles): SignerOptions {
  return {key: files.key, cert: files.cert, p12: files.p12, passphrase: passphraseFromEnv(files.passphraseEnv)}
}

/** Reads a passphrase from the environment variable an examiner named (never from the command line). */
export function passphraseFromEnv(variable: string | undefined): string | undefined {
  if (!variable) return undefined
  const value = process.env[variable]
  if (value === undefined) throw new UsageError(`environment variable ${variable} (--passphrase-env) is not set`)
  return value
}
