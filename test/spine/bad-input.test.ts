import {execFileSync, spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, closeSync, constants, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SAMPLE = join(REPO_ROOT, 'fixtures/sample/tree')

/** Hashes a file without touching its access time (O_NOATIME; the tests run as the owner or root). */
function sha256NoAtime(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants as Record<string, number>).O_NOATIME)
  try {
    return createHash('sha256').update(readFileSync(fd)).digest('hex')
  } finally {
    closeSync(fd)
  }
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^trawl: /)
  return lines[0]
}

/** A definitions folder with one target that collects every file under Data/, without a parser. */
function dataDefinitions(dir: string): string {
  const defs = join(dir, 'defs')
  mkdirSync(defs, {recursive: true})
  writeFileSync(join(defs, 'data.yaml'), '- id: data-files\n  name: Data files\n  category: system\n  description: every file under Data\n  paths: ["Data/**"]\n')
  return defs
}

describe('bad input gets one clear line and a distinct exit code, and never a valid bundle', () => {
  const dir = scratchDir()
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let bundle: string
  const collectArgs = (source: string, out: string) => ['collect', '--allow-same-volume', '--source', source, '--out', out, '--case', 'B-1', '--examiner', 'Test Examiner', ...keys.signArgs]

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    bundle = join(dir, 'good.zip')
    expect((await trawl([...collectArgs(SAMPLE, bundle), '--targets', 'network'], {env: keys.env})).code).toBe(0)
  })

  it('missing source: exit 3', async () => {
    const out = join(dir, 'missing.zip')
    const result = await trawl(collectArgs(join(dir, 'no-such-source'), out), {env: keys.env})
    expect(result.code).toBe(3)
    expect(oneLine(result.stderr)).toMatch(/evidence source .*no-such-source does not exist/)
    expect(existsSync(out)).toBe(false)
  })

  it('unwritable output: exit 4, also when the output would land inside the source', async () => {
    writeFileSync(join(dir, 'a-file'), 'x')
    const result = await trawl(collectArgs(SAMPLE, join(dir, 'a-file', 'out.zip')), {env: keys.env})
    expect(result.code).toBe(4)
    expect(oneLine(result.stderr)).toMatch(/cannot write output/)
    const source = join(dir, 'source-copy')
    cpSync(SAMPLE, source, {recursive: true})
    const inside = await trawl(collectArgs(source, join(source, 'evidence.zip')), {env: keys.env})
    expect(inside.code).toBe(4)
    expect(oneLine(inside.stderr)).toMatch(/inside the evidence source/)
    expect(existsSync(join(source, 'evidence.zip'))).toBe(false)
    expect(existsSync(join(source, 'evidence.zip.partial'))).toBe(false)
  })

  it('wrong passphrase: exit 5; missing passphrase: exit 2; corrupt key: exit 6', async () => {
    const out = join(dir, 'pass.zip')
    const wrong = await trawl(collectArgs(SAMPLE, out), {env: {TRAWL_TEST_PASS: 'wrong horse'}})
    expect(wrong.code).toBe(5)
    expect(oneLine(wrong.stderr)).toMatch(/passphrase does not open the key/)
    const args = collectArgs(SAMPLE, out).filter((a, i, all) => a !== '--passphrase-env' && all[i - 1] !== '--passphrase-env')
    const missing = await trawl(args)
    expect(missing.code).toBe(2)
    expect(oneLine(missing.stderr)).toMatch(/encrypted: give its passphrase/)
    const corrupt = join(dir, 'corrupt.pem')
    writeFileSync(corrupt, readFileSync(keys.key, 'utf8').replace(/[A-Za-z]/g, (c, i: number) => (i % 7 === 0 ? 'A' : c)))
    const bad = await trawl(['collect', '--allow-same-volume', '--source', SAMPLE, '--out', out, '--case', 'B', '--examiner', 'E', '--key', corrupt, '--cert', keys.cert, '--passphrase-env', 'TRAWL_TEST_PASS'], {env: keys.env})
    expect([5, 6]).toContain(bad.code)
    oneLine(bad.stderr)
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'this is not a key\n')
    const notKey = await trawl(['collect', '--allow-same-volume', '--source', SAMPLE, '--out', out, '--case', 'B', '--examiner', 'E', '--key', garbage, '--cert', keys.cert])
    expect(notKey.code).toBe(6)
    expect(oneLine(notKey.stderr)).toMatch(/unusable key or certificate/)
    expect(existsSync(out)).toBe(false)
  })

  it('truncated bundle: verify exits 2', async () => {
    const truncated = join(dir, 'truncated.zip')
    const bytes = readFileSync(bundle)
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100))
    const result = await trawl(['verify', truncated])
    expect(result.code).toBe(2)
    expect(oneLine(result.stderr)).toMatch(/unusable bundle .*truncated/)
    const notZip = await trawl(['verify', join(SAMPLE, 'Windows/System32/drivers/etc/hosts')])
    expect(notZip.code).toBe(2)
  })

  it('hostile entry names: verify exits 1 and names them', async () => {
    // rename 'files/dir/...' to '../../.../' in both headers, as a crafted archive would
    const bytes = readFileSync(bundle)
    const zip = BundleZip.open(bundle)
    const entry = zip.entries.find((e) => e.name.startsWith('files/dir/'))!
    zip.close()
    for (const at of [entry.localHeaderOffset + 30, entry.centralRecordOffset + 46]) bytes.write('../../..', at, 'latin1')
    const hostile = join(dir, 'hostile.zip')
    writeFileSync(hostile, bytes)
    const result = await trawl(['verify', hostile, '--json'])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.valid).toBe(false)
    expect(report.problems.join('\n')).toMatch(/hostile entry name "\.\.\/\.\.\/\.\..*parent-directory/)
  })

  it('a source made read-only is collected without error and left unchanged, access times included', async () => {
    const source = join(dir, 'readonly-source')
    cpSync(SAMPLE, source, {recursive: true, preserveTimestamps: true})
    const snapshot = () => {
      const files: Record<string, string> = {}
      const walk = (d: string) => {
        for (const name of readdirSync(d)) {
          const path = join(d, name)
          const s = statSync(path, {bigint: true})
          if (s.isDirectory()) walk(path)
          files[path] = `${s.size} ${s.mtimeNs} ${s.atimeNs} ${s.mode} ${s.isFile() ? sha256NoAtime(path) : ''}`
        }
      }
      walk(source)
      return files
    }
    // access times older than modification times: any ordinary read would now update them (relatime)
    execFileSync('find', [source, '-exec', 'touch', '-a', '-h', '-d', '2001-01-01T00:00:00Z', '{}', '+'])
    execFileSync('chmod', ['-R', 'a-w', source])
    const before = snapshot()
    const out = join(dir, 'readonly.zip')
    const result = await trawl(collectArgs(source, out), {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(snapshot()).toEqual(before)
    expect((await trawl(['verify', out, '--cert', keys.cert])).code).toBe(0)
    chmodSync(source, 0o755)
  })

  it('Ctrl-C seals what was collected as an incomplete .partial that never verifies as complete', async () => {
    const source = join(dir, 'big-source')
    mkdirSync(join(source, 'Data'), {recursive: true})
    for (let i = 0; i < 400; i++) writeFileSync(join(source, 'Data', `file-${String(i).padStart(3, '0')}.bin`), Buffer.alloc(1 << 20, i))
    const out = join(dir, 'interrupted.zip')
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...collectArgs(source, out), '--definitions', dataDefinitions(dir)], {env: {...process.env, ...keys.env}, stdio: 'pipe'})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    // wait until the bundle has real content, then interrupt
    while (!existsSync(`${out}.partial`) || statSync(`${out}.partial`).size < 20_000) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGINT')
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    expect(stderr).toMatch(/SIGINT/)
    expect(existsSync(out)).toBe(false)
    expect(existsSync(`${out}.partial`)).toBe(true)
    const verify = await trawl(['verify', `${out}.partial`, '--json'])
    expect(verify.code).toBe(1)
    const report = JSON.parse(verify.stdout)
    expect(report.complete).toBe(false)
    // the only problem is that it is incomplete: every file collected before the interruption is intact
    expect(report.problems).toEqual(['the manifest says the collection did not complete (interrupted or failed run)'])
    expect(report.entries.checked).toBeGreaterThan(4)
  }, 120_000)

  it('a full output disk stops with exit 4 and leaves nothing that verifies', async (context) => {
    const mountPoint = join(dir, 'tiny')
    mkdirSync(mountPoint)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint], {stdio: 'ignore'})
    } catch {
      context.skip('needs root to mount a small tmpfs as a full disk')
    }
    try {
      const source = join(dir, 'full-source')
      mkdirSync(join(source, 'Data'), {recursive: true})
      for (let i = 0; i < 3; i++) writeFileSync(join(source, 'Data', `random-${i}.bin`), randomBytes(2 << 20))
      const out = join(mountPoint, 'full.zip')
      const result = await trawl([...collectArgs(source, out), '--definitions', dataDefinitions(dir)], {env: keys.env})
      expect(result.code).toBe(4)
      expect(oneLine(result.stderr)).toMatch(/cannot write output .*(ENOSPC|no space)/i)
      expect(existsSync(out)).toBe(false)
      if (existsSync(`${out}.partial`)) expect((await trawl(['verify', `${out}.partial`])).code).not.toBe(0)
      expect(existsSync(`${out}.work`)).toBe(false)
    } finally {
      execFileSync('umount', [mountPoint])
    }
  })
})
