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
