import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../src/cli/command.js'
import {TIMELINE_FORMATS, buildTimeline, timelineLines, type TimelineFormat} from '../src/report/timeline.js'

export default class Timeline extends TrawlCommand {
  static override summary = "One sorted timeline of a bundle: every record's times and every collected file's $SI and $FN times"
  static override description =
    "bodyfile: TSK's format, for mactime -b (whole seconds, as fls -m); csv: RFC 4180 with full-precision UTC times, for a spreadsheet or Timeline Explorer; jsonl: one event a line. Written to standard output."
  static override examples = ['<%= config.bin %> timeline case.zip --format bodyfile > case.body && mactime -b case.body -d -z UTC', '<%= config.bin %> timeline case.zip --format csv --from 2024-09-01 --to 2024-09-30 --type browser > sept.csv']
  static override args = {bundle: Args.string({description: 'the bundle ZIP', required: true})}
  static override flags = {
    format: Flags.string({description: 'output format', options: TIMELINE_FORMATS, required: true}),
    from: Flags.string({description: 'first time to include (UTC: 2024-09-05 or 2024-09-05T08:00:00Z)'}),
    to: Flags.string({description: 'last time to include (UTC; a date alone includes the whole day)'}),
    type: Flags.string({description: "record type or its first part ('browser', 'chat.message'); 'file' for the files' own times"}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Timeline)
    const timeline = await buildTimeline(args.bundle, {from: flags.from, to: flags.to, type: flags.type})
    for (const line of timelineLines(flags.format as TimelineFormat, timeline)) {
      if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
  }
}
