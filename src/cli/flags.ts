import {Flags} from '@oclif/core'
import type {SignerFiles} from '../bundle/keys.js'
import {UsageError} from '../errors.js'
import type {SnapshotSelection} from '../source/types.js'

/** How a command that signs is given its examiner's key: PEM key + certificate, or a PKCS#12 file. */
export const signerFlags = {
  key: Flags.string({description: 'signing key (PEM, PKCS#8)'}),
  cert: Flags.string({description: 'signing certificate (PEM)'}),
  p12: Flags.string({description: 'PKCS#12 file with key and certificate (instead of --key/--cert)'}),
  'passphrase-env': Flags.string({description: 'name of the environment variable holding the key passphrase (never the passphrase itself)'}),
}

/** The signer flags as the engine takes them. */
export function signerOptions(flags: {key?: string; cert?: string; p12?: string; 'passphrase-env'?: string}): SignerFiles {
  return {key: flags.key, cert: flags.cert, p12: flags.p12, passphraseEnv: flags['passphrase-env']}
}

/** `--snapshot N`: read a volume as its Volume Shadow Copy N holds it (numbers as `trawl image info` lists them). */
export const snapshotFlag = {
  snapshot: Flags.integer({description: 'read the volume as its shadow copy N held it (vssN as `trawl image info` lists it; oldest is 1)', min: 1}),
}

/** 'all', 'none', or shadow copy numbers ('1', '1,3') as `trawl image info` lists them. */
export function parseSnapshotSelection(text: string): SnapshotSelection {
  const value = text.trim().toLowerCase()
  if (value === 'all' || value === 'none') return value
  const numbers = value.split(',').map((part) => part.trim())
  if (numbers.length === 0 || numbers.some((n) => !/^[1-9]\d*$/.test(n))) {
    throw new UsageError(`--snapshots takes all, none, or shadow copy numbers such as 1 or 1,3 (not "${text}")`)
  }
  return [...new Set(numbers.map(Number))].sort((a, b) => a - b)
}

/** `--snapshots all|none|N[,M]`: which Volume Shadow Copies collect reads beside each live volume. */
export const snapshotsFlag = {
  snapshots: Flags.string({
    description:
      "Volume Shadow Copies to collect beside each NTFS volume: all, none, or numbers (1,3) as `trawl image info` lists them; each copy's files are named by volume p2@vss1, and one identical to a file already collected is stored once with every location listed",
    default: 'none',
  }),
}
