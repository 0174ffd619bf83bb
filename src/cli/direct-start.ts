/**
 * `trawl image verify IMAGE [--json]` and `trawl image ls IMAGE [PATH] [-r] [--json]`
 * started without the CLI framework. Loading @oclif/core costs about 0.1 s of CPU before
 * the first byte is read (src/cli/fast-start.ts measures it), and ewfverify and fls, the
 * references for these commands, start in a few milliseconds: on an image of a few
 * hundred MiB that is a tenth of the whole run.
 *
 * Only that exact form is taken here: any other flag, a second argument, `--help`, or
 * a repeated flag goes to oclif, which parses, explains and refuses as it always has.
 * The body is the one the oclif command runs (src/cli/image-verify.ts, src/cli/image-ls.ts); output and
 * errors go out as TrawlCommand sends them (terminal-safe, `trawl: message` and the
 * error's exit code), and anything else is handed to oclif's own error handler.
 * test/spine/fast-start.test.ts compares both starts.
 */
export async function directStart(argv: string[]): Promise<boolean> {
  const verify = verifyArguments(argv)
  const ls = verify ? undefined : lsArguments(argv)
  if (!verify && !ls) return false
  const [{TrawlError}, {terminalSafe, terminalSafeOutput}] = await Promise.all([import('../errors.js'), import('../terminal-text.js')])
  try {
    if (verify) {
      const {runImageVerify} = await import('./image-verify.js')
      process.exitCode = await runImageVerify(verify.path, verify.json, {log: (text) => process.stdout.write(`${terminalSafeOutput(text)}\n`)})
    } else if (ls) {
      const {runImageLs} = await import('./image-ls.js')
      await runImageLs(ls.image, ls.path, {recursive: ls.recursive, deleted: false, json: ls.json})
    }
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

/**
 * `image ls IMAGE [PATH]` with any of `-r`, `--recursive`, `--json` (each once), or undefined
 * for anything else: the listing of a whole volume, where start-up is a tenth of fls's time.
 */
function lsArguments(argv: string[]): {image: string; path?: string; recursive: boolean; json: boolean} | undefined {
  if (argv[0] !== 'image' || argv[1] !== 'ls') return undefined
  let recursive = false
  let json = false
  const paths: string[] = []
  for (const arg of argv.slice(2)) {
    if ((arg === '-r' || arg === '--recursive') && !recursive) recursive = true
    else if (arg === '--json' && !json) json = true
    else if (arg.startsWith('-') || arg === '') return undefined
    else paths.push(arg)
  }
  if (paths.length === 0 || paths.length > 2) return undefined
  return {image: paths[0], ...(paths[1] === undefined ? {} : {path: paths[1]}), recursive, json}
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
