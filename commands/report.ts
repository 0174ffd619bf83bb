import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../src/cli/command.js'
import {renderVerifyReport} from '../src/cli/render.js'
import {ExitCode} from '../src/errors.js'
import {reportFromBundle} from '../src/report/from-bundle.js'

export default class Report extends TrawlCommand {
  static override summary = 'Write report.html of a bundle again, after verifying it, with the verification result and the custody log'
  static override description =
    'The report inside a bundle is sealed with it and cannot show that the bundle verifies; this one can. One self-contained HTML file: opens offline, fetches nothing. Exit code 1 (and no report) when the bundle does not verify, unless --allow-invalid.'
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {
    out: Flags.string({description: 'folder to write report.html into (default: <bundle>.report.html beside the bundle)'}),
    cert: Flags.string({description: 'the certificate the bundle must be signed with (PEM)', exclusive: ['ca']}),
    ca: Flags.string({description: 'a CA certificate the signer must be issued by (PEM)'}),
    'allow-invalid': Flags.boolean({description: 'write the report of a bundle that does not verify, marked NOT VALID'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Report)
    const result = await reportFromBundle(args.bundle, {out: flags.out, cert: flags.cert, ca: flags.ca, allowInvalid: flags['allow-invalid']})
    if (result.path) this.log(`${result.verify.valid ? 'VALID' : 'NOT VALID'} bundle; report of ${result.records} records written to ${result.path}`)
    if (!result.verify.valid) {
      this.log(renderVerifyReport(result.verify))
      this.exit(ExitCode.invalid)
    }
  }
}
