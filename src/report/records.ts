import {createInterface} from 'node:readline'
import {MANIFEST_PATH, type Manifest} from '../bundle/manifest.js'
import {BundleZip} from '../bundle/zip-reader.js'
import {CorruptBundleError} from '../errors.js'
import type {ParsedRecord} from '../parsers/types.js'

/** The hash-set match lines of parsed/hash-matches.jsonl name their file at the top level; as records they get a source like every other. */
export function hashMatchRecord(match: Record<string, unknown>): ParsedRecord {
  const file = typeof match.file === 'string' ? match.file : ''
  return {
    ...match,
    type: 'hash.match',
    source: {file, ...(typeof match.sourcePath === 'string' ? {sourcePath: match.sourcePath} : {}), ...(typeof match.volume === 'string' ? {volume: match.volume} : {})},
  }
}

export const HASH_MATCHES_PATH = 'parsed/hash-matches.jsonl'

/** Entries holding records: parsed/<artifact>.jsonl (records.sqlite holds the same records again). */
export function isRecordEntry(name: string): boolean {
  return /^parsed\/[^/]+\.jsonl$/.test(name)
}

/**
 * A bundle opened for reading its records in place, without unzipping: the manifest, and each
 * parsed/*.jsonl entry streamed line by line through the ZIP reader (CRC-checked as it goes).
 */
export class BundleRecords {
  readonly manifest: Manifest

  private constructor(
    readonly zip: BundleZip,
    manifest: Manifest,
  ) {
    this.manifest = manifest
  }

  static async open(path: string): Promise<BundleRecords> {
    const zip = BundleZip.open(path)
    try {
      const entry = zip.entry(MANIFEST_PATH)
      if (!entry) throw new CorruptBundleError(path, `no ${MANIFEST_PATH}: not a sealed trawl bundle`)
      let manifest: Manifest
      try {
        manifest = JSON.parse((await zip.readEntry(entry, 512 * 1024 * 1024)).toString('utf8')) as Manifest
      } catch (error) {
        if (error instanceof CorruptBundleError) throw error
        throw new CorruptBundleError(path, `${MANIFEST_PATH} is not valid JSON`)
      }
      return new BundleRecords(zip, manifest)
    } catch (error) {
      zip.close()
      throw error
    }
  }

  close(): void {
    this.zip.close()
  }

  /** Every record of the bundle, artifact by artifact as the bundle lists them, hash-set matches last. */
  async *records(): AsyncGenerator<ParsedRecord> {
    const entries = this.zip.entries.filter((e) => isRecordEntry(e.name))
    const ordered = [...entries.filter((e) => e.name !== HASH_MATCHES_PATH), ...entries.filter((e) => e.name === HASH_MATCHES_PATH)]
    for (const entry of ordered) {
      const lines = createInterface({input: this.zip.openEntry(entry), crlfDelay: Infinity})
      let number = 0
      for await (const line of lines) {
        number++
        if (line === '') continue
        let record: ParsedRecord
        try {
          record = JSON.parse(line) as ParsedRecord
        } catch {
          throw new CorruptBundleError(this.zip.path, `${entry.name} line ${number} is not JSON`)
        }
        yield entry.name === HASH_MATCHES_PATH ? hashMatchRecord(record) : record
      }
    }
  }
}
