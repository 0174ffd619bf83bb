import {Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderKitVerify} from '../../src/cli/render-kit.js'
import {ExitCode} from '../../src/errors.js'
import {verifyKit} from '../../src/kit/verify.js'

export default class KitVerify extends TrawlCommand {
  static override summary = 'Check every file of a field kit against its signed kit manifest'
  static override description = 'Exit code 0: the kit is as built. 1: a file was changed, added or removed, or the signature is wrong (each problem is listed). 2: no kit to check.'
  static override examples = ['<%= config.bin %> kit verify --cert build-cert.pem', '<%= config.bin %> kit verify --kit /media/stick --cert build-cert.pem']
  static override flags = {
    kit: Flags.string({description: 'the kit to check: the folder of the stick (default: the kit this trawl runs from)'}),
    cert: Flags.string({description: 'the certificate the kit must be signed with (PEM), kept apart from the stick'}),
    json: Flags.boolean({description: 'print one JSON object'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(KitVerify)
    const report = verifyKit({kit: flags.kit, cert: flags.cert})
    this.log(flags.json ? JSON.stringify(report, null, 2) : renderKitVerify(report, Boolean(flags.cert)))
    if (!report.valid) this.exit(ExitCode.invalid)
  }
}
