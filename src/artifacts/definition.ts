import {readFileSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'yaml'
import {TrawlError, errorMessage} from '../errors.js'

export const CATEGORIES = ['browser', 'chat', 'media', 'network', 'system'] as const
export type Category = (typeof CATEGORIES)[number]

/**
 * What to collect, as data: an examiner adds a target by writing YAML, no TypeScript.
 * Path patterns are relative to the volume root, '/'-separated, matched
 * case-insensitively: `{name}` matches one segment and names it (user, profile),
 * `*` `?` `[...]` match within a segment, `**` matches any number of segments.
 */
export interface ArtifactDefinition {
  id: string
  name: string
  category: Category
  description: string
  paths: string[]
  /** Suffixes of files copied with each match, e.g. '-wal', '-journal', '.LOG1'. */
  companions: string[]
  /** Parser id; without one the files are still collected. */
  parser?: string
  attributes: Record<string, string>
  references: string[]
  /** Definition file it came from. */
  file: string
}

export class DefinitionError extends TrawlError {
  constructor(file: string, message: string) {
    super(`artifact definition ${file}: ${message}`)
  }
}

/** The artifacts/ folder shipped with trawl (beside dist/ or src/). */
export function defaultDefinitionsDir(): string {
  // src/artifacts/definition.ts and dist/src/artifacts/definition.js both sit under the package root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    dir = dirname(dir)
    try {
      if (readdirSync(join(dir, 'artifacts')).some((f) => f.endsWith('.yaml'))) return join(dir, 'artifacts')
    } catch {
      // keep climbing
    }
  }
  throw new TrawlError('cannot find the artifacts/ definitions folder')
}

export function loadDefinitions(dir = defaultDefinitionsDir()): ArtifactDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()
  const definitions: ArtifactDefinition[] = []
  const seen = new Set<string>()
  for (const name of files) {
    const file = resolve(dir, name)
    let document: unknown
    try {
      document = parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new DefinitionError(name, `not valid YAML: ${errorMessage(error)}`)
    }
    const items = Array.isArray(document) ? document : [document]
    for (const item of items) {
      const definition = validate(item, name)
      if (seen.has(definition.id)) throw new DefinitionError(name, `duplicate id ${definition.id}`)
      seen.add(definition.id)
      definitions.push(definition)
    }
  }
  return definitions
}

function validate(item: unknown, file: string): ArtifactDefinition {
  if (typeof item !== 'object' || item === null) throw new DefinitionError(file, 'each definition must be a mapping')
  const raw = item as Record<string, unknown>
  const text = (key: string, required = true): string | undefined => {
    const value = raw[key]
    if (value === undefined && !required) return undefined
    if (typeof value !== 'string' || value.trim() === '') throw new DefinitionError(file, `${key} must be a non-empty string (definition ${String(raw.id)})`)
    return value
  }
  const list = (key: string): string[] => {
    const value = raw[key] ?? []
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new DefinitionError(file, `${key} must be a list of strings`)
    return value as string[]
  }
  const id = text('id') as string
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new DefinitionError(file, `id ${id} must be lower-case letters, digits and dashes`)
  const category = text('category') as Category
  if (!CATEGORIES.includes(category)) throw new DefinitionError(file, `${id}: category must be one of ${CATEGORIES.join(', ')}`)
  const paths = list('paths')
  if (paths.length === 0) throw new DefinitionError(file, `${id}: paths must list at least one pattern`)
  for (const path of paths) {
    if (path.startsWith('/') || path.split('/').includes('..')) throw new DefinitionError(file, `${id}: path ${path} must be relative to the volume root`)
  }
  const attributes = raw.attributes ?? {}
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new DefinitionError(file, `${id}: attributes must be a mapping`)
  return {
    id,
    name: text('name') as string,
    category,
    description: text('description') as string,
    paths,
    companions: list('companions'),
    parser: text('parser', false),
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, String(v)])),
    references: list('references'),
    file,
  }
}

/** Selects definitions by id; unknown ids are a usage error. */
export function selectDefinitions(all: ArtifactDefinition[], ids?: string[]): ArtifactDefinition[] {
  if (!ids || ids.length === 0) return all
  const byId = new Map(all.map((d) => [d.id, d]))
  const unknown = ids.filter((id) => !byId.has(id) && !all.some((d) => d.category === id))
  if (unknown.length > 0) throw new TrawlError(`unknown artifact id or category: ${unknown.join(', ')} (see trawl artifacts list)`)
  return all.filter((d) => ids.includes(d.id) || ids.includes(d.category))
}
