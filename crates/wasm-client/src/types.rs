//! TypeScript declarations for every shape that crosses the boundary, and the opaque
//! extern types that let the generated `.d.ts` name them instead of `any`.

use wasm_bindgen::prelude::*;

/// The complete union of error codes, generated from the protocol crate's `ErrorCode` list.
#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_CODES: &'static str = crate::error::ErrorCode::TYPESCRIPT;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A decimal string such as "12.5". Money never crosses as a JS number. */
export type Decimal = string;
/** Options of `formatAmount`. */
export interface FormatAmountOptions {
  /** A BCP 47 language tag ("de-DE") or a list of them; the runtime's default locale when absent. */
  locale?: string | string[];
  /** Digits kept after the decimal separator, rounding half away from zero: 0 to 20, default 2. */
  maximumFractionDigits?: number;
}
/** Tokenizers whose counts the estimator models. */
export type Encoding = "o200k_base" | "cl100k_base";
/** How an operation is charged. */
export type ChargeKind = "perCard" | "perToken" | "perCharacter" | "flat" | "free";
/** What every error this package throws has: a real `Error` named "CreditMeterError" with a stable `code`. */
export interface CreditMeterErrorBase extends Error {
  /** Always "CreditMeterError". */
  name: "CreditMeterError";
  /** The stable code to branch on. */
  code: ErrorCode;
}
/** `INSUFFICIENT_CREDITS` from `Meter.reserve`: how short the balance is and the ways out. */
export interface InsufficientCreditsError extends CreditMeterErrorBase {
  /** Not enough spendable credits. */
  code: "INSUFFICIENT_CREDITS";
  /** Credits asked for. */
  needed: Decimal;
  /** Credits available. */
  available: Decimal;
  /** `needed − available`. */
  shortfall: Decimal;
  /** The cheapest package that covers the shortfall (null when none is for sale). */
  package: PackageSuggestion | null;
  /** `buyCredits` when a package covers it; `useOwnKey` where the operation allows keys. */
  options: Remedy[];
}
/** Every error this package throws, told apart by `code`:
 * `if (e.code === "INSUFFICIENT_CREDITS") e.shortfall` type-checks. */
export type CreditMeterError =
  | InsufficientCreditsError
  | (CreditMeterErrorBase & { /** Any code but INSUFFICIENT_CREDITS. */ code: Exclude<ErrorCode, "INSUFFICIENT_CREDITS"> });

/** What to estimate; which fields are needed depends on the operation's charge. */
export interface EstimateRequest {
  /** Operation id from the catalog, e.g. "flashcards.generate". */
  operation: string;
  /** A markdown note; frontmatter, %% comments %% and media embeds are left out. */
  note?: string;
  /** Plain text sent as is (messages, TTS). */
  text?: string;
  /** Model id; the operation's default when absent. */
  model?: string;
  /** Token encoding; the model's when absent. */
  encoding?: Encoding;
  /** Known prompt tokens (a safe integer). */
  inputTokens?: number;
  /** Known or expected completion tokens. */
  outputTokens?: number;
  /** The call's output limit (the high bound of token-priced operations). */
  maxOutputTokens?: number;
  /** Known TTS characters. */
  characters?: number;
  /** Known flashcard count. */
  cards?: number;
  /** This user's calibration state (from `calibrate`), for per-card operations. */
  calibration?: CalibrationState | null;
}
/** What one user's generations taught the card estimate. Save it; pass it back. */
export interface CalibrationState {
  /** Format version (1). */
  v: 1;
  /** Generations observed with a card prediction. */
  samples: number;
  /** Actual cards ÷ predicted cards, averaged. */
  cardRatio: Decimal;
  /** Mean absolute deviation of the per-generation ratio from `cardRatio`, relative. */
  cardDeviation: Decimal;
  /** Generations observed with output tokens. */
  tokenSamples: number;
  /** Output tokens per card, averaged (null until observed). */
  outputTokensPerCard: Decimal | null;
}
/** One generation's outcome. */
export interface CalibrateRequest {
  /** The state so far (from the last `calibrate`); absent or null for a first generation. */
  state?: CalibrationState | null;
  /** The estimate made before the generation. */
  estimate: Estimate;
  /** Cards actually generated. */
  cards: number;
  /** Output tokens actually used. */
  outputTokens?: number;
}
/** A count with its range. */
export interface CountRange {
  /** The lower bound. */
  low: number;
  /** The most likely value. */
  expected: number;
  /** The upper bound. */
  high: number;
}
/** An amount with its range; `high` is what a hold reserves. */
export interface Bounds<T> {
  /** The lower bound. */
  low: T;
  /** The most likely value. */
  expected: T;
  /** The upper bound (what a hold reserves). */
  high: T;
}
/** Structures flashcards are made from (counted in the text sent to the model). */
export interface NoteStructure {
  /** Headings, of every level. */
  headings: number;
  /** List items, nested and task items included. */
  listItems: number;
  /** Definition-list terms and `Term: definition` lines. */
  definitions: number;
  /** Sentences in paragraphs, block quotes and table cells. */
  sentences: number;
  /** Table body rows. */
  tableRows: number;
  /** Fenced or indented code blocks. */
  codeBlocks: number;
  /** Display math blocks. */
  mathBlocks: number;
  /** Cards already written in the note (`Q:` lines, `question::answer`, clozes). */
  explicitCards: number;
  /** Words of prose (a CJK character counts as one). */
  words: number;
}
/** What was left out of a note before it is sent. */
export interface Removed {
  /** Whether a YAML frontmatter was removed. */
  frontmatter: boolean;
  /** `%% comments %%` removed. */
  comments: number;
  /** Media embeds removed (images, audio, video, PDF). */
  embeds: number;
  /** Bytes removed in all. */
  bytes: number;
}
/** A note's analysis (`noteForModel(note)` is the text it describes). */
export interface NoteSummary {
  /** Characters of the text sent to the model. */
  sentChars: number;
  /** What was left out. */
  removed: Removed;
  /** The structures counted. */
  structure: NoteStructure;
}
/** The estimate of one operation. Pass it to `decide` as is. */
export interface Estimate {
  /** The operation's id. */
  operation: string;
  /** How the operation is charged. */
  charge: ChargeKind;
  /** The model priced (null for operations without one). */
  model: string | null;
  /** The token encoding counted with (null when no tokens are involved). */
  encoding: Encoding | null;
  /** Prompt tokens. */
  inputTokens: CountRange;
  /** Completion tokens. */
  outputTokens: CountRange;
  /** Flashcards (per-card operations only). */
  cards: CountRange | null;
  /** TTS characters (per-character operations only). */
  characters: number | null;
  /** Credits, each bound rounded up to the catalog's step. */
  credits: Bounds<Decimal>;
  /** What the call would cost on the user's own key, in USD. */
  providerUsd: Bounds<Decimal> | null;
  /** Whether the operation may run on the user's own key. */
  byokAllowed: boolean;
  /** False when there is nothing to send (no AI call needed). */
  hasWork: boolean;
  /** The note's analysis (when the request had a note). */
  note: NoteSummary | null;
}
/** What to decide. */
export interface DecideRequest {
  /** The estimate, as `estimate` returned it. */
  estimate: Estimate;
  /** Whether the user has their own API key configured. */
  byok?: boolean;
  /** Credits available now, as a decimal string. */
  balance?: Decimal;
}
/** A credit package with its derived figures. */
export interface PackageOffer {
  /** Package id. */
  id: string;
  /** Display name. */
  name: string;
  /** Credits bought. */
  credits: Decimal;
  /** Bonus credits on top. */
  bonus: Decimal;
  /** `credits + bonus`. */
  total: Decimal;
  /** Price in USD. */
  priceUsd: Decimal;
  /** price / total, rounded half-up to 6 decimal places. */
  perCreditUsd: Decimal;
}
/** A package to buy: the offer, and how many of it cover the shortfall. */
export interface PackageSuggestion extends PackageOffer {
  /** How many of this package (1 unless the shortfall exceeds every package). */
  quantity: number;
  /** @deprecated The same offer, nested as in earlier releases (`decision.package.package.name`):
   * read `decision.package.name`. Removed in the next release. */
  package: PackageOffer;
}
/** Who pays: the user's own key, nobody (free), credits, or nobody yet (not enough credits). */
export type Funding = "byok" | "free" | "credits" | "insufficient";
/** A way out of an insufficient balance. */
export type Remedy = "buyCredits" | "useOwnKey";
/** The decision. */
export interface Decision {
  /** The operation's id. */
  operation: string;
  /** Who pays. */
  funding: Funding;
  /** Whether to make the AI call at all. */
  proceed: boolean;
  /** Credits to hold before the call. */
  reserve: Decimal;
  /** Credits the call is expected to cost. */
  expected: Decimal;
  /** The balance decided against (null when none was given or needed). */
  balance: Decimal | null;
  /** Credits missing (`insufficient` only). */
  shortfall: Decimal | null;
  /** The cheapest package that covers the shortfall (`insufficient` only; null when none is for sale). */
  package: PackageSuggestion | null;
  /** The ways out of an insufficient balance. */
  options: Remedy[];
  /** A smaller result the balance covers now (insufficient only, when there is one). */
  capped: CappedOffer | null;
  /** One sentence for the user. */
  reason: string;
  /**
   * Present when `Meter.decide` decided against the account's allowance for the
   * operation's units (TTS characters; LLM tokens — prompt + completion — for an operation
   * at a fixed `tokensPerCredit`; PROTOCOL §12): `reserve(decision)` then reserves
   * `units` of it, `reserve` is the credits held for the part the allowance does not
   * cover, and the hold is committed with `{units}`.
   */
  unit?: "ttsCharacters" | "llmTokens";
  /** With `unit`: the units to reserve. */
  units?: number;
}
/**
 * The largest smaller version of the call that fits the balance. Honour it by estimating
 * the same request again with `cards` (flashcards) or `maxOutputTokens` (messages) set to
 * this cap (the decision on that estimate says "credits"), and asking the AI for no more.
 */
export interface CappedOffer {
  /** At most this many flashcards (per-card operations). */
  cards: number | null;
  /** At most this many completion tokens (per-token operations). */
  maxOutputTokens: number | null;
  /** Credits to hold for the capped call (its high estimate). */
  reserve: Decimal;
  /** What the capped call is expected to cost. */
  expected: Decimal;
}
/** The host's callbacks. Each may return a value or a promise; each call has a timeout. */
export interface MeterHost {
  /** Reads the persisted state (null when nothing was saved). */
  load(): string | null | undefined | Promise<string | null | undefined>;
  /** Writes the persisted state; resolve once it is durable. */
  save(state: string): void | Promise<void>;
  /** Sends a pull request to the ledger; returns the response body. */
  pull(request: string): string | Promise<string>;
  /** Sends a push request to the ledger; returns the response body. */
  push(request: string): string | Promise<string>;
  /** Milliseconds since 1970 (default Date.now()). */
  now?(): number;
  /** Called with every event (see MeterEvent). */
  onEvent?(event: MeterEvent): void;
}
/** How long the host's callbacks may take before they count as failed. */
export interface MeterTimeouts {
  /** `load` and `save`, in milliseconds. */
  storageMs?: number;
  /** `pull` and `push`, in milliseconds. */
  networkMs?: number;
}
/** Options of Meter.open. */
export interface MeterOptions {
  /** The user's account at the ledger. */
  accountId: string;
  /** This installation's id (the ledger numbers each device's changes). */
  deviceId: string;
  /** The ledger's Ed25519 public keys by key id, base64url. */
  publicKeys: Record<string, string>;
  /** Prices (default: the embedded catalog). */
  catalog?: string | CatalogDefinition | Catalog;
  /** The host's callbacks: storage and the ledger's transport. */
  host: MeterHost;
  /** Callback timeouts (defaults apply when absent). */
  timeouts?: MeterTimeouts;
}
/** A reserve of an explicit amount. */
export interface ReserveAmount {
  /** The operation's id. */
  operation: string;
  /** Credits to hold. */
  amount: Decimal;
  /** The agent whose usage it is (agent subscriptions). */
  agentId?: string;
}
/** A reserve in an allowance's units (PROTOCOL.md §12): the allowance first, the shortfall in credits. */
export interface ReserveUnits {
  /** The operation's id. */
  operation: string;
  /** The allowance whose units these are. */
  unit: "ttsCharacters" | "llmTokens";
  /** Units to hold (a whole number). */
  units: number;
  /** The agent whose usage it is (agent subscriptions). */
  agentId?: string;
}
/** What reserve takes: a Decision from meter.decide, an operation and an amount, or units. */
export type ReserveArgs = Decision | ReserveAmount | ReserveUnits;
/** A commit of an explicit number of credits. */
export interface CommitCredits {
  /** Credits to charge. */
  credits: Decimal;
}
/** A commit of the usage, priced with the meter's catalog. */
export interface CommitUsage {
  /** The operation's id. */
  operation: string;
  /** The model used (the operation's default when absent). */
  model?: string;
  /** Flashcards made. */
  cards?: number;
  /** Prompt tokens used. */
  inputTokens?: number;
  /** Completion tokens used. */
  outputTokens?: number;
  /** TTS characters spoken. */
  characters?: number;
}
/** A commit of the units a hold reserved in units really used. */
export interface CommitUnits {
  /** Units used (a whole number). */
  units: number;
}
/** What commit takes: credits, the usage to price with the catalog, or units (a hold reserved in units). */
export type CommitArgs = CommitCredits | CommitUsage | CommitUnits;
/** decide on a Meter: the balance comes from the meter. */
export interface MeterDecideRequest {
  /** The estimate, as `meter.estimate` returned it. */
  estimate: Estimate;
  /** Whether the user has their own API key configured. */
  byok?: boolean;
}
/** A hold on credits. */
export interface Hold {
  /** The hold's id: pass it to `commit` or `release`. */
  holdId: string;
  /** Credits held. */
  amount: Decimal;
  /** The operation's id. */
  operation: string;
  /** Beyond the offline limit: run the AI call only once the ledger has confirmed the reserve. */
  needsConfirmation: boolean;
  /** The reserve's mutation seq. */
  seq: number;
  /** A reserve in units: the unit. */
  unit?: string;
  /** A reserve in units: the allowance units set aside (`amount` is the credits for the shortfall). */
  units?: number;
}
/** A saved commit or release. */
export interface Settled {
  /** The hold settled. */
  holdId: string;
  /** Whether it was committed or released. */
  kind: "commit" | "release";
  /** Credits charged (commits in credits). */
  credits?: Decimal;
  /** Units used (commits in units). */
  units?: number;
}
/** A grant as the signed snapshot shows it. */
export interface SnapshotGrant {
  /** Grant id. */
  id: string;
  /** What kind of grant (purchase, bonus, allowance…). */
  kind: string;
  /** Credits left on it. */
  remaining: Decimal;
  /** Absent: never expires. */
  expiresAt?: number;
  /** Order of use: a higher priority is drawn first (then the soonest expiry; PROTOCOL §6.4). */
  priority: number;
  /** Absent: not refundable. */
  refundableUntil?: number;
}
/** What is left of an allowance (LLM tokens, TTS characters). */
export interface AllowanceLeft {
  /** The allowance's kind. */
  kind: string;
  /** Units left. */
  remaining: number;
  /** Units set aside by open holds in units (every device's). */
  held?: number;
  /** Units one credit converts into (absent: the ledger takes no usage in this unit). */
  unitsPerCredit?: Decimal;
  /** What a reserve beyond the allowance does. */
  onShortfall?: "convert" | "refuse";
}
/** The meter's state (`meter.status()`): see PROTOCOL.md §4 for the arithmetic. */
export interface Balance {
  /** Credits on the usable grants. */
  balance: Decimal;
  /** `balance − heldOther − heldOwn − pending`, never below 0. */
  available: Decimal;
  /** What may be reserved now: available, bounded by the offline room when stale. */
  spendable: Decimal;
  /** This device's holds. */
  heldOwn: Decimal;
  /** Other devices' holds. */
  heldOther: Decimal;
  /** Commits not yet acknowledged. */
  pending: Decimal;
  /** What this device may owe without the ledger's acknowledgement. */
  exposure: Decimal;
  /** `offlineLimit − exposure`: what may still be spent offline. */
  room: Decimal;
  /** Whether the snapshot is fresh, stale, absent, or the clock was set back. */
  freshness: "none" | "fresh" | "stale" | "clockUntrusted";
  /** Whether the snapshot is not fresh. */
  stale: boolean;
  /** Whether the balance is below a low-balance level. */
  low: boolean;
  /** The snapshot's seq (0 without one). */
  seq: number;
  /** Mutations waiting to be acknowledged. */
  outbox: number;
  /** The instant of this view (ms since 1970). */
  at: number;
  /** The grants, in order of use. */
  grants: SnapshotGrant[];
  /** The allowances left. */
  allowances: AllowanceLeft[];
  /** The account's agents (empty without agents). */
  agents: AgentState[];
}
/** An agent as the signed snapshot shows it (PROTOCOL.md §12.6). */
export interface AgentState {
  /** The agent's id. */
  id: string;
  /** Usage attributed to an inactive agent is refused (`AGENT_INACTIVE`). */
  status: "active" | "inactive";
  /** When its current cycle ends (ms since 1970). */
  cycleEnd: number;
  /** Credits its usage drew this cycle. */
  cycleCredits: Decimal;
  /** LLM tokens it used this cycle. */
  cycleLlmTokens: number;
  /** TTS characters it used this cycle. */
  cycleTtsCharacters: number;
}
/** The ledger acknowledged a mutation. */
export interface AcknowledgedEvent {
  /** The event's type. */
  type: "acknowledged";
  /** The mutation's seq. */
  seq: number;
  /** What the mutation was. */
  kind: "reserve" | "commit" | "release";
  /** The hold it concerns. */
  holdId: string;
  /** The ledger's status ("applied", "refused", "duplicate"…). */
  status: string | null;
  /** The refusal's code. */
  code: string | null;
  /** Credits charged (commits). */
  charged: Decimal | null;
  /** Usage beyond the balance the ledger recorded as overdraft (commits). */
  overdraft: Decimal | null;
  /** Usage left unpaid (commits). */
  unpaid: Decimal | null;
  /** `"proxy"`: the vendor's AI proxy settled this hold from the provider's usage; the
   * amounts are its settlement and this commit charged nothing more (PROTOCOL §6.7). */
  settledBy: "proxy" | null;
  /** Whether a reserve that needed confirmation is confirmed. */
  confirmed: boolean;
}
/** A sync finished. */
export interface SyncedEvent {
  /** The event's type. */
  type: "synced";
  /** The new snapshot's seq. */
  seq: number;
  /** Mutations still waiting. */
  outbox: number;
}
/** A sync failed; it is retried. */
export interface SyncFailedEvent {
  /** The event's type. */
  type: "syncFailed";
  /** Why (an ErrorCode). */
  code: string;
  /** Attempts so far. */
  attempt: number;
  /** When the next attempt is (ms since 1970). */
  retryAt: number;
}
/** The persisted state failed its checks and was discarded. */
export interface CacheDiscardedEvent {
  /** The event's type. */
  type: "cacheDiscarded";
  /** Why. */
  code: "TAMPERED_CACHE" | "WRONG_ACCOUNT";
  /** Mutations kept from the outbox. */
  keptMutations: number;
  /** Whether the outbox could not be kept. */
  outboxLost: boolean;
}
/** A host callback failed. */
export interface HostErrorEvent {
  /** The event's type. */
  type: "hostError";
  /** HOST_FAILED, HOST_TIMEOUT… */
  code: string;
  /** Which callback. */
  callback: string;
  /** What it threw. */
  message: string;
}
/** Something the host may want to show. */
export type MeterEvent = AcknowledgedEvent | SyncedEvent | SyncFailedEvent | CacheDiscardedEvent | HostErrorEvent;
/** USD per unit, as OpenRouter spells it. */
export interface ModelPricing {
  /** USD per prompt token. */
  prompt: Decimal;
  /** USD per completion token. */
  completion: Decimal;
  /** USD per request. */
  request?: Decimal;
  /** USD per cached prompt token read. */
  input_cache_read?: Decimal;
  /** USD per cached prompt token written. */
  input_cache_write?: Decimal;
}
/** A model entry (OpenRouter's shape; other fields are ignored). */
export interface ModelDefinition {
  /** Model id ("openai/gpt-4o-mini"). */
  id: string;
  /** Display name. */
  name?: string;
  /** Its tokenizer (guessed from the id when absent). */
  encoding?: Encoding;
  /** Its prices. */
  pricing: ModelPricing;
}
/** A charging rule. */
export type Charge =
  | { /** Per flashcard. */ kind: "perCard"; /** Credits per card. */ creditsPerCard: Decimal }
  | {
      /** Per LLM token, at most one of the two rates (neither: markup 1). */
      kind: "perToken";
      /** At the model's price, times this multiplier. */
      markup?: Decimal;
      /**
       * A fixed rate whatever the model: (input + output tokens) ÷ this, rounded up once.
       * Must equal the policy's `unitsPerCredit` for `llmTokens`; then `decide` draws on
       * that allowance (decision.unit "llmTokens").
       */
      tokensPerCredit?: Decimal;
    }
  | {
      /** Per TTS character, at exactly one of the two rates. */
      kind: "perCharacter";
      /** Credits per character. */
      creditsPerCharacter?: Decimal;
      /** Characters per credit (exact where credits per character is not, e.g. 300). */
      charactersPerCredit?: Decimal;
    }
  | { /** A fixed price. */ kind: "flat"; /** Credits per call. */ credits: Decimal }
  | { /** Nothing to pay. */ kind: "free" };
/** An operation entry. */
export interface OperationDefinition {
  /** Operation id ("flashcards.generate"). */
  id: string;
  /** Display name. */
  name?: string;
  /** How it is charged. */
  charge: Charge;
  /** Its default model. */
  model?: string;
  /** Whether it may run on the user's own key. */
  byok?: boolean;
  /** Prompt tokens added to the content (instructions). */
  promptOverheadTokens?: number;
  /** Completion tokens per card (per-card operations). */
  outputTokensPerCard?: number;
  /** Expected completion tokens (token-priced operations). */
  expectedOutputTokens?: number;
  /** The call's completion limit. */
  maxOutputTokens?: number;
}
/** A package entry. */
export interface PackageDefinition {
  /** Package id. */
  id: string;
  /** Display name. */
  name: string;
  /** Credits bought. */
  credits: Decimal;
  /** Bonus credits on top. */
  bonus?: Decimal;
  /** Price in USD. */
  priceUsd: Decimal;
}
/** A catalog document (format 1). */
export interface CatalogDefinition {
  /** Format version (1). */
  format: 1;
  /** The catalog's revision label. */
  revision: string;
  /** The only currency (USD). */
  currency?: "USD";
  /** Credits per US dollar. */
  creditsPerUsd: Decimal;
  /** Every debit rounds up to a multiple of this. */
  creditStep: Decimal;
  /** Models and their prices. */
  models?: ModelDefinition[];
  /** Operations and their charges. */
  operations: OperationDefinition[];
  /** Packages for sale. */
  packages?: PackageDefinition[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `EstimateRequest` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "EstimateRequest")]
    pub type EstimateRequestJs;
    /// `Estimate` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Estimate")]
    pub type EstimateJs;
    /// `DecideRequest` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "DecideRequest")]
    pub type DecideRequestJs;
    /// `Decision` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Decision")]
    pub type DecisionJs;
    /// `CatalogDefinition` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "CatalogDefinition")]
    pub type CatalogDefinitionJs;
    /// `string | CatalogDefinition` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "string | CatalogDefinition")]
    pub type CatalogInputJs;
    /// `CalibrateRequest` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "CalibrateRequest")]
    pub type CalibrateRequestJs;
    /// `CalibrationState` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "CalibrationState")]
    pub type CalibrationStateJs;
    /// `PackageOffer[]` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "PackageOffer[]")]
    pub type PackageOffersJs;
}
