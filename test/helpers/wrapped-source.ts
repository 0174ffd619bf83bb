import type {ReadOnlyFileSystem} from '../../src/fs/types.js'
import type {EvidenceSource, OpenOptions} from '../../src/source/types.js'

/**
 * openSource with each volume's file system replaced by what `wrap` makes of it: for tests that
 * make one path fail the way a live drive or a damaged image fails (vi.mock of source/open.js).
 */
export function wrappedOpenSource(
  openSource: (path: string, options?: OpenOptions) => Promise<EvidenceSource>,
  wrap: (inner: ReadOnlyFileSystem) => Partial<ReadOnlyFileSystem>,
): (path: string, options?: OpenOptions) => Promise<EvidenceSource> {
  return async (path, options) => {
    const source = await openSource(path, options)
    for (const volume of source.volumes) {
      const inner = volume.fs
      if (!inner) continue
      volume.fs = {kind: inner.kind, list: (dir, o) => inner.list(dir, o), stat: (p) => inner.stat(p), open: (p, o) => inner.open(p, o), ...wrap(inner)}
    }
    return source
  }
}
