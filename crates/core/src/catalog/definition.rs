//! The catalog's JSON shape (serde). Validation rules live in `validate.rs`.

use crate::money::{Credits, Usd};
pub use crate::package::PackageDefinition;
use token_estimate::Encoding;

/// A catalog document as written in JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogDefinition {
    /// Format version of the document; this library reads format `1`.
    pub format: u32,
    /// The vendor's revision label for this price list (e.g. a date).
    pub revision: String,
    /// Currency of every price; only `"USD"`.
    pub currency: String,
    /// How many credits one USD of model cost becomes (token-priced operations).
    pub credits_per_usd: Credits,
    /// Every debit rounds up to a multiple of this (e.g. `"0.001"` or `"1"`).
    pub credit_step: Credits,
    /// Models and their prices.
    pub models: Vec<ModelDefinition>,
    /// Operations and how each is charged.
    pub operations: Vec<OperationDefinition>,
    /// Credit packages for sale.
    pub packages: Vec<PackageDefinition>,
}

fn usd() -> String {
    "USD".to_string()
}

impl CatalogDefinition {
    pub(crate) fn empty() -> Self {
        CatalogDefinition {
            format: super::CATALOG_FORMAT,
            revision: String::new(),
            currency: usd(),
            credits_per_usd: Credits::ZERO,
            credit_step: Credits::ZERO,
            models: Vec::new(),
            operations: Vec::new(),
            packages: Vec::new(),
        }
    }
}

/// A model, in OpenRouter's shape: `id` and `pricing` (other fields are ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDefinition {
    /// OpenRouter-style id, e.g. `"openai/gpt-4o-mini"`.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Which tokenizer to count with (default `o200k_base`).
    pub encoding: Option<Encoding>,
    /// USD per token, as strings.
    pub pricing: ModelPricing,
}

/// USD prices per unit, as OpenRouter spells them (snake_case, decimal strings).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPricing {
    /// USD per input (prompt) token.
    pub prompt: Usd,
    /// USD per output (completion) token.
    pub completion: Usd,
    /// USD per request, if the provider charges one.
    pub request: Option<Usd>,
    /// USD per input token read from the provider's prompt cache.
    pub input_cache_read: Option<Usd>,
    /// USD per input token written to the provider's prompt cache.
    pub input_cache_write: Option<Usd>,
}

/// An operation the host can meter.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationDefinition {
    /// Id, e.g. `"flashcards.generate"`.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// How it is charged.
    pub charge: Charge,
    /// The model it runs on by default (token-priced and per-card operations).
    pub model: Option<String>,
    /// Whether the user's own API key may pay for it instead of credits.
    pub byok: bool,
    /// Tokens the host adds to every request (system prompt, instructions).
    pub prompt_overhead_tokens: u64,
    /// Output tokens per generated flashcard (per-card operations).
    pub output_tokens_per_card: Option<u64>,
    /// Expected output tokens of one call (token-priced operations).
    pub expected_output_tokens: Option<u64>,
    /// The most output tokens one call may produce (token-priced operations).
    pub max_output_tokens: Option<u64>,
}

/// A charging rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Charge {
    /// Credits per generated flashcard (≈ 1).
    PerCard {
        /// Credits for one card.
        credits_per_card: Credits,
    },
    /// Per LLM token (prompt and completion), given as at most one of a markup on the
    /// model's price or a fixed number of tokens per credit:
    /// - `markup` (the default, 1): tokens × the model's USD price × `creditsPerUsd` ×
    ///   `markup` — the price follows the model;
    /// - `tokensPerCredit`: a fixed rate whatever the model — a call costs
    ///   `(input + output tokens) ÷ tokensPerCredit`, rounded up once to the step. It
    ///   must equal the ledger policy's `unitsPerCredit` for `llmTokens` when the account
    ///   has that allowance (see [`super::Catalog::check_unit_rate`]), so that a message
    ///   paid in credits and one paid from the allowance cost the same. (The ledger
    ///   service's AI proxy charges a call no less than its cost at the model's prices,
    ///   and lets a hold of the operation call only the operation's `model`.)
    PerToken {
        /// Multiplier on the model's price (1 = at cost); `None`: 1, unless
        /// `tokens_per_credit` is given.
        markup: Option<Credits>,
        /// Tokens one credit buys (> 0), whatever the model.
        tokens_per_credit: Option<rust_decimal::Decimal>,
    },
    /// Credits per text-to-speech character, given as exactly one of a price per character
    /// or a number of characters per credit. The second form states a rate such as 300
    /// characters per credit exactly (1/300 credit has no finite decimal); it must equal
    /// the ledger policy's `unitsPerCredit` for `ttsCharacters` (see
    /// [`super::Catalog::check_unit_rate`]).
    PerCharacter {
        /// Credits for one character.
        credits_per_character: Option<Credits>,
        /// Characters one credit buys (> 0): a use costs `characters ÷ this`, rounded up once.
        characters_per_credit: Option<rust_decimal::Decimal>,
    },
    /// A fixed number of credits per use.
    Flat {
        /// Credits per use.
        credits: Credits,
    },
    /// Never costs credits.
    Free,
}

fn one() -> Credits {
    Credits::from_u64(1).unwrap_or_default()
}

/// How a per-token operation is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRate {
    /// At the model's USD price × `creditsPerUsd` × this markup.
    Markup(Credits),
    /// At this many tokens per credit, whatever the model.
    Fixed(rust_decimal::Decimal),
}

impl Charge {
    /// A per-token operation's rate (`None` for other charges): the fixed rate when the
    /// catalog gives `tokensPerCredit`, otherwise the markup (1 when absent).
    pub fn token_rate(&self) -> Option<TokenRate> {
        match self {
            Charge::PerToken { tokens_per_credit: Some(n), .. } => Some(TokenRate::Fixed(*n)),
            Charge::PerToken { markup, .. } => Some(TokenRate::Markup(markup.unwrap_or_else(one))),
            _ => None,
        }
    }

    /// The rule's name as it appears in JSON (`"perCard"`, `"free"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Charge::PerCard { .. } => "perCard",
            Charge::PerToken { .. } => "perToken",
            Charge::PerCharacter { .. } => "perCharacter",
            Charge::Flat { .. } => "flat",
            Charge::Free => "free",
        }
    }
}

json_struct!(CatalogDefinition [deny] {
    format: "format",
    revision: "revision",
    currency: "currency" = (usd()),
    credits_per_usd: "creditsPerUsd",
    credit_step: "creditStep",
    models: "models" = default,
    operations: "operations",
    packages: "packages" = default,
});
json_struct!(ModelDefinition { id: "id", name: "name" = opt, encoding: "encoding" = opt, pricing: "pricing" });
json_struct!(ModelPricing {
    prompt: "prompt",
    completion: "completion",
    request: "request" = opt,
    input_cache_read: "input_cache_read" = opt,
    input_cache_write: "input_cache_write" = opt,
});
json_struct!(OperationDefinition [deny] {
    id: "id",
    name: "name" = opt,
    charge: "charge",
    model: "model" = opt,
    byok: "byok" = default,
    prompt_overhead_tokens: "promptOverheadTokens" = default,
    output_tokens_per_card: "outputTokensPerCard" = opt,
    expected_output_tokens: "expectedOutputTokens" = opt,
    max_output_tokens: "maxOutputTokens" = opt,
});
json_tagged!(Charge, "kind" [deny] {
    PerCard "perCard" { credits_per_card: "creditsPerCard" },
    PerToken "perToken" { markup: "markup" = opt, tokens_per_credit: "tokensPerCredit" = opt },
    PerCharacter "perCharacter" { credits_per_character: "creditsPerCharacter" = opt, characters_per_credit: "charactersPerCredit" = opt },
    Flat "flat" { credits: "credits" },
    Free "free" {},
});
