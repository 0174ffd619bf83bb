import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {formatHiveLine, formatKeyListing, listRegistryKey} from '../../src/registry/browse.js'

export default class RegistryLs extends TrawlCommand {
  static override description =
    'List a registry key of a hive file: its values, subkeys and last-written time. Dirty hives are read with their .LOG1/.LOG2/.LOG replayed.'

  static override examples = [
    '<%= config.bin %> registry ls NTUSER.DAT "Software\\Microsoft\\Internet Explorer\\TypedURLs"',
    '<%= config.bin %> registry ls SYSTEM Select --json',
    '<%= config.bin %> registry ls SAM SAM\\Domains --recursive',
  ]

  static override args = {
    hive: Args.string({description: 'hive file (SYSTEM, SOFTWARE, NTUSER.DAT, ...)', required: true}),
    key: Args.string({description: 'key path below the root, "\\"-separated (default: the root)', required: false}),
  }

  static override flags = {
    recursive: Flags.boolean({char: 'r', description: 'list every key below KEY as well'}),
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RegistryLs)
    const result = listRegistryKey(args.hive, args.key ?? '', {recursive: flags.recursive})
    if (flags.json) this.printJson(result)
    else this.print(result, (safe) => [formatHiveLine(safe.hive), ...safe.keys.flatMap((key) => formatKeyListing(key))].join('\n'))
  }
}
