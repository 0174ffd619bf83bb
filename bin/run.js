#!/usr/bin/env node
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// In a field kit (<stick>/kit/app/bin/run.js beside <stick>/kit/kit-manifest.json), check the kit
// against its signed manifest before any command can touch evidence (src/kit/startup.ts).
const kitManifest = new URL('../../kit-manifest.json', import.meta.url)
if (existsSync(kitManifest)) {
  const {warnIfKitChanged} = await import('../dist/src/kit/startup.js')
  warnIfKitChanged(fileURLToPath(new URL('../../../', import.meta.url)))
}

// `trawl --version` and `trawl --help` are answered from the manifest without loading oclif
// (src/cli/fast-start.ts), `trawl image verify IMAGE [--json]` runs without it
// (src/cli/direct-start.ts); everything else goes to oclif, which loads only the command run.
const {fastStart} = await import('../dist/src/cli/fast-start.js')
const argv = process.argv.slice(2)
if (!fastStart(argv, new URL('../', import.meta.url))) {
  const {directStart} = await import('../dist/src/cli/direct-start.js')
  if (!(await directStart(argv))) {
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
