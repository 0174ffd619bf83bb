import {Args, Flags} from '@oclif/core'
import {showCustody} from '../../src/bundle/custody-log.js'
import {isEncryptedBundle, showCustodyEncrypted} from '../../src/bundle/encrypted.js'
import {loadDecryptionKey} from '../../src/bundle/recipients.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderCustody} from '../../src/cli/render.js'
import {ExitCode, UsageError} from '../../src/errors.js'

export default class CustodyShow extends TrawlCommand {
  static override summary = 'Show the chain-of-custody log of a bundle and whether its chain is intact'
  static override args = {bundle: Args.string({description: 'the bundle ZIP, or an encrypted bundle (.zip.p7m) with --decrypt-key', required: true})}
  static override flags = {
    json: Flags.boolean({description: 'print JSON'}),
    'decrypt-key': Flags.string({description: "an encrypted bundle: a recipient's private key (decrypted in memory)"}),
    'decrypt-cert': Flags.string({description: "an encrypted bundle: the recipient's certificate (optional)"}),
    'decrypt-passphrase-env': Flags.string({description: 'name of the environment variable holding the --decrypt-key passphrase'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CustodyShow)
    let check
    if (isEncryptedBundle(args.bundle)) {
      if (!flags['decrypt-key']) throw new UsageError(`${args.bundle} is encrypted: give a recipient's key with --decrypt-key`)
      check = await showCustodyEncrypted(args.bundle, loadDecryptionKey({key: flags['decrypt-key'], cert: flags['decrypt-cert'], passphraseEnv: flags['decrypt-passphrase-env']}))
    } else {
      check = await showCustody(args.bundle)
    }
    if (flags.json) this.printJson({events: check.events, lastEventSha256: check.lastEventSha256, problems: check.problems})
    else this.print(check, renderCustody)
    if (check.problems.length > 0) this.exit(ExitCode.invalid)
  }
}
