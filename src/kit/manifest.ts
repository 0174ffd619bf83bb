import {createHash, type X509Certificate} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync, readdirSync, lstatSync} from 'node:fs'
import {join} from 'node:path'
import {verifyDetached} from '../bundle/cms-verify.js'
import {errorMessage} from '../errors.js'

/**
 * The field kit's own manifest: every file of the kit with its size and SHA-256,
 * signed (detached CMS, the same code as a bundle's manifest) by whoever built it.
 * Paths are relative to the stick's root, '/'-separated, as on every platform.
 */
export const KIT_FORMAT = 'trawl-field-kit'
export const KIT_FORMAT_VERSION = 1
/** Beside the launchers, under kit/: the manifest and its signature. */
export const KIT_MANIFEST_PATH = 'kit/kit-manifest.json'
export const KIT_SIGNATURE_PATH = 'kit/kit-manifest.json.p7s'
/** Folders the kit writes into as it works; their contents are not part of the build. */
export const KIT_WRITABLE_FOLDERS = ['evidence', 'keys', 'work']
/** Folders a file system or an OS makes at a stick's root; they are not the kit's. */
export const VOLUME_FOLDERS = ['system volume information', '$recycle.bin', 'lost+found', '.trashes', '.spotlight-v100', '.fseventsd']

export interface KitFile {
  path: string
  size: number
  sha256: string
}

export interface KitManifest {
  format: string
  formatVersion: number
  tool: {name: string; version: string}
  builtAt: string
  /** The Node runtime each platform runs, as taken from the npm registry. */
  runtimes: Array<{platform: string; package: string; version: string; executable: string}>
  /** True when signed with a build key made by `npm run kit` for want of one: says nothing of who built it. */
  buildKey: boolean
  files: KitFile[]
}

export function serializeKitManifest(manifest: KitManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8')
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** SHA-256 of a file, read in 1 MiB pieces (the runtime is ~90 MB; memory stays flat). */
export function sha256OfFile(path: string): string {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(1 << 20)
  const fd = openSync(path, 'r')
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      hash.update(buffer.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/** Every regular file under `root` (relative, '/'-separated, sorted), skipping the writable folders. */
export function listKitFiles(root: string): string[] {
  const files: string[] = []
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name
      if (!relative && (KIT_WRITABLE_FOLDERS.includes(name.toLowerCase()) || VOLUME_FOLDERS.includes(name.toLowerCase()))) continue
      if (path === KIT_MANIFEST_PATH || path === KIT_SIGNATURE_PATH) continue
      const stat = lstatSync(join(root, path))
      if (stat.isDirectory()) walk(path)
      else files.push(path)
    }
  }
  walk('')
  return files.sort()
}

export interface KitCheck {
  kit: string
  valid: boolean
  problems: string[]
  /** The certificate the kit manifest is signed with, as carried in its signature. */
  certificate?: X509Certificate
  signingTime?: string
  buildKey?: boolean
  version?: string
  builtAt?: string
  manifestSha256?: string
  files: {listed: number; hashed: number; bytes: number}
}

export interface KitCheckOptions {
  /** The certificate the kit must be signed with (the build's, kept off the stick). */
  cert?: X509Certificate
  /**
   * Which listed files to hash; the rest are checked for presence and size only.
   * Default: all. The start-up check hashes the code the runtime runs, not the runtime itself.
   */
  hash?: (path: string) => boolean
  /** Also list files on the kit that the manifest does not (default true). */
  unlisted?: boolean
}

/** Reads the kit manifest and its signature from the stick `root`, or says why not. */
export function readKitManifest(root: string): {manifest?: KitManifest; bytes?: Buffer; signature?: Buffer; problem?: string} {
  let bytes: Buffer
  let signature: Buffer
  try {
    bytes = readFileSync(join(root, KIT_MANIFEST_PATH))
    signature = readFileSync(join(root, KIT_SIGNATURE_PATH))
  } catch (error) {
    return {problem: `the kit manifest cannot be read: ${errorMessage(error)}`}
  }
  try {
    const manifest = JSON.parse(bytes.toString('utf8')) as KitManifest
    if (manifest.format !== KIT_FORMAT || manifest.formatVersion !== KIT_FORMAT_VERSION || !Array.isArray(manifest.files)) {
      return {bytes, signature, problem: `${KIT_MANIFEST_PATH} is not a ${KIT_FORMAT} v${KIT_FORMAT_VERSION} manifest`}
    }
    return {manifest, bytes, signature}
  } catch (error) {
    return {bytes, signature, problem: `${KIT_MANIFEST_PATH} is not JSON: ${errorMessage(error)}`}
  }
}

/**
 * Checks a kit against its signed manifest: the signature (and signer, when a
 * certificate is given), then every listed file's presence, size and SHA-256, then
 * files the manifest does not list. Every problem is one line naming the file.
 */
export function checkKit(root: string, options: KitCheckOptions = {}): KitCheck {
  const report: KitCheck = {kit: root, valid: false, problems: [], files: {listed: 0, hashed: 0, bytes: 0}}
  const {manifest, bytes, signature, problem} = readKitManifest(root)
  if (problem || !manifest || !bytes || !signature) {
    report.problems.push(problem ?? 'no kit manifest')
    return report
  }
  report.manifestSha256 = sha256(bytes)
  report.version = manifest.tool?.version
  report.builtAt = manifest.builtAt
  report.buildKey = manifest.buildKey
  const signed = verifyDetached(signature, bytes)
  for (const p of signed.problems) report.problems.push(`kit manifest signature: ${p}`)
  report.certificate = signed.certificate
  if (signed.certificate && options.cert && !signed.certificate.raw.equals(options.cert.raw)) {
    report.problems.push(`the kit is signed by ${signed.certificate.subject.replaceAll('\n', ', ')} (SHA-256 ${signed.certificate.fingerprint256}), not by the given certificate (SHA-256 ${options.cert.fingerprint256})`)
  } else if (!options.cert && !signed.certificate) {
    report.problems.push('the kit manifest signature carries no certificate')
  }
  report.signingTime = signed.signingTime?.toISOString()
  const listed = new Set<string>()
  for (const file of manifest.files) {
    listed.add(file.path.toLowerCase())
    report.files.listed++
    const path = join(root, file.path)
    const stat = lstatSync(path, {throwIfNoEntry: false})
    if (!stat) {
      report.problems.push(`${file.path}: missing from the kit`)
      continue
    }
    const size = stat.size
    if (size !== file.size) {
      report.problems.push(`${file.path}: ${size} bytes, the kit manifest says ${file.size} (file changed)`)
      continue
    }
    if (options.hash && !options.hash(file.path)) continue
    const digest = sha256OfFile(path)
    report.files.hashed++
    report.files.bytes += size
    if (digest !== file.sha256) report.problems.push(`${file.path}: SHA-256 ${digest}, the kit manifest says ${file.sha256} (file changed)`)
  }
  if (options.unlisted ?? true) {
    // FAT32 and NTFS fold case: compare names as the stick does
    for (const path of listKitFiles(root)) {
      if (!listed.has(path.toLowerCase())) report.problems.push(`${path}: on the kit but not in the kit manifest (file added)`)
    }
  }
  report.valid = report.problems.length === 0
  return report
}
