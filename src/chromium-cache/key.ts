/**
 * The key of an HTTP cache entry (net/http/http_cache.cc GenerateCacheKey): the URL,
 * prefixed when the cache is split by site: "1/0/_dk_<top-frame site> <frame site> <url>"
 * (the "1/" marks a key with a prefix, the number after it the upload id, 0 for none;
 * "_dk_" a double key; other markers such as "_cn_" name a cross-site main-frame
 * navigation). URLs have no spaces, so the URL is the last space-separated field.
 */
export interface CacheKey {
  key: string
  url: string | null
  topFrameSite: string | null
  frameSite: string | null
  /** The marker before the sites ('_dk_', '_cn_', ...), or null for a plain URL key. */
  marker: string | null
  uploadId: number | null
}

export function parseCacheKey(key: string): CacheKey {
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
