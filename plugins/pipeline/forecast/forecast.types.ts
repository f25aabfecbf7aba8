import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Money, UserNode } from '../../../src/sdk/index.js';

@InputType({ description: 'The forecast period and optional filters.' })
export class DealForecastInput {
  @Field(() => Date, { description: 'First day of the period: the UTC calendar day of this instant, included.' })
  from!: Date;

  @Field(() => Date, { description: 'Last day of the period: the UTC calendar day of this instant, included.' })
  to!: Date;

  @Field(() => ID, { nullable: true, description: 'Only deals of this pipeline.' })
  pipelineId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only deals owned by this member (a User id).' })
  ownerId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only deals in this ISO 4217 currency.' })
  currency?: string | null;
}

/** The figures every forecast bucket has; each bucket type inherits its fields (no field returns this type itself). */
@ObjectType()
abstract class DealForecastBucket {
  @Field(() => Int, { description: 'Open deals with an amount in this bucket.' })
  dealCount!: number;

  @Field(() => Money, { description: 'Sum of the amounts.' })
  unweighted!: Money;

  @Field(() => Money, { description: 'Sum of amount × stage probability / 100, rounded to a whole minor unit per bucket.' })
  weighted!: Money;
}

@ObjectType({ description: 'Open pipeline of one currency.' })
export class DealForecastTotal extends DealForecastBucket {}

@ObjectType({ description: 'Open deals expected to close in one calendar month (UTC), per currency.' })
export class DealForecastMonth extends DealForecastBucket {
  @Field({ description: 'YYYY-MM of the expected close date.' })
  month!: string;
}

@ObjectType({ description: 'Open deals of one owner, per currency.' })
export class DealForecastOwner extends DealForecastBucket {
  /** Internal: the owner's user id (null: deals without an owner). */
  ownerId!: string | null;

  @Field(() => UserNode, { nullable: true, description: 'null: deals without an owner.' })
  owner?: UserNode | null;
}

@ObjectType({ description: 'Open deals in one stage of a pipeline, per currency.' })
export class DealForecastStage extends DealForecastBucket {
  @Field(() => ID) pipelineId!: string;
  @Field() pipelineName!: string;
  @Field(() => ID) stageId!: string;
  @Field() stageName!: string;
  @Field(() => Int, { description: 'Win probability of the stage, percent.' }) probability!: number;
}

@ObjectType({ description: 'Deals won in the period, per currency.' })
export class DealForecastWon {
  @Field(() => Int) dealCount!: number;
  @Field(() => Money) amount!: Money;
}

@ObjectType({
  description:
    'Sales forecast over a period of whole UTC days [from, to]. Pipeline figures (totals, byMonth, byOwner, byStage) cover OPEN deals ' +
    'with an amount whose expected close date falls in the period. Money is never converted: every bucket is per currency.',
})
export class DealForecast {
  @Field({ description: 'First day of the period (YYYY-MM-DD, UTC).' }) from!: string;
  @Field({ description: 'Last day of the period (YYYY-MM-DD, UTC).' }) to!: string;

  @Field(() => [DealForecastTotal], { description: 'Open pipeline per currency.' }) totals!: DealForecastTotal[];
  @Field(() => [DealForecastMonth], { description: 'Per month of expected close (UTC), then currency.' }) byMonth!: DealForecastMonth[];
  @Field(() => [DealForecastOwner], { description: 'Per owner, then currency.' }) byOwner!: DealForecastOwner[];
  @Field(() => [DealForecastStage], { description: 'Per pipeline and stage (in board order), then currency.' })
  byStage!: DealForecastStage[];

  @Field(() => [DealForecastWon], {
    description:
      'Won to date: deals with status won whose closed_at lies in the period (from 00:00 UTC of `from` to the end of `to`), per currency; deals without an amount are not included.',
  })
  wonToDate!: DealForecastWon[];

  @Field(() => Int, { description: 'Deals won with closed_at in the period (all currencies, with or without an amount).' })
  wonCount!: number;
  @Field(() => Int, { description: 'Deals lost with closed_at in the period.' }) lostCount!: number;

  @Field(() => Float, { nullable: true, description: 'wonCount / (wonCount + lostCount); null when no deal closed in the period.' })
  winRate!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Mean of closed_at − created_at, in days, over the deals won in the period; null when none.',
  })
  averageSalesCycleDays!: number | null;
}
