import {constants} from 'node:buffer'
import {X509Certificate, createHash} from 'node:crypto'
import {closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {OutputNotWritableError, TrawlError, errorMessage} from '../errors.js'
import {EnvelopeEncryptor, decryptEnvelope, recipientId, type DecryptionKey, type EnvelopeInfo} from './cms-envelope.js'
import {appendCustodyEventInMemory, showCustodyOf} from './custody-log.js'
import type {CustodyCheck, SignedCustodyEvent} from './custody.js'
import type {Signer} from './keys.js'
import {MANIFEST_PATH, type Manifest} from './manifest.js'
import {recipientsOfManifest} from './recipients.js'
import {verifyZip, type VerifyOptions, type VerifyReport} from './verify.js'
import {BundleZip} from './zip-reader.js'

/*
 * Encrypted bundles (<bundle>.zip.p7m) on the reading side: decrypt to a file the examiner
 * names, verify, and append a custody event. Verify and custody decrypt into memory: the
 * ZIP reader needs random access, and a plaintext scratch file is exactly what encryption
 * is there to prevent. (Memory use is the size of the bundle; custody needs about twice it.)
 */

/** Whether a path names an encrypted bundle (by its name: what collect writes). */
export function isEncryptedBundle(path: string): boolean {
  return path.toLowerCase().endsWith('.p7m')
}

/** Where `trawl decrypt` writes by default: X.zip.p7m -> X.zip, else X.p7m -> X.p7m.zip. */
export function decryptedName(path: string): string {
  return /\.zip\.p7m$/i.test(path) ? path.slice(0, -4) : `${path}.zip`
}

export interface DecryptResult {
  out: string
  size: number
  /** SHA-256 of the decrypted bundle (the ZIP). */
  sha256: string
}

/**
 * Decrypts to `out`, as it reads: the bytes go to `<out>.partial`, renamed to `out` only
 * when the GCM tag and the whole CMS structure checked out; on any failure the partial
 * file is removed, so nothing that looks like a bundle is left.
 */
export async function decryptToFile(path: string, key: DecryptionKey, out = decryptedName(path)): Promise<DecryptResult> {
  const partial = `${out}.partial`
  for (const target of [out, partial]) if (existsSync(target)) throw new OutputNotWritableError(target, 'already exists (trawl never overwrites)')
  const input = openInput(path)
  let fd: number
  try {
    fd = openSync(partial, 'wx')
  } catch (error) {
    input.destroy()
    throw new OutputNotWritableError(partial, errorMessage(error))
  }
  const hash = createHash('sha256')
  let size = 0
  try {
    for await (const chunk of decryptEnvelope(input, key, path)) {
      hash.update(chunk)
      size += chunk.length
      writeAll(fd, chunk, partial)
    }
    fsyncSync(fd)
    closeSync(fd)
    fd = -1
    renameSync(partial, out)
    return {out, size, sha256: hash.digest('hex')}
  } catch (error) {
    if (fd >= 0) closeSync(fd)
    rmSync(partial, {force: true})
    throw error
  } finally {
    input.destroy()
  }
}

function writeAll(fd: number, data: Buffer, label: string): void {
  try {
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done)
  } catch (error) {
    throw new OutputNotWritableError(label, errorMessage(error))
  }
}

function openInput(path: string) {
  if (!existsSync(path)) throw new TrawlError(`no such encrypted bundle: ${path}`)
  return createReadStream(path, {highWaterMark: 1 << 20})
}

/** Decrypts into memory; the bytes are only returned once the tag and structure checked out. */
export async function decryptToMemory(path: string, key: DecryptionKey): Promise<{bundle: Buffer; info: EnvelopeInfo}> {
  const input = openInput(path)
  // the plaintext is shorter than the file (GCM adds no padding; the CMS framing is extra):
  // one buffer of the file's size holds it, so memory stays at one bundle, not two
  const size = statSync(path).size
  if (size > constants.MAX_LENGTH) {
    input.destroy()
    throw new TrawlError(`${path} is too large (${size} bytes) to decrypt in memory: decrypt it with \`trawl decrypt\` onto an encrypted disk and verify the ZIP`)
  }
  const bundle = Buffer.allocUnsafe(size)
  let length = 0
  let info: EnvelopeInfo = {recipients: []}
  try {
    for await (const chunk of decryptEnvelope(input, key, path, (i) => (info = i))) length += chunk.copy(bundle, length)
  } finally {
    input.destroy()
  }
  return {bundle: bundle.subarray(0, length), info}
}

export interface EncryptedVerifyReport extends VerifyReport {
  /** The recipients the file is encrypted to, as the sealed manifest names them, and any it does not name. */
  encryption: {recipients: Array<{subject: string; certificateSha256: string}>; unnamedRecipients: number}
}

/**
 * Decrypts in memory and verifies the bundle inside. Beyond the bundle's own checks, the
 * file must be encrypted to exactly the recipients the sealed manifest names: one added
 * later (the file re-encrypted to someone else) or one removed is a problem.
 */
export async function verifyEncryptedBundle(path: string, key: DecryptionKey, options: VerifyOptions = {}): Promise<EncryptedVerifyReport> {
  const {bundle, info} = await decryptToMemory(path, key)
  const zip = BundleZip.fromBuffer(path, bundle)
  const manifest = await manifestOf(zip)
  const report = await verifyZip(zip, options)
  const named = manifest?.encryption?.recipients ?? []
  const ids = new Map(named.map((r) => [idOf(r.certificate), r]))
  const unnamed = info.recipients.filter((id) => !ids.has(id)).length
  if (!manifest?.encryption) report.problems.push('the file is encrypted but the sealed manifest names no recipients')
  if (unnamed > 0) report.problems.push(`the file is encrypted to ${unnamed} recipient(s) the sealed manifest does not name (re-encrypted to someone else?)`)
  for (const [id, r] of ids) if (!info.recipients.includes(id)) report.problems.push(`the sealed manifest names recipient ${r.subject} (SHA-256 ${r.certificateSha256}) but the file is not encrypted to it`)
  report.valid = report.problems.length === 0
  report.trusted = report.valid && report.trustAnchor !== null && report.signer !== undefined
  return {...report, encryption: {recipients: named.map((r) => ({subject: r.subject, certificateSha256: r.certificateSha256})), unnamedRecipients: unnamed}}
}

function idOf(pem: string): string {
  try {
    return recipientId(new X509Certificate(pem))
  } catch {
    return ''
  }
}

async function manifestOf(zip: BundleZip): Promise<Manifest | undefined> {
  const entry = zip.entry(MANIFEST_PATH)
  if (!entry) return undefined
  try {
    return JSON.parse((await zip.readEntry(entry, 512 * 1024 * 1024)).toString('utf8')) as Manifest
  } catch {
    return undefined
  }
}

/** The custody log of an encrypted bundle, decrypted in memory. */
export async function showCustodyEncrypted(path: string, key: DecryptionKey): Promise<CustodyCheck> {
  const {bundle} = await decryptToMemory(path, key)
  return showCustodyOf(BundleZip.fromBuffer(path, bundle))
}

/**
 * A recipient appends a custody event to an encrypted bundle: decrypted in memory, the event
 * appended as for a plain bundle (the seal untouched), encrypted again to the recipients the
 * sealed manifest names (fresh content key), written beside and renamed over the original.
 */
export async function appendCustodyEventEncrypted(
  path: string,
  key: DecryptionKey,
  options: {action: string; by: string; note?: string},
  signer: Signer,
): Promise<{event: SignedCustodyEvent}> {
  const {bundle} = await decryptToMemory(path, key)
  const zip = BundleZip.fromBuffer(path, bundle)
  const manifest = await manifestOf(zip)
  if (!manifest?.encryption?.recipients?.length) throw new TrawlError(`${path}: the sealed manifest names no recipients to encrypt to again`)
  const recipients = recipientsOfManifest(manifest.encryption.recipients, path)
  const {event, bundle: updated} = await appendCustodyEventInMemory(zip, options, signer)
  const temp = `${path}.custody-${process.pid}`
  let fd: number | undefined
  try {
    fd = openSync(temp, 'wx')
    const envelope = new EnvelopeEncryptor(recipients.certificates)
    writeAll(fd, envelope.header, temp)
    for (let at = 0; at < updated.length; at += 1 << 20) writeAll(fd, envelope.update(updated.subarray(at, at + (1 << 20))), temp)
    writeAll(fd, envelope.final(), temp)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(temp, path)
    return {event}
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    rmSync(temp, {force: true})
    if (error instanceof TrawlError) throw error
    throw new OutputNotWritableError(path, errorMessage(error))
  }
}
