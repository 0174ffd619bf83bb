import type {ReadOnlyFileSystem} from './types.js'

/**
 * The problems a file system's reader has met so far, as lines: each kept one, then how
 * many more were counted. Empty for a volume read without damage.
 */
export function fileSystemProblems(fs: ReadOnlyFileSystem): string[] {
  const kept = fs.problems ?? []
  const lines = kept.map((p) => p.message)
  const more = (fs.problemCount ?? kept.length) - kept.length
  if (more > 0) lines.push(`and ${more} more problem${more === 1 ? '' : 's'} of the same kind, counted but not kept`)
  return lines
}
