/**
 * Registers every parser. Each family's module exports its parsers; add one line per family.
 */
import {browserParsers} from './browser/index.js'
import {chatFileReporters, chatParsers} from './chat/index.js'
import {discordParser} from './chat/discord.js'
import {discordCacheParser} from './chat/discord-cache.js'
import {eventLogParsers} from './eventlog/index.js'
import {mediaParsers} from './media/index.js'
import {networkParsers} from './network/index.js'
import {registerParser} from './registry.js'
import type {Parser} from './types.js'

const families: Parser[][] = [browserParsers, chatParsers, [discordParser, discordCacheParser], chatFileReporters, mediaParsers, networkParsers, eventLogParsers]

let registered = false
export function registerAllParsers(): void {
  if (registered) return
  registered = true
  for (const family of families) for (const parser of family) registerParser(parser)
}

export {getParser, parserIds} from './registry.js'
