import {Flags} from '@oclif/core'
import {createKeys, passphraseFromEnv} from '../../src/bundle/keys.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderCertificate} from '../../src/cli/render.js'

export default class KeysCreate extends TrawlCommand {
  static override summary = 'Create an RSA-3072 signing key and a self-signed certificate (or, with --encryption, a recipient\'s encryption key)'
  static override flags = {
    name: Flags.string({description: "the examiner's name (certificate common name)", required: true}),
    org: Flags.string({description: 'organisation'}),
    email: Flags.string({description: 'e-mail address'}),
    out: Flags.string({description: 'folder to write key.pem and cert.pem into', required: true}),
    'passphrase-env': Flags.string({description: 'environment variable holding a passphrase to encrypt the key (PKCS#8)'}),
    label: Flags.string({description: 'extra label in the subject, e.g. "DEMO KEY - NOT FOR CASEWORK"'}),
    encryption: Flags.boolean({description: 'an encryption certificate for --recipient (keyEncipherment; keyAgreement with --ec), written as encryption-key.pem / encryption-cert.pem; it cannot sign'}),
    ec: Flags.string({description: 'with --encryption: an EC key on this curve (ECDH) instead of RSA-3072', options: ['P-256', 'P-384']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(KeysCreate)
    const result = createKeys({
      name: flags.name,
      org: flags.org,
      email: flags.email,
      outDir: flags.out,
      passphrase: passphraseFromEnv(flags['passphrase-env']),
      label: flags.label,
      encryption: flags.encryption,
      curve: flags.ec as 'P-256' | 'P-384' | undefined,
    })
    this.print(result, (safe) =>
      [`Private key: ${safe.keyPath}${flags['passphrase-env'] ? ' (encrypted)' : ' (NOT encrypted: protect this file)'}`, `Certificate: ${safe.certPath}`, renderCertificate(safe.summary)].join('\n'),
    )
  }
}
