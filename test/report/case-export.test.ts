/**
 * trawl export --format case: the CASE/UCO JSON-LD of a bundle from a Windows-like tree with every
 * category validates against the UCO 1.4.0 and CASE 1.4.0 shapes (SHACL Core; see shacl.ts), and
 * every record of the bundle is in it exactly once, tied to the file it was read from.
 */
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {buildFullWindowsVolume} from './full-tree.js'
import {jsonLdQuads, validateCase} from './shacl.js'

type Node = Record<string, unknown> & {'@id': string; '@type': string}

describe('CASE/UCO export', () => {
  const dir = scratchDir('trawl-case-')
  const bundle = join(dir, 'full.zip')
  let text: string
  let objects: Node[]

  beforeAll(async () => {
    const keys = await makeKeys(join(dir, 'keys'))
    const {root, hashSet} = buildFullWindowsVolume(join(dir, 'tree'))
    expect((await trawl(['collect', '--source', root, '--out', bundle, '--case', 'CASE-UCO-1', '--examiner', 'Test Examiner', '--evidence-item', 'EXH-9', '--hashset', hashSet, ...keys.signArgs], {env: keys.env})).stderr).toBe('')
    const result = await trawl(['export', bundle, '--format', 'case'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    text = result.stdout
    objects = (JSON.parse(text) as {'core:object': Node[]})['core:object']
  })

  it('conforms to the UCO 1.4.0 and CASE 1.4.0 shapes', async () => {
    const result = await validateCase(text)
    expect(result.violations).toEqual([])
    expect(result.conforms).toBe(true)
    // the SHACL-SPARQL shapes the validator cannot run; the one about identifiers is checked here instead
    expect(result.sparqlShapesSkipped).toContain('https://ontology.unifiedcyberontology.org/uco/core/UcoThing-identifier-regex-shape')
    const ids = (await jsonLdQuads(text)).flatMap((q) => [q.subject, q.object]).filter((t) => t.termType === 'NamedNode' && t.value.startsWith('urn:trawl:kb:'))
    for (const id of ids) expect(id.value).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  }, 300_000)

  it('has every record once, each Contained_Within the file it was read from, and the action that made them', async () => {
    const all = await trawl(['records', bundle, '--json'])
    const records = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; source: {file: string}})
    const action = objects.find((o) => o['@type'] === 'case-investigation:InvestigativeAction')!
    const results = (action['action:result'] as Array<{'@id': string}>).map((r) => r['@id'])
    const recordIds = results.slice(1)
    expect(recordIds.length).toBe(records.length)
    expect(new Set(recordIds).size).toBe(records.length)
    const byId = new Map(objects.map((o) => [o['@id'], o]))
    for (const id of byId.keys()) expect(objects.filter((o) => o['@id'] === id).length).toBe(1)
    const contained = new Map(objects.filter((o) => o['core:kindOfRelationship'] === 'Contained_Within').map((o) => [(o['core:source'] as Array<{'@id': string}>)[0]!['@id'], (o['core:target'] as {'@id': string})['@id']]))
    recordIds.forEach((id, i) => {
      const record = byId.get(id)!
      expect(record['core:name']).toBe(records[i]!.type)
      const file = byId.get(contained.get(id)!)!
      expect(file['@type']).toBe('observable:File')
      expect(file['core:description']).toBe(`copy in the bundle: ${records[i]!.source.file}`)
    })
    // typed observables where UCO has them
    const types = new Set(recordIds.map((id) => byId.get(id)!['@type']))
    for (const type of ['observable:URLVisit', 'observable:Message', 'observable:RasterPicture', 'observable:WirelessNetworkConnection']) expect(types).toContain(type)
    expect(objects.some((o) => o['@type'] === 'location:Location')).toBe(true)
    expect(byId.get((action['action:instrument'] as {'@id': string})['@id'])!['core:name']).toBe('trawl')
    expect(byId.get((action['action:performer'] as {'@id': string})['@id'])!['core:name']).toBe('Test Examiner')
  })

  it('gives every copied file its three hashes, times and MFT facts as the manifest has them', async () => {
    const files = objects.filter((o) => o['@type'] === 'observable:File')
    const provenance = objects.find((o) => o['@type'] === 'case-investigation:ProvenanceRecord')!
    expect(provenance['case-investigation:exhibitNumber']).toBe('EXH-9')
    expect((provenance['core:object'] as unknown[]).length).toBe(files.length)
    for (const file of files) {
      const content = (file['core:hasFacet'] as Node[]).find((f) => f['@type'] === 'observable:ContentDataFacet')!
      const methods = (content['observable:hash'] as Array<Record<string, {'@value': string}>>).map((h) => [h['types:hashMethod']!['@value'], h['types:hashValue']!['@value'].length])
      expect(methods).toEqual([['SHA256', 64], ['SHA1', 40], ['MD5', 32]])
    }
  })
})
