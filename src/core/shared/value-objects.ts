/** Value objects stored as JSON columns on customer records. */
export interface EmailEntry {
  email: string;
  label?: string | null;
  primary: boolean;
}

export interface PhoneEntry {
  number: string;
  label?: string | null;
  primary: boolean;
}

export interface PostalAddress {
  street?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
}

export enum LifecycleStage {
  LEAD = 'LEAD',
  MARKETING_QUALIFIED = 'MARKETING_QUALIFIED',
  SALES_QUALIFIED = 'SALES_QUALIFIED',
  OPPORTUNITY = 'OPPORTUNITY',
  CUSTOMER = 'CUSTOMER',
  CHURNED = 'CHURNED',
}

export type CustomFieldValues = Record<string, unknown>;
