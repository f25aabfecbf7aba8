import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * When a plugin's scheduled job last started in a workspace: the cross-process claim of src/plugin-host/jobs/job-runner.ts
 * (one atomic upsert per due run). Written and read only with plain SQL inside the workspace's tenant context
 * (row-level security: the tenant policy), never through the unit of work. No foreign key to `workspace`: a row of a
 * deleted workspace is harmless (never claimed again).
 */
@Entity({ tableName: 'job_run' })
export class JobRun {
  @PrimaryKey({ type: 'string', length: 100 })
  pluginId!: string;

  @PrimaryKey({ type: 'string', length: 200 })
  job!: string;

  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'datetime' })
  lastStartedAt!: Date;
}
