import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../common/diagnostics.js';
import { describeError } from './chunk-reader.js';
import type { ByteInput, InputFormat } from './types.js';

/** Size of each read from a plain file: large reads keep syscall and promise overhead negligible. */
export const READ_CHUNK_BYTES = 1024 * 1024;
/** How many leading (decompressed) bytes {@link ByteInput.head} holds for sniffing. */
export const HEAD_BYTES = 4096;

/** A {@link ByteInput} that can be released early (closes the file when the chunks were not read to the end). */
export interface OpenedInput extends ByteInput {
  /** Ends reading: closes the file and stops decompression. Idempotent. */
  close(): Promise<void>;
}

/** Test and embedding hooks for {@link openInput}. */
export interface OpenInputOptions {
  /** What `-` reads instead of `process.stdin`. */
  stdin?: AsyncIterable<Uint8Array>;
}

/**
 * Opens a file (or `-`, standard input) for reading as a stream of chunks.
 *
 * Plain files are read through one FileHandle in {@link READ_CHUNK_BYTES} chunks into two
 * preallocated buffers that alternate (the next read runs while the current chunk is parsed); a
 * chunk is valid until the consumer pulls the next one. Gzip is recognised by its magic bytes 1f 8b, never by the name, and
 * decompressed on the fly; a corrupt or truncated gzip stream ends the chunks with an
 * {@link InputError} `input_gzip_corrupt` whose offset is the decompressed byte count reached (the
 * bytes before it are delivered).
 *
 * @throws InputError `input_unreadable` (offset -1) when the file cannot be opened or read, with a
 *   one-line message such as `cannot read x.pcap: no such file`; `input_gzip_corrupt` when the
 *   file starts like gzip but yields not even one byte.
 */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  if (path === '-') return openInputStream('-', options.stdin ?? process.stdin);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    const st = await fh.stat();
    // open(2) succeeds on a directory on Linux; reading it fails later with EISDIR.
    if (st.isDirectory()) throw new InputError('input_unreadable', path, -1, `cannot read ${path}: is a directory`);
    const consumed = { bytes: 0 };
    const raw = readFileChunks(fh, consumed);
    return await openRaw(path, raw, st.isFile() ? st.size : undefined, consumed);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e instanceof InputError ? e : unreadable(path, e);
  }
}

/**
 * Like {@link openInput} for an already open byte stream (standard input, a socket, a test's
 * generator). Chunks of `source` are kept as they are (a stream hands out fresh buffers).
 */
export async function openInputStream(name: string, source: AsyncIterable<Uint8Array>, size?: number): Promise<OpenedInput> {
  const consumed = { bytes: 0 };
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      consumed.bytes += bytes.length;
      yield bytes;
    }
  }
  try {
    return await openRaw(name, counted(), size, consumed);
  } catch (e) {
    throw e instanceof InputError ? e : unreadable(name, e);
  }
}

/**
 * Ends an input's iteration early so its file is closed, for a caller that decided not to read it
 * (unknown format). Works for any {@link ByteInput}: it ends the chunks iteration.
 */
export async function closeInput(input: ByteInput): Promise<void> {
  const closable = input as Partial<OpenedInput>;
  if (typeof closable.close === 'function') {
    await closable.close();
    return;
  }
  await input.chunks[Symbol.asyncIterator]().return?.();
}

function unreadable(path: string, e: unknown): InputError {
  const code = (e as { code?: unknown } | null)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : describeError(e);
  return new InputError('input_unreadable', path, -1, `cannot read ${path}: ${why}`);
}

/**
 * Read buffers of files read to the end (or closed), for the next file: a run reads hundreds of
 * files one after another, and a fresh pair of megabyte buffers per file churned the allocator
 * (freed buffers grow malloc's arenas rather than going back to the system). A few are kept, for
 * files read at the same time.
 */
const spareReadBuffers: Buffer[] = [];
const MAX_SPARE_READ_BUFFERS = 4;

function takeReadBuffer(): Buffer {
  return spareReadBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK_BYTES);
}

/**
 * Plain-file chunks: two alternating preallocated buffers, with the next read already in flight
 * while the consumer parses the current chunk (libuv runs it on another thread). A yielded chunk
 * is overwritten by the read started at the consumer's next pull, never earlier. The buffers go
 * back to {@link spareReadBuffers} when the generator ends: the last chunk is valid until then.
 */
async function* readFileChunks(fh: FileHandle, consumed: { bytes: number }): AsyncGenerator<Uint8Array> {
  const buffers = [takeReadBuffer(), takeReadBuffer()];
  let which = 0;
  let position = 0;
  let inFlight: Promise<{ bytesRead: number }> | null = fh.read(buffers[0], 0, READ_CHUNK_BYTES, position);
  try {
    for (;;) {
      const { bytesRead } = await inFlight;
      inFlight = null;
      if (bytesRead === 0) return;
      const current = buffers[which];
      position += bytesRead;
      consumed.bytes += bytesRead;
      which ^= 1;
      // The buffer being filled now is the one yielded at the previous pull: the consumer has moved
      // past it, and must not keep views of it (csv-parse is given copies, see flowlog-csv.ts).
      inFlight = fh.read(buffers[which], 0, READ_CHUNK_BYTES, position);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    if (inFlight) await inFlight.catch(() => undefined);
    await fh.close().catch(() => undefined);
    for (const b of buffers) if (spareReadBuffers.length < MAX_SPARE_READ_BUFFERS) spareReadBuffers.push(b);
  }
}

/**
 * Shared by files and streams: detects gzip on the raw bytes, fills `head` from the (decompressed)
 * bytes, and returns chunks that start at offset 0 again.
 */
async function openRaw(
  name: string,
  raw: AsyncGenerator<Uint8Array>,
  size: number | undefined,
  consumed: { bytes: number },
): Promise<OpenedInput> {
  const rawHead = await collectPrefix(raw, 2);
  if (rawHead.error) {
    await raw.return(undefined).catch(() => undefined);
    throw rawHead.error instanceof InputError ? rawHead.error : unreadable(name, rawHead.error);
  }
  const gzip = startsWithGzipMagic(rawHead.chunks);
  let source: AsyncIterator<Uint8Array>;
  let stopDecompression: () => void = () => undefined;
  // The byte order mark of UTF-16 text: in the raw bytes, or for gzip in the first decompressed ones.
  let start: Prefix = rawHead;
  if (gzip) {
    const g = gunzipChunks(name, rawHead.chunks, raw);
    stopDecompression = g.stop;
    start = await collectPrefix(g.chunks, 2);
    source = resume(start, g.chunks);
  } else {
    source = resume(rawHead, raw);
  }
  const utf16 = start.error === null ? utf16Encoding(start.chunks) : null;
  if (utf16 !== null) source = transcodeUtf16(utf16, source);

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    stopDecompression();
    if (gzip) {
      // Not awaited: a generator blocked on a pipe that never ends (stdin) must not hang us.
      void source.return?.(undefined).catch(() => undefined);
      void raw.return(undefined).catch(() => undefined);
    } else {
      await source.return?.(undefined).catch(() => undefined);
      await raw.return(undefined).catch(() => undefined);
    }
  };

  const head = await collectPrefix(source, HEAD_BYTES);
  if (gzip && head.error && totalLength(head.chunks) === 0) {
    await close();
    throw head.error instanceof InputError
      ? head.error
      : new InputError('input_gzip_corrupt', name, 0, `${name}: not a valid gzip stream (${describeError(head.error)})`);
  }
  const headBytes = concatPrefix(head.chunks, HEAD_BYTES);

  let prefixIndex = 0;
  let pendingError: unknown = head.error;
  let finished = false;
  const iterator: AsyncIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (finished || closed) return { done: true, value: undefined };
      if (prefixIndex < head.chunks.length) return { done: false, value: head.chunks[prefixIndex++] };
      if (pendingError !== null) {
        const e = pendingError;
        pendingError = null;
        finished = true;
        await close();
        throw e;
      }
      if (head.ended) {
        finished = true;
        await close();
        return { done: true, value: undefined };
      }
      try {
        const r = await source.next();
        if (r.done) {
          finished = true;
          await close();
        }
        return r;
      } catch (e) {
        finished = true;
        await close();
        throw e;
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      finished = true;
      await close();
      return { done: true, value: undefined };
    },
  };

  return {
    name,
    size,
    gzip,
    head: headBytes,
    // Single use: every call returns the same iterator, so ending it anywhere closes the file.
    chunks: { [Symbol.asyncIterator]: () => iterator },
    bytesConsumed: () => consumed.bytes,
    close,
  };
}

interface Prefix {
  chunks: Uint8Array[];
  /** True when the source ended while collecting. */
  ended: boolean;
  /** The error the source threw while collecting, if any (collection stops there). */
  error: unknown;
}

/**
 * Pulls chunks until at least `want` bytes are collected. A chunk is copied before the next pull
 * (the producer may reuse it then); the last one is kept as is.
 */
async function collectPrefix(it: AsyncIterator<Uint8Array>, want: number): Promise<Prefix> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < want) {
    // new Uint8Array(view) copies; Buffer#slice would NOT (it returns a view of the same memory).
    if (chunks.length > 0) chunks[chunks.length - 1] = new Uint8Array(chunks[chunks.length - 1]);
    let r: IteratorResult<Uint8Array>;
    try {
      r = await it.next();
    } catch (error) {
      return { chunks, ended: true, error: error ?? new Error('read failed') };
    }
    if (r.done) return { chunks, ended: true, error: null };
    if (r.value.length === 0) continue;
    chunks.push(r.value);
    total += r.value.length;
  }
  return { chunks, ended: false, error: null };
}

function totalLength(chunks: Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/** A copy of the first `max` bytes of the chunks. */
function concatPrefix(chunks: Uint8Array[], max: number): Uint8Array {
  const out = new Uint8Array(Math.min(max, totalLength(chunks)));
  let at = 0;
  for (const c of chunks) {
    if (at >= out.length) break;
    const take = Math.min(c.length, out.length - at);
    out.set(c.subarray(0, take), at);
    at += take;
  }
  return out;
}

/** RFC 1952 section 2.3.1: ID1 = 31 (0x1f), ID2 = 139 (0x8b). */
function startsWithGzipMagic(chunks: Uint8Array[]): boolean {
  const two = concatPrefix(chunks, 2);
  return two.length === 2 && two[0] === 0x1f && two[1] === 0x8b;
}

/**
 * The text encoding a UTF-16 byte order mark announces, else null. Windows PowerShell 5.1 writes
 * UTF-16LE with a BOM for `>` and Out-File, so a firewall log or CSV export passed through it
 * arrives that way. No capture magic starts with FF FE or FE FF.
 */
function utf16Encoding(chunks: Uint8Array[]): 'utf-16le' | 'utf-16be' | null {
  const two = concatPrefix(chunks, 2);
  if (two.length < 2) return null;
  if (two[0] === 0xff && two[1] === 0xfe) return 'utf-16le';
  if (two[0] === 0xfe && two[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * UTF-16 text as UTF-8 chunks (the BOM dropped), so the text readers see what they always do.
 * Line numbers stay those of the file; byte offsets in messages count the UTF-8 bytes.
 */
async function* transcodeUtf16(encoding: 'utf-16le' | 'utf-16be', source: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder(encoding);
  for (;;) {
    const r = await source.next();
    if (r.done) break;
    const text = decoder.decode(r.value, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

/** The chunks a {@link collectPrefix} took, then the rest of the source (or the error it ended on). */
async function* resume(prefix: Prefix, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* prefix.chunks;
  if (prefix.error !== null) throw prefix.error;
  if (prefix.ended) return;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Decompresses on the fly. Compressed chunks are copied before they enter zlib (zlib keeps
 * references while it works, and the file reader reuses its buffers). A zlib error ends the
 * chunks with InputError `input_gzip_corrupt` at the decompressed offset reached.
 */
/** Decompressed bytes buffered ahead of the reader before zlib is paused. */
const GUNZIP_QUEUE_BYTES = 4 * 1024 * 1024;

function gzipError(name: string, produced: number, e: unknown): InputError {
  if (e instanceof InputError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new InputError(
      'input_gzip_corrupt',
      name,
      produced,
      `${name}: gzip stream corrupt or truncated after ${produced} decompressed bytes (${describeError(e)})`,
    );
  }
  return new InputError('input_unreadable', name, produced, `${name}: read error after ${produced} decompressed bytes (${describeError(e)})`);
}

function gunzipChunks(
  name: string,
  first: Uint8Array[],
  rest: AsyncGenerator<Uint8Array>,
): { chunks: AsyncIterator<Uint8Array>; stop: () => void } {
  async function* compressed(): AsyncGenerator<Buffer> {
    for (const c of first) yield Buffer.from(c);
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  }
  const src = Readable.from(compressed(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  // A queue fed by 'data' events rather than the stream's async iterator: the iterator drops
  // output still buffered when zlib fails, and a truncated file must keep every byte before the
  // damage. Pausing above a high-water mark keeps memory bounded.
  const queue: Buffer[] = [];
  let queued = 0;
  let failure: unknown = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  gunzip.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= GUNZIP_QUEUE_BYTES) gunzip.pause();
    signal();
  });
  gunzip.on('end', () => {
    ended = true;
    signal();
  });
  gunzip.on('error', (e) => {
    failure = e;
    signal();
  });
  let produced = 0;
  async function* decompressed(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        if (queued < GUNZIP_QUEUE_BYTES && gunzip.isPaused()) gunzip.resume();
        produced += chunk.length;
        yield chunk;
        continue;
      }
      if (failure !== null) throw gzipError(name, produced, failure);
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    chunks: decompressed(),
    stop: () => {
      src.destroy();
      gunzip.destroy();
    },
  };
}

/**
 * Decides the format from the first bytes (up to {@link HEAD_BYTES}), never from a name.
 *
 * Captures by magic number (draft-ietf-opsawg-pcap section 4, draft-ietf-opsawg-pcapng section
 * 4.1); text formats by their first lines: a Windows Firewall log by its `#Software`/`#Fields`
 * header, NSG and VNet flow logs by their JSON keys, CSV by a header-looking first line. A UTF-8
 * byte order mark is skipped. Returns `unknown` otherwise.
 */
export function sniffFormat(head: Uint8Array): InputFormat {
  if (head.length >= 4) {
    const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) return 'pcap';
    if (magic === 0x0a0d0d0a) {
      // Section Header Block: the byte-order magic 0x1A2B3C4D follows the block length.
      if (head.length < 12) return 'pcapng';
      const bom = ((head[8] << 24) | (head[9] << 16) | (head[10] << 8) | head[11]) >>> 0;
      if (bom === 0x1a2b3c4d || bom === 0x4d3c2b1a) return 'pcapng';
      return 'unknown';
    }
  }
  let start = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  for (let i = start; i < head.length; i++) if (head[i] === 0) return 'unknown'; // binary
  const text = Buffer.from(head.buffer, head.byteOffset + start, head.length - start).toString('utf8');
  const trimmed = text.trimStart();
  const lines = text.split(/\r?\n/);
  // Before JSON: etl2txt's lines start with `[00]0004.0300::`, dmesg's with `[12345.678901]`, a bracket too.
  if (looksLikePktmonText(lines)) return 'pktmon';
  if (looksLikeNetfilter(lines)) return 'netfilter';
  if (looksLikeFilterlog(lines)) return 'filterlog';
  if (looksLikeAsa(lines)) return 'asa';
  if (looksLikeKeyValue(lines)) return 'keyvalue';
  if (looksLikePanos(lines)) return 'panos';
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return sniffJson(trimmed);
  if (looksLikePfirewall(lines)) return 'pfirewall';
  if (looksLikeCsvHeader(lines[0])) return 'csv';
  return 'unknown';
}

function sniffJson(text: string): InputFormat {
  // Azure Firewall first: its records have a "properties" object too, and its application rules
  // name no address. Told by its resource id or its log categories.
  if (/\/AZUREFIREWALLS\//i.test(text) || /"category"\s*:\s*"(?:AZFW|AzureFirewall)/.test(text)) return 'azfw';
  // VNet first: its records hold "flowTuples" too (flowRecords.flows[].flowGroups[].flowTuples).
  if (text.includes('"flowLogVersion"') || text.includes('"flowRecords"') || text.includes('"FlowLogFlowEvent"')) return 'vnet';
  if (text.includes('NetworkSecurityGroupFlowEvent') || text.includes('"flowTuples"')) return 'nsg';
  if (text.includes('"records"') && /"properties"\s*:\s*\{\s*"Version"/.test(text)) return 'nsg';
  return 'unknown';
}

/**
 * The header line of one packet record of a pktmon text trace (sources/pktmon-text.ts), after
 * etl2txt's ETW prefix (`[00]0004.0300::`) or none (`--timestamp-only`, real-time output); groups:
 * the date (none in real-time output), the time, `Drop: `, PktGroupId, PktNumber, and the rest.
 * Only PktGroupId is taken by name: pktmon translates its other labels (`구성 요소` for Component).
 */
export const PKTMON_HEADER =
  /^\s*(?:\[[^\]]*\][0-9A-Fa-f]+\.[0-9A-Fa-f]+::\s*)?(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T-])?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?\s+(?:\[[^\]]*\]\s*)?(Drop:\s*)?PktGroupId\s+(\d+),\s*[^,\d]*?(\d+),(.*)$/;

/**
 * pfSense/OPNsense `filterlog` fields after the syslog head (sources/flowlog-filterlog.ts): group 1
 * is the comma-separated data from the rule number on, through action, direction and IP version.
 */
export const FILTERLOG_FIELDS = /filterlog\b.*?[\s:](\d+,\d*,[^,]*,[^,]*,[^,\s]+,[\w-]+,(?:pass|block|reject),(?:in|out|in\/out),[46],.*)$/;

/** True when one of the first lines is a pfSense/OPNsense filterlog line. */
function looksLikeFilterlog(lines: string[]): boolean {
  return anyFirstLine(lines, (l) => l.includes('filterlog') && FILTERLOG_FIELDS.test(l));
}

/** A Cisco ASA or FTD syslog message (sources/flowlog-asa.ts): group 1 its id, group 2 its text. */
export const ASA_MESSAGE = /%(?:ASA|FTD)-(?:session-)?\d-(\d{6}):\s*(.*)$/;

/** True when one of the first lines is a Cisco ASA or FTD message. */
function looksLikeAsa(lines: string[]): boolean {
  return anyFirstLine(lines, (l) => l.includes('%') && ASA_MESSAGE.test(l));
}

/**
 * A PAN-OS log line as syslog sends it (sources/flowlog-panos.ts): group 1 the comma-separated
 * fields from the first on, group 2 the log type (TRAFFIC, THREAT …).
 */
export const PANOS_LOG = /(?:^|\s)(\d+,\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2},[^,]*,([A-Z]+),.*)$/;

/** True when one of the first lines is a PAN-OS traffic log line. */
function looksLikePanos(lines: string[]): boolean {
  return anyFirstLine(lines, (l) => PANOS_LOG.exec(l)?.[2] === 'TRAFFIC');
}

/** True when one of the first lines is a FortiGate traffic log line (key=value pairs, sources/flowlog-keyvalue.ts). */
function looksLikeKeyValue(lines: string[]): boolean {
  return anyFirstLine(lines, (l) => /\bsrcip=\S/.test(l) && /\bdstip=\S/.test(l) && /\b(?:devname|devid|logid)=\S/.test(l));
}

/** True for a line the kernel writes for netfilter's LOG target (sources/flowlog-netfilter.ts). */
export function isNetfilterLine(line: string): boolean {
  return / IN=\S* OUT=\S* /.test(line) && / SRC=\S+ DST=\S+ /.test(line) && / PROTO=\S+/.test(line);
}

/** True when one of the first lines is a Linux firewall's LOG line. */
function looksLikeNetfilter(lines: string[]): boolean {
  return anyFirstLine(lines, isNetfilterLine);
}

/** Lines the text formats below are looked for in: their banners (pktmon's, a syslog server's other programs) may come first. */
const SNIFF_LINES = 40;

/** True when `test` holds for one of the first {@link SNIFF_LINES} lines. */
function anyFirstLine(lines: string[], test: (line: string) => boolean): boolean {
  for (let i = 0; i < lines.length && i < SNIFF_LINES; i++) if (test(lines[i])) return true;
  return false;
}

/** True when one of the first lines is a pktmon packet record (pktmon etl2txt, or its real-time output saved). */
function looksLikePktmonText(lines: string[]): boolean {
  return anyFirstLine(lines, (l) => PKTMON_HEADER.test(l));
}

function looksLikePfirewall(lines: string[]): boolean {
  let version = false;
  for (let i = 0; i < lines.length && i < 12; i++) {
    const line = lines[i].trim();
    if (line.startsWith('#Software: Microsoft Windows Firewall')) return true;
    if (line.startsWith('#Fields: date time action')) return true;
    // Other W3C-style logs (IIS) start with #Version too: they name themselves in #Software.
    if (line.startsWith('#Software:')) return false;
    if (i === 0 && line.startsWith('#Version:')) version = true;
  }
  return version;
}

function looksLikeCsvHeader(line: string | undefined): boolean {
  if (line === undefined) return false;
  let best = '';
  let bestCount = 0;
  for (const d of [',', '\t', ';']) {
    const count = line.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  if (bestCount === 0) return false;
  const fields = line.split(best).map((f) => f.trim().replace(/^"(.*)"$/, '$1').trim());
  let named = 0;
  for (const f of fields) {
    if (f.length === 0) continue;
    // A header names its columns: mostly letters, not numbers, addresses or timestamps.
    if (/^[A-Za-z_][\w .\-/()[\]#]*$/.test(f)) named++;
  }
  return fields.length >= 2 && named * 2 >= fields.length && named >= 2;
}
