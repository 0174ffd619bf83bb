/**
 * Typed errors. Each carries the exit code the CLI returns for it, and where it
 * applies the offset or path that was wrong, so the examiner gets one clear line.
 */

/** Exit codes, documented in docs/bundle-format.md ("Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** verify: the bundle is not valid (tampered, incomplete, bad signature). */
  invalid: 1,
  /** Usage error, or input that cannot be used at all (not a ZIP, truncated bundle). */
  unusable: 2,
  /** The evidence source is missing or unreadable. */
  source: 3,
  /** The output cannot be written (unwritable folder, full disk). */
  output: 4,
  /** The passphrase does not open the key. */
  passphrase: 5,
  /** The key or certificate is corrupt, mismatched or of the wrong kind. */
  key: 6,
  /** The evidence image is corrupt or of a format trawl does not read. */
  image: 7,
  /** A batch finished with at least one failed item. */
  partial: 8,
  /** verify: intact and correctly signed, but the signer was not checked against a trusted certificate (no --cert or --ca). */
  untrusted: 9,
  /** Interrupted by a signal (128 + SIGINT). */
  interrupted: 130,
} as const

export class TrawlError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number = ExitCode.unusable, options?: {cause?: unknown}) {
    super(message, options)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

export class UsageError extends TrawlError {
  constructor(message: string) {
    super(message, ExitCode.unusable)
  }
}

export class SourceNotFoundError extends TrawlError {
  constructor(readonly path: string, reason = 'does not exist') {
    super(`evidence source ${path} ${reason}`, ExitCode.source)
  }
}

export class OutputNotWritableError extends TrawlError {
  constructor(readonly path: string, reason: string) {
    super(`cannot write output ${path}: ${reason}`, ExitCode.output)
  }
}

export class WrongPassphraseError extends TrawlError {
  constructor(readonly path: string) {
    super(`the passphrase does not open the key ${path}`, ExitCode.passphrase)
  }
}

export class KeyFormatError extends TrawlError {
  constructor(readonly path: string, reason: string) {
    super(`unusable key or certificate ${path}: ${reason}`, ExitCode.key)
  }
}

/** A bundle that cannot be read as a ZIP at all (truncated, not a ZIP). */
export class CorruptBundleError extends TrawlError {
  constructor(readonly path: string, reason: string, readonly offset?: number) {
    super(`unusable bundle ${path}: ${reason}${offset === undefined ? '' : ` (at byte ${offset})`}`, ExitCode.unusable)
  }
}

/** Evidence bytes that do not follow their format: carries the offset that was wrong. */
export class CorruptImageError extends TrawlError {
  constructor(message: string, readonly offset?: number, options?: {cause?: unknown}) {
    super(offset === undefined ? message : `${message} (at offset ${offset})`, ExitCode.image, options)
  }
}

export class UnsupportedFormatError extends TrawlError {
  constructor(message: string) {
    super(message, ExitCode.image)
  }
}

/**
 * A virtual disk whose parent (QCOW2 backing file, VMDK parent, a split extent) is not
 * where the image names it: the image alone is not the whole disk, so it is not read.
 */
export class MissingBackingFileError extends TrawlError {
  constructor(
    readonly imagePath: string,
    readonly backingPath: string,
    reason = 'does not exist',
  ) {
    super(`${imagePath} needs ${backingPath}, which ${reason}; put it where the image names it (or beside the image) and open the image again`, ExitCode.source)
  }
}

export class FileNotFoundError extends TrawlError {
  constructor(readonly path: string) {
    super(`no such file: ${path}`, ExitCode.source)
  }
}

/** A parser met data that does not follow the format it reads (truncated, malformed, wrong app). */
export class ParseError extends TrawlError {
  constructor(message: string, readonly location?: string, options?: {cause?: unknown}) {
    super(location ? `${message} (${location})` : message, ExitCode.unusable, options)
  }
}

export class InterruptedError extends TrawlError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, ExitCode.interrupted)
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
