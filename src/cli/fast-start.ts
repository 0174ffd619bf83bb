import {readFileSync} from 'node:fs'
import {arch, platform, release} from 'node:os'

/**
 * `trawl --version` and `trawl --help` without loading the CLI framework: importing
 * @oclif/core alone costs about 130 ms of CPU here, more than the whole answer is
 * allowed. Both answers come from package.json and oclif.manifest.json, laid out as
 * oclif lays them out (test/spine/fast-start.test.ts compares the two). Anything else,
 * or anything this cannot answer exactly (no manifest, forced colours, a long summary),
 * returns false and oclif runs as usual.
 */

interface Manifest {
  commands: Record<string, {id: string; summary?: string; description?: string; hidden?: boolean}>
}

interface PackageJson {
  name: string
  version: string
  description?: string
  oclif: {bin: string; topics?: Record<string, {description?: string; hidden?: boolean}>; description?: string}
}

export function fastStart(argv: string[], root: URL): boolean {
  const version = argv.length === 1 && argv[0] === '--version'
  const help = argv.length === 0 || (argv.length === 1 && argv[0] === '--help')
  if (!version && !help) return false
  let pjson: PackageJson
  let manifest: Manifest
  try {
    pjson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as PackageJson
    manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8')) as Manifest
  } catch {
    return false
  }
  const bold = colours()
  if (bold === undefined) return false
  if (version) {
    process.stdout.write(`${userAgent(pjson)}\n`)
    return true
  }
  const text = rootHelp(pjson, manifest, width(), bold)
  if (text === undefined) return false
  process.stdout.write(text)
  return true
}

/** As oclif's config.userAgent. */
function userAgent(pjson: PackageJson): string {
  const os = platform() === 'linux' && release().toLowerCase().includes('microsoft') ? 'wsl' : platform()
  return `${pjson.name}/${pjson.version} ${os}-${arch()} node-${process.version}`
}

/** Whether section headers are bold (as ansis decides it), or undefined when it is not certain. */
function colours(): boolean | undefined {
  const env = process.env
  if (env.FORCE_COLOR !== undefined || env.COLORTERM === 'truecolor' && !process.stdout.isTTY) return undefined
  if (env.NO_COLOR !== undefined) return false
  if (!process.stdout.isTTY) return false
  return env.TERM !== 'dumb'
}

/** As oclif's screen.stdtermwidth. */
function width(): number {
  const columns = Number.parseInt(process.env.OCLIF_COLUMNS ?? '', 10)
  if (columns) return columns
  if (!process.stdout.isTTY) return 80
  const [w] = process.stdout.getWindowSize()
  if (w < 1) return 80
  return Math.max(40, w)
}

/** Greedy word wrap, as wrap-ansi with `hard: true` does it for plain text. */
export function wrap(text: string, columns: number): string {
  return text
    .split('\n')
    .map((line) => {
      const rows: string[] = ['']
      for (const word of line.split(' ')) {
        let rest = word
        const row = rows[rows.length - 1]
        if (row.length > 0 && row.length + 1 + rest.length > columns) rows.push('')
        else if (row.length > 0) rows[rows.length - 1] += ' '
        while (rest.length > columns) {
          const room = columns - rows[rows.length - 1].length
          rows[rows.length - 1] += rest.slice(0, room)
          rest = rest.slice(room)
          rows.push('')
        }
        rows[rows.length - 1] += rest
      }
      return rows.map((r) => r.trimEnd()).join('\n')
    })
    .join('\n')
}

const indent = (text: string, spaces: number) => text.replace(/^(?!\s*$)/gm, ' '.repeat(spaces))

function section(header: string, body: string, bold: boolean): string {
  return `${bold ? `\x1b[1m${header}\x1b[22m` : header}\n${indent(body, 2)}`
}

/** oclif's renderList with a newline spacer; undefined where oclif would switch to its multi-line layout. */
function list(rows: Array<[string, string | undefined]>, columns: number): string | undefined {
  const widest = Math.max(...rows.map(([left]) => left.length))
  const out: string[] = []
  for (const [left, right] of rows) {
    if (!right) {
      out.push(left.trim())
      continue
    }
    const [first, ...lines] = wrap(right.trim(), columns - (2 + widest + 2)).split('\n').map((s) => s.trim())
    if (lines.length > 4) return undefined
    let cell = left + ' '.repeat(widest - left.length + 2) + first
    if (lines.length > 0) cell += `\n${indent(lines.join('\n'), widest + 2)}`
    out.push(cell)
  }
  return out.join('\n').trim()
}

function rootHelp(pjson: PackageJson, manifest: Manifest, columns: number, bold: boolean): string | undefined {
  const description = pjson.oclif.description ?? pjson.description ?? ''
  if (description.includes('<%')) return undefined
  const [summary, ...more] = description.split('\n')
  const parts = [summary, section('VERSION', wrap(userAgent(pjson), columns - 2), bold), section('USAGE', wrap(`$ ${pjson.oclif.bin} [COMMAND]`, columns - 2), bold)]
  if (more.length > 0) parts.push(section('DESCRIPTION', wrap(more.join('\n'), columns - 2), bold))
  const commands = Object.values(manifest.commands).filter((c) => !c.hidden)
  const topicNames = new Set<string>()
  for (const c of commands) if (c.id.includes(':')) topicNames.add(c.id.split(':')[0])
  for (const [name, topic] of Object.entries(pjson.oclif.topics ?? {})) if (!topic.hidden && !name.includes(':')) topicNames.add(name)
  const topics = [...topicNames].sort().map((name): [string, string | undefined] => [name, pjson.oclif.topics?.[name]?.description?.split('\n')[0]])
  const roots = commands
    .filter((c) => !c.id.includes(':'))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c): [string, string | undefined] => [c.id, (c.summary ?? c.description)?.split('\n')[0]])
  if ([...topics, ...roots].some(([, text]) => text?.includes('<%'))) return undefined
  let text = `${parts.join('\n\n')}\n\n`
  if (topics.length > 0) {
    const body = list(topics, columns)
    if (body === undefined) return undefined
    text += `${section('TOPICS', body, bold)}\n\n`
  }
  if (roots.length > 0) {
    const body = list(roots, columns)
    if (body === undefined) return undefined
    text += `${section('COMMANDS', body, bold)}\n\n`
  }
  return text
}
