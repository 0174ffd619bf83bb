import {Args, Command, Flags} from '@oclif/core'
import {TrawlError} from '../../src/errors.js'
import {formatHiveLine, formatValue, getRegistryValue} from '../../src/registry/browse.js'

export default class RegistryGet extends Command {
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
    try {
      const result = getRegistryValue(args.hive, args.key, args.value)
      if (flags.json) {
        this.log(JSON.stringify(result, null, 2))
        return
      }
      if (args.value !== undefined) {
        // a single value: just its data, so it can be used in scripts; the header goes to stderr
        this.logToStderr(formatHiveLine(result.hive))
        this.log(formatValue(result.values[0]))
        return
      }
      this.log(formatHiveLine(result.hive))
      this.log(`[${result.key || '\\'}]  last written ${result.lastWritten ?? '-'}`)
      for (const v of result.values) this.log(`  ${formatValue(v)}`)
    } catch (err) {
      if (err instanceof TrawlError) this.error(err.message, {exit: err.exitCode})
      throw err
    }
  }
}
