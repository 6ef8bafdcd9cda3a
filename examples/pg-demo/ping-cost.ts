/**
 * What a pre-ping costs: the empty query lido sends ('') against ';' and 'SELECT 1',
 * on one connection, interleaved rounds, median of the rounds. Also the bytes each
 * puts on the wire. The numbers in docs/pg.md come from this script.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx examples/pg-demo/ping-cost.ts
 */
import pg from 'pg';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const rounds = Number(process.env.ROUNDS ?? 15);
const perRound = Number(process.env.PER_ROUND ?? 5_000);
const pings = ['', ';', 'SELECT 1'];

const client = new pg.Client({ connectionString: url });
await client.connect();
const stream = (client as unknown as { connection: { stream: { bytesRead: number; bytesWritten: number } } }).connection
  .stream;

const samples = new Map<string, number[]>(pings.map((p) => [p, []]));
const wire = new Map<string, { out: number; in: number }>();
for (const p of pings) {
  for (let i = 0; i < 1_000; i++) await client.query(p); // warm up
  const r0 = stream.bytesRead;
  const w0 = stream.bytesWritten;
  await client.query(p);
  wire.set(p, { out: stream.bytesWritten - w0, in: stream.bytesRead - r0 });
}
for (let r = 0; r < rounds; r++) {
  for (const p of pings) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) await client.query(p);
    samples.get(p)!.push(Number(process.hrtime.bigint() - t0) / 1_000 / perRound);
  }
}
await client.end();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `${rounds} rounds × ${perRound} sequential queries per statement, one connection (${url.replace(/:[^:@/]*@/, ':***@')})`,
);
console.log('statement   | median µs/round trip | bytes sent | bytes received');
for (const p of pings) {
  const w = wire.get(p)!;
  console.log(
    `${JSON.stringify(p).padEnd(11)} | ${median(samples.get(p)!).toFixed(1).padStart(20)} | ${String(w.out).padStart(10)} | ${String(w.in).padStart(14)}`,
  );
}
