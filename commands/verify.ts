import {Args, Flags} from '@oclif/core'
import {isEncryptedBundle, verifyEncryptedBundle} from '../src/bundle/encrypted.js'
import {loadDecryptionKey} from '../src/bundle/recipients.js'
import {verifyBundle} from '../src/bundle/verify.js'
import {TrawlCommand} from '../src/cli/command.js'
import {renderVerifyReport} from '../src/cli/render.js'
import {ExitCode, UsageError} from '../src/errors.js'

export default class Verify extends TrawlCommand {
  static override summary = 'Verify an evidence bundle: structure, signature, every hash, completeness, custody chain'
  static override description =
    'Exit code 0: valid, and signed by the certificate given with --cert or issued by the CA given with --ca. 9: valid, but the signer was NOT checked against a trusted certificate (neither --cert nor --ca): anyone can re-seal a bundle with a look-alike certificate, so compare the printed fingerprint with the examiner\'s record. 1: invalid (each problem is listed). 2: the file cannot be used as a bundle at all. An encrypted bundle (.zip.p7m) is decrypted in memory with --key (a recipient\'s key) and then verified; it must be encrypted to exactly the recipients its sealed manifest names.'
  static override args = {bundle: Args.string({description: 'the bundle ZIP, or an encrypted bundle (.zip.p7m) with --key', required: true})}
  static override flags = {
    cert: Flags.string({description: 'the certificate the bundle must be signed with (PEM)', exclusive: ['ca']}),
    ca: Flags.string({description: 'a CA certificate the signer must be issued by (PEM)'}),
    key: Flags.string({description: "an encrypted bundle: a recipient's private key (PEM, PKCS#8)"}),
    'key-cert': Flags.string({description: "an encrypted bundle: the recipient's certificate, to pick its RecipientInfo (optional)"}),
    'passphrase-env': Flags.string({description: 'name of the environment variable holding the --key passphrase (never the passphrase itself)'}),
    json: Flags.boolean({description: 'print one JSON object'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Verify)
    const encrypted = isEncryptedBundle(args.bundle)
    if (encrypted && !flags.key) throw new UsageError(`${args.bundle} is encrypted: give a recipient's key with --key (and --passphrase-env if it is encrypted)`)
    const report = encrypted
      ? await verifyEncryptedBundle(args.bundle, loadDecryptionKey({key: flags.key!, cert: flags['key-cert'], passphraseEnv: flags['passphrase-env']}), {cert: flags.cert, ca: flags.ca})
      : await verifyBundle(args.bundle, {cert: flags.cert, ca: flags.ca})
    if (flags.json) this.printJson(report)
    else this.print(report, renderVerifyReport)
    if (!report.valid) this.exit(ExitCode.invalid)
    if (!report.trusted) this.exit(ExitCode.untrusted)
  }
}
