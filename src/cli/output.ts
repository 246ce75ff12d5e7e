import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../common/diagnostics.js';
import { RowBuffer } from '../flows/format-bytes.js';

/** Buffered bytes past which a write goes out. */
const FLUSH_AT = 1 << 16;

/**
 * A buffered, synchronous text writer for standard output or a file. Flows arrive from synchronous
 * callbacks, so writes are synchronous too: memory stays bounded whatever the output speed (a
 * pager, a slow disk), and a closed pipe (`| head`) ends the run quietly, as Unix tools do.
 *
 * Text is encoded into one reused byte buffer as it comes (no strings kept and joined); row
 * writers can also write bytes into {@link TextOutput.rows} directly and then call
 * {@link TextOutput.rowDone}.
 */
export class TextOutput {
  /** Bytes not yet written out. Writers append to it, then call {@link rowDone}. */
  readonly rows = new RowBuffer(FLUSH_AT * 2);
  private readonly fd: number;
  private readonly owned: boolean;
  closedPipe = false;

  constructor(path: string | undefined) {
    if (path && path !== '-') {
      try {
        this.fd = openSync(path, 'w');
      } catch (e) {
        throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code}`);
      }
      this.owned = true;
    } else {
      this.fd = 1;
      this.owned = false;
    }
  }

  write(s: string): void {
    if (this.closedPipe) return;
    this.rows.text(s);
    if (this.rows.pos >= FLUSH_AT) this.flush();
  }

  /** Call after appending to {@link rows}: writes the buffer out once it is full enough. */
  rowDone(): void {
    if (this.closedPipe) this.rows.pos = 0;
    else if (this.rows.pos >= FLUSH_AT) this.flush();
  }

  flush(): void {
    const rows = this.rows;
    if (rows.pos === 0) return;
    if (this.closedPipe) {
      rows.pos = 0;
      return;
    }
    const buf = rows.buf;
    const end = rows.pos;
    rows.pos = 0;
    let off = 0;
    while (off < end) {
      try {
        off += writeSync(this.fd, buf, off, end - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // non-blocking stdout: retry
        if (code === 'EPIPE') {
          this.closedPipe = true;
          return;
        }
        throw e;
      }
    }
  }

  close(): void {
    this.flush();
    if (this.owned) closeSync(this.fd);
  }
}
