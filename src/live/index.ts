/** Live network state (`trawl collect --live`). */
export {collectLiveNetworkState, type LiveNetworkState, type LiveOptions, type LiveOutputFile, type LiveOutputMetadata} from './collect.js'
export {linuxLiveCommands, windowsLiveCommands, type LiveCommand} from './commands.js'
