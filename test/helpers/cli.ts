import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {REPO_ROOT} from './shared.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the built CLI as a user would (`node bin/run.js ...`); `npm test` builds first.
 * Test sources and outputs share one scratch file system, so `collect` is given
 * --allow-same-volume unless a test checks that very refusal (`sameVolumeGuard`).
 */
export function trawl(args: string[], options: {env?: Record<string, string>; cwd?: string; sameVolumeGuard?: boolean} = {}): Promise<CliResult> {
  if (args[0] === 'collect' && !options.sameVolumeGuard && !args.includes('--allow-same-volume')) args = [...args, '--allow-same-volume']
  return runProcess(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {env: options.env, cwd: options.cwd ?? REPO_ROOT})
}

/** Runs a program with no standard input and gathers its exit code, stdout and stderr. */
export function runProcess(command: string, args: string[], options: {env?: Record<string, string>; cwd: string}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd, env: {...process.env, ...options.env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

export function scratchDir(prefix = 'trawl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** An examiner key pair made with the CLI, encrypted with passphrase 'correct horse'. */
export async function makeKeys(dir: string, name = 'Test Examiner'): Promise<{key: string; cert: string; env: Record<string, string>; signArgs: string[]}> {
  const env = {TRAWL_TEST_PASS: 'correct horse'}
  const result = await trawl(['keys', 'create', '--name', name, '--org', 'Test Lab', '--out', dir, '--passphrase-env', 'TRAWL_TEST_PASS'], {env})
  if (result.code !== 0) throw new Error(`keys create failed: ${result.stderr}`)
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  return {key, cert, env, signArgs: ['--key', key, '--cert', cert, '--passphrase-env', 'TRAWL_TEST_PASS']}
}
