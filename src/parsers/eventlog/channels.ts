/**
 * The event-log channels trawl reads, and what each event id of theirs means to an
 * examiner. Field names are the EventData/UserData names Windows writes (Security
 * auditing schema; the WLAN AutoConfig, NetworkProfile and TerminalServices manifests as
 * libyal/winevt-kb and Microsoft's audit documentation list them).
 */
import type {Parser, ParserInput} from '../types.js'
import {acceptsEvtx, type ChannelReader, type EventHandler, pick, pickInt, readEventLog} from './event-log.js'

/** Logon types of the Security auditing events (4624 and others), as Microsoft names them. */
const LOGON_TYPES: Record<number, string> = {
  0: 'System',
  2: 'Interactive',
  3: 'Network',
  4: 'Batch',
  5: 'Service',
  7: 'Unlock',
  8: 'NetworkCleartext',
  9: 'NewCredentials',
  10: 'RemoteInteractive',
  11: 'CachedInteractive',
  12: 'CachedRemoteInteractive',
  13: 'CachedUnlock',
}

const logonEvent =
  (action: string): EventHandler =>
  (e) => {
    const logonType = pickInt(e, 'LogonType')
    return {
      action,
      logonType,
      logonTypeName: logonType === null ? null : (LOGON_TYPES[logonType] ?? null),
      account: pick(e, 'TargetUserName', 'AccountName'),
      domain: pick(e, 'TargetDomainName', 'AccountDomain'),
      sid: pick(e, 'TargetUserSid'),
      logonId: pick(e, 'TargetLogonId', 'LogonID'),
      sourceAddress: pick(e, 'IpAddress', 'ClientAddress'),
      sourcePort: pickInt(e, 'IpPort'),
      workstation: pick(e, 'WorkstationName', 'ClientName'),
      sessionName: pick(e, 'SessionName'),
      logonProcess: pick(e, 'LogonProcessName'),
      authenticationPackage: pick(e, 'AuthenticationPackageName'),
      process: pick(e, 'ProcessName'),
      subjectAccount: pick(e, 'SubjectUserName'),
      subjectDomain: pick(e, 'SubjectDomainName'),
      subjectLogonId: pick(e, 'SubjectLogonId'),
      ...(action === 'logon-failed' ? {status: pick(e, 'Status'), subStatus: pick(e, 'SubStatus'), failureReason: pick(e, 'FailureReason')} : {}),
    }
  }

export const securityLog: ChannelReader = {
  parser: 'eventlog-security',
  readAs: 'Security event log: logons, failed logons, logoffs, session reconnects and disconnects',
  type: 'system.logon',
  providers: ['Microsoft-Windows-Security-Auditing'],
  handlers: {
    4624: logonEvent('logon'),
    4625: logonEvent('logon-failed'),
    4634: logonEvent('logoff'),
    4647: logonEvent('logoff-initiated'),
    4778: logonEvent('session-reconnected'),
    4779: logonEvent('session-disconnected'),
  },
}

const wlanEvent =
  (action: string): EventHandler =>
  (e) => ({
    action,
    ssid: pick(e, 'SSID'),
    profileName: pick(e, 'ProfileName'),
    bssid: pick(e, 'BSSID', 'PeerMac', 'Bssid'),
    interfaceGuid: pick(e, 'InterfaceGuid'),
    interfaceDescription: pick(e, 'InterfaceDescription'),
    localMac: pick(e, 'LocalMac'),
    connectionMode: pick(e, 'ConnectionMode'),
    bssType: pick(e, 'BSSType'),
    phyType: pick(e, 'PHYType'),
    authentication: pick(e, 'AuthenticationAlgorithm'),
    encryption: pick(e, 'CipherAlgorithm'),
    oneXEnabled: pick(e, 'OnexEnabled'),
    connectionId: pick(e, 'ConnectionId'),
    reason: pick(e, 'Reason', 'FailureReason'),
    reasonCode: pick(e, 'ReasonCode'),
  })

export const wlanLog: ChannelReader = {
  parser: 'eventlog-wlan',
  readAs: 'WLAN AutoConfig operational log: Wi-Fi connections and disconnections',
  type: 'network.wlan-event',
  providers: ['Microsoft-Windows-WLAN-AutoConfig'],
  handlers: {
    8000: wlanEvent('connecting'),
    8001: wlanEvent('connected'),
    8002: wlanEvent('connect-failed'),
    8003: wlanEvent('disconnected'),
    11000: wlanEvent('association-started'),
    11001: wlanEvent('association-succeeded'),
    11002: wlanEvent('association-failed'),
  },
}

const profileEvent =
  (action: string): EventHandler =>
  (e) => ({
    action,
    networkName: pick(e, 'Name'),
    description: pick(e, 'Description'),
    profileGuid: pick(e, 'Guid'),
    networkType: pick(e, 'Type'),
    state: pick(e, 'State'),
    category: pick(e, 'Category'),
  })

export const networkProfileLog: ChannelReader = {
  parser: 'eventlog-network-profile',
  readAs: 'NetworkProfile operational log: networks connected and disconnected, by name',
  type: 'network.connection-event',
  providers: ['Microsoft-Windows-NetworkProfile'],
  handlers: {10000: profileEvent('connected'), 10001: profileEvent('disconnected')},
}

const incoming =
  (action: string): EventHandler =>
  (e) => ({
    direction: 'incoming',
    action,
    account: pick(e, 'Param1', 'User'),
    domain: pick(e, 'Param2'),
    sourceAddress: pick(e, 'Param3', 'Address'),
    sessionId: pickInt(e, 'SessionID'),
    server: null,
  })

export const rdpRemoteConnectionLog: ChannelReader = {
  parser: 'eventlog-rdp-remote-connection',
  readAs: 'TerminalServices RemoteConnectionManager operational log: remote desktop users authenticated (1149)',
  type: 'network.rdp-event',
  providers: ['Microsoft-Windows-TerminalServices-RemoteConnectionManager'],
  handlers: {1149: incoming('authenticated')},
}

export const rdpLocalSessionLog: ChannelReader = {
  parser: 'eventlog-rdp-local-session',
  readAs: 'TerminalServices LocalSessionManager operational log: remote desktop session logon, shell start, disconnect, reconnect',
  type: 'network.rdp-event',
  providers: ['Microsoft-Windows-TerminalServices-LocalSessionManager'],
  handlers: {21: incoming('session-logon'), 22: incoming('shell-start'), 23: incoming('session-logoff'), 24: incoming('session-disconnected'), 25: incoming('session-reconnected')},
}

const outgoing =
  (action: string): EventHandler =>
  (e) => ({direction: 'outgoing', action, server: pick(e, 'Value'), account: null, domain: null, sourceAddress: null, sessionId: null})

export const rdpClientLog: ChannelReader = {
  parser: 'eventlog-rdp-client',
  readAs: 'TerminalServices RDPClient operational log: outgoing remote desktop connections',
  type: 'network.rdp-event',
  providers: ['Microsoft-Windows-TerminalServices-ClientActiveXCore', 'Microsoft-Windows-TerminalServices-RDPClient'],
  handlers: {1024: outgoing('connecting'), 1102: outgoing('connection-initiated')},
}

function channelParser(reader: ChannelReader, description: string): Parser {
  return {
    id: reader.parser,
    description,
    accepts: acceptsEvtx,
    parse: (input: ParserInput) => readEventLog(input, reader),
  }
}

export const eventLogParsers: Parser[] = [
  channelParser(securityLog, 'Security.evtx: logons (4624), failed logons (4625), logoffs (4634, 4647), session reconnect/disconnect (4778, 4779) with logon type, account, source address, logon id'),
  channelParser(wlanLog, 'WLAN AutoConfig operational log: Wi-Fi connected, disconnected, failed (SSID, BSSID where logged, interface)'),
  channelParser(networkProfileLog, 'NetworkProfile operational log: network connected (10000) and disconnected (10001) with its name'),
  channelParser(rdpRemoteConnectionLog, 'RemoteConnectionManager operational log: remote desktop authentication (1149) with user and source address'),
  channelParser(rdpLocalSessionLog, 'LocalSessionManager operational log: remote desktop sessions (21, 22, 23, 24, 25) with user and source address'),
  channelParser(rdpClientLog, 'RDPClient operational log: outgoing remote desktop connections (1024, 1102) with the server'),
]
