import {Args, Flags} from '@oclif/core'
import {appendCustodyEvent} from '../../src/bundle/custody-log.js'
import {CUSTODY_ACTIONS} from '../../src/bundle/custody.js'
import {loadSigner, signerOptionsFrom} from '../../src/bundle/keys.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {signerFlags, signerOptions} from '../../src/cli/flags.js'

export default class CustodyAdd extends TrawlCommand {
  static override summary = 'Append a signed chain-of-custody event to a bundle (the original seal stays valid)'
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {
    action: Flags.string({description: 'what happened', options: [...CUSTODY_ACTIONS], required: true}),
    by: Flags.string({description: 'who did it', required: true}),
    note: Flags.string({description: 'free text'}),
    ...signerFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CustodyAdd)
    const signer = loadSigner(signerOptionsFrom(signerOptions(flags)))
    const {event} = await appendCustodyEvent(args.bundle, {action: flags.action, by: flags.by, note: flags.note}, signer)
    this.print(event, (e) => `Custody event ${e.seq} added: ${e.at} ${e.action} by ${e.by}`)
  }
}
