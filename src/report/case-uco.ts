import {createHash} from 'node:crypto'
import type {Manifest, ManifestEntry} from '../bundle/manifest.js'
import type {ParsedRecord} from '../parsers/types.js'
import {cellText, gpsOf, sourceText} from './columns.js'
import {BundleRecords} from './records.js'

/**
 * CASE/UCO export (CASE 1.4.0 / UCO 1.4.0, JSON-LD): the collection as an investigative action
 * performed by the examiner with trawl, on the evidence source, resulting in a provenance record
 * of every copied file (file, MFT and content-data facets with the three hashes) and one
 * observable per parsed record (URL visits, messages, EXIF with GPS location, Wi-Fi), each
 * related to the file it was read from ("Contained_Within"). The context is inline: no request.
 * See https://caseontology.org and https://unifiedcyberontology.org.
 */

export const CASE_CONTEXT = {
  kb: 'urn:trawl:kb:',
  'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
  core: 'https://ontology.unifiedcyberontology.org/uco/core/',
  action: 'https://ontology.unifiedcyberontology.org/uco/action/',
  identity: 'https://ontology.unifiedcyberontology.org/uco/identity/',
  location: 'https://ontology.unifiedcyberontology.org/uco/location/',
  observable: 'https://ontology.unifiedcyberontology.org/uco/observable/',
  tool: 'https://ontology.unifiedcyberontology.org/uco/tool/',
  types: 'https://ontology.unifiedcyberontology.org/uco/types/',
  vocabulary: 'https://ontology.unifiedcyberontology.org/uco/vocabulary/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
}

type Node = Record<string, unknown>

const dateTime = (value: string) => ({'@type': 'xsd:dateTime', '@value': value})
const integer = (value: number) => ({'@type': 'xsd:integer', '@value': String(Math.trunc(value))})
const decimal = (value: number) => ({'@type': 'xsd:decimal', '@value': String(value)})
const ref = (id: string) => ({'@id': id})
const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const utc = (value: unknown): string | undefined => {
  if (typeof value === 'string' && UTC.test(value)) return value
  const nested = value && typeof value === 'object' ? (value as {utc?: unknown}).utc : undefined
  return typeof nested === 'string' && UTC.test(nested) ? nested : undefined
}

/**
 * A stable IRI for a thing named by text (same text, same IRI): kb:<kind>-<UUID>, the UUID made of
 * the text's SHA-256 (version 5 style bits), as UCO asks identifiers to end in a UUID.
 */
function iri(kind: string, text: string): string {
  const h = createHash('sha256').update(`${kind}\0${text}`).digest('hex')
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)
  return `kb:${kind}-${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export interface CaseExport {
  document: Node
  /** IRI of each record's observable, in bundle order: one per record. */
  recordIds: string[]
}

export class CaseUcoWriter {
  private readonly objects: Node[] = []
  private readonly urls = new Map<string, string>()
  private readonly accounts = new Map<string, string>()
  private readonly files = new Map<string, string>()
  private readonly visits = new Map<string, string>()
  readonly recordIds: string[] = []
  private readonly bundleId: string

  constructor(private readonly manifest: Manifest) {
    this.bundleId = iri('bundle', `${manifest.archive?.sealedPrefixSha256 ?? ''}${manifest.startedAt}`)
  }

  private add(node: Node): string {
    this.objects.push(node)
    return node['@id'] as string
  }

  private facet(owner: string, type: string, fields: Node): Node {
    return {'@id': iri(type.split(':')[1]!, owner), '@type': type, ...fields}
  }

  addFiles(entries: ManifestEntry[]): string[] {
    const ids: string[] = []
    for (const entry of entries) {
      const id = iri('file', entry.path)
      this.files.set(entry.path, id)
      const source = entry.source
      const name = (source?.path ?? entry.path).split('/').pop() ?? entry.path
      const fileFacet: Node = {'observable:fileName': source?.stream ? `${name}:${source.stream}` : name, 'observable:filePath': source ? `${source.volume}:/${source.path}` : entry.path, 'observable:sizeInBytes': integer(source?.size ?? entry.size), 'observable:isDirectory': false}
      if (source?.deleted) fileFacet['observable:allocationStatus'] = 'unallocated'
      const times = source?.times ?? {}
      if (times.created) fileFacet['observable:observableCreatedTime'] = dateTime(times.created)
      if (times.modified) fileFacet['observable:modifiedTime'] = dateTime(times.modified)
      if (times.accessed) fileFacet['observable:accessedTime'] = dateTime(times.accessed)
      if (times.changed) fileFacet['observable:metadataChangeTime'] = dateTime(times.changed)
      const hashes = (['sha256', 'sha1', 'md5'] as const).map((algorithm, i) => ({
        '@id': iri('hash', `${id}\0${algorithm}`),
        '@type': 'types:Hash',
        'types:hashMethod': {'@type': 'vocabulary:HashNameVocab', '@value': ['SHA256', 'SHA1', 'MD5'][i]},
        'types:hashValue': {'@type': 'xsd:hexBinary', '@value': entry[algorithm].toUpperCase()},
      }))
      const facets: Node[] = [this.facet(id, 'observable:FileFacet', fileFacet), this.facet(id, 'observable:ContentDataFacet', {'observable:sizeInBytes': integer(entry.size), 'observable:hash': hashes})]
      const fn = source?.stream ? undefined : source?.fileNameTimes?.[0]
      const mft: Node = {}
      if (source?.inode && /^\d+-\d+$/.test(source.inode)) {
        const [number, sequence] = source.inode.split('-').map(Number)
        mft['observable:mftRecordID'] = integer(number!)
        mft['observable:mftSequence'] = integer(sequence!)
      }
      if (fn?.created) mft['observable:mftFileNameCreatedTime'] = dateTime(fn.created)
      if (fn?.modified) mft['observable:mftFileNameModifiedTime'] = dateTime(fn.modified)
      if (fn?.accessed) mft['observable:mftFileNameAccessedTime'] = dateTime(fn.accessed)
      if (fn?.changed) mft['observable:mftFileNameRecordChangeTime'] = dateTime(fn.changed)
      if (Object.keys(mft).length > 0) facets.push(this.facet(id, 'observable:MftRecordFacet', mft))
      ids.push(this.add({'@id': id, '@type': 'observable:File', 'core:description': `copy in the bundle: ${entry.path}`, 'core:hasFacet': facets}))
    }
    return ids
  }

  private url(value: string): string {
    let id = this.urls.get(value)
    if (!id) {
      id = this.add({'@id': iri('url', value), '@type': 'observable:URL', 'core:hasFacet': [{'@id': iri('URLFacet', value), '@type': 'observable:URLFacet', 'observable:fullValue': value}]})
      this.urls.set(value, id)
    }
    return id
  }

  private account(app: string, handle: string): string {
    const key = `${app}\0${handle}`
    let id = this.accounts.get(key)
    if (!id) {
      const at = iri('account', key)
      id = this.add({'@id': at, '@type': 'observable:ApplicationAccount', 'core:name': `${app} ${handle}`, 'core:hasFacet': [{'@id': iri('AccountFacet', at), '@type': 'observable:AccountFacet', 'observable:accountIdentifier': handle}]})
      this.accounts.set(key, id)
    }
    return id
  }

  /** One observable for the record, and its relationship to the file it was read from. */
  record(record: ParsedRecord, artifact: string, index: number): string {
    const id = iri('record', `${artifact}\0${index}`)
    const {type, source: _source, ...fields} = record
    const description = `${type} from ${sourceText(record)}`
    let node: Node
    if (type === 'browser.visit' && typeof record.url === 'string') {
      const facet: Node = {'observable:url': ref(this.url(record.url))}
      const time = utc(record.visitTime)
      if (time) facet['observable:visitTime'] = dateTime(time)
      const from = record.fromVisit === null || record.fromVisit === undefined ? undefined : this.visits.get(`${record.source.file}\0${String(record.fromVisit)}`)
      if (from) facet['observable:fromURLVisit'] = ref(from)
      this.visits.set(`${record.source.file}\0${String(record.visitId)}`, id)
      node = {'@type': 'observable:URLVisit', 'core:hasFacet': [this.facet(id, 'observable:URLVisitFacet', facet)]}
    } else if (type === 'chat.message') {
      const app = String(record.app ?? 'chat')
      const facet: Node = {}
      if (typeof record.body === 'string') facet['observable:messageText'] = record.body
      const sent = utc(record.sentAt)
      if (sent) facet['observable:sentTime'] = dateTime(sent)
      if (typeof record.sender === 'string') facet['observable:from'] = ref(this.account(app, record.sender))
      const to = Array.isArray(record.recipients) ? record.recipients.filter((r): r is string => typeof r === 'string') : []
      if (to.length > 0) facet['observable:to'] = to.map((r) => ref(this.account(app, r)))
      node = {'@type': 'observable:Message', 'core:hasFacet': [this.facet(id, 'observable:MessageFacet', facet)]}
    } else if (type === 'media.exif') {
      const entries = Object.entries(fields)
        .filter(([k, v]) => !['artifact', 'file', 'sha256', 'warnings', 'thumbnail'].includes(k) && cellText(v) !== null)
        .map(([k, v], i) => ({'@id': iri('exif-entry', `${id}\0${i}`), '@type': 'types:ControlledDictionaryEntry', 'types:key': k, 'types:value': String(cellText(v))}))
      const facets: Node[] = [this.facet(id, 'observable:EXIFFacet', {'observable:exifData': {'@id': iri('exif-data', id), '@type': 'types:ControlledDictionary', 'types:entry': entries}})]
      node = {'@type': 'observable:RasterPicture', 'core:hasFacet': facets}
      const gps = gpsOf(record)
      if (gps) {
 const placeId = iri('location', id)
        const place = this.add({'@id': placeId, '@type': 'location:Location', 'core:hasFacet': [this.facet(placeId, 'location:LatLongCoordinatesFacet', {'location:latitude': decimal(gps.latitude), 'location:longitude': decimal(gps.longitude)})]})
        this.relationship(id, place, 'Located_At')
      }
    } else if (type === 'network.wlan' && typeof record.ssid === 'string') {
      node = {'@type': 'observable:WirelessNetworkConnection', 'core:hasFacet': [this.facet(id, 'observable:WirelessNetworkConnectionFacet', {'observable:ssid': record.ssid})]}
    } else {
      node = {'@type': 'observable:ObservableObject'}
    }
    this.add({'@id': id, ...node, 'core:name': type, 'core:description': `${description}: ${JSON.stringify(fields)}`})
    const file = this.files.get(record.source?.file ?? '')
    if (file) this.relationship(id, file, 'Contained_Within', sourceText(record))
    this.recordIds.push(id)
    return id
  }

  private relationship(from: string, to: string, kind: string, description?: string): void {
    this.add({
      '@id': iri('relationship', `${from}\0${kind}\0${to}`),
      '@type': 'core:Relationship',
      'core:source': [ref(from)],
      'core:target': ref(to),
      // a plain string in UCO 1.4 (the vocabulary CyberItemRelationshipVocab lists the usual values)
      'core:kindOfRelationship': kind,
      'core:isDirectional': true,
      ...(description ? {'core:description': description} : {}),
    })
  }

  finish(fileIds: string[]): Node {
    const m = this.manifest
    const tool = this.add({'@id': iri('tool', `${m.tool.name} ${m.tool.version}`), '@type': 'tool:Tool', 'core:name': m.tool.name, 'tool:version': m.tool.version, 'tool:toolType': 'forensic triage collection'})
    const examiner = this.add({'@id': iri('identity', m.case.examiner), '@type': 'identity:Identity', 'core:name': m.case.examiner})
    const evidence = this.add({
      '@id': iri('source', m.source.path),
      '@type': m.source.kind === 'image' ? 'observable:Image' : 'observable:ObservableObject',
      'core:name': m.source.path,
      'core:description': `evidence source (${m.source.kind}${m.source.format ? `, ${m.source.format}` : ''})`,
    })
    const provenance = this.add({
      '@id': iri('provenance', this.bundleId),
      '@type': 'case-investigation:ProvenanceRecord',
      ...(m.case.evidenceItem ? {'case-investigation:exhibitNumber': m.case.evidenceItem} : {}),
      'core:description': 'files copied into the bundle, each hashed as it was copied',
      'core:object': fileIds.map(ref),
    })
    const action = this.add({
      '@id': iri('action', this.bundleId),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': 'collected',
      'action:startTime': dateTime(m.startedAt),
      'action:endTime': dateTime(m.endedAt),
      'action:instrument': ref(tool),
      'action:performer': ref(examiner),
      'action:object': [ref(evidence)],
      'action:result': [ref(provenance), ...this.recordIds.map(ref)],
      'core:description': m.complete ? 'collection completed' : 'collection interrupted: incomplete',
    })
    this.add({'@id': iri('investigation', m.case.id), '@type': 'case-investigation:Investigation', 'core:name': m.case.id, 'core:object': [ref(action)], ...(m.case.notes ? {'core:description': m.case.notes} : {})})
    return {'@context': CASE_CONTEXT, '@id': this.bundleId, '@type': 'core:Bundle', 'core:description': `trawl evidence bundle of case ${m.case.id}`, 'core:object': this.objects}
  }
}

/** The CASE/UCO JSON-LD of a bundle: every record once, every copy with its hashes. */
export async function exportCase(bundle: string): Promise<CaseExport> {
  const opened = await BundleRecords.open(bundle)
  try {
    const writer = new CaseUcoWriter(opened.manifest)
    const fileIds = writer.addFiles((opened.manifest.entries ?? []).filter((e) => e.kind === 'copy'))
    const index = new Map<string, number>()
    for await (const record of opened.records()) {
      const artifact = typeof record.artifact === 'string' ? record.artifact : record.type
      const n = (index.get(artifact) ?? 0) + 1
      index.set(artifact, n)
      writer.record(record, artifact, n)
    }
    return {document: writer.finish(fileIds), recordIds: writer.recordIds}
  } finally {
    opened.close()
  }
}
