import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

describe('hostile file names in the evidence', () => {
  it('are collected under safe, reversible entry names; the manifest keeps the originals; stock tools still verify', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const source = join(dir, 'source')
    const names = ['line\nbreak.txt', 'back\\slash.txt', 'colon:stream.txt', 'percent%41.txt', 'star*?.txt', 'naïve 文件.txt', `${'long-'.repeat(48)}.txt`, 'CASE.txt', 'case.txt', '..dots..', ' lead space']
    mkdirSync(join(source, 'Data', 'sub:dir'), {recursive: true})
    for (const name of names) writeFileSync(join(source, 'Data', name), name)
    writeFileSync(join(source, 'Data', 'sub:dir', 'inner\ttab'), 'inner')
    const defs = join(dir, 'defs')
    mkdirSync(defs)
    writeFileSync(join(defs, 'data.yaml'), '- id: data-files\n  name: Data files\n  category: system\n  description: every file under Data\n  paths: ["Data/**"]\n')
    const bundle = join(dir, 'hostile.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', source, '--out', bundle, '--case', 'H-1', '--examiner', 'Test Examiner', '--definitions', defs, ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const copies = manifest.entries.filter((e: {kind: string}) => e.kind === 'copy')
    expect(copies.map((e: {source: {path: string}}) => e.source.path).sort()).toEqual([...names.map((n) => `Data/${n}`), 'Data/sub:dir/inner\ttab'].sort())
    const byOriginal = new Map(copies.map((e: {path: string; source: {path: string}}) => [e.source.path, e.path]))
    expect(byOriginal.get('Data/line\nbreak.txt')).toBe('files/dir/Data/line%0Abreak.txt')
    expect(byOriginal.get('Data/back\\slash.txt')).toBe('files/dir/Data/back%5Cslash.txt')
    expect(byOriginal.get('Data/percent%41.txt')).toBe('files/dir/Data/percent%2541.txt')
    expect(byOriginal.get('Data/sub:dir/inner\ttab')).toBe('files/dir/Data/sub%3Adir/inner%09tab')
    // names equal but for case would collide when extracted on Windows: one gets a suffix
    expect(new Set([byOriginal.get('Data/CASE.txt'), byOriginal.get('Data/case.txt')])).toEqual(new Set(['files/dir/Data/CASE.txt', 'files/dir/Data/case.txt~2']))
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
    const stock = execFileSync('bash', [join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), bundle, join(dir, 'extract')], {encoding: 'utf8'})
    expect(stock).toMatch(/all \d+ files OK/)
  })

  it('writes to evidence/<case>_<host>_<UTC time>.zip beside trawl when no --out is given', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const caseId = `DEFAULT-OUT-${process.pid}`
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--case', caseId, '--examiner', 'Test Examiner', '--targets', 'hosts-file', '--json', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const bundle = JSON.parse(result.stdout).bundle as string
    try {
      expect(bundle.startsWith(join(REPO_ROOT, 'evidence', `${caseId}_`))).toBe(true)
      expect(bundle).toMatch(/_\d{8}T\d{6}Z\.zip$/)
      expect(existsSync(bundle)).toBe(true)
    } finally {
      for (const name of readdirSync(join(REPO_ROOT, 'evidence'))) if (name.startsWith(`${caseId}_`)) rmSync(join(REPO_ROOT, 'evidence', name))
    }
  })
})
