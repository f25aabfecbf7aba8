import { defineEvent } from '../../src/sdk/index.js';

/** The pipeline's domain events: emitted by the deals service and the rotting job, subscribed to by automation. Raw uuids. */

/** The ids every event about a whole deal carries. */
export interface DealRefs {
  id: string;
  pipelineId: string;
  stageId: string;
  ownerId: string | null;
  companyId: string | null;
}

export interface DealMoney {
  amount: number | null;
  currency: string | null;
}

export type DealCreated = DealRefs & DealMoney & { status: string };
export type DealWon = DealRefs & DealMoney & { primaryContactId: string | null };
export type DealLost = DealRefs & { lostReason: string | null };

export interface DealUpdated {
  id: string;
  /** Fields the update changed (`name`, `amount`, `contacts`, `tags`, `customFields` …). */
  changed: string[];
}

export interface DealStageChanged {
  id: string;
  pipelineId: string;
  fromStageId: string;
  toStageId: string;
  ownerId: string | null;
}

export interface DealReopened {
  id: string;
  pipelineId: string;
  stageId: string;
}

export interface DealRotting {
  id: string;
  stageId: string;
  /** Whole days in the stage. */
  days: number;
}

export const dealCreated = defineEvent<DealCreated>('deal.created');
export const dealUpdated = defineEvent<DealUpdated>('deal.updated');
export const dealDeleted = defineEvent<{ id: string }>('deal.deleted');
export const dealStageChanged = defineEvent<DealStageChanged>('deal.stageChanged');
export const dealWon = defineEvent<DealWon>('deal.won');
export const dealLost = defineEvent<DealLost>('deal.lost');
export const dealReopened = defineEvent<DealReopened>('deal.reopened');
export const dealRotting = defineEvent<DealRotting>('deal.rotting');

export const PIPELINE_EVENTS = [dealCreated, dealUpdated, dealDeleted, dealStageChanged, dealWon, dealLost, dealReopened, dealRotting];
