/**
 * With TEST_DATABASE_URL (or DATABASE_URL) the suite runs on PostgreSQL: the test database is recreated once
 * here, and the first worker migrates it (under an advisory lock). Without it each test file uses its own
 * in-memory PGlite. On PostgreSQL the server is also built once here (`dist/`): tests that run several real server
 * processes on one database start `node dist/src/server.js` (test/support/server-process.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const root = join(import.meta.dirname, '..', '..');

export default async function globalSetup() {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) return;
  const dbName = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`drop database if exists "${dbName}" with (force)`);
  await client.query(`create database "${dbName}"`);
  await client.end();
  const started = Date.now();
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { encoding: 'utf8' });
  const server = join(root, 'dist', 'src', 'server.js');
  if (!existsSync(server) || statSync(server).mtimeMs < started - 1000) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}
