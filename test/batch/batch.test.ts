import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {CATEGORIES, CSV_COLUMNS} from '../../src/batch/summary.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {bundleManifest, evidenceFolder, golden, parseCsv, sha256, startTrawl, until} from './fixtures.js'

const SAMPLE = join(REPO_ROOT, 'fixtures/sample/tree')
const ANA_HISTORY = 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History'

interface Row {
  item: string
  status: string
  image: string
  segments: string[]
  format?: string
  size?: number
  imageCheck?: {verdict: string; stored: {md5?: string; sha1?: string}; computed?: {md5: string; sha1: string}}
  volumes: Array<{id: string; scheme: string; fileSystem?: string; label?: string; read: boolean; offset?: number; size?: number}>
  records: Record<string, number>
  recordsTotal: number
  files: number
  hashSetMatches: number
  errors: number
  errorMessages: string[]
  failure?: string
  bundle?: string
  bundleSha256?: string
}

function summaryOf(dir: string, name = 'summary.json'): {items: Row[]; totals: Record<string, number>; itemsListed: number; shard?: unknown} {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'))
}

function bundles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.zip')).sort()
}

function identity(path: string): {ino: number; mtimeMs: number; size: number} {
  const s = statSync(path)
  return {ino: s.ino, mtimeMs: s.mtimeMs, size: s.size}
}

describe('trawl batch over a lab intake of five images', () => {
  const root = scratchDir('trawl-batch-')
  let evidence: string
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let hashSet: string
  const out = join(root, 'out')
  let run: Awaited<ReturnType<typeof trawl>>
  const common = () => ['--case', '2026-0042', '--examiner', 'Lab Intake', ...keys.signArgs]

  beforeAll(async () => {
    evidence = evidenceFolder()
    keys = await makeKeys(join(root, 'keys'))
    // a known-file list in md5sum/sha256sum style: ana's Chrome history (SHA-256) and her harbour picture (MD5)
    hashSet = join(root, 'known.txt')
    const md5 = execFileSync('md5sum', [join(SAMPLE, 'Users/ana/Pictures/harbour.jpg')], {encoding: 'utf8'}).split(' ')[0]
    writeFileSync(hashSet, `# lab list\n${sha256(join(SAMPLE, ANA_HISTORY))}  chrome-history-of-interest\n${md5}  picture-of-interest\n`)
    run = await trawl(['batch', '--out', out, ...common(), '--jobs', '2', '--hashset', hashSet, '--json', join(evidence, '*')], {env: keys.env})
  })

  it('makes four bundles, fails the truncated E01 alone, and exits 8', () => {
    expect(run.code).toBe(8)
    expect(bundles(out)).toEqual(['pc1.zip', 'pc2.zip', 'pc3.zip', 'pc4.zip'])
    expect(readdirSync(out).filter((n) => /\.(partial|work|lock)$/.test(n))).toEqual([])
    const summary = JSON.parse(run.stdout)
    expect(summary).toEqual(summaryOf(out))
    expect(summary.items.map((r: Row) => [r.item, r.status])).toEqual([
      ['pc1', 'ok'],
      ['pc2', 'ok'],
      ['pc3', 'ok'],
      ['pc4', 'ok'],
      ['pc5', 'failed'],
    ])
    expect(summary.totals).toEqual({ok: 4, skipped: 0, failed: 1, interrupted: 0, 'not-run': 0})
    const failed = summary.items[4] as Row
    expect(failed.failure).toMatch(/^pc5\.E01: .*runs past the end of the segment.*truncated image\?/)
    expect(failed.bundle).toBeUndefined()
    expect(run.stderr).toContain('pc5: FAILED: pc5.E01')
  })

  it('every bundle verifies with the examiner certificate and is the one the summary hashes', async () => {
    for (const row of summaryOf(out).items.slice(0, 4)) {
      const verify = await trawl(['verify', row.bundle!, '--cert', keys.cert, '--json'])
      expect(verify.code, row.item).toBe(0)
      const report = JSON.parse(verify.stdout)
      expect(report.case).toEqual({id: '2026-0042', examiner: 'Lab Intake', evidenceItem: row.item})
      expect(row.bundleSha256).toBe(sha256(row.bundle!))
      expect(row.bundle).toBe(join(out, `${row.item}.zip`))
    }
  })

  it('names the segments, format, size and the image hash check of each item', () => {
    const rows = summaryOf(out).items
    const [pc1, pc2, pc3, pc4] = rows
    expect(pc1.segments).toEqual(['pc1.E01', 'pc1.E02', 'pc1.E03', 'pc1.E04'].map((s) => join(evidence, s)))
    expect(pc1.image).toBe(join(evidence, 'pc1.E01'))
    expect([pc1.format, pc1.size]).toEqual(['ewf', 3 * 1024 * 1024])
    // EWF: the stored hashes, checked against the media data as ewfverify did
    const ewfverify = golden('pc1.ewfverify.txt')
    expect(ewfverify).toContain('ewfverify: SUCCESS')
    expect(pc1.imageCheck!.verdict).toBe('verified')
    expect(pc1.imageCheck!.stored.md5).toBe(/MD5 hash stored in file:\s+([0-9a-f]{32})/.exec(ewfverify)![1])
    expect(pc1.imageCheck!.stored.sha1).toBe(/SHA1 hash stored in file:\s+([0-9a-f]{40})/.exec(ewfverify)![1])
    expect(pc1.imageCheck!.computed!.md5).toBe(golden('pc1.md5sum.txt').trim())
    // raw and split raw store no hash: computed ones, equal to md5sum/sha1sum of the whole disk
    expect(pc2.segments).toEqual(['pc2.001', 'pc2.002', 'pc2.003'].map((s) => join(evidence, s)))
    expect([pc2.format, pc2.size]).toEqual(['split-raw', 3 * 1024 * 1024])
    for (const [row, disk] of [[pc2, 'pc2'], [pc3, 'pc3'], [pc4, 'pc4']] as const) {
      expect(row.imageCheck!.verdict, disk).toBe('no-stored-hash')
      expect(row.imageCheck!.computed).toEqual({md5: golden(`${disk}.md5sum.txt`).trim(), sha1: golden(`${disk}.sha1sum.txt`).trim()})
    }
    expect([pc3.format, pc3.size, pc4.format, pc4.size]).toEqual(['raw', 5 * 1024 * 1024, 'raw', 2 * 1024 * 1024])
  })

  it('lists the partitions and file systems found, as mmls and the formatters made them', () => {
    const rows = summaryOf(out).items
    const vols = (r: Row) => r.volumes.map((v) => [v.id, v.scheme, v.fileSystem, v.label, v.read])
    expect(vols(rows[0])).toEqual([['p1', 'mbr', 'ntfs', 'PC1', true]])
    expect(vols(rows[1])).toEqual([['p1', 'mbr', 'ntfs', 'PC2', true]])
    expect(vols(rows[2])).toEqual([
      ['p1', 'gpt', 'ntfs', 'PC3', true],
      ['p2', 'gpt', 'ext2', 'pc3linux', true],
    ])
    expect(vols(rows[3])).toEqual([['vol', 'none', 'ntfs', 'PC4', true]])
    // partition offsets and sizes as mmls lists them
    const mmls = (name: string) =>
      [...golden(name).matchAll(/^\d{3}:\s+\d{3}(?::\d{3})?\s+(\d{10})\s+\d{10}\s+(\d{10})\s+/gm)].map((m) => [Number(m[1]) * 512, Number(m[2]) * 512])
    expect(mmls('pc1.mmls.txt')).toEqual([[1048576, 2097152]])
    expect(rows[0].volumes.map((v) => [v.offset, v.size])).toEqual(mmls('pc1.mmls.txt'))
    expect(rows[2].volumes.map((v) => [v.offset, v.size])).toEqual(mmls('pc3.mmls.txt'))
    // the ext2 volume is read: pc3 has no errors
    expect(rows[2].errors).toBe(0)
    expect(rows[2].errorMessages ?? []).toEqual([])
    expect(rows[0].volumes[0]).toMatchObject({offset: 1048576, size: 2097152, partitionType: '0x07'})
  })

  it('counts files, records per category and hash-set matches exactly as each signed manifest states them', () => {
    for (const row of summaryOf(out).items.slice(0, 4)) {
      const manifest = bundleManifest(row.bundle!)
      expect(manifest.complete).toBe(true)
      const copies = manifest.entries.filter((e) => e.kind === 'copy')
      expect(row.files, row.item).toBe(copies.length)
      for (const category of CATEGORIES) {
        expect(row.records[category], `${row.item} ${category}`).toBe(manifest.artifacts.filter((a) => a.category === category).reduce((a, b) => a + b.records, 0))
      }
      expect(row.recordsTotal).toBe(manifest.artifacts.reduce((a, b) => a + b.records, 0))
      expect(row.hashSetMatches).toBe(copies.filter((e) => e.hashSetMatches?.length).length)
      expect(row.errors).toBe(manifest.errors.length)
    }
    const rows = summaryOf(out).items
    // what each disk holds: ana's profile on pc1, bob's on pc2, the whole tree on pc3, ProgramData+Windows on pc4
    const paths = (r: Row) => bundleManifest(r.bundle!).entries.filter((e) => e.kind === 'copy').map((e) => e.source!.path).sort()
    expect(paths(rows[0])).toContain(ANA_HISTORY)
    expect(paths(rows[0]).every((p) => p.startsWith('Users/ana/'))).toBe(true)
    expect(paths(rows[1]).every((p) => p.startsWith('Users/bob/'))).toBe(true)
    expect(paths(rows[2])).toEqual([...paths(rows[0]), ...paths(rows[1]), ...paths(rows[3])].sort())
    expect(paths(rows[3])).toContain('Windows/System32/drivers/etc/hosts')
    // pc3 holds exactly the files of pc1, pc2 and pc4 together: so are its records, category by category
    for (const category of CATEGORIES) expect(rows[2].records[category], category).toBe(rows[0].records[category] + rows[1].records[category] + rows[3].records[category])
    // the known-file list: ana's history and picture, on the two disks that hold them
    expect(rows.map((r) => r.hashSetMatches)).toEqual([2, 0, 2, 0, 0])
  })

  it('writes summary.csv with the same facts, one RFC 4180 row per item', () => {
    const csv = parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'))
    expect(csv[0]).toEqual(CSV_COLUMNS)
    expect(csv.length).toBe(6)
    const col = (name: string) => CSV_COLUMNS.indexOf(name)
    const rows = summaryOf(out).items
    for (const [i, row] of rows.entries()) {
      const cells = csv[i + 1]
      expect(cells.length).toBe(CSV_COLUMNS.length)
      expect(cells[col('item')]).toBe(row.item)
      expect(cells[col('status')]).toBe(row.status)
      expect(cells[col('segments')].split(';')).toEqual(row.segments)
      expect(cells[col('image_check')]).toBe(row.imageCheck?.verdict ?? '')
      expect(cells[col('computed_md5')]).toBe(row.imageCheck?.computed?.md5 ?? '')
      expect(Number(cells[col('records_total')])).toBe(row.recordsTotal)
      expect(Number(cells[col('hash_set_matches')])).toBe(row.hashSetMatches)
      expect(cells[col('bundle_sha256')]).toBe(row.bundleSha256 ?? '')
      expect(cells[col('failure')]).toBe(row.failure ?? '')
    }
    expect(csv[3][col('volumes')]).toBe('p1:gpt#1 ntfs "PC3"; p2:gpt#2 ext2 "pc3linux"')
  })

  it('run again: skips the four verified bundles untouched, retries the failed item', async () => {
    const before = Object.fromEntries(bundles(out).map((n) => [n, identity(join(out, n))]))
    const again = await trawl(['batch', '--out', out, ...common(), '--json', join(evidence, '*')], {env: keys.env})
    expect(again.code).toBe(8)
    const summary = JSON.parse(again.stdout)
    expect(summary.items.map((r: Row) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'failed'])
    for (const n of bundles(out)) expect(identity(join(out, n)), n).toEqual(before[n])
    // a skipped item keeps its facts and its image check from the first run
    const first = summaryOf(out).items
    expect(first[0].imageCheck?.verdict).toBe('verified')
    expect(first[0].bundleSha256).toBe(sha256(join(out, 'pc1.zip')))
  })

  it('--force redoes every item and keeps each old bundle as <item>.zip.replaced-<time>', async () => {
    const forceOut = join(root, 'force')
    const first = await trawl(['batch', '--out', forceOut, ...common(), '--no-image-check', join(evidence, 'pc4.raw')], {env: keys.env})
    expect(first.code).toBe(0)
    const old = sha256(join(forceOut, 'pc4.zip'))
    const forced = await trawl(['batch', '--out', forceOut, ...common(), '--no-image-check', '--force', join(evidence, 'pc4.raw')], {env: keys.env})
    expect(forced.code).toBe(0)
    const aside = readdirSync(forceOut).filter((n) => /^pc4\.zip\.replaced-\d{8}T\d{6}Z$/.test(n))
    expect(aside.length).toBe(1)
    expect(sha256(join(forceOut, aside[0]))).toBe(old)
    expect(summaryOf(forceOut).items[0].status).toBe('ok')
    expect(summaryOf(forceOut).items[0].imageCheck).toBeUndefined()
  })

  it('a bundle made with --no-image-check gets its image checked by the next run, the bundle untouched', async () => {
    const dir = join(root, 'check-later')
    const first = await trawl(['batch', '--out', dir, ...common(), '--no-image-check', join(evidence, 'pc1.E0*')], {env: keys.env})
    expect(first.code).toBe(0)
    expect(summaryOf(dir).items[0].imageCheck).toBeUndefined()
    const before = identity(join(dir, 'pc1.zip'))
    const again = await trawl(['batch', '--out', dir, ...common(), '--json', join(evidence, 'pc1.E0*')], {env: keys.env})
    expect(again.code).toBe(0)
    const row = JSON.parse(again.stdout).items[0] as Row
    expect(row.status).toBe('skipped')
    expect(row.imageCheck!.verdict).toBe('verified')
    expect(row.imageCheck!.computed!.sha1).toBe(golden('pc1.sha1sum.txt').trim())
    expect(identity(join(dir, 'pc1.zip'))).toEqual(before)
  })

  it('an existing bundle that does not verify is kept aside and the item redone', async () => {
    const dir = join(root, 'bad-bundle')
    const first = await trawl(['batch', '--out', dir, ...common(), '--no-image-check', join(evidence, 'pc4.raw')], {env: keys.env})
    expect(first.code).toBe(0)
    const bundle = join(dir, 'pc4.zip')
    const bytes = readFileSync(bundle)
    bytes[100] ^= 0xff
    writeFileSync(bundle, bytes)
    const again = await trawl(['batch', '--out', dir, ...common(), '--no-image-check', join(evidence, 'pc4.raw')], {env: keys.env})
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/pc4: the existing bundle does not verify .*kept as pc4\.zip\.invalid-/)
    expect(readdirSync(dir).filter((n) => n.startsWith('pc4.zip.invalid-')).length).toBe(1)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})

describe('trawl batch interrupted and restarted', () => {
  const root = scratchDir('trawl-batch-kill-')
  let evidence: string
  let keys: Awaited<ReturnType<typeof makeKeys>>
  const common = () => ['--case', '2026-0042', '--examiner', 'Lab Intake', ...keys.signArgs, '--no-image-check']

  beforeAll(async () => {
    evidence = evidenceFolder()
    keys = await makeKeys(join(root, 'keys'))
  })

  it('killed (SIGKILL) after two items, a second run finishes the rest without redoing them', async () => {
    const out = join(root, 'killed')
    const first = startTrawl(['batch', '--out', out, ...common(), '--jobs', '1', join(evidence, '*')], keys.env)
    await until(() => existsSync(out) && bundles(out).length >= 2)
    first.kill('SIGKILL')
    const ended = await first.done
    expect(ended.signal).toBe('SIGKILL')
    const done = bundles(out)
    expect(done.length).toBeGreaterThanOrEqual(2)
    expect(done.length).toBeLessThan(4)
    const before = Object.fromEntries(done.map((n) => [n, identity(join(out, n))]))
    const second = await trawl(['batch', '--out', out, ...common(), '--jobs', '1', '--json', join(evidence, '*')], {env: keys.env})
    expect(second.code).toBe(8)
    expect(bundles(out)).toEqual(['pc1.zip', 'pc2.zip', 'pc3.zip', 'pc4.zip'])
    for (const n of done) expect(identity(join(out, n)), n).toEqual(before[n])
    const rows = JSON.parse(second.stdout).items as Row[]
    const finished = new Set(done.map((n) => n.replace(/\.zip$/, '')))
    for (const row of rows.slice(0, 4)) expect(row.status, row.item).toBe(finished.has(row.item) ? 'skipped' : 'ok')
    expect(rows[4].status).toBe('failed')
    expect(readdirSync(out).filter((n) => /\.(partial|work|lock)$/.test(n))).toEqual([])
    for (const n of bundles(out)) expect((await trawl(['verify', join(out, n), '--cert', keys.cert])).code, n).toBe(0)
  })

  it('a worker that dies (killed like an out-of-memory process) fails its item only; the next run redoes it', async () => {
    const out = join(root, 'crash')
    const images = ['pc1.E0*', 'pc2.00*', 'pc4.raw'].map((g) => join(evidence, g))
    const batch = startTrawl(['batch', '--out', out, ...common(), '--jobs', '1', ...images], keys.env)
    const lock = join(out, 'pc1.zip.lock')
    let pid = 0
    await until(() => {
      try {
        pid = JSON.parse(readFileSync(lock, 'utf8')).pid
        return true
      } catch {
        return false
      }
    })
    process.kill(pid, 'SIGKILL')
    const ended = await batch.done
    expect(ended.code).toBe(8)
    const rows = summaryOf(out).items
    expect(rows.map((r) => [r.item, r.status])).toEqual([['pc1', 'failed'], ['pc2', 'ok'], ['pc4', 'ok']])
    expect(rows[0].failure).toMatch(/^the worker ended without a result \(signal SIGKILL\)/)
    expect(bundles(out)).toEqual(['pc2.zip', 'pc4.zip'])
    const again = await trawl(['batch', '--out', out, ...common(), '--jobs', '1', '--json', ...images], {env: keys.env})
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).items.map((r: Row) => r.status)).toEqual(['ok', 'skipped', 'skipped'])
    expect(readdirSync(out).filter((n) => /\.(partial|work|lock)$/.test(n))).toEqual([])
  })

  it('Ctrl-C (SIGINT): running items seal incomplete .partial bundles, nothing new starts, exit 130; the rerun redoes them', async () => {
    const out = join(root, 'sigint')
    const first = startTrawl(['batch', '--out', out, ...common(), '--jobs', '2', join(evidence, '*')], keys.env)
    await until(() => existsSync(out) && bundles(out).length >= 1)
    first.kill('SIGINT')
    const ended = await first.done
    expect(ended.code).toBe(130)
    const summary = summaryOf(out)
    const statuses = summary.items.map((r) => r.status)
    expect(statuses).toContain('not-run')
    // complete bundles: items that finished, and items stopped during their image check
    const complete = summary.items.filter((r) => r.bundle?.endsWith('.zip'))
    expect(complete.map((r) => `${r.item}.zip`)).toEqual(bundles(out))
    expect(complete.every((r) => r.status === 'ok' || (r.status === 'interrupted' && /image check/.test(r.failure!)))).toBe(true)
    for (const row of summary.items.filter((r) => r.status === 'interrupted' && r.bundle?.endsWith('.partial'))) {
      expect(row.bundle).toBe(join(out, `${row.item}.zip.partial`))
      const verify = await trawl(['verify', row.bundle!, '--json'])
      expect(verify.code).toBe(1)
      expect(JSON.parse(verify.stdout).complete).toBe(false)
    }
    const okBefore = Object.fromEntries(bundles(out).map((n) => [n, identity(join(out, n))]))
    const second = await trawl(['batch', '--out', out, ...common(), '--jobs', '2', '--json', join(evidence, '*')], {env: keys.env})
    expect(second.code).toBe(8)
    expect(bundles(out)).toEqual(['pc1.zip', 'pc2.zip', 'pc3.zip', 'pc4.zip'])
    for (const [n, id] of Object.entries(okBefore)) expect(identity(join(out, n)), n).toEqual(id)
    expect(readdirSync(out).filter((n) => /\.(partial|work|lock)$/.test(n))).toEqual([])
    expect(JSON.parse(second.stdout).totals).toEqual({ok: 4 - Object.keys(okBefore).length, skipped: Object.keys(okBefore).length, failed: 1, interrupted: 0, 'not-run': 0})
  })
})

describe('trawl batch --shard', () => {
  const root = scratchDir('trawl-batch-shard-')
  let evidence: string
  let keys: Awaited<ReturnType<typeof makeKeys>>

  beforeAll(async () => {
    evidence = evidenceFolder()
    keys = await makeKeys(join(root, 'keys'))
  })

  it('two machines share one list: 2/2 takes the 2nd and 4th item, writes its own summary, and a final run merges', async () => {
    const out = join(root, 'out')
    const args = ['--out', out, '--case', '2026-0042', '--examiner', 'Lab Intake', ...keys.signArgs, '--no-image-check']
    const shard2 = await trawl(['batch', ...args, '--shard', '2/2', '--json', join(evidence, 'pc*')], {env: keys.env})
    expect(shard2.code).toBe(0)
    expect(bundles(out)).toEqual(['pc2.zip', 'pc4.zip'])
    const s2 = summaryOf(out, 'summary.shard-2-of-2.json')
    expect(s2.items.map((r) => r.item)).toEqual(['pc2', 'pc4'])
    expect([s2.itemsListed, s2.shard]).toEqual([5, {index: 2, count: 2}])
    expect(existsSync(join(out, 'summary.shard-2-of-2.csv'))).toBe(true)
    const shard1 = await trawl(['batch', ...args, '--shard', '1/2', join(evidence, 'pc*')], {env: keys.env})
    expect(shard1.code).toBe(8)
    expect(summaryOf(out, 'summary.shard-1-of-2.json').items.map((r) => [r.item, r.status])).toEqual([['pc1', 'ok'], ['pc3', 'ok'], ['pc5', 'failed']])
    // the whole list, unsharded, afterwards: everything done is skipped, and summary.json covers all items
    const merge = await trawl(['batch', ...args, join(evidence, 'pc*')], {env: keys.env})
    expect(merge.code).toBe(8)
    expect(summaryOf(out).items.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'failed'])
  })

  it('refuses a malformed shard, no images, a missing literal path, and a wrong passphrase before running anything', async () => {
    const out = join(root, 'bad')
    const base = ['batch', '--out', out, '--case', 'c', '--examiner', 'e', ...keys.signArgs]
    const shard = await trawl([...base, '--shard', '3/2', join(evidence, '*')], {env: keys.env})
    expect([shard.code, shard.stderr.trim()]).toEqual([2, 'trawl: --shard 3/2: K must be between 1 and N'])
    const none = await trawl([...base, join(evidence, '*.vmdk')], {env: keys.env})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('no evidence image matches')
    const missing = await trawl([...base, join(evidence, 'pc9.E01')], {env: keys.env})
    expect(missing.code).toBe(3)
    const pass = await trawl([...base, join(evidence, 'pc4.raw')], {env: {TRAWL_TEST_PASS: 'wrong'}})
    expect(pass.code).toBe(5)
    expect(existsSync(out)).toBe(false)
  })
})
