import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {terminalSafeFields} from '../../src/terminal-text.js'
import {formatHiveLine, formatValue, getRegistryValue} from '../../src/registry/browse.js'

export default class RegistryGet extends TrawlCommand {
  static override description = 'Print a value of a registry key (or all of its values), decoded by type. Dirty hives are read with their logs replayed.'

  static override examples = ['<%= config.bin %> registry get SYSTEM "ControlSet001\\Control\\ComputerName\\ComputerName" ComputerName']

  static override args = {
    hive: Args.string({description: 'hive file', required: true}),
    key: Args.string({description: 'key path below the root, "\\"-separated', required: true}),
    value: Args.string({description: 'value name ("(default)" for the default value); all values when omitted', required: false}),
  }

  static override flags = {
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RegistryGet)
    const result = getRegistryValue(args.hive, args.key, args.value)
    if (flags.json) {
      this.printJson(result)
      return
    }
    const safe = terminalSafeFields(result)
    if (args.value !== undefined) {
      // a single value: just its data, so it can be used in scripts; the header goes to stderr
      this.logToStderr(formatHiveLine(safe.hive))
      this.log(formatValue(safe.values[0]))
      return
    }
    this.log(formatHiveLine(safe.hive))
    this.log(`[${safe.key || '\\'}]  last written ${safe.lastWritten ?? '-'}`)
    for (const v of safe.values) this.log(`  ${formatValue(v)}`)
  }
}
