import {Args, Flags} from '@oclif/core'
import {runBatch} from '../src/batch/batch.js'
import {renderBatchSummary} from '../src/batch/render.js'
import {TrawlCommand} from '../src/cli/command.js'
import {parseSnapshotSelection, signerFlags, signerOptions, snapshotsFlag} from '../src/cli/flags.js'

export default class Batch extends TrawlCommand {
  static override summary = 'Collect many disk images, one signed bundle per evidence item, resumable'
  static override description =
    'Groups the segments of each image (.E01/.E02, .001/.002, xaa/xab), runs up to --jobs items at once in separate processes, writes DIR/<item>.zip per item and DIR/summary.json + summary.csv. An item whose bundle already verifies is skipped, so an interrupted run is finished by running the same command again. Exit 0 only if every item succeeded, 8 if one failed, 130 when interrupted. See docs/batch.md.'
  static override examples = [
    '<%= config.bin %> batch --out /cases/2026-0042 --case 2026-0042 --examiner "A. Examiner" --key key.pem --cert cert.pem --passphrase-env TRAWL_PASS "/evidence/*.E01"',
    '<%= config.bin %> batch --out /cases/2026-0042 --case 2026-0042 --examiner "A. Examiner" --p12 lab.p12 --passphrase-env TRAWL_PASS --shard 2/4 "/evidence/*"',
  ]

  static override strict = false
  static override args = {
    images: Args.string({description: 'images, segment sets, folders or globs (quote globs so trawl expands them)', required: true}),
  }

  static override flags = {
    out: Flags.string({description: 'output folder: one <item>.zip per evidence item and summary.json/summary.csv', required: true}),
    case: Flags.string({description: 'case identifier', required: true}),
    examiner: Flags.string({description: 'name of the examiner collecting', required: true}),
    ...signerFlags,
    cert: Flags.string({description: 'signing certificate (PEM); existing bundles must be signed by it to be skipped'}),
    jobs: Flags.integer({description: 'items processed at once (default: the number of cores, at most 4)', min: 1}),
    shard: Flags.string({description: 'K/N: process only share K of N of the sorted item list (item i goes to share i mod N + 1)'}),
    hashset: Flags.string({description: 'known-file hash set (MD5/SHA-1/SHA-256 list or NSRL CSV); repeatable', multiple: true, multipleNonGreedy: true}),
    targets: Flags.string({description: 'comma-separated artifact ids or categories (default: all)'}),
    definitions: Flags.string({description: 'folder of artifact definitions (YAML) to use instead of the shipped ones'}),
    ...snapshotsFlag,
    triage: Flags.boolean({description: 'as collect --triage: NTFS volumes read only along the artifact paths, through their directory indexes (deleted and orphan files are not looked for)'}),
    notes: Flags.string({description: 'notes recorded in every manifest'}),
    force: Flags.boolean({description: 'redo every item; existing bundles are kept as <item>.zip.replaced-<time>'}),
    'image-check': Flags.boolean({description: 'read each image whole to check its stored EWF hashes (raw: compute MD5/SHA-1)', default: true, allowNo: true}),
    recipient: Flags.string({description: 'encrypt every bundle to this encryption certificate (PEM): DIR/<item>.zip.p7m; repeatable', multiple: true, multipleNonGreedy: true}),
    'work-dir': Flags.string({description: 'with --recipient: a RAM disk for working copies (default on Linux: /dev/shm)'}),
    json: Flags.boolean({description: 'print the summary as JSON'}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Batch)
    const result = await runBatch({
      inputs: argv as string[],
      out: flags.out,
      caseId: flags.case,
      examiner: flags.examiner,
      ...signerOptions(flags),
      jobs: flags.jobs,
      shard: flags.shard,
      hashSets: flags.hashset,
      targets: flags.targets,
      definitions: flags.definitions,
      snapshots: parseSnapshotSelection(flags.snapshots),
      triage: flags.triage,
      notes: flags.notes,
      force: flags.force,
      imageCheck: flags['image-check'],
      recipients: flags.recipient,
      workDir: flags['work-dir'],
      commandLine: process.argv.slice(1),
    })
    if (flags.json) this.printJson(result.summary)
    else this.print(result, renderBatchSummary)
    if (result.exitCode !== 0) this.exit(result.exitCode)
  }
}
