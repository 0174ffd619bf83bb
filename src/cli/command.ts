import {Command} from '@oclif/core'
import {format} from 'node:util'
import {TrawlError} from '../errors.js'
import {terminalSafe, terminalSafeFields, terminalSafeOutput} from '../terminal-text.js'

/**
 * Base of every trawl command: a TrawlError reaches the user as one line on
 * stderr and the exit code its type carries.
 *
 * Everything a command prints passes through here and is made terminal-safe
 * (src/terminal-text.ts): no control, bidi or invisible format character from a
 * bundle or from evidence reaches the terminal raw, whichever field it hid in.
 * JSON stays the same data (those characters are written as JSON `\uXXXX` escapes).
 */
export abstract class TrawlCommand extends Command {
  override log(message = '', ...args: unknown[]): void {
    super.log(terminalSafeOutput(format(message, ...args)))
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(terminalSafeOutput(format(message, ...args)))
  }

  /** Writes to stdout as it is (no newline added), made terminal-safe: for output streamed in pieces. */
  protected write(text: string): boolean {
    return process.stdout.write(terminalSafeOutput(text))
  }

  /** Prints a result as JSON: the exact values (characters a terminal obeys are written as `\uXXXX` escapes). */
  protected printJson(value: unknown): void {
    this.log(JSON.stringify(value, null, 2))
  }

  /**
   * Prints a result for people, as `render` lays it out from a copy whose every
   * string is escaped, so that a newline or tab in a field cannot start a line or
   * a column of its own.
   */
  protected print<T>(value: T, render: (safe: T) => string): void {
    this.log(render(terminalSafeFields(value)))
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof TrawlError) {
      process.stderr.write(`trawl: ${terminalSafe(error.message)}\n`)
      this.exit(error.exitCode)
    }
    // oclif prints other errors itself (usage errors, crashes); their messages may quote paths too
    if (typeof error?.message === 'string') error.message = terminalSafeOutput(error.message)
    return super.catch(error)
  }
}
