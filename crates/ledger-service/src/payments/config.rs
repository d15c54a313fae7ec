//! The command-line options of payments and low-balance emails, and what they build.
//!
//! Secrets come from files (or the environment), never from the command line, where
//! every user of the machine could read them: `--stripe-secret-key-file` (or
//! `CREDIT_METER_STRIPE_SECRET_KEY`), `--stripe-webhook-secret-file` (or
//! `CREDIT_METER_STRIPE_WEBHOOK_SECRET`), `--smtp-credentials-file` (`USER:PASSWORD`, or
//! `CREDIT_METER_SMTP_USER` and `CREDIT_METER_SMTP_PASSWORD`).

use super::signature::DEFAULT_TOLERANCE_S;
use super::stripe_api::{StripeApi, DEFAULT_BASE};
use super::Payments;
use crate::email::template::Links;
use crate::email::worker::EmailSettings;
use std::path::{Path, PathBuf};

/// The usage lines of these options (part of `cli::USAGE`).
pub(crate) const USAGE: &str = "\
Payments (Stripe) and low-balance emails (README \"Payments and notifications\"):
  --stripe-api-base URL       Stripe's API (default https://api.stripe.com)
  --stripe-secret-key-file F  the secret key (sk_…) for Checkout Sessions and refunds
                              (or CREDIT_METER_STRIPE_SECRET_KEY); without it
                              POST /v1/checkout and refunds through Stripe are refused
  --stripe-webhook-secret-file F  the webhook endpoint's signing secret (whsec_…) (or
                              CREDIT_METER_STRIPE_WEBHOOK_SECRET); without it
                              POST /v1/webhooks/stripe refuses every event
  --stripe-webhook-tolerance-seconds N  signed timestamps older or newer than this are
                              refused (default 300)
  --stripe-plan-price PLAN=PRICE  the Stripe Price (price_…, recurring) of a plan of the
                              policy, for subscriptions (repeatable)
  --checkout-success-url URL  where Stripe sends the buyer after paying
  --checkout-cancel-url URL   where Stripe sends a buyer who cancels
                              (both default to http://ADDR/www/ with ?checkout=…)
  --smtp-url URL              send low-balance emails: smtp://HOST:PORT (plain, a local
                              relay), smtp://HOST:PORT?tls=required (STARTTLS) or
                              smtps://HOST:PORT; without it no email is sent (the outbox
                              keeps them)
  --smtp-credentials-file F   USER:PASSWORD for the SMTP server (or CREDIT_METER_SMTP_USER
                              and CREDIT_METER_SMTP_PASSWORD)
  --email-from MAILBOX        the sender (default \"credit-meter <noreply@localhost>\")
  --email-buy-url URL         the email's \"Buy credits\" link (default the success URL's page)
  --email-own-key-url URL     the email's \"use your own API key\" link (default: none)";

/// The options as given.
#[derive(Debug, Clone)]
pub(crate) struct PaymentOptions {
    pub stripe_api_base: String,
    pub stripe_secret_key_file: Option<PathBuf>,
    pub stripe_webhook_secret_file: Option<PathBuf>,
    pub tolerance_s: i64,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub smtp_url: Option<String>,
    pub smtp_credentials_file: Option<PathBuf>,
    pub email_from: String,
    pub email_buy_url: Option<String>,
    pub email_own_key_url: Option<String>,
    pub plan_prices: Vec<(String, String)>,
}

impl Default for PaymentOptions {
    fn default() -> Self {
        PaymentOptions {
            stripe_api_base: DEFAULT_BASE.into(),
            stripe_secret_key_file: None,
            stripe_webhook_secret_file: None,
            tolerance_s: DEFAULT_TOLERANCE_S,
            success_url: None,
            cancel_url: None,
            smtp_url: None,
            smtp_credentials_file: None,
            email_from: "credit-meter <noreply@localhost>".into(),
            email_buy_url: None,
            email_own_key_url: None,
            plan_prices: Vec::new(),
        }
    }
}

impl PaymentOptions {
    /// Takes `flag value` if it is one of these options (`Ok(false)`: not ours).
    pub(crate) fn set(&mut self, flag: &str, v: String) -> Result<bool, String> {
        match flag {
            "--stripe-api-base" => self.stripe_api_base = v,
            "--stripe-secret-key-file" => self.stripe_secret_key_file = Some(v.into()),
            "--stripe-webhook-secret-file" => self.stripe_webhook_secret_file = Some(v.into()),
            "--stripe-webhook-tolerance-seconds" => self.tolerance_s = v.parse().map_err(|_| format!("{flag} {v:?} is not a number"))?,
            "--checkout-success-url" => self.success_url = Some(v),
            "--checkout-cancel-url" => self.cancel_url = Some(v),
            "--smtp-url" => self.smtp_url = Some(v),
            "--smtp-credentials-file" => self.smtp_credentials_file = Some(v.into()),
            "--email-from" => self.email_from = v,
            "--email-buy-url" => self.email_buy_url = Some(v),
            "--email-own-key-url" => self.email_own_key_url = Some(v),
            "--stripe-plan-price" => {
                let (plan, price) = v.split_once('=').ok_or_else(|| format!("{flag} {v:?}: use PLAN=PRICE_ID"))?;
                self.plan_prices.push((plan.to_string(), price.to_string()));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The payment settings; `page` is the default return page (`http://ADDR/www/`).
    pub(crate) fn payments(&self, page: &str) -> Result<Payments, String> {
        let secret_key = secret(self.stripe_secret_key_file.as_deref(), "CREDIT_METER_STRIPE_SECRET_KEY", "Stripe secret key")?;
        let webhook_secret =
            secret(self.stripe_webhook_secret_file.as_deref(), "CREDIT_METER_STRIPE_WEBHOOK_SECRET", "Stripe webhook secret")?;
        let stripe = secret_key.map(|k| StripeApi::new(&self.stripe_api_base, k)).transpose()?;
        Ok(Payments {
            stripe,
            webhook_secret: webhook_secret.map(String::into_bytes),
            tolerance_s: self.tolerance_s,
            success_url: self.success_url.clone().unwrap_or_else(|| format!("{page}?checkout=success")),
            cancel_url: self.cancel_url.clone().unwrap_or_else(|| format!("{page}?checkout=cancelled")),
            plan_prices: self.plan_prices.clone(),
        })
    }

    /// The email worker's settings (`None`: no `--smtp-url`).
    pub(crate) fn email(&self, page: &str) -> Result<Option<EmailSettings>, String> {
        let Some(url) = &self.smtp_url else { return Ok(None) };
        let credentials = match &self.smtp_credentials_file {
            Some(f) => {
                let text = read_secret(f, "SMTP credentials")?;
                let (user, pass) = text.split_once(':').ok_or("the SMTP credentials file must hold USER:PASSWORD")?;
                Some((user.to_string(), pass.to_string()))
            }
            None => match (std::env::var("CREDIT_METER_SMTP_USER"), std::env::var("CREDIT_METER_SMTP_PASSWORD")) {
                (Ok(user), Ok(pass)) if !user.is_empty() => Some((user, pass)),
                _ => None,
            },
        };
        Ok(Some(EmailSettings {
            smtp_url: url.clone(),
            credentials,
            from: self.email_from.clone(),
            links: Links { buy: self.email_buy_url.clone().unwrap_or_else(|| page.to_string()), own_key: self.email_own_key_url.clone() },
        }))
    }
}

fn read_secret(path: &Path, what: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the {what} file {}: {e}", path.display()))?;
    Ok(text.trim().to_string())
}

/// A secret from its file, else from the environment variable (`None`: neither).
fn secret(file: Option<&Path>, env: &str, what: &str) -> Result<Option<String>, String> {
    let value = match file {
        Some(f) => Some(read_secret(f, what)?),
        None => std::env::var(env).ok().map(|v| v.trim().to_string()),
    };
    match value {
        Some(v) if v.is_empty() => Err(format!("the {what} is empty")),
        v => Ok(v),
    }
}
