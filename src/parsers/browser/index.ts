/** Browser history parsers: one Chromium parser for the whole family, and Firefox's. */
import type {Parser} from '../types.js'
import {chromiumHistoryParser} from './chromium.js'

export const browserParsers: Parser[] = [chromiumHistoryParser]
