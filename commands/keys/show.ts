import {Args, Flags} from '@oclif/core'
import {readCertificate, summarizeCertificate} from '../../src/bundle/keys.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderCertificate} from '../../src/cli/render.js'

export default class KeysShow extends TrawlCommand {
  static override summary = 'Show a certificate: subject, validity and SHA-256 fingerprint'
  static override args = {cert: Args.string({description: 'certificate (PEM or DER)', required: true})}
  static override flags = {json: Flags.boolean({description: 'print JSON'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(KeysShow)
    const summary = summarizeCertificate(readCertificate(args.cert))
    if (flags.json) this.printJson(summary)
    else this.print(summary, renderCertificate)
  }
}
