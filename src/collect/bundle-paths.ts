/**
 * Maps evidence paths to bundle entry names that are safe to extract anywhere
 * (Windows, Linux, sha256sum files): control characters, backslashes, the
 * characters Windows forbids, and '%' itself are percent-encoded, so the mapping
 * is reversible; the original path is kept in the manifest.
 */
export function encodeSegment(segment: string): string {
  if (segment === '.' || segment === '..') return segment.replaceAll('.', '%2E')
  return segment.replace(/[\x00-\x1f\x7f%\\:*?"<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

export function bundlePathFor(volume: string, sourcePath: string, stream?: string): string {
  const segments = sourcePath.split('/').filter((s) => s !== '').map(encodeSegment)
  const name = `files/${encodeSegment(volume)}/${segments.join('/')}`
  return stream ? `${name}%3A${encodeSegment(stream)}` : name
}

/** Hands out unique entry names; names that differ only in case get a suffix (they would collide on Windows). */
export class BundleNames {
  private readonly used = new Set<string>()

  claim(name: string): string {
    let candidate = name
    for (let n = 2; this.used.has(candidate.toLowerCase()); n++) candidate = `${name}~${n}`
    this.used.add(candidate.toLowerCase())
    return candidate
  }
}
