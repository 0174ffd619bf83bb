import {ExitCode} from '../errors.js'
import {formatVerification, verifyImage} from '../image/verify.js'
import {terminalSafeFields} from '../terminal-text.js'

/** Where `trawl image verify` writes: one text (a line, or a JSON document), already made terminal-safe by the caller. */
export interface VerifyOutput {
  log(text: string): void
}

/**
 * The body of `trawl image verify`, shared by the oclif command (commands/image/verify.ts)
 * and the direct start (src/cli/direct-start.ts): recomputes the hashes, prints them,
 * and returns the exit code (1 on a mismatch).
 */
export async function runImageVerify(image: string, json: boolean, out: VerifyOutput): Promise<number> {
  // A terabyte takes hours: show progress on a terminal, never in redirected output.
  let shown = -1
  const onProgress = process.stderr.isTTY
    ? (done: number, total: number) => {
        const percent = Math.floor((done / total) * 100)
        if (percent !== shown) process.stderr.write(`\rverifying ${percent}%`)
        shown = percent
      }
    : undefined
  const result = await verifyImage(image, {onProgress})
  if (onProgress) process.stderr.write('\r\x1b[K')
  out.log(json ? JSON.stringify(result, null, 2) : formatVerification(terminalSafeFields(result)))
  return result.verdict === 'mismatch' ? ExitCode.invalid : 0
}
