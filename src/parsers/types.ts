/**
 * Parsers read a working copy of an artifact (never the evidence itself) and
 * yield typed records, each naming exactly where it came from. They know nothing
 * of bundles, signatures or the CLI.
 */

import type {CoverageAccount} from './coverage.js'

/** Where a record came from, precisely enough for another tool to find the same bytes. */
export interface RecordSource {
  /** Bundle path of the copied file, e.g. 'files/dir/Users/ana/.../History'. */
  file: string
  /** Path on the evidence volume. */
  sourcePath?: string
  /** Volume id ('dir', 'p2'). */
  volume?: string
  /** SQLite table and rowid. */
  table?: string
  rowid?: number | string
  /** Registry key path and value name. */
  key?: string
  value?: string
  /** Byte offset within the file. */
  offset?: number
}

/** A parsed record. `type` is dotted: 'browser.visit', 'chat.message', 'media.exif', 'network.profile', 'error'. */
export interface ParsedRecord {
  type: string
  source: RecordSource
  [field: string]: unknown
}

/** A file copied into the bundle on a parser's request (an attachment, a file a manifest names). */
export interface CollectedFile {
  bundlePath: string
  /** Local working copy, readable by the parser (never the evidence). */
  copyPath: string
  sourcePath: string
  size: number
  sha256: string
}

export interface ParserInput {
  /** Local path of the working copy of the matched file. Companions sit beside it with their suffix. */
  copyPath: string
  /** Suffixes of companions copied beside it, e.g. ['-wal']. */
  companions: string[]
  bundlePath: string
  sourcePath: string
  /** SHA-256 (hex) of the copy, computed by the engine while copying: parsers need not read the file again for it. */
  sha256?: string
  volume: string
  artifact: {id: string; name: string; category: string}
  /** Named captures of the definition's path pattern, e.g. {user: 'ana', profile: 'Default'}. */
  captures: Record<string, string>
  /** Fixed attributes of the definition, e.g. {browser: 'Chrome'}. */
  attributes: Record<string, string>
  /**
   * Copies another file of the same volume into the bundle (hashed like every copy)
   * and returns where it went; undefined if it does not exist or cannot be read.
   */
  collectRelated(volumePath: string): Promise<CollectedFile | undefined>
  /**
   * Adds a file the parser made from collected bytes (an attachment it decrypted) to the
   * bundle under derived/, hashed like every entry, with what it was made from and how.
   * A derived picture is read by the picture parser as collected pictures are (EXIF, PDQ,
   * hash lists). Absent where no bundle is written (a parser run on its own).
   */
  addDerived?(file: DerivedFile): Promise<CollectedFile>
  /**
   * DPAPI of the running Windows machine, for the user trawl runs as (`collect --live
   * --unprotect-keys`): unprotects a blob the way the app that protected it does. Absent
   * unless the examiner asked for it; a refusal is a result, with Windows' reason.
   * `purpose` names the blob for the manifest's record of every call.
   */
  unprotectDpapi?(blob: Buffer, purpose: string): Promise<{plaintext: Buffer; user: string} | {error: string}>
  /** Makes a source object for a record from this file. */
  source(extra?: Partial<RecordSource>): RecordSource
  /**
   * Hands over the coverage account of a store the parser read (one call per database
   * or hive; see coverage.ts): what it holds, what became records, and why the rest did not.
   */
  reportCoverage(account: CoverageAccount): void
  /**
   * False when the examiner asked for no perceptual hashes (collect --no-phash): decoding
   * every picture costs about a second of CPU per 8-megapixel photo. Default true.
   */
  perceptualHash?: boolean
  /**
   * True when a --phashset list carries crop companions: pictures also get the PDQ hashes
   * of their probe cuts (src/parsers/media/pdq-crops.ts), so a cropped copy is found.
   */
  perceptualProbes?: boolean
}

/** Bytes a parser made from a collected file, for the bundle (ParserInput.addDerived). */
export interface DerivedFile {
  /** The bundle path of the collected file it was made from. */
  from: string
  /** How it was made, in words an examiner can repeat (the key, where the key came from). */
  method: string
  /** Appended to the name under derived/ (e.g. '.jpg' from the content type). */
  suffix?: string
  data: Buffer
}

/** An extra file a parser contributes to the bundle once collection ends (a map, a report). */
export interface BundleOutput {
  path: string
  data: Buffer
}

export interface Parser {
  readonly id: string
  readonly description: string
  /**
   * Optional content check on the first bytes of a candidate file (detection by
   * signature, not extension). Files it rejects are not collected for this artifact.
   */
  accepts?(head: Buffer): boolean
  parse(input: ParserInput): AsyncIterable<ParsedRecord>
  /**
   * The parser may read a file while the collector copies the next ones: it uses none of
   * ParserInput's callbacks (nothing it does writes to the bundle), and its records are taken
   * in the order of the files all the same. The picture parser, whose perceptual hashes are
   * computed on threads of their own, is one.
   */
  readonly concurrent?: boolean
  /** Optional: outputs made from all records this parser produced in the run. */
  finalize?(records: ParsedRecord[]): BundleOutput[] | Promise<BundleOutput[]>
}
