/**
 * Reads the committed oracle outputs (fixtures/evtx/build-goldens.sh) and trawl's own
 * reading of the same file into one comparable form: per record, every element path with
 * its attributes and text, in document order.
 */
import {readFileSync} from 'node:fs'
import {gunzipSync} from 'node:zlib'
import {XMLParser} from 'fast-xml-parser'
import {contentText, type XmlNode} from '../../src/evtx/binxml.js'
import {chunkRecords, EvtxFile, type EvtxDamage, type EvtxRecord} from '../../src/evtx/evtx-file.js'

export interface FlatRecord {
  recordId: string
  lines: string[]
}

type Ordered = Array<Record<string, unknown>>

function flattenOrdered(nodes: Ordered, path: string, lines: string[]): void {
  for (const node of nodes) {
    for (const [key, value] of Object.entries(node)) {
      if (key === ':@' || key === '#text') continue
      const here = `${path}/${key}`
      const attrs = (node[':@'] ?? {}) as Record<string, unknown>
      for (const [a, v] of Object.entries(attrs)) lines.push(`${here}@${a.replace(/^@_/, '')}=${String(v)}`)
      const children = value as Ordered
      const text = children.filter((c) => '#text' in c).map((c) => String(c['#text'])).join('')
      lines.push(`${here}=${text}`)
      flattenOrdered(children, here, lines)
    }
  }
}

/** evtxexport -f xml output: one <Event> document per record, separated by blank lines. */
export function evtxexportRecords(gz: string): FlatRecord[] {
  const text = gunzipSync(readFileSync(gz)).toString('utf8')
  const parser = new XMLParser({preserveOrder: true, ignoreAttributes: false, parseTagValue: false, parseAttributeValue: false, trimValues: false, processEntities: true, htmlEntities: true})
  const out: FlatRecord[] = []
  for (const doc of text.split(/\n(?=<Event[ >])/).filter((d) => d.startsWith('<Event'))) {
    const lines: string[] = []
    flattenOrdered(parser.parse(doc) as Ordered, '', lines)
    // evtxexport indents with whitespace-only text between elements: not part of the event
    const cleaned = lines.map((l) => l.replace(/=\s*$/, '='))
    const id = cleaned.find((l) => l.endsWith('') && l.startsWith('/Event/System/EventRecordID='))
    out.push({recordId: id?.split('=')[1] ?? '', lines: cleaned})
  }
  return out
}

/** python-evtx evtx_dump.py output: the EventRecordID of each record, in order. */
export function pythonEvtxRecordIds(gz: string): string[] {
  const text = gunzipSync(readFileSync(gz)).toString('utf8')
  return [...text.matchAll(/<EventRecordID>(\d+)<\/EventRecordID>/g)].map((m) => m[1]!)
}

/** python-evtx's <Data Name="...">text</Data> pairs per record (its own value notation). */
export function pythonEvtxData(gz: string): Map<string, Array<[string, string]>> {
  const text = gunzipSync(readFileSync(gz)).toString('utf8')
  const out = new Map<string, Array<[string, string]>>()
  for (const event of text.split('<Event xmlns').slice(1)) {
    const id = /<EventRecordID>(\d+)</.exec(event)?.[1]
    if (!id) continue
    out.set(id, [...event.matchAll(/<Data Name="([^"]*)">([^<]*)<\/Data>/g)].map((m) => [m[1]!, m[2]!]))
  }
  return out
}

function flattenMine(nodes: XmlNode[], path: string, lines: string[]): void {
  for (const node of nodes) {
    if (node.kind !== 'element') continue
    const here = `${path}/${node.name}`
    for (const a of node.attributes) lines.push(`${here}@${a.name}=${contentText(a.content)}`)
    lines.push(`${here}=${node.children.filter((c) => c.kind !== 'element').map((c) => contentText([c])).join('')}`)
    flattenMine(node.children, here, lines)
  }
}

export function flattenRecord(record: EvtxRecord): FlatRecord {
  const lines: string[] = []
  flattenMine(record.nodes, '', lines)
  const id = lines.find((l) => l.startsWith('/Event/System/EventRecordID='))
  return {recordId: id?.split('=')[1] ?? String(record.recordId), lines}
}

export function readAll(path: string): {records: EvtxRecord[]; damage: EvtxDamage[]; file: EvtxFile} {
  const file = new EvtxFile(path)
  const records: EvtxRecord[] = []
  const damage: EvtxDamage[] = []
  try {
    for (const {chunk, data} of file.chunks()) {
      if (chunk.state !== 'chunk') continue
      for (const item of chunkRecords(data, chunk)) {
        if (item.kind === 'record') records.push(item.record)
        else damage.push(item.damage)
      }
    }
  } finally {
    file.close()
  }
  return {records, damage, file}
}

/**
 * The two notations differ where Windows itself allows either: evtxexport writes times with
 * 9 fractional digits (trawl: 7, the 100 ns FILETIME holds no more) and zero-pads hex values
 * (trawl writes them as Event Viewer does, 0x3e7). Everything else must be identical.
 */
export function notation(line: string): string {
  return line.replace(/\r\n?/g, '\n').replace(/=\s+$/, '=').replace(/(T\d\d:\d\d:\d\d\.\d{7})Z/g, '$100Z').replace(/\b0x0+([0-9a-f])/gi, '0x$1')
}
