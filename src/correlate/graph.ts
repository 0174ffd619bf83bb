/**
 * The correlation as a graph: bundle -> identifier -> bundle. One node per bundle
 * and per shared identifier, one edge per bundle that names the identifier, carrying
 * how often and the citations. Written as GraphML (Gephi, yEd, Cytoscape, networkx
 * read it) and as plain JSON of the same nodes and edges.
 */
import type {CorrelationResult} from './correlate.js'

export interface GraphNode {
  id: string
  type: 'bundle' | 'identifier'
  label: string
  attributes: Record<string, string | number>
}

export interface GraphEdge {
  source: string
  target: string
  occurrences: number
  /** JSON of the citations on this side. */
  citations: string
}

export interface CorrelationGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

export function correlationGraph(result: CorrelationResult): CorrelationGraph {
  const nodes: GraphNode[] = result.bundles.map((b) => ({
    id: b.id,
    type: 'bundle',
    label: `${b.case.id}${b.case.evidenceItem ? ` / ${b.case.evidenceItem}` : ''}`,
    attributes: {path: b.path, sha256: b.sha256, case: b.case.id, evidenceItem: b.case.evidenceItem ?? '', examiner: b.case.examiner, signerSha256: b.signer.sha256},
  }))
  const edges: GraphEdge[] = []
  result.links.forEach((link, i) => {
    const id = `I${i + 1}`
    nodes.push({id, type: 'identifier', label: link.value, attributes: {kind: link.kind, value: link.value, ...(link.distance !== undefined ? {distance: link.distance} : {})}})
    for (const side of link.sides) edges.push({source: side.bundle, target: id, occurrences: side.occurrences, citations: JSON.stringify(side.hashes ? {hashes: side.hashes, citations: side.citations} : side.citations)})
  })
  return {nodes, edges}
}

/** XML 1.0 text: the five entities escaped, and characters XML cannot hold at all written as U+FFFD. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

const NODE_KEYS = ['type', 'label', 'kind', 'value', 'distance', 'path', 'sha256', 'case', 'evidenceItem', 'examiner', 'signerSha256'] as const

/** GraphML (http://graphml.graphdrawing.org/) of the correlation graph. */
export function graphml(graph: CorrelationGraph): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
  ]
  for (const key of NODE_KEYS) lines.push(`  <key id="${key}" for="node" attr.name="${key}" attr.type="${key === 'distance' ? 'int' : 'string'}"/>`)
  lines.push('  <key id="occurrences" for="edge" attr.name="occurrences" attr.type="int"/>', '  <key id="citations" for="edge" attr.name="citations" attr.type="string"/>')
  lines.push('  <graph id="correlation" edgedefault="undirected">')
  for (const node of graph.nodes) {
    lines.push(`    <node id="${xml(node.id)}">`)
    const data: Record<string, string | number> = {type: node.type, label: node.label, ...node.attributes}
    for (const key of NODE_KEYS) if (data[key] !== undefined && data[key] !== '') lines.push(`      <data key="${key}">${xml(String(data[key]))}</data>`)
    lines.push('    </node>')
  }
  graph.edges.forEach((edge, i) => {
    lines.push(`    <edge id="e${i + 1}" source="${xml(edge.source)}" target="${xml(edge.target)}">`)
    lines.push(`      <data key="occurrences">${edge.occurrences}</data>`, `      <data key="citations">${xml(edge.citations)}</data>`)
    lines.push('    </edge>')
  })
  lines.push('  </graph>', '</graphml>', '')
  return lines.join('\n')
}

/** The files `--out DIR` gets: correlation.json (the whole result), correlation.graphml and correlation.graph.json. */
export function correlationFiles(result: CorrelationResult): Array<{name: string; text: string}> {
  const graph = correlationGraph(result)
  return [
    {name: 'correlation.json', text: `${JSON.stringify(result, null, 2)}\n`},
    {name: 'correlation.graphml', text: graphml(graph)},
    {name: 'correlation.graph.json', text: `${JSON.stringify(graph, null, 2)}\n`},
  ]
}
