import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {unixNanosToIso} from '../../src/time.js'
import {ExitCode} from '../../src/errors.js'
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
      ['collect', '--allow-same-volume', '--source', SAMPLE, '--out', bundle, '--case', 'CASE-2026-0042', '--examiner', 'Test Examiner', '--evidence-item', 'EXH-1', '--notes', 'sample tree', ...keys.signArgs, '--json'],
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

  it('verifies as valid when pinned to the certificate, and as valid but not trusted without it, as text and JSON', async () => {
    const text = await trawl(['verify', bundle, '--cert', keys.cert])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('RESULT: VALID')
    const unpinned = await trawl(['verify', bundle])
    expect(unpinned.code).toBe(ExitCode.untrusted)
    expect(unpinned.stdout).toContain('RESULT: NOT TRUSTED. signature valid, signer NOT checked against a trusted certificate: compare fingerprint ')
    const pinned = await trawl(['verify', bundle, '--cert', keys.cert, '--json'])
    expect(pinned.code).toBe(0)
    const report = JSON.parse(pinned.stdout)
    expect(report.valid).toBe(true)
    expect(report.trusted).toBe(true)
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
    // git does not keep modification times: compare with the file's own, at nanosecond precision
    expect(hosts.source.times.modified).toBe(unixNanosToIso(statSync(join(SAMPLE, 'Windows/System32/drivers/etc/hosts'), {bigint: true}).mtimeNs))
    expect(hosts.artifacts).toEqual(['hosts-file'])
    expect(manifest.complete).toBe(true)
    expect(manifest.tool.name).toBe('trawl')
    // the SQLite engine that read the databases: node:sqlite in the second pass of npm test (TRAWL_SQLITE=node)
    expect(manifest.tool.sqlite).toMatchObject({engine: process.env.TRAWL_SQLITE === 'node' ? 'node:sqlite' : 'better-sqlite3', sqliteVersion: expect.stringMatching(/^3\.\d+\.\d+$/)})
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

describe('collect --live on this (Linux) machine', () => {
  it('records each command with its output, times and exit code, and the bundle verifies', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'live.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', bundle, '--case', 'L-1', '--examiner', 'Test Examiner', '--targets', 'hosts-file', '--live', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const live = manifest.entries.filter((e: {kind: string}) => e.kind === 'live')
    const resolv = live.find((e: {path: string}) => e.path === 'live/resolv.conf.txt' || e.path.startsWith('live/resolv'))
    expect(resolv).toBeDefined()
    const ipAddr = live.find((e: {command: {name: string}}) => e.command.name.startsWith('ip-addr') || e.command.name === 'ip addr')
    expect(manifest.live.platform).toBe('linux')
    for (const entry of live) {
      expect(entry.command.startTime <= entry.command.endTime).toBe(true)
      if (!entry.command.missing && entry.command.kind === 'exec') expect(entry.command.commandLine).toMatch(/^\//)
    }
    expect(ipAddr === undefined || ipAddr.command.missing || ipAddr.command.exitCode === 0).toBe(true)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/live-network.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    expect(records.some((r: {type: string}) => r.type === 'live.network')).toBe(true)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
