import {once} from 'node:events'

/**
 * Gathers a long listing's lines into pieces of about 64 KiB before writing them:
 * stdout to a pipe or a file is written synchronously, one system call per write, so
 * a line at a time made a 100 000-file listing spend more time writing than reading.
 * Waits for the stream to drain when it asks to, so memory stays bounded.
 */
export class BufferedOutput {
  private pending: string[] = []
  private length = 0

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly pieceBytes = 65536,
  ) {}

  /** Adds text; resolves at once unless a full piece had to wait for the stream. */
  async write(text: string): Promise<void> {
    if (this.add(text)) await this.flush()
  }

  /** Adds text without waiting; true when a full piece is ready for flush(). */
  add(text: string): boolean {
    this.pending.push(text)
    this.length += text.length
    return this.length >= this.pieceBytes
  }

  async flush(): Promise<void> {
    if (this.length === 0) return
    const piece = this.pending.join('')
    this.pending = []
    this.length = 0
    if (!this.stream.write(piece)) await once(this.stream, 'drain')
  }
}
