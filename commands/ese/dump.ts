import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {dumpEseDatabase, formatDatabaseLine, formatTableDump} from '../../src/ese/browse.js'

export default class EseDump extends TrawlCommand {
  static override description =
    'Print every row of a table of an ESE database (or of every table), tab-separated with a header line, or as JSON with the page and tag of each row. The file is opened read-only.'

  static override examples = [
    '<%= config.bin %> ese dump SRUDB.dat SruDbIdMapTable',
    '<%= config.bin %> ese dump SRUDB.dat "{973F5D5C-1D90-4944-BE8E-24B94231A174}" --json',
  ]

  static override args = {
    database: Args.string({description: 'ESE database file', required: true}),
    table: Args.string({description: 'table name (default: every table)', required: false}),
  }

  static override flags = {
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(EseDump)
    const result = dumpEseDatabase(args.database, args.table)
    if (flags.json) this.printJson(result)
    else this.print(result, (safe) => [...formatDatabaseLine(safe.database), ...safe.tables.flatMap((table) => formatTableDump(table))].join('\n'))
  }
}
