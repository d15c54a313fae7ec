//! Authentication and the browser boundary: every caller is authenticated and refused by
//! default — no token, an expired one, one not valid yet, a wrong signature, another account's, a device
//! token on admin routes, the admin token on device routes — each with its code and
//! HTTP status; device tokens verified with an Ed25519 public key or a JWKS file; no
//! CORS headers unless an origin is allowed; a foreign or ambiguous `Host` is refused.

mod support;
use credit_meter_protocol::base64url;
use credit_meter_protocol::snapshot::SnapshotSigner;
use serde_json::json;
use support::*;

fn push_body(account: &str, device: &str, mutations: serde_json::Value) -> String {
    json!({"v":2,"accountId":account,"deviceId":device,"mutations":mutations}).to_string()
}

#[test]
fn every_caller_is_authenticated_and_refused_with_its_code() {
    let dir = temp_dir("auth");
    let s = Server::start(&dir, &[]);
    let body = push_body("demo", "d1", json!([reserve(1, "d1:1", "10")]));
    let expired = token_with(SECRET, json!({"sub":"demo","exp": now_s() - 10}));
    let forged = token_with("another-secret-that-is-long-enough-0123456789", json!({"sub":"demo","exp": now_s() + 3600}));
    let no_exp = token_with(SECRET, json!({"sub":"demo"}));
    let other = token("demo-agent", None);
    let pinned = token("demo", Some("d2"));
    let cases: [(Option<&str>, u16, &str); 8] = [
        (None, 401, "UNAUTHORIZED"),
        (Some("not-a-jwt"), 401, "UNAUTHORIZED"),
        (Some(&expired), 401, "UNAUTHORIZED"),
        (Some(&forged), 401, "UNAUTHORIZED"),
        (Some(&no_exp), 401, "UNAUTHORIZED"),
        (Some(&other), 403, "FORBIDDEN"),
        (Some(&pinned), 403, "FORBIDDEN"),
        (Some(ADMIN), 403, "FORBIDDEN"),
    ];
    for (auth, status, code) in cases {
        for path in ["/v1/push", "/v1/pull"] {
            let r = s.post(path, auth, &body);
            assert_eq!((r.status, r.code()), (status, code.to_string()), "{path} with {auth:?}: {}", r.text());
            let v = r.json();
            assert_eq!((v["ok"].clone(), v["v"].clone()), (json!(false), json!(2)), "a protocol error body in the protocol version");
        }
    }
    assert_eq!(s.state("demo")["devices"].as_object().map(|d| d.len()), Some(0), "nothing was applied, no device was made");

    // The admin route takes only the admin token; a device token is never enough.
    let grant = json!({"op":"grant","accountId":"demo","grant":{"id":"g1","kind":"promotion","amount":"1000000"}}).to_string();
    for (auth, status) in [(None, 401), (Some(token("demo", None)), 403), (Some("x".repeat(ADMIN.len())), 401)] {
        let r = s.post("/v1/admin", auth.as_deref(), &grant);
        assert_eq!(r.status, status, "{}", r.text());
    }
    let r = s.post("/v1/admin", Some(ADMIN), &grant);
    assert_eq!((r.status, r.json()["ok"].clone()), (200, json!(true)), "{}", r.text());

    // /v1/state: the account's own device token or admin.
    assert_eq!(s.get("/v1/state?account=demo", None).status, 401);
    assert_eq!(s.get("/v1/state?account=demo", Some(&token("demo-agent", None))).status, 403);
    assert_eq!(s.get("/v1/state?account=demo", Some(&token("demo", None))).status, 200);

    // The right token works.
    let r = s.post("/v1/push", Some(&token("demo", Some("d1"))), &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["results"][0]["status"], "applied");
}

/// RFC 7519 §4.1.5: a token MUST NOT be accepted before its `nbf`. A sign-in that issues
/// a token for later (a scheduled device, a token minted ahead for a rotation) relies on it.
#[test]
fn a_token_not_valid_yet_is_refused() {
    let dir = temp_dir("nbf");
    let s = Server::start(&dir, &[]);
    let body = push_body("demo", "d1", json!([]));
    let later = token_with(SECRET, json!({"sub":"demo","exp": now_s() + 3600,"nbf": now_s() + 600}));
    let unreadable = token_with(SECRET, json!({"sub":"demo","exp": now_s() + 3600,"nbf": "tomorrow"}));
    // Numbers too large for jsonwebtoken's own check (it skips an nbf it cannot read as u64).
    let far = token_with(SECRET, json!({"sub":"demo","exp": now_s() + 3600,"nbf": 1e300}));
    let beyond_u64 = token_with(SECRET, json!({"sub":"demo","exp": now_s() + 3600,"nbf": 18446744073709551616.0_f64}));
    let cases = [("nbf in ten minutes", &later), ("nbf not a number", &unreadable), ("nbf 1e300", &far), ("nbf 2^64", &beyond_u64)];
    for (what, t) in cases {
        for path in ["/v1/push", "/v1/pull"] {
            let r = s.post(path, Some(t), &body);
            assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{what} on {path}: {}", r.text());
        }
    }
    let now = token_with(SECRET, json!({"sub":"demo","exp": now_s() + 3600,"nbf": now_s() - 1}));
    assert_eq!(s.post("/v1/pull", Some(&now), &body).status, 200, "a token whose nbf has passed is accepted");
}

/// RFC 7519 §4.1.4: a token MUST NOT be accepted on or after its `exp` — not for the rest
/// of that second too (jsonwebtoken refuses only once `exp` is in the past).
#[test]
fn a_token_is_refused_from_its_exp_on() {
    let dir = temp_dir("exp-now");
    let s = Server::start(&dir, &[]);
    let body = push_body("demo", "d1", json!([]));
    let ending = token_with(SECRET, json!({"sub":"demo","exp": now_s()}));
    let r = s.post("/v1/pull", Some(&ending), &body);
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{}", r.text());
    let fractional = token_with(SECRET, json!({"sub":"demo","exp": now_s() as f64 + 3600.5}));
    assert_eq!(s.post("/v1/pull", Some(&fractional), &body).status, 200, "a NumericDate may have a fraction");
}

/// `--jwt-audience` and `--jwt-issuer` require the claim ("require this `aud`"): a token
/// that lacks it, or holds it in another form than a string (an `aud` list must name the
/// audience), is refused like one naming another audience or issuer — otherwise any token
/// the same sign-in mints without an audience (for another of the vendor's services)
/// would be a device token here.
#[test]
fn a_configured_audience_and_issuer_are_required() {
    let dir = temp_dir("aud");
    let s = Server::start(&dir, &["--jwt-audience", "ledger", "--jwt-issuer", "https://signin.example"]);
    let body = push_body("demo", "d1", json!([]));
    let with = |extra: serde_json::Value| {
        let mut claims = json!({"sub":"demo","exp": now_s() + 3600});
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        token_with(SECRET, claims)
    };
    let iss = "https://signin.example";
    for (what, extra) in [
        ("no aud", json!({"iss": iss})),
        ("no iss", json!({"aud": "ledger"})),
        ("neither", json!({})),
        ("another aud", json!({"aud": "billing", "iss": iss})),
        ("aud a number", json!({"aud": 5, "iss": iss})),
        ("another iss", json!({"aud": "ledger", "iss": "https://evil.example"})),
        ("iss a list", json!({"aud": "ledger", "iss": ["https://evil.example", iss]})),
    ] {
        let r = s.post("/v1/pull", Some(&with(extra)), &body);
        assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{what}: {}", r.text());
    }
    for extra in [json!({"aud": "ledger", "iss": iss}), json!({"aud": ["billing", "ledger"], "iss": iss})] {
        let r = s.post("/v1/pull", Some(&with(extra.clone())), &body);
        assert_eq!(r.status, 200, "{extra}: {}", r.text());
    }
}

#[test]
fn seq_burning_by_another_caller_is_refused_and_the_victims_mutations_apply() {
    let dir = temp_dir("burn");
    let s = Server::start(&dir, &[]);
    let attacker = token("demo-agent", None);
    for seq in 1..=20u64 {
        let r = s.post("/v1/push", Some(&attacker), &push_body("demo", "victim", json!([release(seq, &format!("victim:{seq}"))])));
        assert_eq!(r.status, 403);
    }
    let (resp, _) = s.push("demo", "victim", json!([reserve(1, "victim:1", "20"), commit(2, "victim:1", "20")]));
    assert!(resp.results.iter().all(|r| r.status == credit_meter_protocol::message::ResultStatus::Applied), "{:?}", resp.results);
}

#[test]
fn a_foreign_host_is_refused_and_cors_is_an_allow_list() {
    let dir = temp_dir("host");
    let s = Server::start(&dir, &["--cors-origin", "https://app.example", "--allowed-host", "ledger.example"]);
    let r = http(s.addr, "GET", "/v1/keys", &headers(&[("Host", "attacker.example")]), b"");
    assert_eq!((r.status, r.code()), (403, "FORBIDDEN".to_string()), "DNS rebinding: a foreign Host");
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"), "the Host check's refusal is not sniffed either");
    assert_eq!(http(s.addr, "GET", "/v1/keys", &headers(&[("Host", "ledger.example")]), b"").status, 200);
    assert_eq!(http(s.addr, "GET", "/v1/keys", &headers(&[("Host", &format!("localhost:{}", s.addr.port()))]), b"").status, 200);

    let pre = |origin: &str| {
        http(
            s.addr,
            "OPTIONS",
            "/v1/push",
            &headers(&[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization,content-type"),
            ]),
            b"",
        )
    };
    let ok = pre("https://app.example");
    assert_eq!(ok.header("Access-Control-Allow-Origin"), Some("https://app.example"));
    assert!(ok.header("Access-Control-Allow-Headers").unwrap_or("").to_ascii_lowercase().contains("authorization"));
    assert_eq!(ok.header("Access-Control-Allow-Private-Network"), None);
    let evil = pre("https://evil.example");
    assert_eq!(evil.header("Access-Control-Allow-Origin"), None, "an origin not on the list gets no CORS grant");
    // The AI proxy's charge headers are readable by a page on an allowed origin.
    let keys = http(s.addr, "GET", "/v1/keys", &headers(&[("Origin", "https://app.example")]), b"");
    let exposed = keys.header("Access-Control-Expose-Headers").unwrap_or("").to_ascii_lowercase();
    assert!(exposed.contains("x-credit-charged") && exposed.contains("x-credit-units"), "exposed: {exposed:?}");
    drop(s);

    let dir = temp_dir("no-cors");
    let s = Server::start(&dir, &[]);
    let r = http(s.addr, "GET", "/v1/keys", &headers(&[("Origin", "https://evil.example")]), b"");
    assert_eq!((r.status, r.header("Access-Control-Allow-Origin")), (200, None), "no CORS by default");
}

/// The Host check reads the request's one authority: a request with two `Host` lines is
/// 400 (RFC 9110 §7.2: a server MUST answer 400; an intermediary and the ledger may each
/// read another one), and a request in absolute form is judged by the host in its target,
/// which RFC 9112 §3.2.2 says replaces the `Host` header — not by a served `Host` sent
/// beside a foreign target.
#[test]
fn an_ambiguous_host_is_refused() {
    let dir = temp_dir("host-twice");
    let s = Server::start(&dir, &["--allowed-host", "ledger.example"]);
    let ours = s.addr.to_string();
    for pair in [[ours.as_str(), "attacker.example"], ["attacker.example", ours.as_str()], [ours.as_str(), ours.as_str()]] {
        let r = http(s.addr, "GET", "/v1/keys", &headers(&[("Host", pair[0]), ("Host", pair[1])]), b"");
        assert_eq!((r.status, r.code()), (400, "BAD_REQUEST".to_string()), "Host {pair:?}");
    }
    let r = http(s.addr, "GET", "http://attacker.example/v1/keys", &headers(&[("Host", &ours)]), b"");
    assert_eq!((r.status, r.code()), (403, "FORBIDDEN".to_string()), "a foreign host in the target");
    let r = http(s.addr, "GET", "http://ledger.example/v1/keys", &headers(&[("Host", "ledger.example")]), b"");
    assert_eq!(r.status, 200, "a served host in the target: {}", r.text());
    assert_eq!(http(s.addr, "GET", "/v1/keys", &headers(&[("Host", "ledger.example")]), b"").status, 200);
}

/// An Ed25519 key as PKCS#8 DER (for signing test tokens) and its SPKI PEM and JWK x.
fn ed25519(seed: [u8; 32]) -> (Vec<u8>, String, String) {
    let mut der = hex("302e020100300506032b657004220420");
    der.extend_from_slice(&seed);
    let public = base64url::decode(&SnapshotSigner::from_seed("k", &seed).public_key_base64url()).unwrap();
    let mut spki = hex("302a300506032b6570032100");
    spki.extend_from_slice(&public);
    let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", std_base64(&spki));
    (der, pem, base64url::encode(&public))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn std_base64(b: &[u8]) -> String {
    base64url::encode(b).replace('-', "+").replace('_', "/") + &"=".repeat((3 - b.len() % 3) % 3)
}

fn eddsa_token(der: &[u8], kid: Option<&str>, claims: serde_json::Value) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    h.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_ed_der(der)).unwrap()
}

/// A public key or JWKS is often an identity provider's, signing tokens for the vendor's
/// other services too: the service does not start with one unless told which `aud` is its
/// own, or told in so many words (`--jwt-any-audience`) that any will do.
#[test]
fn a_public_key_needs_an_audience_or_an_explicit_any() {
    let dir = temp_dir("any-aud");
    let (der, pem, x) = ed25519([11; 32]);
    std::fs::write(dir.join("pub.pem"), &pem).unwrap();
    std::fs::write(dir.join("jwks.json"), json!({"keys":[{"kty":"OKP","crv":"Ed25519","x":x,"kid":"k1","alg":"EdDSA"}]}).to_string())
        .unwrap();
    for (flag, file) in [("--jwt-public-key", "pub.pem"), ("--jwks", "jwks.json")] {
        let file = dir.join(file).display().to_string();
        let db = format!("sqlite:{}", dir.join("refused.sqlite").display());
        let out =
            std::process::Command::new(bin()).args(["serve", "--addr", "127.0.0.1:0", "--database", &db, flag, &file]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} without an audience: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--jwt-audience"), "{flag}: the refusal names the flag: {out:?}");
        assert!(out.stdout.is_empty() && !dir.join("refused.sqlite").exists(), "{flag}: nothing listened, no database made");
    }
    let s = start_with_public_keys(&dir, "any.sqlite", &["--jwks", &dir.join("jwks.json").display().to_string(), "--jwt-any-audience"]);
    let body = push_body("demo", "d1", json!([]));
    for claims in [json!({"sub":"demo","aud":"another-app","exp":now_s() + 60}), json!({"sub":"demo","exp":now_s() + 60})] {
        let r = s.post("/v1/pull", Some(&eddsa_token(&der, Some("k1"), claims.clone())), &body);
        assert_eq!(r.status, 200, "--jwt-any-audience: {claims}: {}", r.text());
    }
}

/// Two `Authorization` headers are no credential, whichever order the good one comes in: a
/// proxy in front that reads the other would disagree with the service about the caller.
#[test]
fn two_authorization_headers_are_refused() {
    let dir = temp_dir("auth-twice");
    let s = Server::start(&dir, &[]);
    let body = push_body("demo", "d1", json!([]));
    let good = format!("Bearer {}", token("demo", None));
    assert_eq!(s.post("/v1/pull", Some(&token("demo", None)), &body).status, 200);
    for pair in [[good.as_str(), "Bearer bad"], ["Bearer bad", good.as_str()], [good.as_str(), good.as_str()]] {
        let r = http(s.addr, "POST", "/v1/pull", &headers(&[("Authorization", pair[0]), ("Authorization", pair[1])]), body.as_bytes());
        assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{pair:?}");
        assert!(r.text().contains("more than one Authorization"), "{}", r.text());
    }
}

/// The scheme is case-insensitive (RFC 9110 §11.1), and a token whose header names `crit`
/// extensions is refused (RFC 7515 §4.1.11: the service understands none of them), however
/// valid its signature.
#[test]
fn the_bearer_scheme_is_case_insensitive_and_crit_headers_are_refused() {
    let dir = temp_dir("scheme");
    let s = Server::start(&dir, &[]);
    let body = push_body("demo", "d1", json!([]));
    let t = token("demo", None);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = http(s.addr, "POST", "/v1/pull", &headers(&[("Authorization", &format!("{scheme} {t}"))]), body.as_bytes());
        assert_eq!(r.status, 200, "{scheme}: {}", r.text());
    }
    let basic = http(s.addr, "POST", "/v1/pull", &headers(&[("Authorization", &format!("Basic {t}"))]), body.as_bytes());
    assert_eq!(basic.status, 401);
    let signed = |header: serde_json::Value| {
        let enc = |v: &serde_json::Value| base64url::encode(v.to_string().as_bytes());
        let input = format!("{}.{}", enc(&header), enc(&json!({"sub":"demo","exp": now_s() + 600})));
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        format!("{input}.{}", jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap())
    };
    let plain = signed(json!({"alg":"HS256","typ":"JWT"}));
    assert_eq!(s.post("/v1/pull", Some(&plain), &body).status, 200, "the hand-made token is valid");
    let crit = signed(json!({"alg":"HS256","typ":"JWT","crit":["exp"]}));
    let r = s.post("/v1/pull", Some(&crit), &body);
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{}", r.text());
    assert!(r.text().contains("crit"), "{}", r.text());
}

/// A server on a fresh SQLite file `db` in `dir` verifying device tokens as `key_flags` say
/// (a public key or JWKS file and its audience flags), with the account `demo` created.
fn start_with_public_keys(dir: &std::path::Path, db: &str, key_flags: &[&str]) -> Server {
    let db = format!("sqlite:{}", dir.join(db).display());
    let args: Vec<String> = ["serve", "--addr", "127.0.0.1:0", "--database", &db].iter().chain(key_flags).map(|a| a.to_string()).collect();
    let s = Server::start_args(&args, &[("CREDIT_METER_ADMIN_TOKEN", ADMIN)]);
    assert_eq!(s.admin(&json!({"op":"createAccount","accountId":"demo","policy":"trueRecall"}))["ok"], true);
    s
}

/// A JWKS key is chosen by the token's `kid`: a token naming one key is not verified under
/// another, and one naming a key the set lacks is refused without trying each key in turn
/// (an attacker's bogus tokens cost one lookup, not a verification per key). A token with no
/// `kid` is tried under every key.
#[test]
fn a_jwks_key_is_chosen_by_the_tokens_kid() {
    let dir = temp_dir("kid");
    let (der1, _, x1) = ed25519([21; 32]);
    let (der2, _, x2) = ed25519([22; 32]);
    let jwks = json!({"keys":[
        {"kty":"OKP","crv":"Ed25519","x":x1,"kid":"k1","alg":"EdDSA"},
        {"kty":"OKP","crv":"Ed25519","x":x2,"kid":"k2","alg":"EdDSA"}
    ]});
    std::fs::write(dir.join("jwks.json"), jwks.to_string()).unwrap();
    let s =
        start_with_public_keys(&dir, "kid.sqlite", &["--jwks", &dir.join("jwks.json").display().to_string(), "--jwt-audience", "ledger"]);
    let body = push_body("demo", "d1", json!([]));
    let claims = json!({"sub":"demo","aud":"ledger","exp":now_s() + 60});
    for (der, kid) in [(&der1, Some("k1")), (&der2, Some("k2")), (&der1, None), (&der2, None)] {
        let r = s.post("/v1/pull", Some(&eddsa_token(der, kid, claims.clone())), &body);
        assert_eq!(r.status, 200, "signed by its key, kid {kid:?}: {}", r.text());
    }
    let r = s.post("/v1/pull", Some(&eddsa_token(&der1, Some("k2"), claims.clone())), &body);
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "k1's signature under kid k2: {}", r.text());
    let r = s.post("/v1/pull", Some(&eddsa_token(&der1, Some("k9"), claims.clone())), &body);
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "a kid the set lacks: {}", r.text());
    assert!(r.text().contains("kid"), "the refusal says it is the kid: {}", r.text());
}

#[test]
fn device_tokens_verify_with_an_ed25519_public_key_or_a_jwks_file() {
    let dir = temp_dir("eddsa");
    let (der, pem, x) = ed25519([9; 32]);
    let (other_der, _, _) = ed25519([10; 32]);
    std::fs::write(dir.join("pub.pem"), &pem).unwrap();
    std::fs::write(dir.join("jwks.json"), json!({"keys":[{"kty":"OKP","crv":"Ed25519","x":x,"kid":"k1","alg":"EdDSA"}]}).to_string())
        .unwrap();
    let body = push_body("demo", "d1", json!([]));
    for flag in ["--jwt-public-key", "--jwks"] {
        let file = dir.join(if flag == "--jwks" { "jwks.json" } else { "pub.pem" }).display().to_string();
        let s = start_with_public_keys(&dir, &format!("l{}.sqlite", flag.len()), &[flag, &file, "--jwt-audience", "ledger"]);
        let good = eddsa_token(&der, Some("k1"), json!({"sub":"demo","aud":"ledger","exp":now_s() + 60}));
        let r = s.post("/v1/pull", Some(&good), &body);
        assert_eq!(r.status, 200, "{flag}: {}", r.text());
        for claims in [json!({"sub":"demo","aud":"another-app","exp":now_s() + 60}), json!({"sub":"demo","exp":now_s() + 60})] {
            let r = s.post("/v1/pull", Some(&eddsa_token(&der, Some("k1"), claims.clone())), &body);
            assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{flag}: the right key, {claims}");
        }
        let wrong_key = eddsa_token(&other_der, Some("k1"), json!({"sub":"demo","aud":"ledger","exp":now_s() + 60}));
        assert_eq!(s.post("/v1/pull", Some(&wrong_key), &body).status, 401, "{flag}");
        let hs = token("demo", None);
        assert_eq!(
            s.post("/v1/pull", Some(&hs), &body).status,
            401,
            "{flag}: an HS256 token is not accepted when a public key is configured"
        );
    }
}

/// A token signed over claims that name a member twice: decoded into a map the last value
/// wins, while whatever minted or inspected it may have read the first. Such a token is
/// refused, however validly signed; the same claims written once are accepted.
#[test]
fn a_token_whose_claims_repeat_a_member_is_refused() {
    let dir = temp_dir("dup-claims");
    let s = Server::start(&dir, &[]);
    let signed = |claims: &str| {
        let head = base64url::encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let message = format!("{head}.{}", base64url::encode(claims.as_bytes()));
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
        format!("{message}.{sig}")
    };
    let exp = now_s() + 3600;
    let twice = signed(&format!(r#"{{"sub":"demo","exp":{exp},"device":"other","device":"d1"}}"#));
    let once = signed(&format!(r#"{{"sub":"demo","exp":{exp},"device":"d1"}}"#));
    let body = push_body("demo", "d1", json!([]));
    let r = s.post("/v1/pull", Some(&twice), &body);
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED".to_string()), "{}", r.text());
    assert!(r.text().contains("duplicate key `device`"), "{}", r.text());
    assert_eq!(s.post("/v1/pull", Some(&once), &body).status, 200, "the same claims written once");
}
