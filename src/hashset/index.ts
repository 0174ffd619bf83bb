export {DigestTable, DigestTableBuilder} from './digest-table.js'
export {
  DIGEST_BYTES,
  loadHashSet,
  matchAll,
  neededAlgorithms,
  splitCsvLine,
  type FileHashes,
  type HashAlgorithm,
  type HashMatch,
  type HashSet,
  type HashSetFormat,
} from './hash-set.js'
export {FileHasher, hashMatchesJsonl, KnownFileSets, type HashMatchRecord, type HashSetSummary} from './known-files.js'
