"""Regenerates migrations/Migration20261123000000Kernel.ts from the entities' create-schema SQL (before the first release only)."""
import json, subprocess
sql = subprocess.run(['node', 'dist/scripts/print-create-sql.js'], capture_output=True, text=True, check=True).stdout
stmts = [s.strip().rstrip(';') for s in sql.split(';\n') if s.strip() and not s.strip().startswith('set names')]
pre = ['create extension if not exists pg_trgm', 'create extension if not exists unaccent']
body = "\n".join("    this.addSql(%s);" % json.dumps(s) for s in pre + stmts)
tables = [s.split('"')[1] for s in stmts if s.startswith('create table')]
types = [s.split('"')[1] for s in stmts if s.startswith('create type')]
out = f'''import {{ Migration }} from '@mikro-orm/migrations';

/** Kernel schema: workspaces, identity model, customers, activities and timeline, comments, custom fields, imports. */
export class Migration20261123000000Kernel extends Migration {{
  override async up(): Promise<void> {{
{body}
  }}

  override async down(): Promise<void> {{
    for (const table of {json.dumps(list(reversed(tables)))}) {{
      this.addSql(`drop table if exists "${{table}}" cascade`);
    }}
    for (const type of {json.dumps(types)}) {{
      this.addSql(`drop type if exists "${{type}}"`);
    }}
  }}
}}
'''
open('migrations/Migration20261123000000Kernel.ts', 'w').write(out)
