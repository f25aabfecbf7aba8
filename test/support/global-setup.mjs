/**
 * With TEST_DATABASE_URL (or DATABASE_URL) the suite runs on PostgreSQL: the test database is recreated once
 * here, and the first worker migrates it (under an advisory lock). Without it each test file uses its own
 * in-memory PGlite.
 */
import pg from 'pg';

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
}
