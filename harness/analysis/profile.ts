/**
 * pprof profile decoding. Reads the gzipped (or plain) protobuf that Go's /debug/pprof endpoints
 * serve, checks it strictly (pprof-format silently accepts truncated or foreign bytes), and turns it
 * into a flat, indexed form: every sample carries its stack as interned function-name ids, leaf first,
 * with inlined frames expanded exactly as `go tool pprof` does (a location's `line` array lists the
 * innermost inlined function first and the real caller last).
 *
 * Values are used as they are stored: Go's runtime already scales heap samples (writeHeapProto), and
 * `go tool pprof` does not rescale protobuf profiles either, so numbers match its output.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';

/** A profile that cannot be read or is not a usable pprof protobuf. The message is always one line. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  /** File path (or the name given for a buffer) the error is about. */
  readonly source: string;
  constructor(source: string, message: string) {
    super(oneLine(message));
    this.source = source;
  }
}

export interface SampleType {
  /** e.g. inuse_space, inuse_objects, alloc_space, alloc_objects, goroutine */
  type: string;
  /** e.g. bytes, count */
  unit: string;
}

export interface ProfileSample {
  /** One value per sample type, in the profile's sampleTypes order. */
  readonly values: readonly number[];
  /** Interned function-name ids (indexes into Profile.functionNames), leaf first, inlined frames expanded. */
  readonly frames: Uint32Array;
  /** frames[i] is 1 when that frame was inlined into frames[i + 1] (same location, not its last line). */
  readonly inlined: Uint8Array;
  /** String labels (goroutine labels such as pebble:[gc]); shared empty object when none. */
  readonly labels: Readonly<Record<string, readonly string[]>>;
  /** Numeric labels (heap samples carry bytes:[size]); shared empty object when none. */
  readonly numLabels: Readonly<Record<string, readonly number[]>>;
}

export interface Profile {
  /** File path it was read from, or the name given for a buffer ('<buffer>' by default). */
  readonly source: string;
  readonly sampleTypes: readonly SampleType[];
  /** Default sample type named by the profile, or the last one (pprof's rule) when it names none. */
  readonly defaultSampleType: string;
  readonly periodType: SampleType | undefined;
  readonly period: number;
  readonly timeNanos: number;
  readonly durationNanos: number;
  /** Interned function names; a frame id indexes this array. Names are what `go tool pprof` prints. */
  readonly functionNames: readonly string[];
  readonly samples: readonly ProfileSample[];
  /** The decoded pprof-format object, for anything not covered above. */
  readonly raw: PprofProfile;
}

export interface ReadProfileOptions {
  /** Name used in error messages and Profile.source when reading a buffer. */
  name?: string;
}

const EMPTY_LABELS: Readonly<Record<string, readonly string[]>> = Object.freeze({});
const EMPTY_NUM_LABELS: Readonly<Record<string, readonly number[]>> = Object.freeze({});

/** Reads and decodes a pprof profile from a path, or from a buffer already in memory. */
export function readProfile(pathOrBuffer: string | Uint8Array, options: ReadProfileOptions = {}): Profile {
  let source: string;
  let bytes: Uint8Array;
  if (typeof pathOrBuffer === 'string') {
    source = pathOrBuffer;
    try {
      bytes = readFileSync(pathOrBuffer);
    } catch (err) {
      throw new ProfileError(source, `profile ${source} cannot be read: ${errorText(err)}`);
    }
  } else {
    source = options.name ?? '<buffer>';
    bytes = pathOrBuffer;
  }
  return decodeProfile(source, bytes);
}

function decodeProfile(source: string, input: Uint8Array): Profile {
  const notPprof = (detail: string): ProfileError => new ProfileError(source, `profile ${source} is not a pprof protobuf: ${detail}`);
  if (input.length === 0) throw notPprof('the file is empty');
  let bytes = input;
  if (input[0] === 0x1f && input[1] === 0x8b) {
    try {
      bytes = gunzipSync(input);
    } catch (err) {
      throw new ProfileError(source, `profile ${source} is a corrupt or truncated gzip file: ${errorText(err)}`);
    }
    if (bytes.length === 0) throw notPprof('the gzip stream is empty');
  }
  // Text (a ?debug=1 profile, an HTML error page, JSON) gets a clearer message than a wire error.
  const failed = (detail: string): ProfileError => {
    const text = textPrefix(bytes);
    if (text === undefined) return notPprof(detail);
    const debugText = /^(goroutine|heap|threadcreate|block|mutex|allocs) profile:|^goroutine \d+ \[/.test(text);
    return notPprof(`it looks like text ("${text}")${debugText ? '; fetch the profile without ?debug=1/2' : ''}`);
  };

  const wireProblem = checkWire(bytes, 0, bytes.length, 'Profile');
  if (wireProblem) throw failed(wireProblem);

  let raw: PprofProfile;
  try {
    raw = PprofProfile.decode(bytes);
  } catch (err) {
    throw failed(errorText(err));
  }
  try {
    return buildProfile(source, raw);
  } catch (err) {
    if (err instanceof Invalid) throw failed(err.message);
    throw err;
  }
}

/** Internal: a structural problem found while indexing the decoded profile. */
class Invalid extends Error {}

function buildProfile(source: string, raw: PprofProfile): Profile {
  const strings = raw.stringTable.strings;
  if (strings.length > 0 && strings[0] !== '') throw new Invalid('string_table[0] is not the empty string');
  const str = (index: number | bigint, what: string): string => {
    const i = toNumber(index);
    if (!Number.isInteger(i) || i < 0 || i >= strings.length) {
      throw new Invalid(`${what} refers to string ${i}, but the string table has ${strings.length} entries`);
    }
    return strings[i];
  };

  if (raw.sampleType.length === 0) throw new Invalid('it has no sample types');
  const sampleTypes: SampleType[] = raw.sampleType.map((vt, i) => ({
    type: str(vt.type, `sample_type[${i}].type`),
    unit: str(vt.unit, `sample_type[${i}].unit`),
  }));
  const periodType = raw.periodType
    ? { type: str(raw.periodType.type, 'period_type.type'), unit: str(raw.periodType.unit, 'period_type.unit') }
    : undefined;
  const defaultName = toNumber(raw.defaultSampleType) !== 0 ? str(raw.defaultSampleType, 'default_sample_type') : '';
  const defaultSampleType = defaultName || sampleTypes[sampleTypes.length - 1].type;

  // Interned function names: one id per distinct printed name (pprof's function granularity).
  const functionNames: string[] = [];
  const nameIds = new Map<string, number>();
  const intern = (name: string): number => {
    let id = nameIds.get(name);
    if (id === undefined) {
      id = functionNames.length;
      functionNames.push(name);
      nameIds.set(name, id);
    }
    return id;
  };

  const functionsById = new Map<number, number>();
  for (const fn of raw.function) {
    const id = toNumber(fn.id);
    if (id === 0) throw new Invalid('a function has id 0');
    if (functionsById.has(id)) throw new Invalid(`function id ${id} appears twice`);
    const name = str(fn.name, `function ${id} name`);
    functionsById.set(id, intern(name === '' ? '<unknown>' : name));
  }

  const mappingFiles = new Map<number, string>();
  for (const m of raw.mapping) mappingFiles.set(toNumber(m.id), str(m.filename, `mapping ${toNumber(m.id)} filename`));

  interface LocationFrames { frames: number[]; inlined: number[] }
  const locations = new Map<number, LocationFrames>();
  for (const loc of raw.location) {
    const id = toNumber(loc.id);
    if (id === 0) throw new Invalid('a location has id 0');
    if (locations.has(id)) throw new Invalid(`location id ${id} appears twice`);
    const frames: number[] = [];
    const inlined: number[] = [];
    if (loc.line.length === 0) {
      // Unsymbolized location: pprof names it after its binary at function granularity.
      const file = mappingFiles.get(toNumber(loc.mappingId));
      frames.push(intern(file ? `[${baseName(file)}]` : '<unknown>'));
      inlined.push(0);
    } else {
      for (let i = 0; i < loc.line.length; i++) {
        const fid = toNumber(loc.line[i].functionId);
        const nameId = fid === 0 ? intern('<unknown>') : functionsById.get(fid);
        if (nameId === undefined) throw new Invalid(`location ${id} refers to missing function ${fid}`);
        frames.push(nameId);
        inlined.push(i < loc.line.length - 1 ? 1 : 0);
      }
    }
    locations.set(id, { frames, inlined });
  }

  const samples: ProfileSample[] = new Array(raw.sample.length);
  for (let s = 0; s < raw.sample.length; s++) {
    const sample = raw.sample[s];
    if (sample.value.length !== sampleTypes.length) {
      throw new Invalid(`sample ${s} has ${sample.value.length} values for ${sampleTypes.length} sample types`);
    }
    let depth = 0;
    const locs: LocationFrames[] = new Array(sample.locationId.length);
    for (let i = 0; i < sample.locationId.length; i++) {
      const lid = toNumber(sample.locationId[i]);
      const loc = locations.get(lid);
      if (!loc) throw new Invalid(`sample ${s} refers to missing location ${lid}`);
      locs[i] = loc;
      depth += loc.frames.length;
    }
    const frames = new Uint32Array(depth);
    const inlined = new Uint8Array(depth);
    let k = 0;
    for (const loc of locs) {
      for (let j = 0; j < loc.frames.length; j++, k++) {
        frames[k] = loc.frames[j];
        inlined[k] = loc.inlined[j];
      }
    }
    let labels = EMPTY_LABELS;
    let numLabels = EMPTY_NUM_LABELS;
    for (const label of sample.label) {
      const key = str(label.key, `sample ${s} label key`);
      if (toNumber(label.str) !== 0) {
        if (labels === EMPTY_LABELS) labels = {};
        ((labels as Record<string, string[]>)[key] ??= []).push(str(label.str, `sample ${s} label ${key}`));
      } else {
        if (numLabels === EMPTY_NUM_LABELS) numLabels = {};
        ((numLabels as Record<string, number[]>)[key] ??= []).push(toNumber(label.num));
      }
    }
    samples[s] = { values: sample.value.map(toNumber), frames, inlined, labels, numLabels };
  }

  return {
    source,
    sampleTypes,
    defaultSampleType,
    periodType,
    period: toNumber(raw.period),
    timeNanos: toNumber(raw.timeNanos),
    durationNanos: toNumber(raw.durationNanos),
    functionNames,
    samples,
    raw,
  };
}

/** The profile's sample types, e.g. [{type:'inuse_space', unit:'bytes'}, ...]. */
export function sampleTypes(profile: Profile): SampleType[] {
  return profile.sampleTypes.map((t) => ({ ...t }));
}

/**
 * Index of a sample type by name (inuse_space, inuse_objects, alloc_space, goroutine, ...), or -1.
 * When no type has that name, a unit that exactly one type has also matches ('count' in a goroutine
 * profile means 'goroutine').
 */
export function findSampleTypeIndex(profile: Profile, name: string): number {
  const byType = profile.sampleTypes.findIndex((t) => t.type === name);
  if (byType >= 0) return byType;
  const byUnit = profile.sampleTypes.flatMap((t, i) => (t.unit === name ? [i] : []));
  return byUnit.length === 1 ? byUnit[0] : -1;
}

/** Like findSampleTypeIndex, but throws a ProfileError naming the file and the types it does have. */
export function sampleTypeIndex(profile: Profile, name: string): number {
  const index = findSampleTypeIndex(profile, name);
  if (index < 0) {
    const have = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw new ProfileError(profile.source, `profile ${profile.source} has no sample type "${name}" (it has: ${have})`);
  }
  return index;
}

/** Sum of every sample's value, per sample type name: { inuse_space: 123, ... }. */
export function totals(profile: Profile): Record<string, number> {
  const sums = new Array<number>(profile.sampleTypes.length).fill(0);
  for (const sample of profile.samples) {
    for (let i = 0; i < sums.length; i++) sums[i] += sample.values[i];
  }
  const out: Record<string, number> = {};
  profile.sampleTypes.forEach((t, i) => {
    out[t.type] = sums[i];
  });
  return out;
}

/** Sum of one sample type over all samples. */
export function sampleTotal(profile: Profile, sampleType: string): number {
  const index = sampleTypeIndex(profile, sampleType);
  let sum = 0;
  for (const sample of profile.samples) sum += sample.values[index];
  return sum;
}

/** A sample's stack as function names, leaf first, inlined frames expanded. */
export function sampleStack(profile: Profile, sample: ProfileSample): string[] {
  const names = profile.functionNames;
  return Array.from(sample.frames, (id) => names[id]);
}

// ---------------------------------------------------------------------------------------------------
// helpers

/** int64 as pprof-format hands it out: small values as number, ≥5-byte varints as unsigned bigint. */
export function toNumber(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : value;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function errorText(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A short quote when the buffer starts like text (a debug=1 profile, an HTML error page, JSON). */
function textPrefix(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, 64);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (!(b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) return undefined;
  }
  const quote = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 40)));
  return oneLine(quote) + (bytes.length > 40 ? '...' : '');
}

// ---------------------------------------------------------------------------------------------------
// Protobuf wire check. pprof-format decodes without bounds checks (a truncated message or a foreign
// file decodes "successfully" into garbage), reads tags as one byte, and knows only wire types 0 and 2,
// so the bytes are walked once here first; any mismatch becomes a precise error message.

type FieldKind = 'scalar' | 'packed' | 'bytes' | MessageName;
type MessageName = 'Profile' | 'ValueType' | 'Sample' | 'Label' | 'Mapping' | 'Location' | 'Line' | 'Function';

const SCHEMA: Record<MessageName, Record<number, FieldKind>> = {
  Profile: {
    1: 'ValueType', 2: 'Sample', 3: 'Mapping', 4: 'Location', 5: 'Function', 6: 'bytes', 7: 'scalar', 8: 'scalar',
    9: 'scalar', 10: 'scalar', 11: 'ValueType', 12: 'scalar', 13: 'packed', 14: 'scalar', 15: 'scalar',
  },
  ValueType: { 1: 'scalar', 2: 'scalar' },
  Sample: { 1: 'packed', 2: 'packed', 3: 'Label' },
  Label: { 1: 'scalar', 2: 'scalar', 3: 'scalar', 4: 'scalar' },
  Mapping: { 1: 'scalar', 2: 'scalar', 3: 'scalar', 4: 'scalar', 5: 'scalar', 6: 'scalar', 7: 'scalar', 8: 'scalar', 9: 'scalar', 10: 'scalar' },
  Location: { 1: 'scalar', 2: 'scalar', 3: 'scalar', 4: 'Line', 5: 'scalar' },
  Line: { 1: 'scalar', 2: 'scalar', 3: 'scalar' },
  Function: { 1: 'scalar', 2: 'scalar', 3: 'scalar', 4: 'scalar', 5: 'scalar' },
};

/** Returns a description of the first problem, or undefined when the bytes are well-formed. */
function checkWire(buf: Uint8Array, start: number, end: number, message: MessageName): string | undefined {
  const schema = SCHEMA[message];
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const tag = buf[pos++];
    if (tag & 0x80) return `unexpected multi-byte field tag at byte ${tagAt} (in ${message})`;
    const field = tag >> 3;
    const wire = tag & 7;
    if (field === 0) return `invalid field number 0 at byte ${tagAt} (in ${message})`;
    const kind = schema[field];
    if (wire === 0) {
      const end0 = skipVarint(buf, pos, end);
      if (end0 < 0) return `truncated or overlong varint at byte ${pos} (in ${message})`;
      if (kind !== undefined && kind !== 'scalar' && kind !== 'packed') {
        return `field ${field} of ${message} at byte ${tagAt} should be length-delimited but is a varint`;
      }
      pos = end0;
    } else if (wire === 2) {
      const len = readVarint(buf, pos, end);
      if (len === undefined) return `truncated length at byte ${pos} (in ${message})`;
      pos = len.next;
      if (len.value > end - pos) {
        return `field ${field} of ${message} at byte ${tagAt} claims ${len.value} bytes but only ${end - pos} remain (truncated?)`;
      }
      const fieldEnd = pos + len.value;
      if (kind === 'scalar') return `field ${field} of ${message} at byte ${tagAt} should be a varint but is length-delimited`;
      if (kind === 'packed') {
        let p = pos;
        while (p < fieldEnd) {
          p = skipVarint(buf, p, fieldEnd);
          if (p < 0) return `truncated packed varint in field ${field} of ${message} at byte ${tagAt}`;
        }
      } else if (kind !== undefined && kind !== 'bytes') {
        const inner = checkWire(buf, pos, fieldEnd, kind);
        if (inner) return inner;
      }
      pos = fieldEnd;
    } else {
      return `unsupported wire type ${wire} for field ${field} at byte ${tagAt} (in ${message})`;
    }
  }
  return undefined;
}

function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  for (let i = 0; i < 10 && pos + i < end; i++) {
    if ((buf[pos + i] & 0x80) === 0) return pos + i + 1;
  }
  return -1;
}

function readVarint(buf: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    const b = buf[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return undefined;
}
