/** Prints the SQL that would bring a freshly migrated database in line with the entities (empty = in sync). */
import { migrate } from '../src/db/orm.js';
import { openAppOrm } from '../src/app/database.js';
const orm = await openAppOrm({ url: process.env.DATABASE_URL });
await migrate(orm);
const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
console.log(sql.trim() || '-- entities and migrations agree');
await orm.close();
