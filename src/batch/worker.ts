/**
 * One batch item, in its own process (forked by runBatch): collect the item into
 * its bundle, then check the image's stored hashes. A corrupt image that crashes
 * or exhausts this process fails this item only, and each item's memory is
 * returned to the system when it ends, whatever the number of images.
 *
 * Parent -> worker: {type: 'start', job} once, then {type: 'abort'} on Ctrl-C.
 * Worker -> parent: 'progress' messages, then one 'done' or 'failed'.
 */
import {hostname} from 'node:os'
import {openSync, closeSync, writeSync, rmSync} from 'node:fs'
import {ExitCode, InterruptedError, TrawlError, errorMessage} from '../errors.js'
import {signerOptionsFrom} from '../bundle/keys.js'
import {collect, type CollectResult} from '../collect/collect.js'
import {sha256File} from '../collect/run.js'
import {verifyImage} from '../image/verify.js'
import {loadHashSet} from '../hashset/index.js'
import {factsOf} from './summary.js'
import type {ImageCheck, WorkerJob, WorkerMessage} from './protocol.js'

const controller = new AbortController()
const PROGRESS_MS = 250
let started = false

/** Resolves when the message has left (or at once when the parent is gone: then there is nobody to tell). */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve()
    process.send(message, undefined, {}, () => resolve())
  })
}

function abort(): void {
  controller.abort()
}

process.on('SIGINT', abort)
process.on('SIGTERM', abort)
// the batch process died (SIGKILL, crash): seal what was collected as incomplete, and stop
process.on('disconnect', abort)
process.on('message', (message: {type: string; job?: WorkerJob}) => {
  if (message.type === 'abort') abort()
  if (message.type === 'start' && message.job && !started) {
    started = true
    run(message.job).then(
      (code) => finish(code),
      async (error) => {
        await send({type: 'failed', error: errorMessage(error), exitCode: error instanceof TrawlError ? error.exitCode : 1})
        finish(error instanceof TrawlError ? error.exitCode : 1)
      },
    )
  }
})

function finish(code: number): void {
  // the result has left (send awaited): closing the channel lets the process end
  if (process.connected) process.disconnect()
  process.exitCode = code
}

/** A lock beside the bundle, so a restarted batch waits for a worker its killed predecessor left running. */
function takeLock(path: string): () => void {
  const fd = openSync(path, 'wx')
  writeSync(fd, JSON.stringify({pid: process.pid, host: hostname(), at: new Date().toISOString()}))
  closeSync(fd)
  return () => rmSync(path, {force: true})
}

/**
 * Reads the image whole: MD5 and SHA-1 of the media data against the hashes an EWF
 * image stores. Undefined when interrupted (an image of terabytes must not hold up Ctrl-C).
 */
async function checkImage(source: string, storedHashes: ImageCheck['stored'] | undefined): Promise<ImageCheck | undefined> {
  const t1 = Date.now()
  let last = 0
  try {
    const v = await verifyImage(source, {
      // called per EWF chunk (32 KiB): pass on four a second, not thousands
      onProgress: (done, total) => {
        if (controller.signal.aborted) throw new InterruptedError('signal')
        const now = Date.now()
        if (now - last < PROGRESS_MS && done < total) return
        last = now
        void send({type: 'progress', phase: 'image-check', bytes: done, total, elapsedMs: now - t1})
      },
    })
    return {verdict: v.verdict, stored: v.stored, computed: v.computed, mismatches: v.mismatches, durationMs: Date.now() - t1}
  } catch (error) {
    if (controller.signal.aborted) return undefined
    return {verdict: 'error', stored: storedHashes ?? {}, mismatches: [errorMessage(error)], durationMs: Date.now() - t1}
  }
}

async function run(job: WorkerJob): Promise<number> {
  if (job.mode === 'image-check') {
    // the bundle exists and verified (an earlier run was stopped during its image check)
    const imageCheck = await checkImage(job.source, undefined)
    await send({type: 'checked', imageCheck})
    return imageCheck ? ExitCode.ok : ExitCode.interrupted
  }
  const release = takeLock(job.lock)
  try {
    const hashSets = job.hashSets.length > 0 ? await Promise.all(job.hashSets.map((path) => loadHashSet(path))) : undefined
    const t0 = Date.now()
    const result: CollectResult = await collect({
      source: job.source,
      out: job.out,
      caseId: job.caseId,
      examiner: job.examiner,
      evidenceItem: job.evidenceItem,
      notes: job.notes,
      signer: signerOptionsFrom(job),
      targets: job.targets,
      definitionsDir: job.definitions,
      snapshots: job.snapshots,
      triage: job.triage,
      hashSets,
      commandLine: job.commandLine,
      recipients: job.recipients,
      workDir: job.workDir,
      signal: controller.signal,
      onProgress: (p) => void send({type: 'progress', phase: 'collect', bytes: p.bytes, files: p.files, records: p.records, errors: p.errors, artifact: p.artifact, elapsedMs: p.elapsedMs}),
    })
    const description = result.manifest.source
    const imageCheck = result.complete && job.imageCheck && description.kind === 'image' ? await checkImage(job.source, description.storedHashes) : undefined
    // encrypted: the SHA-256 of the file on disk (.zip.p7m), what a later run can compare without the key
    const bundleSha256 = result.encryptedSha256 ?? result.bundleSha256 ?? (await sha256File(result.bundlePath))
    const checkInterrupted = result.complete && job.imageCheck && description.kind === 'image' && imageCheck === undefined
    await send({type: 'done', bundlePath: result.bundlePath, bundleSha256, facts: factsOf(result.manifest), imageCheck, checkInterrupted, durationMs: Date.now() - t0})
    return result.complete ? ExitCode.ok : ExitCode.interrupted
  } finally {
    release()
  }
}
