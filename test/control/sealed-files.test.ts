/** Sealed snapshot files: what goes in comes out with the key, and a changed file or another key is refused. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  SEAL_OVERHEAD,
  dataSize,
  isSealed,
  sealFile,
  snapshotFileKey,
  unsealFile,
} from '../../src/control/snapshots/sealed-files.js';
import { tempDir } from '../fixtures/emulator.js';

t.test('seal and unseal: round trip, sizes, tampering and the wrong key', async (t) => {
  const dir = tempDir(t);
  const key = snapshotFileKey('the data dir secret');
  t.equal(key.length, 32, 'an AES-256 key');
  t.same(snapshotFileKey('the data dir secret'), key, 'derived the same every time');

  for (const size of [0, 1, 100_000, 3 * 65_536 + 7]) {
    const plain = join(dir, `plain-${size}`);
    const sealed = join(dir, `sealed-${size}`);
    const opened = join(dir, `opened-${size}`);
    const data = randomBytes(size);
    writeFileSync(plain, data);
    await sealFile(key, plain, sealed);
    t.ok(await isSealed(sealed), `${size} bytes: sealed`);
    t.notOk(await isSealed(plain), `${size} bytes: the plain file is not`);
    t.equal(readFileSync(sealed).length, size + SEAL_OVERHEAD);
    t.equal(await dataSize(sealed), size);
    await unsealFile(key, sealed, opened);
    t.same(readFileSync(opened), data, `${size} bytes: the same data back`);
  }

  const sealed = join(dir, 'sealed-100000');
  const changed = readFileSync(sealed);
  changed[5000] ^= 1;
  writeFileSync(join(dir, 'changed'), changed);
  await t.rejects(unsealFile(key, join(dir, 'changed'), join(dir, 'out-1')), 'a changed byte is found');
  await t.rejects(unsealFile(snapshotFileKey('another'), sealed, join(dir, 'out-2')), 'another key does not open it');
});
