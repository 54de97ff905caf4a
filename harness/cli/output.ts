/**
 * `--json`: stdout carries exactly one JSON document (what the run wrote to summary.json, or compare.json)
 * so `chainsoak run x.ts --json | jq` works; every line meant for a person goes to stderr instead.
 */
export interface OutputFlags {
  json?: boolean;
}

/** Where the verdict table and the other human lines go. */
export function humanOutput(flags: OutputFlags): NodeJS.WriteStream {
  return flags.json ? process.stderr : process.stdout;
}

/** The machine-readable result, serialized as the report folder's JSON file is (the two parse equal). */
export function printJson(flags: OutputFlags, value: unknown): void {
  if (flags.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
