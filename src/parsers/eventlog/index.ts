/**
 * Windows event logs (.evtx): Security logons, Wi-Fi and network connections, remote desktop.
 * Registered in src/parsers/index.ts.
 */
export {eventLogParsers} from './channels.js'
