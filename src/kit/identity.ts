import {existsSync, readFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {verifyDetached} from '../bundle/cms-verify.js'
import {installRoot} from '../install.js'
import {KIT_MANIFEST_PATH, KIT_SIGNATURE_PATH, checkKit, sha256, type KitCheck} from './manifest.js'

/**
 * The stick's root when this trawl runs from a field kit (the app lives in
 * <stick>/kit/app beside kit/kit-manifest.json), else undefined (an npm install).
 */
export function kitRoot(): string | undefined {
  const app = installRoot()
  if (basename(app) !== 'app' || basename(dirname(app)) !== 'kit') return undefined
  const root = dirname(dirname(app))
  return existsSync(join(root, KIT_MANIFEST_PATH)) ? root : undefined
}

/** What a bundle records of the kit that collected it (manifest.tool.kit). */
export interface KitIdentity {
  /** SHA-256 of kit/kit-manifest.json: names the exact build, file by file. */
  manifestSha256: string
  signer: {subject: string; certificateSha256: string} | null
  /** Problems the start-up check found (absent when it passed). */
  startCheckProblems?: string[]
}

let startCheck: KitCheck | undefined

/**
 * The check at every start of the kit, before any command touches evidence: the
 * manifest's signature, every listed file's presence and size, and the SHA-256 of
 * trawl's own code and definitions (kit/app outside node_modules) and the launchers.
 * The dependencies and the runtime are checked for size only: hashing their ~2 800
 * files and ~90 MB at every start costs hundreds of milliseconds more from a fast disk
 * and seconds from a slow stick, and a kit altered on purpose could skip this check
 * anyway. The full check is `trawl kit verify`, run from a trusted copy.
 */
export function checkKitAtStart(root: string): KitCheck {
  startCheck = checkKit(root, {hash: hashedAtStart, unlisted: false})
  return startCheck
}

export function hashedAtStart(path: string): boolean {
  if (!path.startsWith('kit/')) return true
  return path.startsWith('kit/app/') && !path.startsWith('kit/app/node_modules/')
}

export function kitIdentity(): KitIdentity | undefined {
  const root = kitRoot()
  if (!root) return undefined
  let bytes: Buffer
  try {
    bytes = readFileSync(join(root, KIT_MANIFEST_PATH))
  } catch {
    return undefined
  }
  let signer: KitIdentity['signer'] = null
  try {
    const check = verifyDetached(readFileSync(join(root, KIT_SIGNATURE_PATH)), bytes)
    if (check.certificate) signer = {subject: check.certificate.subject.replaceAll('\n', ', '), certificateSha256: check.certificate.fingerprint256}
  } catch {
    signer = null
  }
  return {manifestSha256: sha256(bytes), signer, ...(startCheck && !startCheck.valid ? {startCheckProblems: startCheck.problems} : {})}
}
