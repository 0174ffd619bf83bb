import type {CommandRunner, ProcessResult} from '../../src/live/collect.js'

/** A stand-in for running a command: every call gets `stdout` (and `overrides`), and is recorded. */
export function answering(stdout: string, overrides: Partial<ProcessResult> = {}): {runner: CommandRunner; calls: Array<{file: string; args: string[]; timeoutMs: number}>} {
  const calls: Array<{file: string; args: string[]; timeoutMs: number}> = []
  const runner: CommandRunner = async (file, args, timeoutMs) => {
    calls.push({file, args, timeoutMs})
    return {stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, signal: null, timedOut: false, error: null, ...overrides}
  }
  return {runner, calls}
}
