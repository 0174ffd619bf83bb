/**
 * Network artifacts: registry hives (SYSTEM, SOFTWARE, NTUSER.DAT), Wi-Fi profiles
 * and the hosts file. The lead registers `networkParsers` in src/parsers/index.ts.
 */
import type {Parser} from '../types.js'
import {hostsFileParser} from './hosts-file.js'
import {registryNtuserParser} from './registry-ntuser.js'
import {registrySoftwareParser} from './registry-software.js'
import {registrySystemParser} from './registry-system.js'
import {srumParser} from './srum.js'
import {wlanProfileParser} from './wlan-profile.js'

export const networkParsers: Parser[] = [registrySystemParser, registrySoftwareParser, registryNtuserParser, wlanProfileParser, hostsFileParser, srumParser]
