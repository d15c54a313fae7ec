//! A credit package for sale: what the catalog shows a buyer and what the ledger grants
//! when it is bought, so both halves read the same terms.

use crate::money::{Credits, Usd};

/// A credit package for sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDefinition {
    /// Id, e.g. `"pro"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits bought.
    pub credits: Credits,
    /// Bonus credits on top.
    pub bonus: Credits,
    /// Price in USD.
    pub price_usd: Usd,
}

json_struct!(PackageDefinition [deny] {
    id: "id",
    name: "name",
    credits: "credits",
    bonus: "bonus" = default,
    price_usd: "priceUsd",
});
