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
/** Tokenizers whose counts the estimator models. */
export type Encoding = "o200k_base" | "cl100k_base";
/** How an operation is charged. */
export type ChargeKind = "perCard" | "perToken" | "perCharacter" | "flat" | "free";
/** What every error this package throws has: a real `Error` named "CreditMeterError" with a stable `code`. */
export interface CreditMeterErrorBase extends Error {
  name: "CreditMeterError";
  code: ErrorCode;
}
/** `INSUFFICIENT_CREDITS` from `Meter.reserve`: how short the balance is and the ways out. */
export interface InsufficientCreditsError extends CreditMeterErrorBase {
  code: "INSUFFICIENT_CREDITS";
  /** Credits asked for. */
  needed: Decimal;
  /** Credits available. */
  available: Decimal;
  /** `needed − available`. */
  shortfall: Decimal;
  /** The cheapest package that covers the shortfall (null when none is for sale). */
  package: { package: PackageOffer; quantity: number } | null;
  /** `buyCredits` when a package covers it; `useOwnKey` where the operation allows keys. */
  options: Remedy[];
}
/** Every error this package throws, told apart by `code`:
 * `if (e.code === "INSUFFICIENT_CREDITS") e.shortfall` type-checks. */
export type CreditMeterError =
  | InsufficientCreditsError
  | (CreditMeterErrorBase & { code: Exclude<ErrorCode, "INSUFFICIENT_CREDITS"> });

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
  v: 1;
  samples: number;
  /** Actual ÷ predicted cards. */
  cardRatio: Decimal;
  cardDeviation: Decimal;
  tokenSamples: number;
  outputTokensPerCard: Decimal | null;
}
/** One generation's outcome. */
export interface CalibrateRequest {
  state?: CalibrationState | null;
  /** The estimate made before the generation. */
  estimate: Estimate;
  /** Cards actually generated. */
  cards: number;
  /** Output tokens actually used. */
  outputTokens?: number;
}
/** A count with its range. */
export interface CountRange { low: number; expected: number; high: number; }
/** An amount with its range; `high` is what a hold reserves. */
export interface Bounds<T> { low: T; expected: T; high: T; }
/** Structures flashcards are made from. */
export interface NoteStructure {
  headings: number; listItems: number; definitions: number; sentences: number;
  tableRows: number; codeBlocks: number; mathBlocks: number; explicitCards: number; words: number;
}
/** What was left out of a note. */
export interface Removed { frontmatter: boolean; comments: number; embeds: number; bytes: number; }
/** A note's analysis. */
export interface NoteSummary { sentChars: number; removed: Removed; structure: NoteStructure; }
/** The estimate of one operation. Pass it to `decide` as is. */
export interface Estimate {
  operation: string;
  charge: ChargeKind;
  model: string | null;
  encoding: Encoding | null;
  inputTokens: CountRange;
  outputTokens: CountRange;
  cards: CountRange | null;
  characters: number | null;
  /** Credits, each bound rounded up to the catalog's step. */
  credits: Bounds<Decimal>;
  /** What the call would cost on the user's own key, in USD. */
  providerUsd: Bounds<Decimal> | null;
  byokAllowed: boolean;
  /** False when there is nothing to send (no AI call needed). */
  hasWork: boolean;
  note: NoteSummary | null;
}
/** What to decide. */
export interface DecideRequest {
  estimate: Estimate;
  /** Whether the user has their own API key configured. */
  byok?: boolean;
  /** Credits available now, as a decimal string. */
  balance?: Decimal;
}
/** A credit package with its derived figures. */
export interface PackageOffer {
  id: string; name: string; credits: Decimal; bonus: Decimal; total: Decimal;
  priceUsd: Decimal;
  /** price / total, rounded half-up to 6 decimal places. */
  perCreditUsd: Decimal;
}
/** Who pays. */
export type Funding = "byok" | "free" | "credits" | "insufficient";
/** A way out of an insufficient balance. */
export type Remedy = "buyCredits" | "useOwnKey";
/** The decision. */
export interface Decision {
  operation: string;
  funding: Funding;
  /** Whether to make the AI call at all. */
  proceed: boolean;
  /** Credits to hold before the call. */
  reserve: Decimal;
  expected: Decimal;
  balance: Decimal | null;
  shortfall: Decimal | null;
  package: { package: PackageOffer; quantity: number } | null;
  options: Remedy[];
  /** One sentence for the user. */
  reason: string;
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
/** Options of Meter.open. */
export interface MeterOptions {
  accountId: string;
  deviceId: string;
  /** The ledger's Ed25519 public keys by key id, base64url. */
  publicKeys: Record<string, string>;
  /** Prices (default: the embedded catalog). */
  catalog?: string | CatalogDefinition | Catalog;
  host: MeterHost;
  timeouts?: { storageMs?: number; networkMs?: number };
}
/** What reserve takes: a Decision from meter.decide, or an operation and an amount. */
export type ReserveArgs = Decision | { operation: string; amount: Decimal; agentId?: string };
/** What commit takes: credits, or the usage to price with the catalog. */
export type CommitArgs =
  | { credits: Decimal }
  | { operation: string; model?: string; cards?: number; inputTokens?: number; outputTokens?: number; characters?: number };
/** decide on a Meter: the balance comes from the meter. */
export interface MeterDecideRequest { estimate: Estimate; byok?: boolean; }
/** A hold on credits. */
export interface Hold { holdId: string; amount: Decimal; operation: string; needsConfirmation: boolean; seq: number; }
/** A saved commit or release. */
export interface Settled { holdId: string; kind: "commit" | "release"; credits?: Decimal; }
/** A grant as the signed snapshot shows it. */
export interface SnapshotGrant { id: string; kind: string; remaining: Decimal; /** Absent: never expires. */ expiresAt?: number; priority: number; /** Absent: not refundable. */ refundableUntil?: number; }
/** The meter's balance. */
export interface Balance {
  balance: Decimal; available: Decimal;
  /** What may be reserved now: available, bounded by the offline room when stale. */
  spendable: Decimal;
  heldOwn: Decimal; heldOther: Decimal; pending: Decimal; exposure: Decimal; room: Decimal;
  freshness: "none" | "fresh" | "stale" | "clockUntrusted";
  stale: boolean; low: boolean; seq: number; outbox: number; at: number;
  grants: SnapshotGrant[];
  allowances: { kind: string; remaining: number }[];
}
/** Something the host may want to show. */
export type MeterEvent =
  | { type: "acknowledged"; seq: number; kind: "reserve" | "commit" | "release"; holdId: string; status: string | null; code: string | null; charged: Decimal | null; overdraft: Decimal | null; unpaid: Decimal | null; settledBy: "proxy" | null; confirmed: boolean }
  | { type: "synced"; seq: number; outbox: number }
  | { type: "syncFailed"; code: string; attempt: number; retryAt: number }
  | { type: "cacheDiscarded"; code: "TAMPERED_CACHE" | "WRONG_ACCOUNT"; keptMutations: number; outboxLost: boolean }
  | { type: "hostError"; code: string; callback: string; message: string };
/** USD per unit, as OpenRouter spells it. */
export interface ModelPricing {
  prompt: Decimal; completion: Decimal; request?: Decimal;
  input_cache_read?: Decimal; input_cache_write?: Decimal;
}
/** A model entry (OpenRouter's shape; other fields are ignored). */
export interface ModelDefinition { id: string; name?: string; encoding?: Encoding; pricing: ModelPricing; }
/** A charging rule. */
export type Charge =
  | { kind: "perCard"; creditsPerCard: Decimal }
  | { kind: "perToken"; markup?: Decimal }
  | { kind: "perCharacter"; creditsPerCharacter: Decimal }
  | { kind: "flat"; credits: Decimal }
  | { kind: "free" };
/** An operation entry. */
export interface OperationDefinition {
  id: string; name?: string; charge: Charge; model?: string; byok?: boolean;
  promptOverheadTokens?: number; outputTokensPerCard?: number;
  expectedOutputTokens?: number; maxOutputTokens?: number;
}
/** A package entry. */
export interface PackageDefinition { id: string; name: string; credits: Decimal; bonus?: Decimal; priceUsd: Decimal; }
/** A catalog document (format 1). */
export interface CatalogDefinition {
  format: 1;
  revision: string;
  currency?: "USD";
  creditsPerUsd: Decimal;
  creditStep: Decimal;
  models?: ModelDefinition[];
  operations: OperationDefinition[];
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
