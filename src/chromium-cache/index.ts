/**
 * Chromium's HTTP disk cache, both backends: blockfile (index + data_N + f_xxxxxx; Windows)
 * and simple (one file per entry; Linux, macOS, Android). Byte-level readers of what a
 * cache folder holds; they know nothing of parsers or bundles.
 */
export {addressHex, cacheAddress} from './addr.js'
export type {CacheAddress} from './addr.js'
export {BLOCK_MAGIC, INDEX_MAGIC, isBlockfileIndex, lastExternalFile, readBlockFileHeader, readBlockfileCache, sparseOf} from './blockfile.js'
export {persistentHash} from './hash.js'
export {headerValue, httpDateToIso, parseHttpResponseInfo} from './http-response.js'
export type {CachedHttpResponse} from './http-response.js'
export {parseCacheKey} from './key.js'
export type {CacheKey} from './key.js'
export {isSimpleCacheFile, readSimpleEntry, readSimpleRealIndex, readSimpleSparse, simpleEntryFileName, simpleEntryHash} from './simple.js'
export type {SimpleIndexEntry, SimpleSparseRange} from './simple.js'
export type {CacheContents, CacheCounts, CacheEntry, CacheFolder, CacheProblem, CacheStream} from './types.js'
