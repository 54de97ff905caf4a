// The process runtime on a real geth: loopback ports, pause/resume, restart, kill, and no leftovers.
import assert from 'node:assert/strict';
import { jsonRpc } from '../../harness/probes/http.ts';
import type { ExitInfo } from '../../harness/runtimes/runtime.ts';
import { listeningAddresses } from '../helpers.ts';
import { startTestGeth, type TestGeth } from '../support/geth.ts';

const blockNumber = (g: TestGeth, timeoutMs = 2000) => jsonRpc<string>(g.node.endpoints.http!, 'eth_blockNumber', [], timeoutMs);


describe('process runtime (real geth)', function () {
  this.timeout(300_000);
  let geth: TestGeth;
  const exits: ExitInfo[] = [];

  before(async () => {
    geth = await startTestGeth({ devPeriod: 1 });
    geth.node.onExit((info) => exits.push(info));
  });
  after(async () => geth?.stop());

  it('binds every port it opens to 127.0.0.1', () => {
    const addresses = listeningAddresses(geth.node.pid()!);
    assert.ok(addresses.length >= 3, `listening: ${addresses.join(' ')}`);
    for (const address of addresses) assert.match(address, /^127\.0\.0\.1:\d+$/);
  });

  it('pause stops the node answering; resume brings it back', async () => {
    await blockNumber(geth);
    await geth.node.pause();
    await assert.rejects(blockNumber(geth, 1500), 'a SIGSTOPped node does not answer');
    await geth.node.resume();
    assert.match(await blockNumber(geth, 5000), /^0x/);
    assert.ok(geth.node.isRunning());
  });

  it('restart gives a new process on the same endpoints, and the exit is marked expected', async () => {
    const pid = geth.node.pid();
    await geth.node.restart();
    assert.notEqual(geth.node.pid(), pid);
    assert.match(await blockNumber(geth), /^0x/);
    assert.equal(exits.length, 1);
    assert.equal(exits[0]!.expected, true);
  });

  it('a kill from outside is an unexpected exit; the process group is gone', async () => {
    const pid = geth.node.pid()!;
    process.kill(pid, 'SIGKILL');
    while (geth.node.isRunning()) await new Promise((r) => setTimeout(r, 50));
    assert.equal(exits.at(-1)!.expected, false);
    assert.equal(exits.at(-1)!.signal, 'SIGKILL');
    assert.throws(() => process.kill(-pid, 0), 'no process left in the group');
  });
});
