/**
 * Chat databases: Skype classic, Viber, iPhone backups (Messages, WhatsApp), Apple Messages
 * and WhatsApp iOS databases found as files, Android WhatsApp, SMS/MMS and Google Messages,
 * Skype 8+ s4l databases, Signal Desktop (SQLCipher, decrypted natively), Microsoft Teams and Slack Desktop (IndexedDB);
 * WhatsApp Desktop and Telegram Desktop files reported as the encrypted stores they are.
 */
import type {Parser} from '../types.js'
import {encryptedAppFileParser} from './encrypted-app-files.js'
import {androidSmsParser, googleMessagesParser} from './android-messages.js'
import {messagesDbParser} from './imessage.js'
import {iphoneBackupParser} from './iphone-backup.js'
import {signalDesktopParser} from './signal-desktop.js'
import {skypeMainParser} from './skype-main.js'
import {skypeS4lParser} from './skype-s4l.js'
import {slackIndexedDbParser, slackLocalStorageParser, slackRootStateParser} from './slack.js'
import {teamsIndexedDbParser} from './teams.js'
import {viberAndroidParser, viberDesktopParser} from './viber.js'
import {webStorageParser} from './web-storage.js'
import {whatsAppAndroidParser} from './whatsapp-android.js'
import {whatsAppChatStorageParser} from './whatsapp-ios.js'

export const chatParsers: Parser[] = [skypeMainParser, viberDesktopParser, viberAndroidParser, iphoneBackupParser, messagesDbParser, whatsAppChatStorageParser, whatsAppAndroidParser, androidSmsParser, googleMessagesParser, signalDesktopParser, skypeS4lParser, teamsIndexedDbParser, slackIndexedDbParser, slackRootStateParser, slackLocalStorageParser, webStorageParser]

/** Not readers: they report messenger files trawl collects but cannot read (so they refuse nothing). */
export const chatFileReporters: Parser[] = [encryptedAppFileParser]
