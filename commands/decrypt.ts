import {Args, Flags} from '@oclif/core'
import {decryptToFile} from '../src/bundle/encrypted.js'
import {loadDecryptionKey} from '../src/bundle/recipients.js'
import {TrawlCommand} from '../src/cli/command.js'
import {formatBytes} from '../src/cli/render.js'

export default class Decrypt extends TrawlCommand {
  static override summary = 'Decrypt an encrypted bundle (.zip.p7m) with a recipient\'s key, as it reads'
  static override description =
    'Writes the bundle ZIP as <out>.partial and renames it only when the GCM tag and the whole CMS structure checked out; a wrong key (exit 6), a truncated or damaged file (2) or an altered one (1) leaves nothing behind. Then `trawl verify` the ZIP as usual. Stock tools: docs/encryption.md.'
  static override examples = ['<%= config.bin %> decrypt evidence/2026-0042_HOST.zip.p7m --key lab-key.pem --cert lab-cert.pem --passphrase-env LAB_PASS']
  static override args = {file: Args.string({description: 'the encrypted bundle (.zip.p7m)', required: true})}
  static override flags = {
    key: Flags.string({description: "the recipient's private key (PEM, PKCS#8)", required: true}),
    cert: Flags.string({description: "the recipient's certificate (PEM): picks its RecipientInfo (default: every one the key can open is tried)"}),
    'passphrase-env': Flags.string({description: 'name of the environment variable holding the key passphrase (never the passphrase itself)'}),
    out: Flags.string({description: 'the ZIP to write (default: the file name without .p7m)'}),
    json: Flags.boolean({description: 'print one JSON object'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Decrypt)
    const key = loadDecryptionKey({key: flags.key, cert: flags.cert, passphraseEnv: flags['passphrase-env']})
    const result = await decryptToFile(args.file, key, flags.out)
    if (flags.json) this.printJson(result)
    else this.print(result, (r) => [`Decrypted: ${r.out} (${formatBytes(r.size)})`, `SHA-256:   ${r.sha256}`, 'Next:      trawl verify on it, with --cert or --ca'].join('\n'))
  }
}
