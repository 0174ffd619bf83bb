import {Flags} from '@oclif/core'
import {UsageError} from '../src/errors.js'
import {TrawlCommand} from '../src/cli/command.js'
import {parseSnapshotSelection, signerFlags, signerOptions, snapshotsFlag} from '../src/cli/flags.js'
import {renderCollectSummary} from '../src/cli/render.js'
import {runCollect} from '../src/collect/run.js'

export default class Collect extends TrawlCommand {
  static override summary = 'Collect artifacts from a source into a signed evidence bundle'
  static override description =
    'Copies every matched file byte-exact (hashing SHA-256, SHA-1 and MD5 in the same pass), parses it from a copy, and seals manifest, signature and custody log into a ZIP. Never writes to the source.'
  static override examples = [
    '<%= config.bin %> collect --source /mnt/suspect --case 2026-0042 --examiner "A. Examiner" --key key.pem --cert cert.pem --passphrase-env TRAWL_PASS',
    '<%= config.bin %> collect --live --case 2026-0042 --examiner "A. Examiner" --p12 keys\\examiner.p12 --passphrase-env TRAWL_PASS',
  ]

  static override flags = {
    source: Flags.string({
      description:
        'evidence: a folder (E:\\, /mnt/x), a disk image, a block device (/dev/sdb1), or a Windows volume or disk read raw (C:, \\\\.\\PhysicalDrive0) for locked files; with --live on Windows, default: every fixed NTFS volume',
    }),
    out: Flags.string({description: 'bundle to write (default: evidence/<case>_<host>_<UTC time>.zip beside trawl)'}),
    case: Flags.string({description: 'case identifier', required: true}),
    examiner: Flags.string({description: 'name of the examiner collecting', required: true}),
    ...signerFlags,
    'evidence-item': Flags.string({description: 'evidence item identifier (exhibit number)'}),
    notes: Flags.string({description: 'notes recorded in the manifest'}),
    targets: Flags.string({description: 'comma-separated artifact ids or categories (default: all)'}),
    hashset: Flags.string({description: 'known-file hash set (MD5/SHA-1/SHA-256 list, NSRL CSV or RDS SQLite) to flag matching files; repeatable', multiple: true}),
    phashset: Flags.string({description: 'list of known pictures by PDQ perceptual hash (64 hex digits per line, optional label) to flag pictures within --phash-threshold bits; repeatable', multiple: true}),
    phash: Flags.boolean({description: 'PDQ perceptual hash of every JPEG and PNG picture (about 1 s of CPU per 8-megapixel photo; --no-phash to skip)', default: true, allowNo: true}),
    'phash-threshold': Flags.integer({description: 'PDQ Hamming distance up to which a picture matches a --phashset entry (default 31, as PDQ recommends)', min: 0, max: 128}),
    live: Flags.boolean({description: 'also record the running machine\'s network state (documented commands run by absolute path, each with a timeout)'}),
    triage: Flags.boolean({description: 'read NTFS volumes only along the artifact paths, through their directory indexes, not by a pass over the whole $MFT: faster on a large volume, but deleted and orphan files are not looked for (the manifest says so)'}),
    'unprotect-keys': Flags.boolean({description: "with --live on Windows: have Windows unprotect (DPAPI, as the signed-in user) the keys apps keep protected, e.g. Signal Desktop's database key, so their stores are read; each call is listed in the manifest"}),
    definitions: Flags.string({description: 'folder of artifact definitions (YAML) to use instead of the shipped ones'}),
    ...snapshotsFlag,
    'allow-same-volume': Flags.boolean({description: 'the source folder is a copy on your own disk, not the evidence medium: allow the bundle on its file system'}),
    recipient: Flags.string({description: 'encrypt the bundle to this encryption certificate (PEM; `keys create --encryption`): writes <bundle>.zip.p7m, nothing in the clear; repeatable', multiple: true}),
    'work-dir': Flags.string({description: 'with --recipient: a RAM disk for working copies (default on Linux: /dev/shm)'}),
    json: Flags.boolean({description: 'print a machine-readable summary'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Collect)
    if (!flags.phash && flags.phashset?.length) throw new UsageError('--phashset matches perceptual hashes: it cannot be used with --no-phash')
    const result = await runCollect({
      source: flags.source,
      out: flags.out,
      caseId: flags.case,
      examiner: flags.examiner,
      ...signerOptions(flags),
      evidenceItem: flags['evidence-item'],
      notes: flags.notes,
      targets: flags.targets,
      definitions: flags.definitions,
      live: flags.live,
      allowSameVolume: flags['allow-same-volume'],
      snapshots: parseSnapshotSelection(flags.snapshots),
      unprotectKeys: flags['unprotect-keys'],
      triage: flags.triage,
      hashSets: flags.hashset,
      phashSets: flags.phashset,
      phashThreshold: flags['phash-threshold'],
      perceptualHash: flags.phash,
      recipients: flags.recipient,
      workDir: flags['work-dir'],
      commandLine: process.argv.slice(1),
    })
    if (flags.json) this.printJson(result.json)
    else this.print(result, renderCollectSummary)
    if (!result.complete) this.exit(result.exitCode)
  }
}
