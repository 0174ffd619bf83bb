import {Command} from '@oclif/core'
import {TrawlError} from '../errors.js'

/**
 * Base of every trawl command: a TrawlError reaches the user as one line on
 * stderr and the exit code its type carries.
 */
export abstract class TrawlCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof TrawlError) {
      process.stderr.write(`trawl: ${error.message}\n`)
      this.exit(error.exitCode)
    }
    return super.catch(error)
  }
}
