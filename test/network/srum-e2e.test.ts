/**
 * End to end from the CLI: a Windows-like tree with SRUDB.dat (the real go-ese one), its
 * .jfm and a log beside it, and the SOFTWARE hive that names its users, collected into a
 * bundle: the SRUM records are in the bundle, the summary counts them, the coverage
 * account lists every table, and the bundle verifies.
 */
import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {expect, it} from 'vitest'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'

function place(root: string, from: string, to: string): void {
  const target = join(root, ...to.split('/'))
  mkdirSync(dirname(target), {recursive: true})
  copyFileSync(from, target)
}

describeShared('SRUM end to end (built CLI)', () => {
  it('collects SRUDB.dat with its logs and the SOFTWARE hive, and seals the SRUM records into the bundle', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const root = join(dir, 'volume')
    place(root, sharedFile('windows/srum/go-ese/SRUDB.dat'), 'Windows/System32/sru/SRUDB.dat')
    place(root, join(REPO_ROOT, 'fixtures/srum/SOFTWARE'), 'Windows/System32/config/SOFTWARE')
    // Companions of the database: collected for the examiner, not replayed.
    writeFileSync(join(root, 'Windows/System32/sru/SRUDB.jfm'), Buffer.alloc(16384, 1))
    writeFileSync(join(root, 'Windows/System32/sru/SRU.log'), Buffer.alloc(65536, 2))
    const bundle = join(dir, 'srum.zip')
    const result = await trawl(['collect', '--source', root, '--out', bundle, '--case', 'S-1', '--examiner', 'Test Examiner', '--targets', 'network', '--json', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    const unzip = (name: string) => execFileSync('unzip', ['-p', bundle, name], {encoding: 'utf8', maxBuffer: 1 << 28})
    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'})
    expect(listing).toContain('Windows/System32/sru/SRUDB.dat')
    expect(listing).toContain('Windows/System32/sru/SRUDB.jfm')
    expect(listing).toContain('Windows/System32/sru/SRU.log')

    const records = unzip('parsed/srum.jsonl').trim().split('\n').map((line) => JSON.parse(line))
    const count = (type: string) => records.filter((r) => r.type === type).length
    expect([count('network.usage'), count('network.connectivity'), count('system.app-usage'), count('ese.database'), count('error')]).toEqual([255, 17, 1778, 1, 0])
    const edge = records.filter((r) => r.type === 'network.usage' && r.user === 'ana' && /msedge\.exe$/.test(r.app))
    expect(edge.reduce((sum, r) => sum + r.bytesReceived, 0)).toBe(244608290)
    expect(edge[0].source).toMatchObject({sourcePath: 'Windows/System32/sru/SRUDB.dat', table: '{973F5D5C-1D90-4944-BE8E-24B94231A174}'})

    const artifact = summary.artifacts.find((a: {id: string}) => a.id === 'srum')
    expect(artifact).toMatchObject({records: 255 + 17 + 1778 + 1, errors: 0})
    const manifest = JSON.parse(unzip('manifest.json'))
    const account = manifest.coverage.find((c: {parser: string}) => c.parser === 'srum')
    expect(account.store).toBe('ese')
    expect(account.tables).toHaveLength(14)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
