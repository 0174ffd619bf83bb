/**
 * SHACL validation of a CASE/UCO JSON-LD document against the shapes committed in
 * fixtures/case-uco (UCO 1.4.0 and CASE 1.4.0, Apache-2.0), as case_validate does it: the
 * ontology graphs are the shapes, and are added to the data graph too (every owl:imports is among them), so that sh:class sees
 * rdfs:subClassOf. rdf-validate-shacl with N3 (Turtle) and jsonld-streaming-parser (JSON-LD).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {JsonLdParser} from 'jsonld-streaming-parser'
import {Parser, Store, type Quad} from 'n3'
import SHACLValidator from 'rdf-validate-shacl'
import {REPO_ROOT} from '../helpers/shared.js'

export const SHAPES_DIR = join(REPO_ROOT, 'fixtures/case-uco')

function turtleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? turtleFiles(path) : name.endsWith('.ttl') ? [path] : []
  })
}

function ontologyQuads(): Quad[] {
  return turtleFiles(SHAPES_DIR).flatMap((file) => new Parser().parse(readFileSync(file, 'utf8')))
}

export async function jsonLdQuads(text: string): Promise<Quad[]> {
  const quads: Quad[] = []
  const parser = new JsonLdParser({strictValues: true, documentLoader: {load: () => Promise.reject(new Error('no remote context may be loaded'))}})
  await new Promise<void>((resolve, reject) => {
    parser.on('data', (q: Quad) => quads.push(q))
    parser.on('error', reject)
    parser.on('end', () => resolve())
    parser.end(text)
  })
  return quads
}

export interface ShaclResult {
  conforms: boolean
  violations: string[]
  /** Shapes whose SHACL-SPARQL constraints (sh:sparql) were not checked: rdf-validate-shacl reads SHACL Core only. */
  sparqlShapesSkipped: string[]
}

const SH_SPARQL = 'http://www.w3.org/ns/shacl#sparql'

export async function validateCase(text: string): Promise<ShaclResult> {
  const ontology = ontologyQuads()
  // SHACL Core only: the few SHACL-SPARQL constraints of UCO 1.4.0 (13, in owl.ttl, core.ttl, types.ttl) are left out and named
  const sparqlShapesSkipped = [...new Set(ontology.filter((q) => q.predicate.value === SH_SPARQL).map((q) => q.subject.value))]
  const shapes = new Store(ontology.filter((q) => q.predicate.value !== SH_SPARQL))
  const data = new Store([...ontology, ...(await jsonLdQuads(text))])
  const report = await new SHACLValidator(shapes as never, {importGraph: () => new Store()} as never).validate(data as never)
  const violations = report.results
    .filter((r) => r.severity?.value.endsWith('Violation'))
    .map((r) => `${r.focusNode?.value} ${r.path?.value ?? ''}: ${r.message.map((m) => m.value).join('; ')} (${r.sourceConstraintComponent?.value.split('#')[1]})`)
  return {conforms: violations.length === 0, violations, sparqlShapesSkipped}
}
