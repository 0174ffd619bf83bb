import {Args, Flags} from '@oclif/core'
import {appendCustodyEvent} from '../../src/bundle/custody-log.js'
import {CUSTODY_ACTIONS} from '../../src/bundle/custody.js'
import {appendCustodyEventEncrypted, isEncryptedBundle} from '../../src/bundle/encrypted.js'
import {loadSigner, signerOptionsFrom} from '../../src/bundle/keys.js'
import {loadDecryptionKey} from '../../src/bundle/recipients.js'
import {UsageError} from '../../src/errors.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {signerFlags, signerOptions} from '../../src/cli/flags.js'

export default class CustodyAdd extends TrawlCommand {
  static override summary = 'Append a signed chain-of-custody event to a bundle (the original seal stays valid)'
  static override args = {bundle: Args.string({description: 'the bundle ZIP, or an encrypted bundle (.zip.p7m) with --decrypt-key', required: true})}
  static override flags = {
    action: Flags.string({description: 'what happened', options: [...CUSTODY_ACTIONS], required: true}),
    by: Flags.string({description: 'who did it', required: true}),
    note: Flags.string({description: 'free text'}),
    ...signerFlags,
    'decrypt-key': Flags.string({description: "an encrypted bundle: a recipient's private key; the bundle is decrypted in memory, the event appended, and encrypted again to the same recipients"}),
    'decrypt-cert': Flags.string({description: "an encrypted bundle: the recipient's certificate (optional)"}),
    'decrypt-passphrase-env': Flags.string({description: 'name of the environment variable holding the --decrypt-key passphrase'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CustodyAdd)
    const signer = loadSigner(signerOptionsFrom(signerOptions(flags)))
    const what = {action: flags.action, by: flags.by, note: flags.note}
    let event
    if (isEncryptedBundle(args.bundle)) {
      if (!flags['decrypt-key']) throw new UsageError(`${args.bundle} is encrypted: give a recipient's key with --decrypt-key`)
      const key = loadDecryptionKey({key: flags['decrypt-key'], cert: flags['decrypt-cert'], passphraseEnv: flags['decrypt-passphrase-env']})
      event = (await appendCustodyEventEncrypted(args.bundle, key, what, signer)).event
    } else {
      event = (await appendCustodyEvent(args.bundle, what, signer)).event
    }
    this.print(event, (e) => `Custody event ${e.seq} added: ${e.at} ${e.action} by ${e.by}`)
  }
}
