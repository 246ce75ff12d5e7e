/**
 * Data-quality bookkeeping shared by every stage.
 *
 * Rule (see STYLE.md "Error model"): nothing is dropped silently. Every skipped byte range, record
 * or packet increments a counter and records a {@link Diagnostic} with the file, byte offset and
 * record index. We keep {@link MAX_EXAMPLES_PER_CODE} examples per code and count the rest, so
 * memory stays bounded on a corrupt terabyte.
 */

/** Where a record came from. */
export interface Origin {
  /** File path as the user gave it (or `-` for standard input). */
  file: string;
  /** Byte offset of the record in the (decompressed) stream; -1 when unknown. */
  offset: number;
  /** 1-based record index: the frame number as Wireshark numbers it, or the line number of a log. */
  index: number;
}

/**
 * Stable snake_case codes. Add new ones here (one quick edit) rather than using free strings:
 * they appear in reports and users grep for them.
 */
export type DiagnosticCode =
  // input level
  | 'input_unreadable'
  | 'input_unknown_format'
  | 'input_gzip_corrupt'
  | 'input_trailing_garbage'
  | 'input_empty'
  // classic pcap
  | 'pcap_header_truncated'
  | 'pcap_record_truncated'
  | 'pcap_record_too_long'
  | 'pcap_caplen_exceeds_origlen'
  // pcapng
  | 'pcapng_block_truncated'
  | 'pcapng_bad_block_length'
  | 'pcapng_trailer_mismatch'
  | 'pcapng_bad_byte_order_magic'
  | 'pcapng_unknown_interface'
  | 'pcapng_packet_before_section'
  | 'pcapng_resync'
  | 'pcapng_bad_option'
  // link / network / transport decoding
  | 'link_unknown_type'
  | 'frame_duplicate'
  | 'link_truncated'
  | 'ethernet_truncated'
  | 'vlan_truncated'
  | 'tunnel_truncated'
  | 'sll_truncated'
  | 'nflog_truncated'
  | 'nflog_no_payload'
  | 'loopback_unknown_family'
  | 'ethertype_not_ip'
  | 'ipv4_truncated'
  | 'ipv4_bad_ihl'
  | 'ipv4_bad_total_length'
  | 'ipv4_later_fragment'
  | 'ipv6_truncated'
  | 'ipv6_bad_extension_header'
  | 'ipv6_later_fragment'
  | 'ip_bad_version'
  | 'tcp_truncated'
  | 'tcp_bad_data_offset'
  | 'udp_truncated'
  | 'icmp_truncated'
  | 'icmp_quote_truncated'
  | 'transport_unsupported'
  | 'dns_malformed'
  | 'tls_malformed'
  | 'tls_inspected'
  | 'kerberos_error'
  | 'kerberos_udp_too_big'
  | 'ldap_bind_error'
  | 'tls_alert'
  | 'dcerpc_malformed'
  | 'udp_bad_length'
  // flow assembly
  | 'flow_evicted'
  | 'flow_icmp_error_unmatched'
  | 'flow_one_way'
  // flow logs
  | 'log_bad_line'
  | 'pktmon_no_date'
  | 'log_bad_field'
  | 'log_bad_time'
  | 'log_events_lost'
  | 'log_unsupported_protocol'
  | 'log_no_fields_header'
  | 'nsg_bad_record'
  | 'nsg_bad_tuple'
  | 'vnet_bad_tuple'
  | 'csv_bad_row'
  | 'csv_missing_column'
  | 'json_malformed';

/**
 * Codes of what a server answered, read from well-formed traffic: a Kerberos error, a refused LDAP
 * bind, a fatal TLS alert, a certificate from an inspecting proxy. They are evidence for the audit
 * (audit/answers.ts), not damage to the input: the terminal prints them as answers, not warnings.
 */
export const SERVER_ANSWER_CODES: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>(['tls_inspected', 'kerberos_error', 'ldap_bind_error', 'tls_alert']);

/**
 * The exchange a server's answer belongs to (a Kerberos error, a refused bind, a TLS alert or an
 * inspected certificate: audit/answers.ts), so the audit can name it beside the finding of the
 * host pair and port whose traffic carried it.
 */
export interface AnswerSubject {
  client: string;
  server: string;
  transport: 'tcp' | 'udp';
  /** The server's port. */
  port: number;
}

/** A named problem in the input, with its place. */
export interface Diagnostic {
  code: DiagnosticCode;
  origin: Origin;
  /** One human sentence, no trailing period. Untrusted data in it is escaped by the renderers. */
  detail: string;
  /** For a server's answer: the exchange it belongs to. */
  subject?: AnswerSubject;
}

/** A file that could not be read at all (or stopped early), as the report's data-quality section lists it. */
export interface FailedFile {
  file: string;
  code: DiagnosticCode;
  /** Byte offset where reading stopped; -1 when the file could not be opened. */
  offset: number;
  message: string;
}

/** Serialisable summary, as reports and worker threads exchange it. */
export interface DataQuality {
  /** Counters by name: `frames`, `packets_decoded`, `flows`, `log_lines`, and one per diagnostic code. */
  counters: Record<string, number>;
  /** Per code: total count and up to {@link MAX_EXAMPLES_PER_CODE} examples. */
  diagnostics: { code: DiagnosticCode; count: number; examples: Diagnostic[] }[];
  failedFiles: FailedFile[];
}

export const MAX_EXAMPLES_PER_CODE = 20;

/**
 * Collects diagnostics and counters for one run (or one worker). Cheap to call on the hot path:
 * no string formatting happens here, callers build `detail` only when they report a problem.
 */
export class DiagnosticSink {
  readonly counters = new Map<string, number>();
  private readonly byCode = new Map<DiagnosticCode, { count: number; examples: Diagnostic[] }>();
  readonly failedFiles: FailedFile[] = [];
  /** Optional live listener (the CLI prints the first few problems per file to stderr). */
  onReport?: (d: Diagnostic) => void;

  /** Adds `n` to a counter. */
  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  /** Records a problem: counts it under its code and keeps it as an example while there is room. */
  report(code: DiagnosticCode, origin: Origin, detail: string, subject?: AnswerSubject): void {
    let entry = this.byCode.get(code);
    if (!entry) {
      entry = { count: 0, examples: [] };
      this.byCode.set(code, entry);
    }
    entry.count++;
    const d: Diagnostic = { code, origin: { file: origin.file, offset: origin.offset, index: origin.index }, detail };
    if (subject !== undefined) d.subject = { ...subject };
    if (entry.examples.length < MAX_EXAMPLES_PER_CODE) entry.examples.push(d);
    this.onReport?.(d);
  }

  /** Marks a file failed (unreadable, wrong format, or stopped early by damage). */
  fail(file: FailedFile): void {
    this.failedFiles.push(file);
  }

  /** Total count of one diagnostic code. */
  countOf(code: DiagnosticCode): number {
    return this.byCode.get(code)?.count ?? 0;
  }

  /** All codes seen, in first-seen order. */
  codes(): DiagnosticCode[] {
    return [...this.byCode.keys()];
  }

  /** Snapshot for reports and for sending across a worker boundary. */
  toDataQuality(): DataQuality {
    return {
      counters: Object.fromEntries(this.counters),
      diagnostics: [...this.byCode].map(([code, e]) => ({ code, count: e.count, examples: e.examples.slice() })),
      failedFiles: this.failedFiles.slice(),
    };
  }

  /** Folds another sink's snapshot (from a worker) into this one. */
  merge(other: DataQuality): void {
    for (const [k, v] of Object.entries(other.counters)) this.count(k, v);
    for (const d of other.diagnostics) {
      let entry = this.byCode.get(d.code);
      if (!entry) {
        entry = { count: 0, examples: [] };
        this.byCode.set(d.code, entry);
      }
      entry.count += d.count;
      for (const ex of d.examples) if (entry.examples.length < MAX_EXAMPLES_PER_CODE) entry.examples.push(ex);
    }
    this.failedFiles.push(...other.failedFiles);
  }
}

/**
 * A file-level failure: unknown magic, unreadable file, a log with no recognisable header.
 * Thrown by sources; the runner marks that file failed and goes on with the others.
 * The message is one line a user reads (no stack trace is ever shown for it).
 */
export class InputError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    readonly file: string,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * flowaudit's own files are missing or broken (a damaged or half-copied installation): exit code 2,
 * with a message that says what to reinstall, not "this is a bug".
 */
export class InstallationError extends Error {
  constructor(message: string) {
    super(`${message}: the installation is damaged; reinstall flowaudit (in a clone: npm ci)`);
    this.name = 'InstallationError';
  }
}

/** A usage or configuration error (bad flag, bad catalog or inventory file): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
