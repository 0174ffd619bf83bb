/** One key/value record found in a LevelDB file, with where it was found. */
export interface LevelDbRecord {
  key: Uint8Array
  /** Null for a deletion marker. */
  value: Uint8Array | null
  sequence: number
  state: 'live' | 'deleted'
  /** File name inside the database folder. */
  file: string
  /** .log: byte offset of the write batch's first fragment; table: offset of the data block. */
  offset: number
  /** .log: index of the record inside its write batch; table: index of the entry inside its block. */
  index: number
  source: 'log' | 'table'
}

/** Something that could not be read; the rest of the file was still read. */
export interface LevelDbProblem {
  file: string
  offset: number
  message: string
}
