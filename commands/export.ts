import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../src/cli/command.js'
import {exportCase} from '../src/report/case-uco.js'

export default class Export extends TrawlCommand {
  static override summary = 'Export a bundle for other tools: CASE/UCO JSON-LD (the investigative action, tool, provenance, files with hashes, every record)'
  static override description = 'Written to standard output. CASE 1.4.0 / UCO 1.4.0; the JSON-LD context is inline, so reading it fetches nothing.'
  static override examples = ['<%= config.bin %> export case.zip --format case > case.jsonld']
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {format: Flags.string({description: 'export format', options: ['case'], required: true})}

  async run(): Promise<void> {
    const {args} = await this.parse(Export)
    const {document} = await exportCase(args.bundle)
    process.stdout.write(`${JSON.stringify(document, null, 1)}\n`)
  }
}
