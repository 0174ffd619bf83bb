#!/usr/bin/env node
// Start-up: `trawl --version` and `trawl --help` as whole processes (target < 100 ms),
// interleaved with a bare `node -e 0` (what any Node program pays) and with oclif answering
// --version itself (how bin/run.js answered before src/cli/fast-start.ts). Medians.
//   npm run build && node scripts/bench/startup.mjs [--runs 20]
import {spawnSync} from 'node:child_process'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const runs = Number(args[args.indexOf('--runs') + 1] || 0) || 20
const bin = join(ROOT, 'bin/run.js')
const viaOclif = (argv) => ['--input-type=module', '-e', `process.argv = [process.argv[0], 'trawl', ...${JSON.stringify(argv)}]; import('@oclif/core').then((m) => m.execute({dir: ${JSON.stringify(pathToFileURL(bin).href)}}))`]
const commands = {
  'node -e 0': ['-e', '0'],
  'trawl --version': [bin, '--version'],
  'trawl --help': [bin, '--help'],
  'oclif --version (before)': viaOclif(['--version']),
  'oclif --help (before)': viaOclif(['--help']),
}
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]))
for (let i = 0; i < runs; i++) {
  for (const [name, argv] of Object.entries(commands)) {
    const start = process.hrtime.bigint()
    const result = spawnSync(process.execPath, argv, {cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit']})
    if (result.status !== 0) throw new Error(`${name} failed`)
    times[name].push(Number(process.hrtime.bigint() - start) / 1e6)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const node = median(times['node -e 0'])
console.log(`start-up, whole processes, median of ${runs} interleaved runs`)
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs)
  console.log(`  ${name.padEnd(26)} ${m.toFixed(0).padStart(5)} ms (min ${Math.min(...xs).toFixed(0)} ms)${name === 'node -e 0' ? '' : `  ratio to node -e 0: ${(m / node).toFixed(2)}`}`)
}
for (const name of ['trawl --version', 'trawl --help']) {
  const m = median(times[name])
  console.log(`  ${name}: ${m.toFixed(0)} ms (target < 100 ms; node itself takes ${node.toFixed(0)} ms on this machine now)`)
}
