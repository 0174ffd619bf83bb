/**
 * Live network state for `trawl collect --live`: runs the fixed command set of
 * commands.ts (absolute paths, no shell, a timeout each), reads the listed files,
 * and returns each output as a bundle file entry `live/<name>.txt` with its metadata
 * (command line, start and end time UTC, exit code, sizes, SHA-256), plus records:
 * a `live.network` record from Node's own os.networkInterfaces(), and records parsed
 * from the outputs (live.interface, live.connection, live.neighbour, live.route,
 * live.resolver, network.hosts). A missing command is recorded as missing, never fatal.
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {hostname, networkInterfaces, platform as osPlatform} from 'node:os'
import {errorMessage} from '../errors.js'
import {parseHostsFile} from '../parsers/network/hosts-file.js'
import type {ParsedRecord} from '../parsers/types.js'
import {type LiveCommand, linuxLiveCommands, resolveAbsolute, windowsLiveCommands} from './commands.js'
import {parseIpAddr, parseIpNeigh, parseIpRoute, parseResolvConf, parseSs} from './parse-linux.js'
import {parseArp, parseIpconfigAll, parseNetstat} from './parse-windows.js'

export interface LiveOutputMetadata {
  name: string
  kind: 'exec' | 'file'
  description: string
  /** The program or file actually used (absolute), or null when none of the candidates exists. */
  path: string | null
  /** Absolute program path and arguments, as run (no shell). */
  commandLine: string | null
  args: string[]
  startTime: string
  endTime: string
  /** Process exit code; null when it did not run, was killed, or for files. */
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  /** No candidate path exists on this machine. */
  missing: boolean
  /** Why it could not run or be read (spawn error, read error). */
  error: string | null
  stdoutBytes: number
  stdoutSha256: string
  stderr: string
}

/** One bundle file entry: live/<name>.txt with the output bytes, and its metadata. */
export interface LiveOutputFile {
  path: string
  data: Buffer
  metadata: LiveOutputMetadata
}

export interface LiveNetworkState {
  platform: NodeJS.Platform
  hostname: string
  startTime: string
  endTime: string
  outputs: LiveOutputFile[]
  records: ParsedRecord[]
}

export interface ProcessResult {
  stdout: Buffer
  stderr: Buffer
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  error: string | null
}

/** Runs a program without a shell; the seam tests replace. */
export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<ProcessResult>

export const runWithoutShell: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      file,
      args,
      {shell: false, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, env: {...process.env, LC_ALL: 'C'}},
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & {killed?: boolean; signal?: string; code?: number | string}) | null
        const timedOut = Boolean(e?.killed && e.signal === 'SIGKILL')
        resolve({
          stdout: Buffer.isBuffer(stdout) ? stdout : Buffer.from(stdout ?? ''),
          stderr: Buffer.isBuffer(stderr) ? stderr : Buffer.from(stderr ?? ''),
          exitCode: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          timedOut,
          // spawn failures (ENOENT, EACCES) have a string code; a non-zero exit is not an error here
          error: e && typeof e.code === 'string' ? errorMessage(e) : timedOut ? `timed out after ${timeoutMs} ms` : null,
        })
      },
    )
  })

export interface LiveOptions {
  platform?: NodeJS.Platform
  /** Per command, milliseconds (default 30 s; netstat -b can be slow). */
  timeoutMs?: number
  runner?: CommandRunner
  /** Replaces the command set (tests). */
  commands?: LiveCommand[]
  exists?: (path: string) => boolean
  readFile?: (path: string) => Buffer
  env?: NodeJS.ProcessEnv
}

function quote(arg: string): string {
  return /[\s"]/.test(arg) ? JSON.stringify(arg) : arg
}

/** Command output as text: UTF-8 when valid, else Latin-1 (OEM code pages keep their bytes visible). */
export function outputText(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(data)
  } catch {
    return data.toString('latin1')
  }
}

/** Records parsed from one output; sources name the bundle file. */
export function recordsFromOutput(command: LiveCommand, text: string, file: string): ParsedRecord[] {
  const source = {file}
  switch (command.parser) {
    case 'ipconfig': {
      const parsed = parseIpconfigAll(text)
      return parsed.adapters.map((a) => ({...a, hostName: parsed.hostName, type: 'live.interface', source}))
    }
    case 'netstat':
      return parseNetstat(text).map((c) => ({...c, type: 'live.connection', source}))
    case 'arp':
      return parseArp(text).map((n) => ({...n, type: 'live.neighbour', source}))
    case 'ip-addr':
      return parseIpAddr(text).map((i) => ({...i, type: 'live.interface', source}))
    case 'ip-neigh':
      return parseIpNeigh(text).map((n) => ({...n, type: 'live.neighbour', source}))
    case 'ip-route':
      return parseIpRoute(text).map((r) => ({...r, type: 'live.route', source}))
    case 'ss':
      return parseSs(text).map((s) => ({...s, type: 'live.connection', source}))
    case 'resolv-conf':
      return [{...parseResolvConf(text), type: 'live.resolver', source}]
    case 'hosts':
      return parseHostsFile(text).map((h) => ({...h, type: 'network.hosts', source}))
    default:
      return []
  }
}

/** Node's own view of the interfaces, independent of any command on the machine. */
export function nodeNetworkRecord(now: string): ParsedRecord {
  const interfaces = Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name,
    addresses: (addrs ?? []).map((a) => ({family: a.family, address: a.address, netmask: a.netmask, cidr: a.cidr, mac: a.mac, internal: a.internal, scopeid: a.scopeid ?? null})),
  }))
  return {type: 'live.network', source: {file: 'live/os-network-interfaces.json'}, hostname: hostname(), capturedAt: now, interfaces}
}

export async function collectLiveNetworkState(options: LiveOptions = {}): Promise<LiveNetworkState> {
  const platform = options.platform ?? osPlatform()
  const runner = options.runner ?? runWithoutShell
  const timeoutMs = options.timeoutMs ?? 30_000
  const readFile = options.readFile ?? ((p: string) => readFileSync(p))
  const commands = options.commands ?? (platform === 'win32' ? windowsLiveCommands(options.env) : linuxLiveCommands())
  const startTime = new Date().toISOString()
  const outputs: LiveOutputFile[] = []
  const records: ParsedRecord[] = []

  for (const command of commands) {
    const file = `live/${command.name}.txt`
    const path = resolveAbsolute(command.paths, platform, options.exists)
    const started = new Date().toISOString()
    const meta: LiveOutputMetadata = {
      name: command.name,
      kind: command.kind,
      description: command.description,
      path: path ?? null,
      commandLine: command.kind === 'exec' && path ? [path, ...command.args].map(quote).join(' ') : null,
      args: command.args,
      startTime: started,
      endTime: started,
      exitCode: null,
      signal: null,
      timedOut: false,
      missing: path === undefined,
      error: path === undefined ? `not found: ${command.paths.join(', ')}` : null,
      stdoutBytes: 0,
      stdoutSha256: createHash('sha256').update(Buffer.alloc(0)).digest('hex'),
      stderr: '',
    }
    let data: Buffer = Buffer.alloc(0)
    if (path !== undefined) {
      if (command.kind === 'exec') {
        const result = await runner(path, command.args, timeoutMs)
        data = result.stdout
        meta.exitCode = result.exitCode
        meta.signal = result.signal
        meta.timedOut = result.timedOut
        meta.error = result.error
        meta.stderr = outputText(result.stderr)
      } else {
        try {
          data = readFile(path)
        } catch (error) {
          meta.error = errorMessage(error)
        }
      }
    }
    meta.endTime = new Date().toISOString()
    meta.stdoutBytes = data.length
    meta.stdoutSha256 = createHash('sha256').update(data).digest('hex')
    outputs.push({path: file, data, metadata: meta})
    if (data.length > 0) {
      try {
        records.push(...recordsFromOutput(command, outputText(data), file))
      } catch (error) {
        records.push({type: 'error', source: {file}, error: `could not parse ${command.name}: ${errorMessage(error)}`})
      }
    }
  }

  const endTime = new Date().toISOString()
  const nodeRecord = nodeNetworkRecord(endTime)
  outputs.push({
    path: 'live/os-network-interfaces.json',
    data: Buffer.from(JSON.stringify(nodeRecord.interfaces, null, 2)),
    metadata: {
      name: 'os-network-interfaces',
      kind: 'file',
      description: "Node's os.networkInterfaces() at collection time",
      path: null,
      commandLine: null,
      args: [],
      startTime: endTime,
      endTime,
      exitCode: null,
      signal: null,
      timedOut: false,
      missing: false,
      error: null,
      stdoutBytes: 0,
      stdoutSha256: '',
      stderr: '',
    },
  })
  const last = outputs[outputs.length - 1]
  last.metadata.stdoutBytes = last.data.length
  last.metadata.stdoutSha256 = createHash('sha256').update(last.data).digest('hex')
  records.push(nodeRecord)
  // one index of what ran, so the bundle describes itself without the manifest
  const index = Buffer.from(JSON.stringify({platform, hostname: hostname(), startTime, endTime, outputs: outputs.map((o) => ({file: o.path, ...o.metadata}))}, null, 2))
  outputs.push({
    path: 'live/commands.json',
    data: index,
    metadata: {...last.metadata, name: 'commands', description: 'index of the live outputs and their metadata', stdoutBytes: index.length, stdoutSha256: createHash('sha256').update(index).digest('hex')},
  })
  return {platform, hostname: hostname(), startTime, endTime, outputs, records}
}
