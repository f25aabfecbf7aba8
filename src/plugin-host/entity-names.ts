import { EntitySchema, MetadataStorage, UnderscoreNamingStrategy } from '@mikro-orm/core';

export interface EntityNames {
  className: string;
  /** The explicit `@Entity({ tableName })`, else what the ORM's default naming strategy derives from the class name. */
  tableName: string;
  /** Declared with `@Entity()` (or an EntitySchema). */
  isEntity: boolean;
}

const naming = new UnderscoreNamingStrategy();

/**
 * Reads an entity's class and table names from the decorator metadata, before the ORM is started (so clashes are
 * reported by plugin, not by MikroORM's discovery). The project uses the default naming strategy (snake_case).
 */
export function entityNames(entity: unknown): EntityNames {
  if (entity instanceof EntitySchema) {
    const meta = entity.meta;
    return { className: meta.className, tableName: meta.tableName ?? naming.classToTableName(meta.className), isEntity: true };
  }
  const cls = entity as { name?: string; [MetadataStorage.META_SYMBOL]?: { className?: string; collection?: string; name?: string } };
  const className = cls?.name ?? String(entity);
  const meta =
    typeof entity === 'function' && Object.hasOwn(entity, MetadataStorage.META_SYMBOL) ? cls[MetadataStorage.META_SYMBOL] : undefined;
  return {
    className,
    tableName: meta?.collection ?? naming.classToTableName(className),
    // @Entity() sets `name`; property decorators alone (an abstract base) do not
    isEntity: meta?.name !== undefined,
  };
}
