import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../src/cli/command.js'
import {renderRecordLine} from '../src/cli/render-records.js'
import {searchRecords} from '../src/report/search.js'

export default class Records extends TrawlCommand {
  static override summary = 'Search the parsed records of a bundle without unzipping it'
  static override description = 'Reads parsed/*.jsonl inside the bundle as it streams. Does not verify the bundle: run trawl verify for that.'
  static override examples = ['<%= config.bin %> records case.zip --type browser --grep visa', '<%= config.bin %> records case.zip --type chat.message --json']
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {
    type: Flags.string({description: "record type or its first part: 'browser', 'chat.message', 'network'"}),
    grep: Flags.string({description: 'only records with a value containing this text (case-insensitive)'}),
    json: Flags.boolean({description: 'print the records as they are in the bundle, one JSON object a line'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Records)
    let count = 0
    for await (const record of searchRecords(args.bundle, {type: flags.type, grep: flags.grep})) {
      count++
      this.log(flags.json ? JSON.stringify(record) : renderRecordLine(record))
    }
    if (!flags.json) process.stderr.write(`${count} records\n`)
  }
}
