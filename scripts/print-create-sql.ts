/** Prints the full create-schema SQL of the entities (used to write the first kernel migration). */
import { openDatabase } from '../src/db/orm.js';
const orm = await openDatabase({});
console.log(await orm.schema.getCreateSchemaSQL({ wrap: false }));
await orm.close();
