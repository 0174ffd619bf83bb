/**
 * `trawl image verify IMAGE [--json]` started without the CLI framework. Loading
 * @oclif/core costs about 0.1 s of CPU before the first byte is read (src/cli/fast-start.ts
 * measures it), and ewfverify, the reference for this command, starts in a few
 * milliseconds: on an image of a few hundred MiB that is a tenth of the whole run.
 *
 * Only that exact form is taken here: any other flag, a second argument, `--help`, or
 * a repeated flag goes to oclif, which parses, explains and refuses as it always has.
 * The body is the one the oclif command runs (src/cli/image-verify.ts); output and
 * errors go out as TrawlCommand sends them (terminal-safe, `trawl: message` and the
 * error's exit code), and anything else is handed to oclif's own error handler.
 * test/spine/fast-start.test.ts compares both starts.
 */
export async function directStart(argv: string[]): Promise<boolean> {
  const image = verifyArguments(argv)
  if (!image) return false
  const [{runImageVerify}, {TrawlError}, {terminalSafe, terminalSafeOutput}] = await Promise.all([import('./image-verify.js'), import('../errors.js'), import('../terminal-text.js')])
  try {
    process.exitCode = await runImageVerify(image.path, image.json, {log: (text) => process.stdout.write(`${terminalSafeOutput(text)}\n`)})
  } catch (error) {
    if (error instanceof TrawlError) {
      process.stderr.write(`trawl: ${terminalSafe(error.message)}\n`)
      process.exitCode = error.exitCode
      return true
    }
    const {handle} = await import('@oclif/core')
    if (error instanceof Error) error.message = terminalSafeOutput(error.message)
    await handle(error as Error)
  }
  return true
}

/** The image and --json of `image verify IMAGE [--json]`, or undefined for anything else. */
function verifyArguments(argv: string[]): {path: string; json: boolean} | undefined {
  if (argv[0] !== 'image' || argv[1] !== 'verify') return undefined
  let json = false
  const paths: string[] = []
  for (const arg of argv.slice(2)) {
    if (arg === '--json' && !json) json = true
    else if (arg.startsWith('-') || arg === '') return undefined
    else paths.push(arg)
  }
  return paths.length === 1 ? {path: paths[0], json} : undefined
}
