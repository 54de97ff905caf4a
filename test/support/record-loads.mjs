// `node --import ./test/support/record-loads.mjs ...`: appends the URL of every module the process loads
// through the ES module loader to the file named by $RECORD_LOADS_TO (what a command pays for at start).
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_TO } });
