import {execFileSync, spawnSync} from 'node:child_process'
import {closeSync, copyFileSync, mkdirSync, openSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {buildKit, type KitPlatform} from '../../src/kit/build.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import type {Manifest} from '../../src/bundle/manifest.js'
import {sharedFile} from '../helpers/shared.js'
import {runProcess, type CliResult} from '../helpers/cli.js'

/**
 * The kit under test, built once per test file from this checkout's dist/ (npm test
 * builds first), runtimes cached in ~/.cache/trawl-kit as `npm run kit` does.
 */
export function buildTestKit(dir: string, platforms: KitPlatform[]): {root: string; cert: string} {
  const root = join(dir, 'stick')
  const result = buildKit({out: root, platforms})
  if (!result.signer.certPath) throw new Error('the test kit is signed with the build key, whose certificate has a path')
  return {root, cert: result.signer.certPath}
}

/** Runs the Linux kit's launcher as an examiner does: `sh <stick>/trawl.sh ...`. */
export function runLinuxKit(launcher: string, args: string[], options: {env?: Record<string, string>; cwd?: string} = {}): Promise<CliResult> {
  return runProcess('sh', [launcher, ...args], {env: options.env, cwd: options.cwd ?? dirname(launcher)})
}

/** wine's name for a Linux path (the Z: drive maps /). */
export function winePath(path: string): string {
  return `Z:${path.replaceAll('/', '\\')}`
}

/** wine64's command (Debian installs `wine`, older packages `wine64`). */
export function wineCommand(): string | undefined {
  for (const name of ['wine', 'wine64']) if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name
  return undefined
}

/**
 * Runs `trawl.cmd` of the Windows kit under wine through cmd.exe. Node for Windows under
 * wine 8 cannot open a pipe as its stdout (EBADF), so output goes to files, read after.
 */
export function runWindowsKit(wine: string, prefix: string, launcher: string, args: string[], env: Record<string, string> = {}): CliResult {
  const out = join(prefix, '..', 'wine-stdout.txt')
  const err = join(prefix, '..', 'wine-stderr.txt')
  const stdoutFd = openSync(out, 'w')
  const stderrFd = openSync(err, 'w')
  try {
    const result = spawnSync(wine, ['cmd', '/c', winePath(launcher), ...args], {
      env: {...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', ...env},
      stdio: ['ignore', stdoutFd, stderrFd],
      timeout: 600_000,
    })
    return {code: result.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8')}
  } finally {
    closeSync(stdoutFd)
    closeSync(stderrFd)
  }
}

/** A fresh wine prefix that reports Windows 10 (Node 22 refuses to start on the default, Windows 7). */
export function makeWinePrefix(wine: string, prefix: string): void {
  mkdirSync(prefix, {recursive: true})
  const result = spawnSync(wine, ['winecfg', '-v', 'win10'], {env: {...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all'}, stdio: 'ignore', timeout: 600_000})
  if (result.status !== 0) throw new Error(`wine winecfg -v win10 failed (${result.status ?? result.signal})`)
}

/**
 * A Windows-like volume from the shared test data, at the paths artifacts/*.yaml name:
 * Chrome History, Firefox places.sqlite, Skype classic main.db, and the SYSTEM hive.
 */
export function windowsLikeTree(root: string): void {
  const files: Array<[string, string]> = [
    ['browser/chrome/plaso_History', 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History'],
    ['browser/firefox/plaso_places.sqlite', 'Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/x1y2z3.default/places.sqlite'],
    ['chat/skype/plaso_skype_main.db', 'Users/ana/AppData/Roaming/Skype/gen.beringer/main.db'],
    ['registry/regipy/SYSTEM', 'Windows/System32/config/SYSTEM'],
  ]
  for (const [from, to] of files) {
    mkdirSync(dirname(join(root, to)), {recursive: true})
    copyFileSync(sharedFile(from), join(root, to))
  }
  // pictures the kit decodes through WebAssembly (libheif, libwebp) for their PDQ hashes
  const pictures = join(root, 'Users/ana/Pictures')
  mkdirSync(pictures, {recursive: true})
  copyFileSync(sharedFile('exif/heic/spring_1440x960.heic'), join(pictures, 'spring.heic'))
  execFileSync('convert', [sharedFile('exif/jpg_gps/DSCN0010.jpg'), '-quality', '80', join(pictures, 'DSCN0010.webp')], {stdio: 'ignore'})
}

/** Every parsed record of a bundle (the records/*.jsonl entries), by artifact. */
export async function bundleRecords(bundle: string): Promise<Map<string, unknown[]>> {
  const zip = BundleZip.open(bundle)
  const records = new Map<string, unknown[]>()
  try {
    for (const entry of zip.entries) {
      if (!entry.name.endsWith('.jsonl') || entry.name === 'custody.jsonl') continue
      const text = (await zip.readEntry(entry)).toString('utf8')
      records.set(entry.name, text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown))
    }
  } finally {
    zip.close()
  }
  return records
}

export async function bundleManifest(bundle: string): Promise<Manifest> {
  const zip = BundleZip.open(bundle)
  try {
    const entry = zip.entries.find((e) => e.name === 'manifest.json')
    if (!entry) throw new Error(`${bundle} has no manifest.json`)
    return JSON.parse((await zip.readEntry(entry)).toString('utf8')) as Manifest
  } finally {
    zip.close()
  }
}
