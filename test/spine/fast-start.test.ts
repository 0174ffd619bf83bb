import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {wrap} from '../../src/cli/fast-start.js'
import {runProcess, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** oclif itself answering, as bin/run.js did before it answered --version and --help without it. */
function oclif(args: string[], env: Record<string, string> = {}): Promise<string> {
  const script = `process.argv = [process.argv[0], 'trawl', ...${JSON.stringify(args)}]; import('@oclif/core').then((m) => m.execute({dir: ${JSON.stringify(`file://${join(REPO_ROOT, 'bin/run.js')}`)}}))`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {cwd: REPO_ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', () => resolve(out))
  })
}

/** oclif running a command, with its exit code and stderr. */
function oclifRun(args: string[]) {
  const script = `process.argv = [process.argv[0], 'trawl', ...${JSON.stringify(args)}]; import('@oclif/core').then((m) => m.execute({dir: ${JSON.stringify(`file://${join(REPO_ROOT, 'bin/run.js')}`)}}))`
  return runProcess(process.execPath, ['--input-type=module', '-e', script], {cwd: REPO_ROOT})
}

describe('trawl image verify started without oclif', () => {
  const e01 = join(REPO_ROOT, 'fixtures/sample/sample.E01')

  it('prints what the oclif command prints, text and JSON, with the same exit code', async () => {
    for (const args of [['image', 'verify', e01], ['image', 'verify', e01, '--json'], ['image', 'verify', '--json', e01]]) {
      const direct = await trawl(args)
      expect(direct, args.join(' ')).toEqual(await oclifRun(args))
      expect(direct.code).toBe(0)
    }
    expect((await trawl(['image', 'verify', e01])).stdout).toMatch(/^Verified: the media data matches/m)
  })

  it('reports a bad image as the oclif command does: one line, the same exit code', async () => {
    // an E01 cut short after its first section
    const cut = join(scratchDir(), 'cut.E01')
    writeFileSync(cut, readFileSync(e01).subarray(0, 200))
    for (const args of [['image', 'verify', join(REPO_ROOT, 'fixtures/no-such.E01')], ['image', 'verify', cut]]) {
      const direct = await trawl(args)
      expect(direct, args.join(' ')).toEqual(await oclifRun(args))
      expect(direct.code).not.toBe(0)
    }
  })

  it('leaves every other form to oclif (help, two images, unknown flags)', async () => {
    for (const args of [['image', 'verify', '--help'], ['image', 'verify', e01, e01], ['image', 'verify', e01, '--jsn'], ['image', 'verify']]) {
      const direct = await trawl(args)
      const viaOclif = await oclifRun(args)
      expect({code: direct.code, stdout: direct.stdout}, args.join(' ')).toEqual({code: viaOclif.code, stdout: viaOclif.stdout})
    }
  })
})

describe('trawl image ls started without oclif', () => {
  const e01 = join(REPO_ROOT, 'fixtures/sample/sample.E01')

  it('prints what the oclif command prints, lines and JSON, whole volume or one directory, with the same exit code', async () => {
    const forms = [
      ['image', 'ls', e01],
      ['image', 'ls', e01, '-r'],
      ['image', 'ls', '--recursive', e01, '--json'],
      ['image', 'ls', e01, 'Users', '-r', '--json'],
      ['image', 'ls', e01, '/users/'],
    ]
    for (const args of forms) {
      const direct = await trawl(args)
      expect(direct, args.join(' ')).toEqual(await oclifRun(args))
      expect(direct.code).toBe(0)
    }
    expect((await trawl(['image', 'ls', e01, '-r'])).stdout.split('\n').length).toBeGreaterThan(50)
  })

  it('reports a missing path or image as the oclif command does', async () => {
    for (const args of [
      ['image', 'ls', e01, 'No/Such/Dir'],
      ['image', 'ls', join(REPO_ROOT, 'fixtures/no-such.E01'), '-r'],
    ]) {
      const direct = await trawl(args)
      expect(direct, args.join(' ')).toEqual(await oclifRun(args))
      expect(direct.code).not.toBe(0)
    }
  })

  it('leaves every other form to oclif (other flags, help, three arguments)', async () => {
    for (const args of [['image', 'ls', e01, '-d'], ['image', 'ls', e01, '-r', '-r'], ['image', 'ls', '--help'], ['image', 'ls', e01, 'a', 'b'], ['image', 'ls']]) {
      const direct = await trawl(args)
      const viaOclif = await oclifRun(args)
      expect({code: direct.code, stdout: direct.stdout}, args.join(' ')).toEqual({code: viaOclif.code, stdout: viaOclif.stdout})
    }
  })
})

describe('trawl --version and --help answered without loading oclif', () => {
  it('prints the same version line as oclif', async () => {
    const fast = await trawl(['--version'])
    expect(fast.code).toBe(0)
    expect(fast.stdout).toBe(await oclif(['--version']))
    expect(fast.stdout).toMatch(/^trawl\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
  })

  it('prints the same root help as oclif, at several terminal widths, and with no arguments', async () => {
    for (const columns of ['80', '50', '120', '200']) {
      const env = {OCLIF_COLUMNS: columns}
      const fast = await trawl(['--help'], {env})
      expect(fast.code).toBe(0)
      expect(fast.stdout, `width ${columns}`).toBe(await oclif(['--help'], env))
    }
    expect((await trawl([])).stdout).toBe(await oclif([]))
    // every topic and root command is listed
    const help = (await trawl(['--help'])).stdout
    for (const name of ['artifacts', 'custody', 'image', 'keys', 'registry', 'batch', 'collect', 'verify']) expect(help).toMatch(new RegExp(`^  ${name} `, 'm'))
  })

  it('leaves everything else to oclif (command help, unknown commands)', async () => {
    expect((await trawl(['image', '--help'])).stdout).toBe(await oclif(['image', '--help']))
    const unknown = await trawl(['no-such-command'])
    expect(unknown.code).not.toBe(0)
  })

  it('wraps words greedily and breaks words longer than the line', () => {
    expect(wrap('one two three four', 9)).toBe('one two\nthree\nfour')
    expect(wrap('abcdefghij', 4)).toBe('abcd\nefgh\nij')
  })
})
