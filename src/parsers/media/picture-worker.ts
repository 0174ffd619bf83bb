import {parentPort} from 'node:worker_threads'
import {pictureHash} from './picture-hash.js'

/** A picture thread of picture-pool.ts: hashes the pictures it is sent, one answer per request. */
interface Request {
  id: number
  path: string
  format: string
  size: number
  probes: boolean
}

parentPort?.on('message', (request: Request) => {
  void pictureHash(request.path, request.format, request.size, request.probes).then((result) => parentPort?.postMessage({id: request.id, result}))
})
