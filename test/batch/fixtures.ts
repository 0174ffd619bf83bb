import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {REPO_ROOT} from '../helpers/shared.js'
import {scratchDir} from '../helpers/cli.js'

/** fixtures/batch, built by fixtures/batch/build.sh. */
export const BATCH_FIXTURES = join(REPO_ROOT, 'fixtures/batch')

/** Unpacks the five evidence items (ten segment files) into a fresh folder. */
export function evidenceFolder(): string {
  const dir = scratchDir('trawl-batch-ev-')
  for (const name of readdirSync(BATCH_FIXTURES)) {
    if (name.endsWith('.gz')) writeFileSync(join(dir, name.slice(0, -3)), gunzipSync(readFileSync(join(BATCH_FIXTURES, name))))
  }
  return dir
}

export function golden(name: string): string {
  return readFileSync(join(BATCH_FIXTURES, 'golden', name), 'utf8')
}

/** The manifest inside a bundle, read with unzip (a stock tool, not trawl's reader). */
export function bundleManifest(bundle: string): {
  complete: boolean
  case: {id: string; evidenceItem?: string}
  source: {path: string; format: string; segments: string[]; size: number}
  artifacts: Array<{category: string; records: number}>
  entries: Array<{kind: string; source?: {path: string}; hashSetMatches?: unknown[]}>
  errors: Array<{message: string}>
} {
  return JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
}

export function sha256(path: string): string {
  return execFileSync('sha256sum', [path], {encoding: 'utf8'}).split(' ')[0]
}

/** Starts the CLI without waiting, to interrupt it. */
export function startTrawl(args: string[], env: Record<string, string>): ChildProcess & {done: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>} {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {cwd: REPO_ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const done = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>((resolve) =>
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr})),
  )
  return Object.assign(child, {done})
}

/** Polls until `test` holds (no timing assertion: the test's own timeout bounds it). */
export async function until(test: () => boolean, everyMs = 20): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, everyMs))
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  return rows
}
