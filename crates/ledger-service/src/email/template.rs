//! The low-balance email's text: a plain-text and an HTML part naming the balance and
//! the threshold, with links to buy credits and to set an own API key.

use crate::store::side::OutboxEmail;

/// Where the email's links go.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// "Buy credits".
    pub buy: String,
    /// "Use your own API key" (`None`: not offered).
    pub own_key: Option<String>,
}

/// The subject, plain-text body and HTML body of a low-balance email.
pub(crate) fn render(email: &OutboxEmail, links: &Links) -> (String, String, String) {
    let subject = format!("Your credit balance is low: {} credits left", email.balance);
    let mut text =
        format!("Your credit balance is {} credits, below {} credits.\n\nBuy credits: {}\n", email.balance, email.level, links.buy);
    let mut html = format!(
        "<p>Your credit balance is <strong>{}</strong> credits, below {} credits.</p>\n<p><a href=\"{}\">Buy credits</a></p>\n",
        escape(&email.balance),
        escape(&email.level),
        escape(&links.buy)
    );
    if let Some(own) = &links.own_key {
        text.push_str(&format!("Or use your own API key: {own}\n"));
        html.push_str(&format!("<p>Or <a href=\"{}\">use your own API key</a>.</p>\n", escape(own)));
    }
    text.push_str("\nYou receive this email once each time your balance falls below the threshold.\n");
    (subject, text, html)
}

/// HTML-escapes text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_balance_and_links_to_buying_and_own_key() {
        let e = OutboxEmail {
            id: "x".into(),
            account_id: "a".into(),
            recipient: "u@example.com".into(),
            balance: "49.5".into(),
            level: "50".into(),
            attempts: 0,
        };
        let links = Links { buy: "https://shop.example/buy?a=1&b=2".into(), own_key: Some("https://app.example/key".into()) };
        let (subject, text, html) = render(&e, &links);
        assert!(subject.contains("49.5"));
        assert!(
            text.contains("49.5 credits, below 50")
                && text.contains("https://shop.example/buy?a=1&b=2")
                && text.contains("app.example/key")
        );
        assert!(html.contains("buy?a=1&amp;b=2") && html.contains("<strong>49.5</strong>"));
    }
}
