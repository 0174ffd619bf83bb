import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {formatDatabaseLine, formatTableListing, listEseDatabase} from '../../src/ese/browse.js'

export default class EseLs extends TrawlCommand {
  static override description =
    'List the tables of an ESE database (SRUDB.dat, WebCacheV01.dat, ...): columns, types and row counts. The file is opened read-only; a dirty database is read as it is and said to be dirty.'

  static override examples = ['<%= config.bin %> ese ls SRUDB.dat', '<%= config.bin %> ese ls WebCacheV01.dat --json']

  static override args = {
    database: Args.string({description: 'ESE database file', required: true}),
  }

  static override flags = {
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(EseLs)
    const result = listEseDatabase(args.database)
    if (flags.json) this.printJson(result)
    else this.print(result, (safe) => [...formatDatabaseLine(safe.database), ...safe.tables.flatMap((table) => formatTableListing(table))].join('\n'))
  }
}
