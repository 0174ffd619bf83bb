import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadDefinitions} from '../../src/artifacts/definition.js'
import {matchPath} from '../../src/artifacts/pattern.js'
import {getParser, registerAllParsers} from '../../src/parsers/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

registerAllParsers()
const definitions = loadDefinitions(join(REPO_ROOT, 'artifacts')).filter((d) => d.parser?.startsWith('eventlog-') || d.parser === 'internet-explorer-index')

function whoMatches(path: string): Array<{id: string; captures: Record<string, string>}> {
  return definitions.flatMap((d) => d.paths.flatMap((p) => {
    const captures = matchPath(p, path)
    return captures ? [{id: d.id, captures}] : []
  }))
}

describe('event-log and index.dat definitions', () => {
  it('every definition names a registered parser that checks the file signature', () => {
    expect(definitions.map((d) => d.id).sort()).toEqual(['eventlog-network-profile', 'eventlog-rdp-client', 'eventlog-rdp-local-session', 'eventlog-rdp-remote-connection', 'eventlog-security', 'eventlog-wlan', 'ie-cache', 'ie-cookies', 'ie-history'])
    for (const d of definitions) expect(getParser(d.parser!)?.accepts, d.id).toBeTypeOf('function')
  })

  const cases: Array<[string, string, Record<string, string>]> = [
    ['Windows/System32/winevt/Logs/Security.evtx', 'eventlog-security', {}],
    ['WINDOWS/system32/winevt/logs/security.evtx', 'eventlog-security', {}],
    ['Windows/System32/winevt/Logs/Microsoft-Windows-WLAN-AutoConfig%4Operational.evtx', 'eventlog-wlan', {}],
    ['Windows/System32/winevt/Logs/Microsoft-Windows-NetworkProfile%4Operational.evtx', 'eventlog-network-profile', {}],
    ['Windows/System32/winevt/Logs/Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx', 'eventlog-rdp-remote-connection', {}],
    ['Windows/System32/winevt/Logs/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx', 'eventlog-rdp-local-session', {}],
    ['Windows/System32/winevt/Logs/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx', 'eventlog-rdp-client', {}],
    ['Users/ana/AppData/Local/Microsoft/Windows/History/History.IE5/index.dat', 'ie-history', {user: 'ana'}],
    ['Users/ana/AppData/Local/Microsoft/Windows/History/Low/History.IE5/index.dat', 'ie-history', {user: 'ana'}],
    ['Documents and Settings/bob/Local Settings/History/History.IE5/index.dat', 'ie-history', {user: 'bob'}],
    ['Users/ana/AppData/Local/Microsoft/Windows/Temporary Internet Files/Content.IE5/index.dat', 'ie-cache', {user: 'ana'}],
    ['Documents and Settings/bob/Local Settings/Temporary Internet Files/Content.IE5/index.dat', 'ie-cache', {user: 'bob'}],
    ['Users/ana/AppData/Roaming/Microsoft/Windows/Cookies/index.dat', 'ie-cookies', {user: 'ana'}],
    ['Documents and Settings/bob/Cookies/index.dat', 'ie-cookies', {user: 'bob'}],
  ]
  for (const [path, id, captures] of cases) {
    it(`${path} is ${id}`, () => {
      expect(whoMatches(path)).toEqual([{id, captures}])
    })
  }

  it('does not take other logs or the daily History files (not read yet)', () => {
    for (const path of ['Windows/System32/winevt/Logs/System.evtx', 'Windows/System32/winevt/Logs/Microsoft-Windows-WLAN-AutoConfig%4Diagnostic.evtx', 'Users/ana/AppData/Local/Microsoft/Windows/History/History.IE5/MSHist012015082520150826/index.dat']) {
      expect(whoMatches(path)).toEqual([])
    }
  })
})
