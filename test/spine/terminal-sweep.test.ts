import {spawn} from 'node:child_process'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {beforeAll, describe, expect, it} from 'vitest'
import {terminalSafe, terminalSafeOutput} from '../../src/terminal-text.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {rebuildBundle} from '../helpers/bundle-edit.js'
import {scratchDir} from '../helpers/cli.js'
import {buildTestHive} from '../registry/build-hive.js'

const range = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => String.fromCharCode(from + i)).join('')
/** Every C0 control but NUL (no argument or file name can hold it), DEL, every C1 control. */
const CONTROLS = range(0x01, 0x1f) + '\u007f' + range(0x80, 0x9f)
/** Bidi embeddings, overrides and isolates, marks, zero-width and other invisible format characters, separators. */
const INVISIBLE = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u2028\u2029'
const ALL = CONTROLS + INVISIBLE

/** Raw on a terminal: any of those, except the newline and tab of trawl's own layout. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u

interface Output {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI keeping stdout and stderr as bytes: each must be valid UTF-8 with no raw control or invisible character. */
function run(args: string[], env: Record<string, string> = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {cwd: REPO_ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const decode = (chunks: Buffer[]) => new TextDecoder('utf-8', {fatal: true}).decode(Buffer.concat(chunks))
      resolve({code, stdout: decode(out), stderr: decode(err)})
    })
  })
}

/** The whole sweep's record: which command printed what, for one assertion that names the culprit. */
const printed: Array<{command: string; stream: 'stdout' | 'stderr'; raw: string}> = []

async function sweep(args: string[], env?: Record<string, string>): Promise<Output> {
  const result = await run(args, env)
  for (const stream of ['stdout', 'stderr'] as const) {
    const match = RAW.exec(result[stream])
    if (match) printed.push({command: args.slice(0, 2).join(' '), stream, raw: `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')}`})
  }
  return result
}

describe('the terminal-text escaper', () => {
  it('escapes every control and invisible character, visibly; keeps the layout in output text', () => {
    expect(terminalSafe('a\u001b[2Kb\r\n\t\u202ec\u0085')).toBe('a\\u001b[2Kb\\r\\n\\t\\u202ec\\u0085')
    expect(terminalSafe(ALL)).not.toMatch(RAW)
    expect(terminalSafe(`x${ALL}`).replace(/\\(u[0-9a-f]{4}|[nrt])/g, '')).toBe('x')
    expect(terminalSafeOutput('col\tumn\nline\u001b')).toBe('col\tumn\nline\\u001b')
    // an astral format character (a tag) as its surrogate pair, and a lone surrogate
    expect(terminalSafe('\u{e0041}\ud800')).toBe('\\udb40\\udc41\\ud800')
    expect(terminalSafe('naïve 文件 Δημήτρης')).toBe('naïve 文件 Δημήτρης')
  })

  it('leaves JSON valid and every value exact', () => {
    const value = {name: `x${ALL}\u{e0041}`, list: [ALL, 'plain'], n: 1}
    const text = terminalSafeOutput(JSON.stringify(value, null, 2))
    expect(text).not.toMatch(RAW)
    expect(JSON.parse(text)).toEqual(value)
  })
})

describe('no command prints a raw control or invisible character from evidence or a bundle', () => {
  const dir = scratchDir('trawl-sweep-')
  const source = join(dir, 'source')
  const bundle = join(dir, 'hostile.zip')
  const keysDir = join(dir, 'keys')
  const env = {SWEEP_PASS: 'correct horse'}
  const signArgs = ['--key', join(keysDir, 'key.pem'), '--cert', join(keysDir, 'cert.pem'), '--passphrase-env', 'SWEEP_PASS']
  const caseId = `CASE-${ALL}`
  const examiner = `Examiner ${ALL}`

  beforeAll(() => {
    // every character in one directory name and one file name, and each alone in a file name of its own
    mkdirSync(join(source, 'Data', `dir-${ALL}`), {recursive: true})
    writeFileSync(join(source, 'Data', `dir-${ALL}`, `file-${ALL}.txt`), `content ${ALL}\n`)
    for (const c of ALL) writeFileSync(join(source, 'Data', `one-${c.charCodeAt(0).toString(16)}-${c}.txt`), c)
    // a definition whose name and description carry them too (YAML double-quoted \u escapes)
    const yaml = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    mkdirSync(join(dir, 'defs'))
    writeFileSync(join(dir, 'defs', 'data.yaml'), `- id: data-files\n  name: ${yaml(`Data ${ALL}`)}\n  category: system\n  description: ${yaml(`every file ${ALL}`)}\n  paths: ["Data/**"]\n`)
  })

  it('keys create and keys show: a certificate subject full of them', async () => {
    const created = await sweep(['keys', 'create', '--name', `Ex ${CONTROLS}`, '--org', `Lab ${INVISIBLE}`, '--label', `Unit ${ALL}`.slice(0, 60), '--out', keysDir, '--passphrase-env', 'SWEEP_PASS'], env)
    expect(created.code).toBe(0)
    expect(created.stdout).toContain('Subject:      CN=Ex ')
    for (const json of [false, true]) expect((await sweep(['keys', 'show', join(keysDir, 'cert.pem'), ...(json ? ['--json'] : [])])).code).toBe(0)
  })

  it('collect, verify, custody add and custody show: case, examiner, notes, evidence item, file names, custody by and note', async () => {
    const collected = await sweep(['collect', '--source', source, '--out', bundle, '--definitions', join(dir, 'defs'), '--case', caseId, '--examiner', examiner, '--evidence-item', `EXH ${ALL}`, '--notes', `notes ${ALL}`, '--allow-same-volume', ...signArgs], env)
    expect(collected.stderr).toBe('')
    expect(collected.code).toBe(0)
    // shown, escaped: a newline in the case did not start a line of its own
    expect(collected.stdout).toContain(`Case:      ${terminalSafe(caseId)}   Examiner: ${terminalSafe(examiner)}`)
    const json = await sweep(['collect', '--source', source, '--out', join(dir, 'hostile-2.zip'), '--definitions', join(dir, 'defs'), '--case', caseId, '--examiner', examiner, '--json', '--allow-same-volume', ...signArgs], env)
    expect(JSON.parse(json.stdout).case.id).toBe(caseId)

    const added = await sweep(['custody', 'add', bundle, '--action', 'transferred', '--by', `Clerk ${ALL}`, '--note', `bag ${ALL}`, ...signArgs], env)
    expect(added.code).toBe(0)
    for (const extra of [[], ['--json'], ['--cert', join(keysDir, 'cert.pem')], ['--cert', join(keysDir, 'cert.pem'), '--json']]) {
      const verified = await sweep(['verify', bundle, ...extra])
      expect(verified.code, extra.join(' ')).toBe(extra.includes('--cert') ? 0 : 9)
    }
    const text = await run(['verify', bundle, '--cert', join(keysDir, 'cert.pem')])
    expect(text.stdout).toContain(`transferred by ${terminalSafe(`Clerk ${ALL}`)}: ${terminalSafe(`bag ${ALL}`)}`)
    expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(/^RESULT: VALID\./)
    const verifiedJson = JSON.parse((await run(['verify', bundle, '--json'])).stdout)
    expect(verifiedJson.custody.log[1].note).toBe(`bag ${ALL}`)
    for (const extra of [[], ['--json']]) expect((await sweep(['custody', 'show', bundle, ...extra])).code).toBe(0)

    // an invalid bundle whose problems quote the hostile entry names
    await rebuildBundle(bundle, join(dir, 'damaged.zip'), (entries) => entries.map((e) => (e.name.includes('/file-') ? {name: e.name, data: Buffer.from('altered')} : e)))
    const invalid = await sweep(['verify', join(dir, 'damaged.zip')])
    expect(invalid.code).toBe(1)
    expect(invalid.stdout).toMatch(/file-.*: SHA-256 does not match the manifest/)
  })

  it('image ls of the source tree and errors that quote hostile paths (image, registry, verify, custody)', async () => {
    for (const extra of [[], ['--json']]) {
      const listed = await sweep(['image', 'ls', source, '--recursive', ...extra])
      expect(listed.code).toBe(0)
      if (extra.length) expect(JSON.parse(listed.stdout).entries.map((e: {path: string}) => e.path)).toContain(`Data/dir-${ALL}/file-${ALL}.txt`)
      else expect(listed.stdout).toContain(`:\t${terminalSafe(`Data/dir-${ALL}/file-${ALL}.txt`)}\n`)
    }
    const missing = join(dir, `missing-${ALL}`)
    for (const args of [
      ['image', 'ls', source, `Data/no-${ALL}`],
      ['image', 'info', missing],
      ['image', 'cat', source, `Data/no-${ALL}`],
      ['image', 'verify', missing],
      ['registry', 'ls', missing],
      ['registry', 'get', missing, 'Key'],
      ['verify', missing],
      ['custody', 'show', missing],
      ['collect', '--source', missing, '--out', join(dir, 'x.zip'), '--case', caseId, '--examiner', examiner, ...signArgs],
      ['keys', 'show', missing],
    ]) {
      const failed = await sweep(args, env)
      expect(failed.code, args.slice(0, 2).join(' ')).not.toBe(0)
      expect(failed.stderr.trim().split('\n'), args.slice(0, 2).join(' ')).toHaveLength(1)
    }
    // a usage error oclif itself words, quoting the value given
    const usage = await sweep(['custody', 'add', bundle, '--action', `moved ${ALL}`, '--by', 'Clerk'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('\\u0001\\u0002')
  })

  it('registry ls and get: key names, value names and string data full of them', async () => {
    // compressed (Latin-1) key names hold every C0 but NUL, DEL and every C1; value names and REG_SZ data the rest
    const keyName = `Key${CONTROLS.replaceAll('\\', '')}`
    const utf16 = (s: string) => Buffer.from(`${s}\0`, 'utf16le')
    const hive = buildTestHive([keyName, 'Plain'], [
      {name: `Value${CONTROLS}`, type: 1, data: utf16(`data ${ALL}`)},
      {name: 'Multi', type: 7, data: Buffer.concat([utf16(`one ${INVISIBLE}`), utf16(`two ${CONTROLS}`), Buffer.alloc(2)])},
    ])
    const file = join(dir, `NTUSER-${ALL}.DAT`)
    writeFileSync(file, hive.data)
    for (const args of [
      ['registry', 'ls', file, '--recursive'],
      ['registry', 'ls', file, '--recursive', '--json'],
      ['registry', 'get', file, ''],
      ['registry', 'get', file, '', `Value${CONTROLS}`],
      ['registry', 'get', file, '', '--json'],
    ]) {
      const result = await sweep(args)
      expect(result.code, args.join(' ')).toBe(0)
    }
    const ls = await run(['registry', 'ls', file, '--recursive', '--json'])
    expect(JSON.parse(ls.stdout).keys.map((k: {path: string}) => k.path)).toContain(keyName)
  })

  it('artifacts list of a definition full of them', async () => {
    for (const extra of [[], ['--json']]) expect((await sweep(['artifacts', 'list', '--definitions', join(dir, 'defs'), ...extra])).code).toBe(0)
  })

  it('batch: an evidence item whose file name holds them, with a hostile case and examiner', async () => {
    const evidence = join(dir, 'evidence')
    mkdirSync(evidence)
    const image = join(evidence, `pc3-${ALL.replace('\n', '')}.raw`)
    writeFileSync(image, gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/batch/pc3.raw.gz'))))
    copyFileSync(image, join(evidence, `pc4-${INVISIBLE}.raw`))
    const common = ['--case', caseId, '--examiner', examiner, '--no-image-check', '--jobs', '1', '--targets', 'network', ...signArgs]
    const first = await sweep(['batch', '--out', join(dir, 'batch'), ...common, join(evidence, '*')], env)
    expect(first.code, first.stderr).toBe(0)
    // the second run skips both items (verified against the batch's own certificate)
    const again = await sweep(['batch', '--out', join(dir, 'batch'), ...common, '--json', join(evidence, '*')], env)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).items.map((i: {status: string}) => i.status)).toEqual(['skipped', 'skipped'])
  })

  it('none of the outputs above held a raw control or invisible character', () => {
    expect(printed).toEqual([])
  })
})
