#!/usr/bin/env node
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {execute} from '@oclif/core'

// In a field kit (<stick>/kit/app/bin/run.js beside <stick>/kit/kit-manifest.json), check the kit
// against its signed manifest before any command can touch evidence (src/kit/startup.ts).
const kitManifest = new URL('../../kit-manifest.json', import.meta.url)
if (existsSync(kitManifest)) {
  const {warnIfKitChanged} = await import('../dist/src/kit/startup.js')
  warnIfKitChanged(fileURLToPath(new URL('../../../', import.meta.url)))
}

await execute({dir: import.meta.url})
