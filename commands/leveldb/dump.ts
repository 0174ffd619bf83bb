import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {dumpLevelDb, formatLevelDbDump} from '../../src/indexeddb/dump.js'
import type {LevelDbDumpMode} from '../../src/indexeddb/dump.js'

export default class LevelDbDump extends TrawlCommand {
  static override description =
    'Print every record of a LevelDB folder, live, deleted and overwritten, with its sequence number and file. A folder named *.indexeddb.leveldb is decoded as Chromium IndexedDB (databases, object stores, keys and values), one in "Local Storage" as Chromium Local Storage; --as chooses. Files are only read.'

  static override examples = [
    '<%= config.bin %> leveldb dump "Local Storage/leveldb"',
    '<%= config.bin %> leveldb dump IndexedDB/https_teams.microsoft.com_0.indexeddb.leveldb --json',
    '<%= config.bin %> leveldb dump some.leveldb --as raw',
  ]

  static override args = {
    folder: Args.string({description: 'LevelDB folder', required: true}),
  }

  static override flags = {
    as: Flags.string({description: 'how to decode (default: from the folder name)', options: ['raw', 'indexeddb', 'localstorage']}),
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LevelDbDump)
    const dump = dumpLevelDb(args.folder, flags.as as LevelDbDumpMode | undefined)
    if (flags.json) this.printJson(dump)
    else this.print(dump, (safe) => formatLevelDbDump(safe).join('\n'))
  }
}
