#!/usr/bin/env node
// `trawl --version` and `trawl --help` are answered from the manifest without loading oclif
// (src/cli/fast-start.ts); everything else goes to oclif, which loads only the command run.
import {fastStart} from '../dist/src/cli/fast-start.js'

if (!fastStart(process.argv.slice(2), new URL('../', import.meta.url))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
