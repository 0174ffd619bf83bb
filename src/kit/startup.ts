import {checkKitAtStart} from './identity.js'

/**
 * Run by bin/run.js before oclif loads any command, when trawl starts from a field kit:
 * a kit whose files differ from its signed manifest is announced on stderr, loudly,
 * before a command can open evidence. It warns rather than refuses: the examiner
 * decides (and the bundle records the problems in manifest.tool.kit).
 */
export function warnIfKitChanged(root: string): void {
  const check = checkKitAtStart(root)
  if (check.valid) return
  const lines = [
    '',
    '!!! trawl: WARNING: THIS FIELD KIT DOES NOT MATCH ITS SIGNED MANIFEST !!!',
    ...check.problems.slice(0, 10).map((p) => `!!!   - ${p}`),
    ...(check.problems.length > 10 ? [`!!!   ... and ${check.problems.length - 10} more`] : []),
    '!!! Do not use it on evidence. Run `trawl kit verify --cert <the build certificate>` from a trusted copy,',
    '!!! and copy the kit again from its source. Any bundle made now records these problems.',
    '',
  ]
  process.stderr.write(`${lines.join('\n')}\n`)
}
