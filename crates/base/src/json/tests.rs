//! The lean JSON layer against serde_json (the oracle, a dev-dependency) and RFC 8259.

use super::*;

#[test]
fn strings_are_escaped_exactly_like_serde_json() {
    let mut all = String::new();
    for c in (0u32..0x80).chain([0xe9, 0x2028, 0x2713, 0x1f600]) {
        all.push(char::from_u32(c).unwrap());
    }
    for s in [all.as_str(), "", "plain", "a\"b\\c/d", "\u{7f}\u{1f}"] {
        assert_eq!(to_string(s), serde_json::to_string(s).unwrap(), "{s:?}");
        assert_eq!(from_str::<String>(&to_string(s)).unwrap(), s);
    }
}

#[test]
fn parses_what_serde_json_parses_into_the_same_tree() {
    let text = r#" {"a": [1, -0, 2.5e-3, 1E+2, true, false, null], "b": {"c": "\u00e9\ud83d\ude00\n\/"}, "d": ""} "#;
    let ours = parse(text).unwrap();
    assert_eq!(to_string(&ours), r#"{"a":[1,-0,2.5e-3,1E+2,true,false,null],"b":{"c":"é😀\n/"},"d":""}"#);
    assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
    assert_eq!(ours.get("d"), Some(&Value::String(String::new())));
}

#[test]
fn refuses_what_rfc_8259_refuses() {
    for bad in [
        "",
        " ",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "0x10",
        "NaN",
        "Infinity",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "'a'",
        "\"\t\"",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "[1] 2",
        "tru",
        "nul",
        "{\"a\" 1}",
        "\"abc",
        "[",
        "{\"a\":1,\"a\":2}",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} should be refused");
        assert!(serde_json::from_str::<serde_json::Value>(bad).is_err() || bad.contains("\"a\":1,\"a\""), "{bad:?}: oracle");
    }
}

/// A repeated key is refused wherever it is in an object of any size — also between a
/// member read before the check changes method (16) and one after, and in a nested object —
/// and an object of 200,000 distinct keys (what a 4 MiB body holds; a pairwise check took
/// minutes) parses with every member in order.
#[test]
fn repeated_keys_are_refused_in_objects_of_any_size() {
    let object = |keys: &[String]| format!("{{{}}}", keys.iter().map(|k| format!("\"{k}\":0")).collect::<Vec<_>>().join(","));
    for n in [2usize, 15, 16, 17, 18, 40, 1000] {
        let mut keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        assert!(parse(&object(&keys)).is_ok(), "{n} distinct keys");
        for (at, copy) in [(n - 1, 0), (n / 2, n / 2 - 1), (n - 1, n - 2)] {
            let original = keys[at].clone();
            keys[at] = keys[copy].clone();
            let e = parse(&object(&keys)).expect_err("a repeated key");
            assert!(e.message().contains(&format!("duplicate key `{}`", keys[copy])), "{n} keys, {at} = {copy}: {}", e.message());
            keys[at] = original;
        }
    }
    let nested = format!("{{\"a\":{},\"b\":1}}", object(&(0..30).map(|i| format!("k{}", i % 29)).collect::<Vec<_>>()));
    assert!(parse(&nested).expect_err("nested").message().contains("duplicate key `k0`"));
    let many: Vec<String> = (0..200_000).map(|i| format!("{i:07}")).collect();
    let Value::Object(members) = parse(&object(&many)).expect("distinct keys") else { panic!("an object") };
    assert_eq!(members.len(), 200_000);
    assert!(members.iter().zip(&many).all(|((k, _), want)| k == want), "members keep their order");
}

#[test]
fn nesting_is_limited() {
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok).is_ok());
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(parse(&deep).unwrap_err().message().contains("deep"));
}

#[test]
fn integers_are_exact_and_range_checked() {
    assert_eq!(from_str::<u64>("18446744073709551615").unwrap(), u64::MAX);
    assert_eq!(from_str::<i64>("-9223372036854775808").unwrap(), i64::MIN);
    assert_eq!(to_string(&i64::MIN), "-9223372036854775808");
    assert_eq!(to_string(&0u64), "0");
    for bad in ["18446744073709551616", "-1", "1.0", "1e3", "\"1\"", "null"] {
        assert!(from_str::<u64>(bad).is_err(), "{bad}");
    }
    assert!(from_str::<i32>("2147483648").is_err());
    assert!(from_str::<i64>("9223372036854775808").is_err());
}

#[derive(Debug, PartialEq, Default)]
struct Sample {
    id: String,
    count: u64,
    note: Option<String>,
    extra: Option<u32>,
    flag: bool,
}
json_struct!(Sample [deny] { id: "id", count: "countIt" = default, note: "note", extra: "extra" = opt, flag: "flag" = (true) });

#[test]
fn struct_fields_follow_their_modes_and_errors_have_a_path() {
    let s: Sample = from_str(r#"{"id":"x"}"#).unwrap();
    assert_eq!(s, Sample { id: "x".into(), count: 0, note: None, extra: None, flag: true });
    assert_eq!(to_string(&s), r#"{"id":"x","countIt":0,"note":null,"flag":true}"#);
    let e = from_str::<Sample>(r#"{"id":"x","bogus":1}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `bogus`"), "{e}");
    let e = from_str::<Vec<Sample>>(r#"[{"id":"x"},{"id":"y","countIt":"2"}]"#).unwrap_err();
    assert_eq!(e.path(), "$[1].countIt");
    assert!(from_str::<Sample>("{}").unwrap_err().to_string().contains("missing field `id`"));
}

#[derive(Debug, PartialEq)]
enum Shape {
    Circle { r: u32 },
    Square { side: u32, label: Option<String> },
}
json_tagged!(Shape, "kind" [deny] {
    Circle "circle" { r: "r" },
    Square "square" { side: "side" = (1), label: "label" = opt },
});

#[test]
fn tagged_enums_read_their_variant_and_name_the_tag_in_errors() {
    assert_eq!(from_str::<Shape>(r#"{"r":2,"kind":"circle"}"#).unwrap(), Shape::Circle { r: 2 });
    assert_eq!(from_str::<Shape>(r#"{"kind":"square"}"#).unwrap(), Shape::Square { side: 1, label: None });
    assert_eq!(to_string(&Shape::Square { side: 3, label: None }), r#"{"kind":"square","side":3}"#);
    let cases = [
        (r#"{"r":2}"#, "missing field `kind`"),
        (r#"{"kind":1}"#, "invalid type: expected a string at $.kind"),
        (r#"{"kind":"hexagon"}"#, "unknown variant `hexagon` at $.kind"),
        (r#"{"kind":"circle","r":2,"side":1}"#, "unknown field `side`"),
        (r#"{"kind":"circle","r":"2"}"#, "invalid type: expected u32 at $.r"),
        (r#"[{"kind":"circle"}]"#, "invalid type: expected an object"),
    ];
    for (text, message) in cases {
        assert_eq!(from_str::<Shape>(text).unwrap_err().to_string(), message, "{text}");
    }
    let e = from_str::<Vec<Shape>>(r#"[{"kind":"circle","r":1},{"kind":"circle"}]"#).unwrap_err();
    assert_eq!(e.to_string(), "missing field `r` at $[1]");
}

#[test]
fn errors_print_their_message_and_path_in_debug() {
    let e = from_str::<Vec<Sample>>(r#"[{"id":1}]"#).unwrap_err();
    assert_eq!(format!("{e:?}"), r#"JsonError { message: "invalid type: expected a string", path: [Key("id"), Index(0)] }"#);
}
