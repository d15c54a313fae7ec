//! The outbox worker: sends due low-balance emails over SMTP (lettre) and marks them
//! sent; a failed attempt is retried with exponential backoff (1 s doubling up to
//! 5 minutes).
//!
//! Exactly one email per crossing: the row exists iff the crossing was committed
//! (`outbox`), a row is claimed before it is sent (several processes on one PostgreSQL
//! database never send the same row at once), and a sent row is never sent again. The
//! one window left is a crash after the SMTP server accepted the message and before the
//! row is marked sent (milliseconds): the email is sent again after restart with the same
//! `Message-ID`, so mail systems and clients can recognise the repeat. A crash anywhere
//! else — between the commit and the send included — sends exactly one.

use super::template::{self, Links};
use crate::service::wall_clock_ms;
use crate::store::side::OutboxEmail;
use crate::store::Store;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// How often the outbox is checked for due emails.
const POLL: Duration = Duration::from_millis(250);
/// The SMTP exchange's timeout.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a claimed row is kept from other senders (longer than an SMTP exchange).
const CLAIM_MS: i64 = 30_000;
/// First retry delay; doubled per failed attempt.
const BACKOFF_BASE_MS: i64 = 1_000;
/// Longest retry delay.
const BACKOFF_MAX_MS: i64 = 300_000;

/// The worker's settings.
#[derive(Debug, Clone)]
pub(crate) struct EmailSettings {
    /// `smtp://HOST:PORT` (plain, for a local relay), `smtp://HOST:PORT?tls=required`
    /// (STARTTLS) or `smtps://HOST:PORT` (TLS).
    pub smtp_url: String,
    /// SMTP user and password (from `--smtp-credentials-file`), never logged.
    pub credentials: Option<(String, String)>,
    /// The sender.
    pub from: String,
    /// The links in the email.
    pub links: Links,
}

/// The retry delay after `attempts` failed attempts.
pub(crate) fn backoff_ms(attempts: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    BACKOFF_BASE_MS.saturating_mul(1_i64 << shift).min(BACKOFF_MAX_MS)
}

/// Builds the SMTP transport from the settings (refuses a URL lettre does not accept).
pub(crate) fn transport(s: &EmailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.smtp_url).map_err(|e| format!("--smtp-url: {e}"))?;
    if let Some((user, pass)) = &s.credentials {
        b = b.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    Ok(b.timeout(Some(SMTP_TIMEOUT)).build())
}

/// The message for an outbox row.
fn message(email: &OutboxEmail, s: &EmailSettings) -> Result<Message, String> {
    let from: Mailbox = s.from.parse().map_err(|e| format!("--email-from {:?}: {e}", s.from))?;
    let to: Mailbox = email.recipient.parse().map_err(|e| format!("the address of account {:?}: {e}", email.account_id))?;
    let (subject, text, html) = template::render(email, &s.links);
    let id: String = email.id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '.' }).collect();
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{id}@credit-meter.invalid>")))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| format!("building the email: {e}"))
}

/// Runs the worker forever.
pub(crate) async fn run(store: Arc<dyn Store>, settings: EmailSettings, smtp: AsyncSmtpTransport<Tokio1Executor>) {
    loop {
        let s = Arc::clone(&store);
        let due = tokio::task::spawn_blocking(move || s.due_emails(wall_clock_ms(), 20)).await;
        let due = match due {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading the email outbox failed");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        for email in due {
            // Claimed just before it is sent, one at a time: another process may be polling
            // too, and a claim is kept only CLAIM_MS, longer than one SMTP exchange — not
            // than a batch of them (claims taken for a whole batch at once expired while the
            // batch's first sends waited on a slow relay, and another process sent them too).
            let s = Arc::clone(&store);
            let id = email.id.clone();
            let claimed = tokio::task::spawn_blocking(move || {
                let now = wall_clock_ms();
                s.claim_email(&id, now, now.saturating_add(CLAIM_MS))
            })
            .await;
            match claimed {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => continue, // another sender has it
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "claiming an email failed");
                    continue;
                }
                Err(_) => continue,
            }
            let outcome = match message(&email, &settings) {
                Ok(m) => smtp.send(m).await.map(|_| ()).map_err(|e| format!("smtp: {e}")),
                Err(e) => Err(e),
            };
            let s = Arc::clone(&store);
            let id = email.id.clone();
            let attempts = email.attempts.saturating_add(1);
            let logged = match &outcome {
                Ok(()) => {
                    tracing::info!(email = %id, "low-balance email sent");
                    tokio::task::spawn_blocking(move || s.email_sent(&id, wall_clock_ms())).await
                }
                Err(e) => {
                    let next = wall_clock_ms().saturating_add(backoff_ms(attempts));
                    tracing::warn!(email = %id, attempts, error = %e, "low-balance email not sent; will retry");
                    let e = e.clone();
                    tokio::task::spawn_blocking(move || s.email_failed(&id, attempts, next, &e)).await
                }
            };
            if let Ok(Err(e)) = logged {
                tracing::warn!(error = %e, "updating the email outbox failed");
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_up_to_five_minutes() {
        assert_eq!([1, 2, 3, 4].map(backoff_ms), [1_000, 2_000, 4_000, 8_000]);
        assert_eq!(backoff_ms(30), 300_000);
        assert_eq!(backoff_ms(0), 1_000);
    }
}
