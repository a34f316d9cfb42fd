/**
 * The typed exec journal: every record kind is a message of kmm.v1.JournalRecord's `record`
 * oneof (packages/shared/proto/kmm/v1/journal.proto). In memory a record is a discriminated
 * union on `k` (the oneof field name) whose other fields are that message's fields (generated
 * camelCase names); on disk it is one JSON line {"t", "seq", "k", <snake_case fields>}, the
 * format journals have always had, so journals written before the schema still load.
 *
 * Writers (ExecCore, the exec shell, the backtest) build records of type JournalRecord; the
 * shell's Journal writes them with `encodeJournalLine`. Readers (recovery, report, bench,
 * chaos) read them with `decodeJournalLine` / `decodeJournalText`, which check every field
 * against the schema (unknown kind, unknown field, wrong JSON type -> an error naming it) and
 * convert through the generated fromObject/toObject, so a decoded record has every field of
 * its message (defaults filled in; proto3 `optional` fields only when present).
 * Invariant checked on read: `seq` strictly increases, except that a new writer (a restarted
 * exec appending to the same file) starts again at 1; violations are counted, not fatal (the
 * file is input, not our state).
 */
import { kmm } from '@kmm/shared';

/** Message of each record kind, keyed by the kind's name on disk (`k`). */
export interface JournalBodies {
  start: kmm.v1.IJournalStart;
  order_group: kmm.v1.IJournalOrderGroup;
  breaker: kmm.v1.IJournalBreaker;
  pos: kmm.v1.IJournalPosition;
  control: kmm.v1.IJournalControl;
  div: kmm.v1.IJournalDivergence;
  startup_reconciled: kmm.v1.IJournalStartupReconciled;
  reconcile: kmm.v1.IJournalReconcile;
  shutdown_begin: kmm.v1.IJournalShutdownBegin;
  reprice: kmm.v1.IJournalReprice;
  skip: kmm.v1.IJournalSkip;
  cmd: kmm.v1.IJournalCommand;
  ack: kmm.v1.IJournalAck;
  rej: kmm.v1.IJournalReject;
  fill: kmm.v1.IJournalFill;
  wire: kmm.v1.IJournalWire;
  shutdown: kmm.v1.IJournalShutdown;
  backtest_end: kmm.v1.IJournalBacktestEnd;
  queue: kmm.v1.IJournalQueue;
}

export type JournalKind = keyof JournalBodies;

/** One journal record. `t` (wall ms) and `seq` are set by the journal writer, present when read back. */
export type JournalRecord = { [K in JournalKind]: { k: K; t?: number; seq?: number } & JournalBodies[K] }[JournalKind];
export type JournalRecordOf<K extends JournalKind> = Extract<JournalRecord, { k: K }>;

interface MessageCodec {
  prototype: object;
  fromObject(o: Record<string, unknown>): object;
}

/** kind -> (oneof field of kmm.v1.JournalRecord as generated, message class). */
const KINDS: { readonly [K in JournalKind]: readonly [keyof kmm.v1.IJournalRecord, MessageCodec] } = {
  start: ['start', kmm.v1.JournalStart],
  order_group: ['orderGroup', kmm.v1.JournalOrderGroup],
  breaker: ['breaker', kmm.v1.JournalBreaker],
  pos: ['pos', kmm.v1.JournalPosition],
  control: ['control', kmm.v1.JournalControl],
  div: ['div', kmm.v1.JournalDivergence],
  startup_reconciled: ['startupReconciled', kmm.v1.JournalStartupReconciled],
  reconcile: ['reconcile', kmm.v1.JournalReconcile],
  shutdown_begin: ['shutdownBegin', kmm.v1.JournalShutdownBegin],
  reprice: ['reprice', kmm.v1.JournalReprice],
  skip: ['skip', kmm.v1.JournalSkip],
  cmd: ['cmd', kmm.v1.JournalCommand],
  ack: ['ack', kmm.v1.JournalAck],
  rej: ['rej', kmm.v1.JournalReject],
  fill: ['fill', kmm.v1.JournalFill],
  wire: ['wire', kmm.v1.JournalWire],
  shutdown: ['shutdown', kmm.v1.JournalShutdown],
  backtest_end: ['backtestEnd', kmm.v1.JournalBacktestEnd],
  queue: ['queue', kmm.v1.JournalQueue],
};

export const JOURNAL_KINDS = Object.keys(KINDS) as JournalKind[];

export function isJournalKind(k: unknown): k is JournalKind {
  return typeof k === 'string' && Object.prototype.hasOwnProperty.call(KINDS, k);
}

/** JSON type a field must have: from the generated class's prototype default ('any' for proto3 optional fields, whose default is null). */
type FieldType = 'number' | 'string' | 'boolean' | 'array' | 'any';

const FIELDS = new Map<JournalKind, Map<string, FieldType>>();
for (const k of JOURNAL_KINDS) {
  const proto = KINDS[k][1].prototype as Record<string, unknown>;
  const fields = new Map<string, FieldType>();
  for (const name of Object.keys(proto)) {
    const v = proto[name];
    if (typeof v === 'function') continue;
    fields.set(name, Array.isArray(v) ? 'array' : v === null ? 'any' : (typeof v as FieldType));
  }
  FIELDS.set(k, fields);
}

const snakeCache = new Map<string, string>();
/** camelCase (generated field name) -> snake_case (proto field name, JSON key). */
function snakeOf(name: string): string {
  let s = snakeCache.get(name);
  if (s === undefined) {
    s = name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    snakeCache.set(name, s);
  }
  return s;
}

/** The same object with snake_case keys (ops events keep the journal's key names). */
export function snakeKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(o)) if (v !== undefined) out[snakeOf(key)] = v;
  return out;
}

/** snake_case -> camelCase, the way protobufjs names generated fields. */
function camelOf(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** One JSON line (no newline) for a record written at wall time `tMs` as number `seq`. */
export function encodeJournalLine(rec: JournalRecord, tMs: number, seq: number): string {
  const out: Record<string, unknown> = { t: tMs, seq, k: rec.k };
  const r = rec as unknown as Record<string, unknown>;
  for (const key in r) {
    if (key === 'k' || key === 't' || key === 'seq') continue;
    const v = r[key];
    if (v !== undefined) out[snakeOf(key)] = v;
  }
  return JSON.stringify(out);
}

export type JournalDecodeResult = { ok: true; record: JournalRecord } | { ok: false; error: string };

function typeOk(want: FieldType, v: unknown): boolean {
  if (want === 'any') return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
  if (want === 'array') return Array.isArray(v);
  if (want === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === want;
}

/**
 * Fields renamed since journals were first written, per record kind: old JSON key -> new one
 * (same value). The skip record's prices were named *_cents but always held price units
 * (1/10,000 $); they are read under either name and written under the new one.
 */
const LEGACY_FIELD_NAMES: Partial<Record<string, Record<string, string>>> = {
  skip: { old_price_cents: 'old_price', new_price_cents: 'new_price', price_diff_cents: 'price_diff', min_reprice_cents: 'min_reprice' },
};

/** Parses and checks one journal line against the schema. */
export function decodeJournalLine(line: string): JournalDecodeResult {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, error: 'not a JSON object' };
  const obj = o as Record<string, unknown>;
  const k = obj.k;
  if (!isJournalKind(k)) return { ok: false, error: `unknown record kind k=${JSON.stringify(k)}` };
  for (const key of ['t', 'seq'] as const) {
    if (obj[key] !== undefined && !typeOk('number', obj[key])) return { ok: false, error: `${k}.${key}: expected a number, got ${JSON.stringify(obj[key])}` };
  }
  const fields = FIELDS.get(k)!;
  const body: Record<string, unknown> = {};
  const legacy = LEGACY_FIELD_NAMES[k];
  if (legacy) {
    for (const [old, now] of Object.entries(legacy)) {
      if (obj[old] === undefined) continue;
      if (obj[now] !== undefined) return { ok: false, error: `${k}: both '${old}' and '${now}' (the same field under its old and new name)` };
      obj[now] = obj[old];
      delete obj[old];
    }
  }
  for (const key of Object.keys(obj)) {
    if (key === 'k' || key === 't' || key === 'seq') continue;
    const v = obj[key];
    const name = camelOf(key);
    const want = fields.get(name);
    if (want === undefined || snakeOf(name) !== key) return { ok: false, error: `${k}: unknown field '${key}'` };
    if (v === null) continue; // null = not set (REST fills wrote post_position_centi: null)
    if (!typeOk(want, v)) return { ok: false, error: `${k}.${key}: expected ${want === 'any' ? 'a scalar' : want}, got ${JSON.stringify(v)}` };
    body[name] = v;
  }
  const [oneof] = KINDS[k];
  let msg: kmm.v1.JournalRecord;
  try {
    msg = kmm.v1.JournalRecord.fromObject({ seq: obj.seq ?? 0, t: obj.t ?? 0, [oneof]: body });
  } catch (e) {
    return { ok: false, error: `${k}: ${(e as Error).message}` };
  }
  const full = kmm.v1.JournalRecord.toObject(msg, { defaults: true }) as Record<string, unknown>;
  const record = { k, t: full.t, seq: full.seq, ...(full[oneof] as object) } as JournalRecord;
  return { ok: true, record };
}

export interface JournalReadResult {
  records: JournalRecord[];
  /** lines that are not valid records (each also in `errors`) */
  badLines: number;
  /** the last line was cut off (crash mid-write): expected, not an error */
  tornTail: boolean;
  /** records whose seq did not increase (other than a new writer's 1) */
  seqErrors: number;
  /** the first few problems, "line N: what" */
  errors: string[];
}

const MAX_ERRORS = 20;

/** Decodes a whole journal file's text. Only the very last line may be torn. */
export function decodeJournalText(text: string): JournalReadResult {
  const lines = text.split('\n');
  const res: JournalReadResult = { records: [], badLines: 0, tornTail: false, seqErrors: 0, errors: [] };
  const note = (i: number, what: string): void => {
    if (res.errors.length < MAX_ERRORS) res.errors.push(`line ${i + 1}: ${what}`);
  };
  let lastSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length === 0) continue;
    const d = decodeJournalLine(l);
    if (!d.ok) {
      const last = i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '');
      if (last && d.error.startsWith('not JSON')) res.tornTail = true;
      else {
        res.badLines++;
        note(i, d.error);
      }
      continue;
    }
    const seq = d.record.seq ?? 0;
    if (seq <= lastSeq && seq !== 1) {
      res.seqErrors++;
      note(i, `seq ${seq} after ${lastSeq}`);
    }
    lastSeq = seq;
    res.records.push(d.record);
  }
  return res;
}
