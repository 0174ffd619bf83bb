import type {Parser} from './types.js'

/**
 * The one place parsers register. A definition names a parser by id; adding a
 * parser means adding its module and one line here.
 */
const parsers = new Map<string, Parser>()

export function registerParser(parser: Parser): void {
  if (parsers.has(parser.id)) throw new Error(`parser ${parser.id} registered twice`)
  parsers.set(parser.id, parser)
}

export function getParser(id: string): Parser | undefined {
  return parsers.get(id)
}

export function parserIds(): string[] {
  return [...parsers.keys()].sort()
}
