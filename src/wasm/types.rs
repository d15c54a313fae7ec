//! TypeScript declarations for every shape that crosses the boundary, and the opaque
//! extern types that let the generated `.d.ts` name them instead of `any`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A decimal string such as "12.5". Money never crosses as a JS number. */
export type Decimal = string;
/** Tokenizers whose counts the estimator models. */
export type Encoding = "o200k_base" | "cl100k_base";
/** How an operation is charged. */
export type ChargeKind = "perCard" | "perToken" | "perCharacter" | "flat" | "free";
/** Stable codes of thrown errors. */
export type ErrorCode =
  | "BAD_INPUT" | "BAD_AMOUNT" | "BAD_CATALOG"
  | "UNKNOWN_MODEL" | "UNKNOWN_OPERATION" | "UNKNOWN_ENCODING";
/** Every error this package throws: a real `Error` with `name` "CreditMeterError" and a `code`. */
export interface CreditMeterError extends Error { name: "CreditMeterError"; code: ErrorCode; }

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
