import type {ParsedRecord} from '../parsers/types.js'

/**
 * What the report, the timeline and the exports show of each record type, in the examiner's words.
 * A type not listed here still gets a table (its time, a summary of its fields and its source):
 * nothing a parser produces is left out of the report.
 */

export type CellValue = string | number | null

export interface Column {
  title: string
  /** 'time' columns sort as ISO 8601 text; 'number' numerically; 'text' case-insensitively. */
  kind?: 'text' | 'time' | 'number'
  get(record: ParsedRecord): CellValue
}

export interface RecordView {
  type: string
  title: string
  columns: Column[]
  /** Column title rows are grouped under (chat messages by conversation). */
  groupBy?: string
}

/** Categories of the one-screen summary, by the first part of the record type. */
export const CATEGORY_TITLES: Record<string, string> = {
  browser: 'Browsers',
  chat: 'Chats',
  media: 'Pictures',
  network: 'Network',
  system: 'System',
  registry: 'Registry hives',
  live: 'Live system',
  hash: 'Hash-set matches',
  error: 'Files that could not be parsed',
}

export function categoryOf(type: string): string {
  return type.split('.')[0] ?? type
}

/** A value as one line of text: lists joined, objects as compact JSON, a local time with its UTC value. */
export function cellText(value: unknown): CellValue {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'string' || typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ')
  if (typeof value === 'object') {
    const time = value as {utc?: unknown; local?: unknown}
    if (typeof time.utc === 'string') return time.utc
    if (typeof time.local === 'string') return `${time.local} (local time)`
    return JSON.stringify(value)
  }
  return String(value)
}

const field = (name: string) => (r: ParsedRecord) => cellText(r[name])
const text = (title: string, name: string = title.toLowerCase()): Column => ({title, get: field(name)})
const time = (title: string, name: string): Column => ({title, kind: 'time', get: field(name)})
const number = (title: string, name: string): Column => ({title, kind: 'number', get: (r) => (typeof r[name] === 'number' ? (r[name] as number) : cellText(r[name]))})

const browserOwner: Column[] = [text('Browser', 'browser'), text('User', 'user'), text('Profile', 'profile')]

const VIEWS: RecordView[] = [
  {type: 'browser.visit', title: 'Web visits', columns: [time('Visited (UTC)', 'visitTime'), text('URL', 'url'), text('Title', 'title'), {title: 'How', get: (r) => cellText(r.transition ?? r.visitType)}, text('From URL', 'fromUrl'), number('Visit count', 'visitCount'), ...browserOwner]},
  {type: 'browser.download', title: 'Downloads', columns: [time('Started (UTC)', 'startTime'), time('Ended (UTC)', 'endTime'), text('URL', 'url'), text('Saved as', 'targetPath'), number('Bytes', 'totalBytes'), text('State', 'state'), text('Referrer', 'referrer'), text('MIME type', 'mimeType'), ...browserOwner]},
  {type: 'browser.search', title: 'Searches', columns: [time('Searched (UTC)', 'visitTime'), text('Search terms', 'term'), text('URL', 'url'), ...browserOwner]},
  {type: 'browser.bookmark', title: 'Bookmarks', columns: [time('Added (UTC)', 'dateAdded'), text('Title', 'title'), text('URL', 'url'), text('Folder', 'folderPath'), text('Kind', 'kind'), time('Modified (UTC)', 'lastModified'), ...browserOwner]},
  {type: 'browser.cache', title: 'Internet Explorer cached files', columns: [time('Last accessed (UTC)', 'lastAccessed'), text('URL', 'url'), text('Cached file', 'cachedFile'), number('Bytes', 'fileSize'), time('Modified (UTC)', 'lastModified'), text('Expires', 'expires'), text('Recovered', 'recovered'), text('Leak', 'leak'), ...browserOwner]},
  {type: 'browser.cookie', title: 'Internet Explorer cookies', columns: [time('Last accessed (UTC)', 'lastAccessed'), text('Site', 'host'), text('Cookie file', 'cookieFile'), time('Modified (UTC)', 'lastModified'), text('Expires', 'expires'), text('Recovered', 'recovered'), ...browserOwner]},
  {type: 'browser.redirect', title: 'Internet Explorer redirects', columns: [text('URL', 'url'), text('Recovered', 'recovered'), ...browserOwner]},
  {
    type: 'chat.message',
    title: 'Chat messages',
    groupBy: 'Conversation',
    columns: [text('Conversation', 'conversation'), time('Sent (UTC)', 'sentAt'), text('App', 'app'), text('Account', 'account'), {title: 'Sender', get: (r) => cellText(r.senderName && r.sender ? `${String(r.senderName)} (${String(r.sender)})` : r.sender)}, text('Recipients', 'recipients'), text('Direction', 'direction'), text('Message', 'body'), {title: 'Attachments', get: (r) => cellText((r.attachments as Array<{name?: string | null; path?: string | null; bundlePath?: string | null}> | undefined)?.map((a) => a.bundlePath ?? a.name ?? a.path ?? '?'))}],
  },
  {type: 'chat.conversation', title: 'Chat conversations', columns: [text('Conversation', 'conversation'), text('Title', 'title'), text('App', 'app'), text('Account', 'account'), text('Participants', 'participants'), text('Kind', 'kind'), time('Created (UTC)', 'createdAt'), time('Last activity (UTC)', 'lastActivityAt')]},
  {type: 'chat.call', title: 'Calls', columns: [time('Started (UTC)', 'startedAt'), number('Seconds', 'duration'), text('App', 'app'), text('Account', 'account'), text('Conversation', 'conversation'), text('Participants', 'participants'), text('Direction', 'direction')]},
  {type: 'chat.contact', title: 'Contacts', columns: [text('Handle', 'handle'), text('Name', 'name'), text('App', 'app'), text('Account', 'account'), text('Phones', 'phones'), text('E-mails', 'emails'), text('Country', 'country'), text('City', 'city')]},
  {type: 'chat.transfer', title: 'File transfers', columns: [time('Started (UTC)', 'startedAt'), text('File', 'fileName'), text('Path', 'filePath'), number('Bytes', 'fileSize'), text('Partner', 'partner'), text('Direction', 'direction'), text('Status', 'status'), text('App', 'app'), text('Account', 'account'), text('Conversation', 'conversation')]},
  {type: 'chat.account', title: 'Chat accounts', columns: [text('App', 'app'), text('Account', 'account'), text('Name', 'name'), text('E-mails', 'emails'), text('Phone', 'phone'), text('Country', 'country')]},
  {type: 'chat.backup', title: 'Phone backups', columns: [text('Device', 'deviceName'), text('Product', 'productType'), text('iOS', 'productVersion'), text('Serial', 'serialNumber'), text('Phone number', 'phoneNumber'), time('Last backup (UTC)', 'lastBackupDate'), text('Encrypted', 'encrypted')]},
  {type: 'chat.event', title: 'Chat events (group changes, key changes, timers)', columns: [time('At (UTC)', 'at'), text('App', 'app'), text('Account', 'account'), text('Conversation', 'conversation'), text('Event', 'eventType'), text('Author', 'author'), text('Text', 'body')]},
  {type: 'chat.cache-entry', title: 'Messenger HTTP cache entries (pictures, attachments, API responses)', columns: [time('Response (UTC)', 'responseTime'), text('URL', 'url'), text('App', 'app'), text('User', 'user'), number('Status', 'status'), text('Content type', 'contentType'), {title: 'Bytes', kind: 'number', get: (r) => ((r.body as {size?: number} | undefined)?.size ?? null)}, {title: 'Extracted', get: (r) => cellText((r.body as {extracted?: string | null} | undefined)?.extracted)}, {title: 'SHA-256', get: (r) => cellText((r.body as {storedSha256?: string | null} | undefined)?.storedSha256)}, {title: 'Discord', get: (r) => cellText((r.discord as {kind?: string} | null | undefined)?.kind)}, text('In index', 'reachable'), text('Problems', 'problems')]},
  {type: 'chat.encrypted-store', title: 'Encrypted messenger stores (collected, not read)', columns: [text('App', 'app'), text('User', 'user'), text('Account', 'account'), text('Kind', 'role'), text('Format', 'format'), text('Encrypted', 'encrypted'), text('How', 'encryption'), {title: 'File', get: (r) => cellText((r.source as {file?: string} | undefined)?.file)}, text('Would unlock it', 'unlockWith'), text('Note', 'note')]},
  {type: 'chat.decryption', title: 'Decrypted messenger databases', columns: [text('App', 'app'), text('Cipher', 'cipher'), text('Key from', 'keySource'), number('Pages', 'pages'), number('Damaged pages', 'damagedPages'), number('WAL frames applied', 'walFramesApplied'), {title: 'File', get: (r) => cellText((r.source as {file?: string} | undefined)?.file)}]},
  {
    type: 'media.exif',
    title: 'Pictures (EXIF)',
    columns: [
      time('Taken (UTC)', 'dateTimeOriginal'),
      {title: 'Camera', get: (r) => cellText([r.make, r.model].filter((v) => typeof v === 'string' && v !== '').join(' '))},
      {title: 'Serial', get: (r) => cellText(r.bodySerial ?? r.makerNoteSerial)},
      {title: 'Latitude', kind: 'number', get: (r) => gpsOf(r)?.latitude ?? null},
      {title: 'Longitude', kind: 'number', get: (r) => gpsOf(r)?.longitude ?? null},
      text('Format', 'format'),
      {title: 'Pixels', get: (r) => (r.pixelWidth && r.pixelHeight ? `${String(r.pixelWidth)}x${String(r.pixelHeight)}` : null)},
      text('Software', 'software'),
      text('SHA-256', 'sha256'),
    ],
  },
  {type: 'network.profile', title: 'Networks joined', columns: [text('Network', 'profileName'), text('Category', 'category'), text('Kind', 'nameType'), time('First connected (UTC)', 'dateCreated'), time('Last connected (UTC)', 'dateLastConnected'), text('Gateway MAC', 'defaultGatewayMac'), text('DNS suffix', 'dnsSuffix'), text('Managed', 'managed'), text('Profile GUID', 'profileGuid')]},
  {type: 'network.wlan', title: 'Wi-Fi profiles', columns: [text('SSID', 'ssid'), text('Profile', 'profileName'), text('Authentication', 'authentication'), text('Encryption', 'encryption'), text('Mode', 'connectionMode'), {title: 'Key stored', get: (r) => cellText((r.keyMaterial as {present?: boolean} | undefined)?.present)}, text('Interface', 'interfaceGuid')]},
  {type: 'network.usage', title: 'Network data usage (SRUM)', columns: [time('Recorded (UTC)', 'timestamp'), text('Program', 'app'), text('User', 'user'), text('User SID', 'userSid'), number('Bytes sent', 'bytesSent'), number('Bytes received', 'bytesReceived'), {title: 'Interface', get: (r) => cellText((r.interface as {type?: string} | null)?.type)}, text('SSID', 'ssid'), number('L2 profile', 'l2ProfileId')]},
  {type: 'network.connectivity', title: 'Network connectivity (SRUM)', columns: [time('Recorded (UTC)', 'timestamp'), time('Connected since (UTC)', 'connectStartTime'), number('Seconds connected', 'connectedSeconds'), {title: 'Interface', get: (r) => cellText((r.interface as {type?: string} | null)?.type)}, text('SSID', 'ssid'), number('L2 profile', 'l2ProfileId')]},
  {type: 'system.app-usage', title: 'Application resource usage (SRUM)', columns: [time('Recorded (UTC)', 'timestamp'), text('Program', 'app'), text('User', 'user'), number('Foreground cycles', 'foregroundCycleTime'), number('Background cycles', 'backgroundCycleTime'), number('Foreground bytes read', 'foregroundBytesRead'), number('Foreground bytes written', 'foregroundBytesWritten'), number('Background bytes read', 'backgroundBytesRead'), number('Background bytes written', 'backgroundBytesWritten')]},
  {type: 'ese.database', title: 'ESE databases read', columns: [text('State', 'state'), text('Dirty', 'dirty'), text('Header copy', 'headerCopy'), number('Page size', 'pageSize'), number('Problems', 'problems')]},
  {type: 'network.interface', title: 'Network interfaces', columns: [text('Interface', 'interfaceGuid'), text('DHCP', 'enableDhcp'), {title: 'Address', get: (r) => cellText(r.dhcpIpAddress ?? r.ipAddresses)}, {title: 'Gateway', get: (r) => cellText(r.dhcpDefaultGateways ?? r.defaultGateways)}, text('DHCP server', 'dhcpServer'), {title: 'DNS servers', get: (r) => cellText(r.dhcpNameServers ?? r.nameServers)}, {title: 'Domain', get: (r) => cellText(r.dhcpDomain ?? r.domain)}, time('Lease obtained (UTC)', 'leaseObtainedTime'), time('Key written (UTC)', 'lastWritten')]},
  {type: 'network.rdp', title: 'Remote desktop targets', columns: [text('Host', 'host'), text('User name hint', 'usernameHint'), text('User', 'user'), text('From', 'from'), time('Key written (UTC)', 'lastWritten')]},
  {type: 'network.share', title: 'Mapped network drives', columns: [text('Drive', 'drive'), text('Remote path', 'remotePath'), text('User name', 'userName'), text('User', 'user'), text('From', 'from'), time('Key written (UTC)', 'lastWritten')]},
  {type: 'network.hosts', title: 'hosts file entries', columns: [number('Line', 'line'), text('Address', 'address'), text('Names', 'names'), text('Comment', 'comment'), text('Valid address', 'validAddress')]},
  {type: 'network.wlan-event', title: 'Wi-Fi connections (event log)', columns: [time('Time (UTC)', 'time'), text('Event', 'action'), text('SSID', 'ssid'), text('BSSID', 'bssid'), text('Profile', 'profileName'), text('Interface', 'interfaceDescription'), text('Authentication', 'authentication'), text('Reason', 'reason'), number('Event ID', 'eventId'), text('Computer', 'computer')]},
  {type: 'network.connection-event', title: 'Network connections (event log)', columns: [time('Time (UTC)', 'time'), text('Event', 'action'), text('Network', 'networkName'), text('Description', 'description'), text('Category', 'category'), number('Event ID', 'eventId'), text('Computer', 'computer')]},
  {type: 'network.rdp-event', title: 'Remote desktop sessions (event log)', columns: [time('Time (UTC)', 'time'), text('Direction', 'direction'), text('Event', 'action'), text('Account', 'account'), text('Domain', 'domain'), text('Source address', 'sourceAddress'), text('Server', 'server'), number('Session', 'sessionId'), number('Event ID', 'eventId'), text('Computer', 'computer')]},
  {type: 'system.logon', title: 'Logons (Security event log)', columns: [time('Time (UTC)', 'time'), text('Event', 'action'), text('Logon type', 'logonTypeName'), text('Account', 'account'), text('Domain', 'domain'), text('Source address', 'sourceAddress'), text('Workstation', 'workstation'), text('Logon ID', 'logonId'), number('Event ID', 'eventId'), text('Computer', 'computer')]},
  {type: 'system.computer', title: 'Computer name', columns: [text('Computer name', 'computerName'), text('Host name', 'hostname'), text('Domain', 'domain'), text('Control set', 'controlSet'), time('Key written (UTC)', 'lastWritten')]},
  {type: 'system.timezone', title: 'Time zone', columns: [text('Time zone', 'timeZoneKeyName'), number('Bias (minutes)', 'biasMinutes'), number('Active bias (minutes)', 'activeTimeBiasMinutes'), text('Control set', 'controlSet'), time('Key written (UTC)', 'lastWritten')]},
  {type: 'registry.hive', title: 'Registry hives read', columns: [text('Root key', 'rootKey'), text('Version', 'version'), text('Dirty', 'dirty'), text('Logs applied', 'logsApplied'), time('Last written (UTC)', 'lastWritten')]},
  {
    type: 'hash.match',
    title: 'Hash-set matches',
    columns: [text('File', 'sourcePath'), text('Hash set', 'set'), text('Matched on', 'algorithm'), number('Bytes', 'size'), text('SHA-256', 'sha256'), text('MD5', 'md5')],
  },
  {type: 'error', title: 'Files that could not be parsed', columns: [text('Parser', 'parser'), text('Error', 'error')]},
]

const BY_TYPE = new Map(VIEWS.map((v) => [v.type, v]))

/** Order of the report's tables: the listed types first, in the order above, then any others by name. */
export function viewOrder(types: Iterable<string>): string[] {
  const order = new Map(VIEWS.map((v, i) => [v.type, i]))
  return [...types].sort((a, b) => (order.get(a) ?? 1e6) - (order.get(b) ?? 1e6) || a.localeCompare(b))
}

/** Fields every record has that the generic view does not repeat. */
const SKIP = new Set(['type', 'artifact', 'source'])

export function viewOf(type: string): RecordView {
  const known = BY_TYPE.get(type)
  if (known) return known
  return {
    type,
    title: type,
    columns: [
      {title: 'Time (UTC)', kind: 'time', get: (r) => recordTimes(r)[0]?.time ?? null},
      {title: 'Fields', get: (r) => cellText(JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !SKIP.has(k)))))},
    ],
  }
}

export function gpsOf(record: ParsedRecord): {latitude: number; longitude: number} | undefined {
  const gps = record.gps as {latitude?: unknown; longitude?: unknown} | null | undefined
  if (!gps || typeof gps.latitude !== 'number' || typeof gps.longitude !== 'number') return undefined
  if (!Number.isFinite(gps.latitude) || !Number.isFinite(gps.longitude) || Math.abs(gps.latitude) > 90 || Math.abs(gps.longitude) > 180) return undefined
  return {latitude: gps.latitude, longitude: gps.longitude}
}

/** A UTC time at any precision, as trawl writes them (ISO 8601, Z). */
const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/**
 * Every UTC time a record holds, with the field it came from: top-level strings, and objects
 * carrying a `utc` value (EXIF dates kept with their local time). Local times without a known
 * offset are not UTC and are not placed on a timeline.
 */
export function recordTimes(record: ParsedRecord): Array<{field: string; time: string}> {
  const times: Array<{field: string; time: string}> = []
  for (const [name, value] of Object.entries(record)) {
    if (SKIP.has(name)) continue
    if (typeof value === 'string' && UTC.test(value)) times.push({field: name, time: value})
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const utc = (value as {utc?: unknown}).utc
      if (typeof utc === 'string' && UTC.test(utc)) times.push({field: name, time: utc})
      const nested = (value as {time?: unknown}).time
      if (name === 'gps' && typeof nested === 'string' && UTC.test(nested)) times.push({field: 'gps.time', time: nested})
    }
  }
  return times
}

/** Where a record came from, in one line: file, then table and row, or key and value, or offset. */
export function sourceText(record: ParsedRecord): string {
  const source = record.source ?? {file: typeof record.file === 'string' ? record.file : ''}
  const parts = [source.sourcePath ?? source.file]
  if (source.volume && source.volume !== 'dir') parts[0] = `${source.volume}:${parts[0]}`
  if (source.table) parts.push(`table ${source.table}${source.rowid === undefined ? '' : ` row ${String(source.rowid)}`}`)
  if (source.key) parts.push(`key ${source.key}`)
  if (source.value !== undefined) parts.push(`value ${source.value === '' ? '(default)' : source.value}`)
  if (source.offset !== undefined && !source.table && !source.key) parts.push(`offset ${source.offset}`)
  return parts.join(' | ')
}

/** The bundle path of the copy the record was read from. */
export function copyPath(record: ParsedRecord): string | null {
  if (record.source?.file) return record.source.file
  return typeof record.file === 'string' ? record.file : null
}
