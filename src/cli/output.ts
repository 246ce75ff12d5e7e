import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../common/diagnostics.js';

/**
 * A buffered, synchronous text writer for standard output or a file. Flows arrive from synchronous
 * callbacks, so writes are synchronous too: memory stays bounded whatever the output speed (a
 * pager, a slow disk), and a closed pipe (`| head`) ends the run quietly, as Unix tools do.
 */
export class TextOutput {
  private parts: string[] = [];
  private size = 0;
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
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0 || this.closedPipe) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
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
