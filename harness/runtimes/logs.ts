/** Reading a node's log file in the report folder: line by line from an offset (logs can be large), or its tail. */
import { once } from 'node:events';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export async function scanLogFile(file: string, offset: number, onLine: (line: string) => void): Promise<number> {
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size <= offset) return size;
  const lines = createInterface({ input: createReadStream(file, { start: offset, end: size - 1, encoding: 'utf8' }), crlfDelay: Infinity });
  lines.on('line', onLine);
  await once(lines, 'close');
  return size;
}

export function tailOfFile(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
