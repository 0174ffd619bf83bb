/** Browser history parsers: one Chromium parser for the whole family, and Firefox's two. */
import type {Parser} from '../types.js'
import {chromiumHistoryParser} from './chromium.js'
import {firefoxDownloadsParser, firefoxPlacesParser} from './firefox.js'
import {internetExplorerIndexParser} from './internet-explorer.js'
import {webcacheParser} from './webcache.js'

export {chromiumHistoryParser} from './chromium.js'
export {firefoxDownloadsParser, firefoxPlacesParser} from './firefox.js'

export {internetExplorerIndexParser} from './internet-explorer.js'

export const browserParsers: Parser[] = [chromiumHistoryParser, firefoxPlacesParser, firefoxDownloadsParser, internetExplorerIndexParser, webcacheParser]
