import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection, Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { ImportStatus } from './import-job.entity.js';

registerEnumType(ImportStatus, {
  name: 'ImportStatus',
  description: 'PENDING → RUNNING → COMPLETED (rows may still have failed) or FAILED (the import stopped).',
});

export enum ImportObjectType {
  CONTACTS = 'contacts',
  COMPANIES = 'companies',
}
registerEnumType(ImportObjectType, { name: 'ImportObjectType', description: 'What a CSV import creates or updates.' });

@ObjectType('ImportRowError', { description: 'A CSV row that was not imported, and why.' })
export class ImportRowErrorNode {
  @Field(() => Int, { description: 'Record number in the file, the header being row 1.' }) rowNumber!: number;
  @Field(() => String, { nullable: true, description: 'Field path (firstName, email, custom.region…), null for a malformed row.' }) field?:
    | string
    | null;
  @Field({ description: 'BAD_USER_INPUT, NOT_FOUND, MALFORMED_ROW…' }) code!: string;
  @Field() message!: string;
}

export const ImportRowErrorConnection = Connection(ImportRowErrorNode, 'ImportRowError');

@ObjectType('ImportJob', { implements: Node, description: 'A CSV import, with its progress while it runs.' })
export class ImportJobNode extends Node {
  @Field(() => ImportObjectType) objectType!: ImportObjectType;
  @Field(() => ImportStatus) status!: ImportStatus;
  @Field(() => String, { nullable: true }) fileName?: string | null;
  @Field(() => GraphQLJSON, { description: 'CSV column → field path; empty when columns were mapped by their names.' }) mapping!: Record<
    string,
    string
  >;
  @Field(() => Int, { description: 'Data rows read so far (imported, unchanged or failed).' }) processedRows!: number;
  @Field(() => Int) createdCount!: number;
  @Field(() => Int, { description: 'Existing records that changed (rows equal to the stored record change nothing).' })
  updatedCount!: number;
  @Field(() => Int) failedCount!: number;
  @Field(() => String, { nullable: true, description: 'Why the import stopped, when status is FAILED.' }) failureMessage?: string | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt?: Date | null;
}

export const ImportJobConnection = Connection(ImportJobNode, 'ImportJob');

@InputType({ description: 'A small CSV (at most 5 MB) sent inline; larger files go to POST /imports/{objectType}.' })
export class ImportCsvInput {
  @Field(() => ImportObjectType) objectType!: ImportObjectType;
  @Field({ description: 'The CSV text, header first.' }) csv!: string;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'CSV column → field path (firstName, email, tags, custom.<key>…); default: by header names.',
  })
  mapping?: Record<string, string> | null;
  @Field(() => String, { nullable: true }) fileName?: string | null;
}

@ObjectType()
export class ImportCsvPayload {
  @Field(() => ImportJobNode, { nullable: true }) job?: object | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
