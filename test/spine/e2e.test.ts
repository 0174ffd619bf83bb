import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const SAMPLE = join(REPO_ROOT, 'fixtures/sample/tree')

describe('collect and verify end to end from the CLI', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'case.zip')
  let keys: Awaited<ReturnType<typeof makeKeys>>

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    const result = await trawl(
      ['collect', '--source', SAMPLE, '--out', bundle, '--case', 'CASE-2026-0042', '--examiner', 'Test Examiner', '--evidence-item', 'EXH-1', '--notes', 'sample tree', ...keys.signArgs, '--json'],
      {env: keys.env},
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('writes a complete bundle whose JSON summary names every artifact found', async () => {
    expect(existsSync(bundle)).toBe(true)
    expect(existsSync(`${bundle}.partial`)).toBe(false)
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    expect(listing.slice(-3)).toEqual(['manifest.json', 'manifest.json.p7s', 'custody.jsonl'])
    expect(listing).toContain('files/dir/Users/ana/AppData/Local/Google/Chrome/User Data/Profile 1/History')
    expect(listing).toContain('files/dir/Windows/System32/drivers/etc/hosts')
    expect(listing).toContain('parsed/records.sqlite')
  })

  it('verifies as valid, with and without pinning the certificate, as text and JSON', async () => {
    const text = await trawl(['verify', bundle])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('RESULT: VALID')
    const pinned = await trawl(['verify', bundle, '--cert', keys.cert, '--json'])
    expect(pinned.code).toBe(0)
    const report = JSON.parse(pinned.stdout)
    expect(report.valid).toBe(true)
    expect(report.problems).toEqual([])
    expect(report.case).toEqual({id: 'CASE-2026-0042', examiner: 'Test Examiner', evidenceItem: 'EXH-1', notes: 'sample tree'})
    expect(report.custody.events).toBe(1)
  })

  it('records source paths, sizes, timestamps and three hashes for every copy', async () => {
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const hosts = manifest.entries.find((e: {path: string}) => e.path === 'files/dir/Windows/System32/drivers/etc/hosts')
    const original = readFileSync(join(SAMPLE, 'Windows/System32/drivers/etc/hosts'))
    expect(hosts.size).toBe(original.length)
    expect(hosts.sha256).toBe(execFileSync('sha256sum', [join(SAMPLE, 'Windows/System32/drivers/etc/hosts')], {encoding: 'utf8'}).split(' ')[0])
    expect(hosts.md5).toMatch(/^[0-9a-f]{32}$/)
    expect(hosts.sha1).toMatch(/^[0-9a-f]{40}$/)
    expect(hosts.source.path).toBe('Windows/System32/drivers/etc/hosts')
    expect(hosts.source.times.modified).toBe('2024-09-09T10:00:00.000000000Z')
    expect(hosts.artifacts).toEqual(['hosts-file'])
    expect(manifest.complete).toBe(true)
    expect(manifest.tool.name).toBe('trawl')
    expect(manifest.case.id).toBe('CASE-2026-0042')
  })

  it('passes the stock-tool recipe of docs/bundle-format.md: unzip, openssl cms, sha256sum', () => {
    const out = join(dir, 'stock')
    const script = readFileSync(join(REPO_ROOT, 'docs/verify-with-stock-tools.sh'), 'utf8')
    const result = execFileSync('bash', ['-c', script, 'recipe', bundle, out], {encoding: 'utf8'})
    expect(result).toContain('manifest.json: signature verified')
    expect(result).toContain('SHA256SUMS: signature verified')
    expect(result).toMatch(/all \d+ files OK/)
  })

  it('appends custody events that keep the seal valid, and shows them', async () => {
    const other = await makeKeys(join(dir, 'keys-2'), 'Evidence Clerk')
    const add = await trawl(['custody', 'add', bundle, '--action', 'transferred', '--by', 'Evidence Clerk', '--note', 'to the lab, bag 7731', ...other.signArgs], {env: other.env})
    expect(add.stderr).toBe('')
    expect(add.code).toBe(0)
    const second = await trawl(['custody', 'add', bundle, '--action', 'received', '--by', 'Lab Intake', ...keys.signArgs], {env: keys.env})
    expect(second.code).toBe(0)
    const show = await trawl(['custody', 'show', bundle])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain('transferred by Evidence Clerk: to the lab, bag 7731')
    expect(show.stdout).toContain('Chain: intact')
    const verify = await trawl(['verify', bundle, '--cert', keys.cert, '--json'])
    const report = JSON.parse(verify.stdout)
    expect(report.problems).toEqual([])
    expect(verify.code).toBe(0)
    expect(report.custody.events).toBe(3)
    expect(report.custody.lastEventSha256).toMatch(/^[0-9a-f]{64}$/)
    // still extracts and verifies with stock tools after the rewrite of the tail
    execFileSync('unzip', ['-tq', bundle])
  })

  it('lists the artifact definitions', async () => {
    const list = await trawl(['artifacts', 'list', '--json'])
    expect(list.code).toBe(0)
    const ids = JSON.parse(list.stdout).map((d: {id: string}) => d.id)
    expect(ids).toEqual(expect.arrayContaining(['chrome-history', 'edge-history', 'firefox-places', 'skype-classic', 'user-pictures', 'registry-system', 'hosts-file']))
  })
})
