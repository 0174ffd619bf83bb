import {Flags} from '@oclif/core'
import {loadDefinitions} from '../../src/artifacts/definition.js'
import {TrawlCommand} from '../../src/cli/command.js'
import {renderArtifacts} from '../../src/cli/render.js'
import {getParser, registerAllParsers} from '../../src/parsers/index.js'

export default class ArtifactsList extends TrawlCommand {
  static override summary = 'List the artifact definitions trawl collects'
  static override flags = {
    definitions: Flags.string({description: 'folder of artifact definitions (YAML) instead of the shipped ones'}),
    json: Flags.boolean({description: 'print JSON'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ArtifactsList)
    registerAllParsers()
    const definitions = loadDefinitions(flags.definitions)
    const available = (id: string) => getParser(id) !== undefined
    if (flags.json) this.printJson(definitions.map((d) => ({...d, parserAvailable: d.parser ? available(d.parser) : false})))
    else this.print(definitions, (safe) => renderArtifacts(safe, available))
  }
}
