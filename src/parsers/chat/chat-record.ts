/**
 * The record shapes every chat parser yields, so an examiner filtering a bundle for
 * 'chat.message' gets the same fields whichever messenger wrote them.
 */
import type {ParsedRecord, RecordSource} from '../types.js'

export type Direction = 'incoming' | 'outgoing'

/** A file a message refers to. bundlePath/sha256 are set only when the file itself was found and collected. */
export interface ChatAttachment {
  name: string | null
  /** The path as the app stored it (e.g. '~/Library/SMS/Attachments/..', 'Media/..'). */
  path: string | null
  mimeType?: string | null
  size?: number | null
  bundlePath: string | null
  sha256: string | null
}

export interface ChatMessageFields {
  app: string
  account: string | null
  conversation: string | null
  sender: string | null
  recipients: string[]
  direction: Direction | null
  sentAt: string | null
  body: string | null
  attachments: ChatAttachment[]
  [extra: string]: unknown
}

export function chatMessage(source: RecordSource, fields: ChatMessageFields): ParsedRecord {
  return {type: 'chat.message', source, ...fields}
}

export interface ChatCallFields {
  app: string
  account: string | null
  conversation: string | null
  participants: string[]
  direction: Direction | null
  startedAt: string | null
  /** Seconds. */
  duration: number | null
  [extra: string]: unknown
}

export function chatCall(source: RecordSource, fields: ChatCallFields): ParsedRecord {
  return {type: 'chat.call', source, ...fields}
}

export interface ChatContactFields {
  app: string
  account: string | null
  /** The contact's handle in the app (Skype name, phone number, JID). */
  handle: string | null
  name: string | null
  [extra: string]: unknown
}

export function chatContact(source: RecordSource, fields: ChatContactFields): ParsedRecord {
  return {type: 'chat.contact', source, ...fields}
}

export interface ChatConversationFields {
  app: string
  account: string | null
  conversation: string | null
  title: string | null
  participants: string[]
  [extra: string]: unknown
}

export function chatConversation(source: RecordSource, fields: ChatConversationFields): ParsedRecord {
  return {type: 'chat.conversation', source, ...fields}
}

export interface ChatTransferFields {
  app: string
  account: string | null
  conversation: string | null
  partner: string | null
  direction: Direction | null
  fileName: string | null
  filePath: string | null
  fileSize: number | null
  status: string | number | null
  startedAt: string | null
  [extra: string]: unknown
}

export function chatTransfer(source: RecordSource, fields: ChatTransferFields): ParsedRecord {
  return {type: 'chat.transfer', source, ...fields}
}

/** SQLite values come back as number | bigint | string | Buffer | null: these narrow them. */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return null
}

export function nonEmpty(value: unknown): string | null {
  const s = text(value)
  return s === null || s === '' ? null : s
}

export function integer(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim())
  return null
}

/** Time values for the converters in src/time.ts (which reject strings). */
export function timeValue(value: unknown): number | bigint | null {
  if (typeof value === 'number' || typeof value === 'bigint') return value
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim())
  return null
}

/** Runs a time converter and keeps a value it cannot convert visible instead of throwing the whole file away. */
export function safeTime(convert: (v: number | bigint) => string | null, value: unknown): string | null {
  const v = timeValue(value)
  if (v === null) return null
  try {
    return convert(v)
  } catch {
    return null
  }
}

/** Column names of `table` joined into a select list, only those that exist (schema versions differ). */
export function pick(columns: Set<string>, wanted: string[], alias?: string): string {
  const prefix = alias ? `${alias}.` : ''
  return wanted.map((c) => (columns.has(c.toLowerCase()) ? `${prefix}"${c}"` : `NULL`) + ` AS "${c}"`).join(', ')
}
