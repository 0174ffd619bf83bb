/**
 * Chat databases: Skype classic, Viber, iPhone backups (Messages, WhatsApp) and Android WhatsApp.
 */
import type {Parser} from '../types.js'
import {skypeMainParser} from './skype-main.js'

export const chatParsers: Parser[] = [skypeMainParser]
