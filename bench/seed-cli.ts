/**
 * Seeds the benchmark database in its own process (`node dist/bench/seed-cli.js URL CONTACTS`) and prints the
 * result as JSON on the last line, so the measuring process does not carry the seeding's heap.
 */
import pg from 'pg';
import { seedBenchData } from './seed.js';

const [url, contacts] = process.argv.slice(2);
const client = new pg.Client({ connectionString: url });
await client.connect();
const result = await seedBenchData(client, Number(contacts));
await client.end();
process.stdout.write(`\n${JSON.stringify(result)}\n`);
