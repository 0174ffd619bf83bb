import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {CorrelationResult} from '../../src/correlate/correlate.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/shared.js'

const FIXTURES = join(REPO_ROOT, 'fixtures')

function place(root: string, relative: string, fixture: string): void {
  mkdirSync(dirname(join(root, relative)), {recursive: true})
  copyFileSync(join(FIXTURES, fixture), join(root, relative))
}

/**
 * Three cases built from the fixtures: a phone dump (WhatsApp), a laptop (Viber desktop)
 * and an SD card. A and B share the people they talk to; A and C pictures from one camera
 * body; B and C one picture, which C also holds re-encoded. A fourth bundle is a second collection of A's phone (same
 * case, same item): never a link by itself. A fifth has been tampered with.
 */
describe('trawl correlate links cases by what they share, and nothing else', () => {
  const dir = scratchDir()
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let other: Awaited<ReturnType<typeof makeKeys>>
  const bundle = (name: string) => join(dir, `${name}.zip`)

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    other = await makeKeys(join(dir, 'keys-b'), 'Second Examiner')
    const a = join(dir, 'src-a')
    place(a, 'Users/ana/phone/com.whatsapp/databases/msgstore.db', 'chat/android/com.whatsapp/databases/msgstore.db')
    place(a, 'Users/ana/phone/com.whatsapp/databases/wa.db', 'chat/android/com.whatsapp/databases/wa.db')
    place(a, 'Users/ana/Pictures/camera-1.jpg', 'correlate/camera-1.jpg')
    const b = join(dir, 'src-b')
    place(b, 'Users/bob/AppData/Roaming/ViberPC/+15551230000/viber.db', 'chat/viber/viber.db')
    place(b, 'Users/bob/Pictures/shared.jpg', 'correlate/shared.jpg')
    place(b, 'Users/bob/Pictures/other-maker.jpg', 'correlate/other-maker.jpg')
    const c = join(dir, 'src-c')
    place(c, 'Users/cem/Pictures/camera-2.jpg', 'correlate/camera-2.jpg')
    place(c, 'Users/cem/Pictures/same-model.jpg', 'correlate/same-model.jpg')
    place(c, 'Users/cem/Pictures/from-bob.jpg', 'correlate/shared.jpg')
    place(c, 'Users/cem/Pictures/resent.jpg', 'correlate/shared-reencoded.jpg')
    const runs: Array<[string, string, string, string, typeof keys]> = [
      ['a', a, 'CASE-A', 'phone-1', keys],
      ['a-again', a, 'CASE-A', 'phone-1', keys],
      ['b', b, 'CASE-B', 'laptop-7', other],
      ['c', c, 'CASE-C', 'sd-card-2', keys],
    ]
    await Promise.all(
      runs.map(async ([name, source, caseId, item, signer]) => {
        const r = await trawl(['collect', '--source', source, '--out', bundle(name), '--case', caseId, '--evidence-item', item, '--examiner', 'Test Examiner', ...signer.signArgs], {env: signer.env})
        if (r.code !== 0) throw new Error(`collect ${name}: ${r.stderr}`)
      }),
    )
    // a copy of B's bundle with one byte in the middle changed (inside an entry's data)
    const tampered = readFileSync(bundle('b'))
    tampered[tampered.length >> 1] ^= 0x01
    writeFileSync(bundle('tampered'), tampered)
  }, 240_000)

  it('finds the shared people, camera body and picture, each citing its records, and no other link', async () => {
    const out = join(dir, 'links')
    const r = await trawl(['correlate', '--cert', keys.cert, '--cert', other.cert, '--json', '--out', out, bundle('a'), bundle('a-again'), bundle('b'), bundle('c')])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as CorrelationResult
    expect(result.refused).toEqual([])
    expect(result.bundles.map((b) => [b.id, b.case.id, b.case.evidenceItem, b.trusted])).toEqual([
      ['B1', 'CASE-A', 'phone-1', true],
      ['B2', 'CASE-A', 'phone-1', true],
      ['B3', 'CASE-B', 'laptop-7', true],
      ['B4', 'CASE-C', 'sd-card-2', true],
    ])
    const links = result.links.map((l) => [l.kind, l.value, l.sides.map((s) => s.bundle).sort().join(' ')])
    expect(links).toEqual([
      // the WhatsApp dump and the Viber desktop database talk to the same two people (Viber's owner,
      // +15551230000, is not in the WhatsApp dump: WhatsApp keeps its own number outside msgstore.db)
      ['phone', '+15550009999', 'B1 B2 B3'],
      ['phone', '+15557654321', 'B1 B2 B3'],
      // one Canon body in two cases; the other 40D and the Nikon with the same serial digits link nothing
      ['camera-serial', 'canon|canon eos 40d|0820500998', 'B1 B2 B4'],
      ['picture-sha256', result.links.find((l) => l.kind === 'picture-sha256')!.value, 'B3 B4'],
      // and the same picture as a messenger re-sent it (half size, JPEG quality 40, no EXIF): by PDQ
      ['picture-pdq', result.links.find((l) => l.kind === 'picture-pdq')!.value, 'B3 B4'],
    ])
    const resent = result.links.find((l) => l.kind === 'picture-pdq')!
    expect(resent.distance).toBeLessThanOrEqual(31)
    const sdCard = resent.sides.find((s) => s.bundle === 'B4')!
    expect(sdCard.hashes).toHaveLength(2)
    expect(sdCard.citations.map((c) => c.sourcePath).sort()).toEqual(['Users/cem/Pictures/from-bob.jpg', 'Users/cem/Pictures/resent.jpg'])
    // every side cites the record it came from: file, table, row
    const recruiter = result.links.find((l) => l.value === '+15557654321')!
    const viber = recruiter.sides.find((s) => s.bundle === 'B3')!
    expect(viber.citations[0]).toMatchObject({artifact: 'viber-desktop', file: expect.stringContaining('viber.db'), table: expect.any(String), rowid: expect.anything()})
    const whatsapp = recruiter.sides.find((s) => s.bundle === 'B1')!
    expect(whatsapp.citations.some((c) => c.raw === '15557654321@s.whatsapp.net' && c.table !== undefined)).toBe(true)
    const picture = result.links.find((l) => l.kind === 'picture-sha256')!
    expect(picture.sides.find((s) => s.bundle === 'B4')!.citations[0]).toMatchObject({type: 'media.exif', sourcePath: 'Users/cem/Pictures/from-bob.jpg'})

    // the graph: bundles and identifiers as nodes, one edge per bundle naming an identifier
    const graph = JSON.parse(readFileSync(join(out, 'correlation.graph.json'), 'utf8')) as {nodes: Array<{id: string; type: string}>; edges: unknown[]}
    expect(graph.nodes.filter((n) => n.type === 'bundle')).toHaveLength(4)
    expect(graph.nodes.filter((n) => n.type === 'identifier')).toHaveLength(5)
    expect(graph.edges).toHaveLength(2 * 3 + 3 + 2 + 2)
    const graphml = readFileSync(join(out, 'correlation.graphml'), 'utf8')
    expect(graphml).toContain('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"')
    expect(graphml.match(/<edge /g)).toHaveLength(13)
    expect(JSON.parse(readFileSync(join(out, 'correlation.json'), 'utf8'))).toEqual(result)
  })

  it('a second collection of the same item links to nothing by itself', async () => {
    const r = await trawl(['correlate', '--cert', keys.cert, '--json', bundle('a'), bundle('a-again')])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as CorrelationResult).links).toEqual([])
  })

  it('refuses a bundle that does not verify, and one signed by a certificate not given, and says so', async () => {
    const r = await trawl(['correlate', '--cert', keys.cert, bundle('a'), bundle('tampered'), bundle('b')])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`- ${bundle('tampered')}: does not verify`)
    expect(r.stdout).toContain(`- ${bundle('b')}: signed by a certificate that is none of those given with --cert, nor issued by a --ca`)
    expect(r.stdout).toContain('Shared identifiers: none')
    const unanchored = await trawl(['correlate', bundle('a'), bundle('c')])
    expect(unanchored.code).toBe(1)
    expect(unanchored.stdout).toContain("signer not checked: give the examiners' certificates with --cert (or --ca), or --allow-untrusted")
  })

  it('prints each link with its citations for people', async () => {
    const r = await trawl(['correlate', '--cert', keys.cert, '--cert', other.cert, bundle('a'), bundle('b'), bundle('c')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ {2}phone number \+15557654321: B1 \(\d+\), B2 \(\d+\)$/m)
    expect(r.stdout).toMatch(/^ {6}B2: chat\.message .*viber\.db table \w+ row \d+ \(sender\)$/m)
    expect(r.stdout).toMatch(/^ {2}camera body canon\|canon eos 40d\|0820500998: B1 \(1\), B3 \(1\)$/m)
  })
})
