import {Args, Flags} from '@oclif/core'
import {showCustody} from '../../src/bundle/custody-log.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderCustody} from '../../src/cli/render.js'
import {ExitCode} from '../../src/errors.js'

export default class CustodyShow extends TrawlCommand {
  static override summary = 'Show the chain-of-custody log of a bundle and whether its chain is intact'
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {json: Flags.boolean({description: 'print JSON'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CustodyShow)
    const check = await showCustody(args.bundle)
    if (flags.json) this.printJson({events: check.events, lastEventSha256: check.lastEventSha256, problems: check.problems})
    else this.print(check, renderCustody)
    if (check.problems.length > 0) this.exit(ExitCode.invalid)
  }
}
