#!/usr/bin/env node
// npm run demo: installs if needed, builds, makes a clearly labelled demo key, collects the
// bundled sample, verifies the bundle and prints the summary. Writes only under demo/.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const run = (cmd, args, env = {}) => {
  const result = spawnSync(cmd, args, {cwd: root, stdio: 'inherit', env: {...process.env, ...env}})
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (!existsSync(join(root, 'node_modules', '@oclif', 'core'))) run(npm, ['install', '--no-audit', '--no-fund'])
run(npm, ['run', '--silent', 'build'])

const demo = join(root, 'demo')
const keys = join(demo, 'keys')
const env = {TRAWL_DEMO_PASSPHRASE: 'demo passphrase - not secret'}
const trawl = (args) => run(process.execPath, [join(root, 'bin', 'run.js'), ...args], env)
if (!existsSync(join(keys, 'cert.pem'))) {
  console.log('\n== Creating a DEMO signing key (not for casework) in demo/keys')
  trawl(['keys', 'create', '--name', 'Demo Examiner', '--org', 'trawl demo', '--label', 'DEMO KEY - NOT FOR CASEWORK', '--out', keys, '--passphrase-env', 'TRAWL_DEMO_PASSPHRASE'])
}

const sampleImage = join(root, 'fixtures', 'sample', 'sample.E01')
const source = existsSync(sampleImage) ? sampleImage : join(root, 'fixtures', 'sample', 'tree')
const bundle = join(demo, 'demo-bundle.zip')
for (const path of [bundle, `${bundle}.partial`, `${bundle}.work`]) rmSync(path, {recursive: true, force: true})
mkdirSync(demo, {recursive: true})

console.log(`\n== Collecting from the bundled sample ${source.slice(root.length + 1)}`)
trawl(['collect', '--allow-same-volume', '--source', source, '--out', bundle, '--case', 'DEMO-0001', '--examiner', 'Demo Examiner', '--evidence-item', 'SAMPLE',
  '--notes', 'demo run on the bundled sample', '--key', join(keys, 'key.pem'), '--cert', join(keys, 'cert.pem'), '--passphrase-env', 'TRAWL_DEMO_PASSPHRASE'])

console.log('\n== Verifying the bundle')
trawl(['verify', bundle, '--cert', join(keys, 'cert.pem')])

console.log('\n== A few parsed records (parsed/records.sqlite)')
const tmp = join(demo, 'records.sqlite')
rmSync(tmp, {force: true})
// read the entry with trawl's own ZIP reader (no unzip needed on the machine)
const {BundleZip} = await import(pathToFileURL(join(root, 'dist', 'src', 'bundle', 'zip-reader.js')).href)
const zip = BundleZip.open(bundle)
writeFileSync(tmp, await zip.readEntry(zip.entry('parsed/records.sqlite')))
zip.close()
// opened with trawl's SQLite engine (better-sqlite3, or node:sqlite where that does not load)
const {openDatabase} = await import(pathToFileURL(join(root, 'dist', 'src', 'sqlite', 'engine.js')).href)
const db = openDatabase(tmp, {readonly: true})
for (const r of db.prepare('SELECT type, count(*) n FROM records GROUP BY type ORDER BY type').all()) console.log(String(r.n).padStart(6), r.type)
db.close()
console.log('\n== The report (report.html of the bundle, written again after verifying)')
const reportDir = join(demo, 'report')
rmSync(reportDir, {recursive: true, force: true})
trawl(['report', bundle, '--out', reportDir, '--cert', join(keys, 'cert.pem')])
console.log(`\nDone. The bundle is ${bundle.slice(root.length + 1)}; verify it again any time with: npx trawl verify ${bundle.slice(root.length + 1)} --cert ${join(keys, 'cert.pem').slice(root.length + 1)}`)
