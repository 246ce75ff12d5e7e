import { formatCount } from '../common/count.js';
/**
 * A progress bar on stderr, as tshark-style tools users know: files, bytes, flows, rate and ETA.
 * Shown only when stderr is a terminal and `--quiet` is off; redrawn at most 5 times a second from a
 * timer (readers await I/O per chunk, so the timer gets its turn even in a long file).
 */
export interface ProgressState {
  filesDone: number;
  filesTotal: number;
  /** Bytes of input consumed (compressed bytes for .gz), across files. */
  bytesDone: number;
  bytesTotal: number;
  flows: number;
  currentFile: string;
}

export class ProgressBar {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private lastWidth = 0;

  constructor(
    private readonly state: ProgressState,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** True when a bar should be drawn for this stream. */
  static wanted(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): boolean {
    return !quiet && stream.isTTY === true && process.env.TERM !== 'dumb';
  }

  start(): void {
    this.timer = setInterval(() => this.draw(), 200);
    this.timer.unref();
  }

  /** Clears the bar; call before printing anything else and at the end. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  clear(): void {
    if (this.lastWidth > 0) this.stream.write('\r' + ' '.repeat(this.lastWidth) + '\r');
    this.lastWidth = 0;
  }

  draw(): void {
    const s = this.state;
    const cols = Math.max(40, (this.stream.columns || 80) - 1); // 0 when the terminal does not say
    const frac = s.bytesTotal > 0 ? Math.min(1, s.bytesDone / s.bytesTotal) : 0;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? s.bytesDone / elapsed : 0;
    const eta = rate > 0 && s.bytesTotal > 0 ? (s.bytesTotal - s.bytesDone) / rate : NaN;
    const text =
      ` ${(frac * 100).toFixed(0).padStart(3)}% files ${s.filesDone}/${s.filesTotal}` +
      ` ${formatBytes(s.bytesDone)}/${formatBytes(s.bytesTotal)} ${formatBytes(rate)}/s` +
      ` flows ${formatCount(s.flows)} ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '--'}`;
    const barWidth = Math.max(10, Math.min(30, cols - text.length - 2));
    const filled = Math.round(frac * barWidth);
    let line = '[' + '#'.repeat(filled) + '-'.repeat(barWidth - filled) + ']' + text;
    if (line.length > cols) line = line.slice(0, cols);
    this.stream.write('\r' + line + (line.length < this.lastWidth ? ' '.repeat(this.lastWidth - line.length) : ''));
    this.lastWidth = line.length;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n.toFixed(0)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
