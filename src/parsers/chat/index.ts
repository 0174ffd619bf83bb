/**
 * Chat databases: Skype classic, Viber, iPhone backups (Messages, WhatsApp), Apple Messages
 * and WhatsApp iOS databases found as files, Android WhatsApp, SMS/MMS and Google Messages,
 * Microsoft Teams (IndexedDB).
 */
import type {Parser} from '../types.js'
import {androidSmsParser, googleMessagesParser} from './android-messages.js'
import {messagesDbParser} from './imessage.js'
import {iphoneBackupParser} from './iphone-backup.js'
import {skypeMainParser} from './skype-main.js'
import {teamsIndexedDbParser} from './teams.js'
import {viberAndroidParser, viberDesktopParser} from './viber.js'
import {whatsAppAndroidParser} from './whatsapp-android.js'
import {whatsAppChatStorageParser} from './whatsapp-ios.js'

export const chatParsers: Parser[] = [skypeMainParser, viberDesktopParser, viberAndroidParser, iphoneBackupParser, messagesDbParser, whatsAppChatStorageParser, whatsAppAndroidParser, androidSmsParser, googleMessagesParser, teamsIndexedDbParser]
