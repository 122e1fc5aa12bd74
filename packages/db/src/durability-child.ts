/**
 * Child process of the kill -9 durability test: writes to an embedded database as fast as it
 * can and prints each write once its promise resolved (`I <id>` insert, `D <id>` delete,
 * `C <n>` counter value; `X <id>` before a delete is issued). The parent SIGKILLs it mid-stream and checks every printed write.
 * Usage: node --import tsx durability-child.ts <dir>
 */
import { createDbProvider } from './index.ts';

const WORKERS = 8;

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: durability-child.ts <dir>');
  const provider = createDbProvider({ kind: 'embedded', dir });
  const db = await provider.forModule('durability');
  const events = db.collection('events');
  await events.createIndex({ seq: 1 }, { unique: true });
  await events.updateOne({ _id: 'counter' }, { $setOnInsert: { n: 0 } }, { upsert: true });
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`); // synchronous for pipes on Linux
  };
  print('READY');
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const seq = next++;
      const id = `w${seq}`;
      await events.insertOne({ _id: id, seq, at: new Date(), payload: 'x'.repeat(200) });
      print(`I ${id}`);
      if (seq % 5 === 0) {
        const doc = await events.findOneAndUpdate({ _id: 'counter' }, { $inc: { n: 1 } }, { returnDocument: 'after' });
        print(`C ${String(doc?.['n'])}`);
      }
      if (seq % 10 === 0 && seq >= 50) {
        const victim = `w${seq - 50}`;
        print(`X ${victim}`); // intent: once issued, the delete may survive even if not acknowledged
        await events.deleteOne({ _id: victim });
        print(`D ${victim}`);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
