/** Hand-written word lists for generated demo and benchmark data (no external data). */

export const FIRST_NAMES = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra',
  'Donald', 'Ashley', 'Steven', 'Kimberly', 'Paul', 'Emily', 'Andrew', 'Donna', 'Joshua', 'Michelle',
  'Kenneth', 'Carol', 'Kevin', 'Amanda', 'Brian', 'Melissa', 'George', 'Deborah', 'Timothy', 'Stephanie',
  'Ronald', 'Rebecca', 'Jason', 'Laura', 'Edward', 'Sharon', 'Jeffrey', 'Cynthia', 'Ryan', 'Kathleen',
  'Jacob', 'Amy', 'Gary', 'Angela', 'Nicholas', 'Shirley', 'Eric', 'Anna', 'Jonathan', 'Brenda',
  'Stephen', 'Pamela', 'Larry', 'Emma', 'Justin', 'Nicole', 'Scott', 'Helen', 'Brandon', 'Samantha',
  'Benjamin', 'Katherine', 'Samuel', 'Christine', 'Gregory', 'Debra', 'Alexander', 'Rachel', 'Patrick', 'Carolyn',
  'Frank', 'Janet', 'Raymond', 'Maria', 'Jack', 'Olivia', 'Dennis', 'Heather', 'Jerry', 'Diane',
  'Tyler', 'Julie', 'Aaron', 'Joyce', 'Jose', 'Victoria', 'Adam', 'Ruth', 'Nathan', 'Virginia',
  'Henry', 'Lauren', 'Zachary', 'Kelly', 'Douglas', 'Christina', 'Peter', 'Joan', 'Kyle', 'Evelyn',
  'Noah', 'Judith', 'Ethan', 'Andrea', 'Jeremy', 'Hannah', 'Walter', 'Megan', 'Christian', 'Cheryl',
  'Keith', 'Jacqueline', 'Roger', 'Martha', 'Terry', 'Madison', 'Austin', 'Teresa', 'Sean', 'Gloria',
  'José', 'Zoë', 'Renée', 'François', 'Søren', 'Björn', 'Chloé', 'Ines', 'Mateo', 'Lucía',
  'Hiroshi', 'Yuki', 'Wei', 'Mei', 'Arjun', 'Priya', 'Omar', 'Fatima', 'Lukas', 'Hanna',
  'Sofia', 'Luca', 'Giulia', 'Pierre', 'Camille', 'Sven', 'Ingrid', 'Kwame', 'Amara', 'Diego',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes',
  'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper',
  'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson',
  'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes',
  'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Jimenez',
  'Powell', 'Jenkins', 'Perry', 'Russell', 'Sullivan', 'Bell', 'Coleman', 'Butler', 'Henderson', 'Barnes',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Dubois', 'Lefèvre', 'Moreau', 'Laurent',
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Tanaka', 'Suzuki', 'Watanabe', 'Chen', 'Wang',
  'Zhang', 'Li', 'Singh', 'Kumar', 'Sharma', 'Andersson', 'Johansson', 'Nielsen', 'Jensen', 'Kowalski',
  'Nowak', 'Novák', 'Silva', 'Santos', 'Oliveira', 'Costa', 'Fernández', 'González', "O'Brien", 'MacDonald',
];

/** First word of a generated company name. */
export const COMPANY_PREFIXES = [
  'North', 'South', 'East', 'West', 'Blue', 'Red', 'Green', 'Silver', 'Golden', 'Bright',
  'Clear', 'Swift', 'True', 'Prime', 'Summit', 'Iron', 'Stone', 'River', 'Lake', 'Pine',
  'Oak', 'Cedar', 'Maple', 'Harbor', 'Bay', 'Peak', 'Sky', 'Star', 'Sun', 'Moon',
  'Nova', 'Apex', 'Vertex', 'Quantum', 'Fusion', 'Atlas', 'Orion', 'Zenith', 'Crystal', 'Arrow',
  'Bridge', 'Beacon', 'Copper', 'Falcon', 'Granite', 'Horizon', 'Lumen', 'Meridian', 'Pioneer', 'Sterling',
];

/** Second word of a generated company name (joined to the prefix). */
export const COMPANY_ROOTS = [
  'wind', 'field', 'gate', 'point', 'line', 'stone', 'bridge', 'ridge', 'wave', 'light',
  'path', 'works', 'craft', 'forge', 'mark', 'view', 'land', 'port', 'side', 'star',
  'leaf', 'brook', 'haven', 'crest', 'dale', 'wood', 'ford', 'more', 'vale', 'spring',
  'shore', 'peak', 'well', 'rock', 'scape', 'cloud', 'bit', 'logic', 'data', 'soft',
];

export const INDUSTRIES: { name: string; words: string[]; revenuePerEmployee: [number, number] }[] = [
  { name: 'Software', words: ['Software', 'Systems', 'Labs', 'Technologies', 'Digital'], revenuePerEmployee: [150_000, 400_000] },
  { name: 'Financial Services', words: ['Capital', 'Financial', 'Partners', 'Advisors', 'Bank'], revenuePerEmployee: [200_000, 600_000] },
  { name: 'Healthcare', words: ['Health', 'Medical', 'Care', 'Clinics', 'Diagnostics'], revenuePerEmployee: [80_000, 250_000] },
  { name: 'Manufacturing', words: ['Manufacturing', 'Industries', 'Components', 'Fabrication', 'Machinery'], revenuePerEmployee: [150_000, 350_000] },
  { name: 'Retail', words: ['Retail', 'Goods', 'Outfitters', 'Market', 'Stores'], revenuePerEmployee: [100_000, 300_000] },
  { name: 'Logistics', words: ['Logistics', 'Freight', 'Shipping', 'Transport', 'Supply'], revenuePerEmployee: [120_000, 300_000] },
  { name: 'Energy', words: ['Energy', 'Power', 'Solar', 'Renewables', 'Utilities'], revenuePerEmployee: [300_000, 900_000] },
  { name: 'Education', words: ['Learning', 'Academy', 'Education', 'Institute', 'Schools'], revenuePerEmployee: [60_000, 150_000] },
  { name: 'Real Estate', words: ['Properties', 'Realty', 'Estates', 'Development', 'Homes'], revenuePerEmployee: [200_000, 500_000] },
  { name: 'Media', words: ['Media', 'Studios', 'Publishing', 'Broadcasting', 'Creative'], revenuePerEmployee: [100_000, 300_000] },
  { name: 'Hospitality', words: ['Hotels', 'Hospitality', 'Resorts', 'Travel', 'Dining'], revenuePerEmployee: [50_000, 120_000] },
  { name: 'Telecommunications', words: ['Networks', 'Telecom', 'Communications', 'Connect', 'Wireless'], revenuePerEmployee: [250_000, 600_000] },
  { name: 'Biotechnology', words: ['Biosciences', 'Therapeutics', 'Genomics', 'Pharma', 'Bio'], revenuePerEmployee: [150_000, 500_000] },
  { name: 'Construction', words: ['Construction', 'Builders', 'Engineering', 'Contractors', 'Structures'], revenuePerEmployee: [150_000, 350_000] },
  { name: 'Consulting', words: ['Consulting', 'Group', 'Associates', 'Strategy', 'Solutions'], revenuePerEmployee: [120_000, 300_000] },
];

const LEGAL_SUFFIXES: Record<string, string[]> = {
  US: ['', '', 'Inc', 'LLC', 'Corp', 'Co'],
  CA: ['', '', 'Inc', 'Ltd', 'Corp'],
  GB: ['', '', 'Ltd', 'PLC'],
  AU: ['', '', 'Pty Ltd'],
  DE: ['', '', 'GmbH', 'AG'],
  CH: ['', '', 'AG', 'GmbH', 'SA'],
  FR: ['', '', 'SA', 'SAS'],
  ES: ['', '', 'SL', 'SA'],
  NL: ['', '', 'BV', 'NV'],
  SE: ['', '', 'AB'],
};

/** A legal-form suffix that fits the country (often none). */
export const legalSuffixes = (country: string) => LEGAL_SUFFIXES[country] ?? ['', '', 'Ltd'];

export interface CityInfo {
  city: string;
  region: string;
  country: string;
  currency: string;
  phonePrefix: string;
  postal: () => string;
  weight: number;
}

const digits = (n: number, r: () => number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

export const CITIES = (r: () => number): CityInfo[] => [
  { city: 'San Francisco', region: 'CA', country: 'US', currency: 'USD', phonePrefix: '+1 415', postal: () => `941${digits(2, r)}`, weight: 6 },
  { city: 'New York', region: 'NY', country: 'US', currency: 'USD', phonePrefix: '+1 212', postal: () => `100${digits(2, r)}`, weight: 8 },
  { city: 'Austin', region: 'TX', country: 'US', currency: 'USD', phonePrefix: '+1 512', postal: () => `787${digits(2, r)}`, weight: 4 },
  { city: 'Chicago', region: 'IL', country: 'US', currency: 'USD', phonePrefix: '+1 312', postal: () => `606${digits(2, r)}`, weight: 5 },
  { city: 'Boston', region: 'MA', country: 'US', currency: 'USD', phonePrefix: '+1 617', postal: () => `021${digits(2, r)}`, weight: 4 },
  { city: 'Seattle', region: 'WA', country: 'US', currency: 'USD', phonePrefix: '+1 206', postal: () => `981${digits(2, r)}`, weight: 4 },
  { city: 'Denver', region: 'CO', country: 'US', currency: 'USD', phonePrefix: '+1 303', postal: () => `802${digits(2, r)}`, weight: 3 },
  { city: 'Atlanta', region: 'GA', country: 'US', currency: 'USD', phonePrefix: '+1 404', postal: () => `303${digits(2, r)}`, weight: 3 },
  { city: 'Toronto', region: 'ON', country: 'CA', currency: 'CAD', phonePrefix: '+1 416', postal: () => `M5V ${digits(1, r)}A${digits(1, r)}`, weight: 3 },
  { city: 'London', region: 'England', country: 'GB', currency: 'GBP', phonePrefix: '+44 20', postal: () => `EC1A ${digits(1, r)}BB`, weight: 5 },
  { city: 'Manchester', region: 'England', country: 'GB', currency: 'GBP', phonePrefix: '+44 161', postal: () => `M1 ${digits(1, r)}AE`, weight: 2 },
  { city: 'Berlin', region: 'Berlin', country: 'DE', currency: 'EUR', phonePrefix: '+49 30', postal: () => `10${digits(3, r)}`, weight: 4 },
  { city: 'Munich', region: 'Bavaria', country: 'DE', currency: 'EUR', phonePrefix: '+49 89', postal: () => `80${digits(3, r)}`, weight: 3 },
  { city: 'Paris', region: 'Île-de-France', country: 'FR', currency: 'EUR', phonePrefix: '+33 1', postal: () => `750${digits(2, r)}`, weight: 4 },
  { city: 'Amsterdam', region: 'North Holland', country: 'NL', currency: 'EUR', phonePrefix: '+31 20', postal: () => `10${digits(2, r)} AB`, weight: 3 },
  { city: 'Madrid', region: 'Madrid', country: 'ES', currency: 'EUR', phonePrefix: '+34 91', postal: () => `280${digits(2, r)}`, weight: 2 },
  { city: 'Stockholm', region: 'Stockholm', country: 'SE', currency: 'SEK', phonePrefix: '+46 8', postal: () => `11${digits(1, r)} ${digits(2, r)}`, weight: 2 },
  { city: 'Zurich', region: 'Zurich', country: 'CH', currency: 'CHF', phonePrefix: '+41 44', postal: () => `80${digits(2, r)}`, weight: 2 },
  { city: 'Sydney', region: 'NSW', country: 'AU', currency: 'AUD', phonePrefix: '+61 2', postal: () => `20${digits(2, r)}`, weight: 3 },
  { city: 'Singapore', region: 'Singapore', country: 'SG', currency: 'SGD', phonePrefix: '+65 6', postal: () => `0${digits(5, r)}`, weight: 2 },
  { city: 'Tokyo', region: 'Tokyo', country: 'JP', currency: 'JPY', phonePrefix: '+81 3', postal: () => `10${digits(1, r)}-${digits(4, r)}`, weight: 2 },
];

export const STREETS = [
  'Main St', 'Market St', 'Oak Ave', 'Park Ave', 'Broadway', 'Mission St', 'Pine St', 'Elm St', 'High St', 'King St',
  'Queen St', 'Church Rd', 'Station Rd', 'Harbour Way', 'Industrial Pkwy', 'Commerce Dr', 'Innovation Way', 'Lakeview Blvd', 'Hauptstraße', 'Rue de Rivoli',
];

export const JOB_TITLES = [
  'CEO', 'CTO', 'CFO', 'COO', 'VP of Sales', 'VP of Marketing', 'VP of Engineering', 'Head of Operations',
  'Head of Procurement', 'Director of IT', 'IT Manager', 'Sales Manager', 'Account Executive', 'Marketing Manager',
  'Product Manager', 'Software Engineer', 'Operations Manager', 'Procurement Specialist', 'Office Manager',
  'Customer Success Manager', 'Financial Controller', 'HR Director', 'Data Analyst', 'Project Manager',
  'Founder', 'Managing Director', 'Purchasing Manager', 'Head of Customer Support', 'Solutions Architect', 'Business Analyst',
];

export const SOURCES = ['Website', 'Referral', 'Trade show', 'LinkedIn', 'Cold outreach', 'Webinar', 'Partner', 'Inbound call', 'Content download'];

export const TOPICS = [
  'pricing', 'renewal', 'onboarding', 'the Q3 roadmap', 'the pilot project', 'contract terms', 'the security review',
  'integration options', 'the API rollout', 'support escalation', 'expansion to new teams', 'the invoice',
  'the product demo', 'implementation timeline', 'budget approval', 'the proposal', 'training sessions', 'data migration',
];

export const CALL_OUTCOMES = ['Connected', 'Left voicemail', 'No answer', 'Scheduled follow-up', 'Wrong number', 'Not interested'];

export const MEETING_KINDS = ['Discovery meeting', 'Product demo', 'Quarterly business review', 'Kick-off', 'Negotiation', 'Technical deep dive', 'Lunch'];

export const NOTE_SNIPPETS = [
  'Decision maker is on vacation until next month.',
  'Prefers email over phone. Very responsive in the mornings.',
  'Using a competitor today; contract ends in the autumn.',
  'Budget is approved for next fiscal year.',
  'Asked for references from customers in the same industry.',
  'Wants a custom SLA; loop in legal before sending the draft.',
  'Team is growing fast; expect expansion within two quarters.',
  'Concerned about data residency in the EU.',
];

export const COMMENT_SNIPPETS = [
  'Good call, thanks for the summary.',
  'I can take the follow-up on this one.',
  'Let us sync before the next meeting.',
  'Added the notes to the account plan.',
  'Please loop me in on the next email.',
  'Legal reviewed the terms, we are good to go.',
];

export const TAGS: { name: string; color: string; on: 'Company' | 'Contact' | 'both' }[] = [
  { name: 'Key account', color: '#d97706', on: 'Company' },
  { name: 'Enterprise', color: '#7c3aed', on: 'Company' },
  { name: 'SMB', color: '#2563eb', on: 'Company' },
  { name: 'Partner', color: '#059669', on: 'Company' },
  { name: 'At risk', color: '#dc2626', on: 'both' },
  { name: 'Upsell', color: '#16a34a', on: 'both' },
  { name: 'Decision maker', color: '#0891b2', on: 'Contact' },
  { name: 'Champion', color: '#ca8a04', on: 'Contact' },
  { name: 'Influencer', color: '#9333ea', on: 'Contact' },
  { name: 'Newsletter', color: '#64748b', on: 'Contact' },
  { name: 'Event attendee', color: '#db2777', on: 'Contact' },
  { name: 'Technical', color: '#475569', on: 'Contact' },
];
