import {realpathSync, statSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {isAbsolute, relative, resolve} from 'node:path'
import {DirectoryFileSystem} from '../fs/directory.js'
import type {EvidenceSource, SourceOpener} from './types.js'

/** A directory is a source with one volume: a mounted image, or a live drive's root. */
export const directoryOpener: SourceOpener = {
  name: 'directory',
  async detect(path) {
    return (await stat(path)).isDirectory()
  },
  async open(path) {
    const root = resolve(path)
    const source: EvidenceSource = {
      description: {kind: 'directory', path: root},
      volumes: [{id: 'dir', description: {scheme: 'directory', fileSystem: 'directory'}, fs: new DirectoryFileSystem(root)}],
      outputConflict(directory) {
        const real = realpathSync(root)
        const inside = relative(real, directory)
        return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside)) ? `inside the evidence source ${real}` : undefined
      },
      sharedFileSystem(directory) {
        const real = realpathSync(root)
        const device = statSync(real).dev
        return statSync(directory).dev === device ? `on the same file system as the evidence source ${real} (device ${device})` : undefined
      },
      async close() {},
    }
    return source
  },
}
