/**
 * The key of an HTTP cache entry (net/http/http_cache.cc GenerateCacheKey): the URL,
 * prefixed when the cache is split by site: "1/0/_dk_<top-frame site> <frame site> <url>"
 * (the "1/" marks a key with a prefix, the number after it the upload id, 0 for none;
 * "_dk_" a double key; other markers such as "_cn_" name a cross-site main-frame
 * navigation). URLs have no spaces, so the URL is the last space-separated field.
 *
 * A blockfile child entry of a range-requested resource (net/disk_cache/blockfile/
 * sparse_control.cc) is keyed "Range_<parent key>:<signature, hex>:<child number, hex>"; child
 * n holds bytes n MiB to n+1 MiB of the resource.
 */
export interface CacheKey {
  key: string
  url: string | null
  topFrameSite: string | null
  frameSite: string | null
  /** The marker before the sites ('_dk_', '_cn_', ...), or null for a plain URL key. */
  marker: string | null
  uploadId: number | null
  /** For a sparse child entry: the parent's key, and which MiB of the resource the child holds. */
  sparseChild?: {parentKey: string; signature: string; child: number}
}

export function parseCacheKey(key: string): CacheKey {
  const child = /^Range_(.*):([0-9a-f]+):([0-9a-f]+)$/s.exec(key)
  if (child) return {...parseCacheKey(child[1]), key, sparseChild: {parentKey: child[1], signature: child[2], child: Number.parseInt(child[3], 16)}}
  let rest = key
  let uploadId: number | null = null
  const prefix = /^1\/(\d+)\//.exec(rest)
  if (prefix) {
    uploadId = Number(prefix[1])
    rest = rest.slice(prefix[0].length)
  }
  let marker: string | null = null
  const m = /^(_[a-z]{2}_(?:[a-z]+_)?)/.exec(rest)
  if (m) {
    marker = m[1]
    rest = rest.slice(m[1].length)
  }
  const fields = rest.split(' ')
  const last = fields[fields.length - 1]
  const url = /^[a-z][a-z0-9+.-]*:/i.test(last) ? last : null
  const sites = fields.slice(0, -1)
  return {key, url, topFrameSite: sites[0] ?? null, frameSite: sites[1] ?? null, marker, uploadId}
}
