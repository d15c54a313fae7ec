//! `macro_rules!` helpers that write the `ToJson`/`FromJson` impls of plain structs,
//! string enums and internally tagged enums (what `#[derive(Serialize, Deserialize)]`
//! did). Field names are spelled out (`"camelCase"`); a field's mode says what happens
//! when it is absent:
//!
//! - `name: "name"` — required (an `Option` is `None` when absent, written as `null`);
//! - `name: "name" = default` — `Default::default()` when absent;
//! - `name: "name" = opt` — an `Option`: `None` when absent, left out when `None`;
//! - `name: "name" = (expr)` — `expr` when absent.

/// Implements `ToJson` (and `ToJsonFields`) for a struct: members in the given order.
/// `json_to!(impl ['a] Type<'a> { … })` for a generic type.
#[macro_export]
macro_rules! json_to {
    (@field $w:ident, $v:expr, $n:literal, [opt]) => {
        if let Some(x) = $v {
            $w.field($n, x);
        }
    };
    (@field $w:ident, $v:expr, $n:literal, [$($mode:tt)*]) => {
        $w.field($n, $v);
    };
    (impl [$($g:tt)*] $ty:ty { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }) => {
        impl<$($g)*> $crate::json::ToJsonFields for $ty {
            fn write_fields(&self, w: &mut $crate::json::ObjectWriter<'_>) {
                $( $crate::json_to!(@field w, &self.$f, $n, [$($mode)?]); )*
            }
        }
        impl<$($g)*> $crate::json::ToJson for $ty {
            fn write_json(&self, out: &mut String) {
                let mut w = $crate::json::ObjectWriter::new(out);
                $crate::json::ToJsonFields::write_fields(self, &mut w);
                w.end();
            }
        }
    };
    ($ty:ty { $($body:tt)* }) => {
        $crate::json_to!(impl [] $ty { $($body)* });
    };
}

/// Implements `FromJson` for a struct; `[deny]` refuses unknown members.
#[macro_export]
macro_rules! json_from {
    (@deny [deny]) => {
        true
    };
    (@deny []) => {
        false
    };
    // The value of the next field from `$f` (a `Fields`), by its mode.
    (@field $f:ident, $n:literal, []) => {
        $f.field($n)?
    };
    (@field $f:ident, $n:literal, [default]) => {
        $f.field_or_default($n)?
    };
    (@field $f:ident, $n:literal, [opt]) => {
        $f.field($n)?
    };
    (@field $f:ident, $n:literal, [($e:expr)]) => {
        match $f.next_slot() {
            Some(v) => $crate::json::field(Some(v), $n)?,
            None => $e,
        }
    };
    // Builds `$path { … }` from `$fields` (a `Fields`, the members sorted into one slot
    // per field by shared, non-generic code); each field is read by a function generic
    // only over the field's type.
    (@read $path:path, $fields:expr, { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }) => {{
        #[allow(unused_mut, unused_variables)]
        let mut fields = $fields;
        $path {
            $( $f: $crate::json_from!(@field fields, $n, [$($mode)?]), )*
        }
    }};
    // Builds `$path { … }` from the object members `$members` (a `Vec<(String, Value)>`).
    (@build $path:path, $members:expr, [$($deny:ident)?], { $($body:tt)* }) => {
        $crate::json_from!(@read $path,
            $crate::json::Fields::from_members($members, $crate::json_from!(@names { $($body)* }), $crate::json_from!(@deny [$($deny)?]))?,
            { $($body)* })
    };
    // The field names, for `Fields`.
    (@names { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }) => {
        &[$($n),*]
    };
    ($ty:ident $([$deny:ident])? { $($body:tt)* }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(v: $crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                let fields = $crate::json::Fields::of(v, $crate::json_from!(@names { $($body)* }), $crate::json_from!(@deny [$($deny)?]))?;
                Ok($crate::json_from!(@read Self, fields, { $($body)* }))
            }
        }
    };
}

/// Implements both `ToJson` and `FromJson` for a struct.
#[macro_export]
macro_rules! json_struct {
    ($ty:ident $([$deny:ident])? { $($body:tt)* }) => {
        $crate::json_to!($ty { $($body)* });
        $crate::json_from!($ty $([$deny])? { $($body)* });
    };
}

/// Implements `ToJson` and `FromJson` for an enum of unit variants written as strings.
#[macro_export]
macro_rules! json_unit_enum {
    ($ty:ident { $($v:ident = $n:literal),* $(,)? }) => {
        impl $ty {
            /// The name it has in JSON.
            pub fn json_name(&self) -> &'static str {
                match self {
                    $( Self::$v => $n, )*
                }
            }
        }
        impl $crate::json::ToJson for $ty {
            fn write_json(&self, out: &mut String) {
                $crate::json::push_str_literal(out, self.json_name());
            }
        }
        impl $crate::json::FromJson for $ty {
            fn from_json(v: $crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                match v {
                    $crate::json::Value::String(s) => match s.as_str() {
                        $( $n => Ok(Self::$v), )*
                        other => Err($crate::json::unknown_variant(other)),
                    },
                    _ => Err($crate::json::JsonError::invalid_type("a string")),
                }
            }
        }
    };
}

/// Implements `ToJson` (with `ToJsonFields`) for an internally tagged enum: the tag
/// member first, then the variant's fields.
#[macro_export]
macro_rules! json_tagged_to {
    ($ty:ident, $tag:literal { $($v:ident $vn:literal { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }),* $(,)? }) => {
        impl $crate::json::ToJsonFields for $ty {
            fn write_fields(&self, w: &mut $crate::json::ObjectWriter<'_>) {
                match self {
                    $( Self::$v { $($f),* } => {
                        w.field($tag, $vn);
                        $( $crate::json_to!(@field w, $f, $n, [$($mode)?]); )*
                    } )*
                }
            }
        }
        impl $crate::json::ToJson for $ty {
            fn write_json(&self, out: &mut String) {
                let mut w = $crate::json::ObjectWriter::new(out);
                $crate::json::ToJsonFields::write_fields(self, &mut w);
                w.end();
            }
        }
    };
}

/// Implements `FromJson` for an internally tagged enum; `[deny]` refuses unknown members.
#[macro_export]
macro_rules! json_tagged_from {
    (@impl $ty:ident, $tag:literal, $deny:tt, { $($v:ident $vn:literal { $($body:tt)* }),* }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(v: $crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                let (tag, members) = $crate::json::take_tag(v, $tag)?;
                Ok(match tag.as_str() {
                    $( $vn => $crate::json_from!(@build Self::$v, members, $deny, { $($body)* }), )*
                    other => return Err($crate::json::unknown_variant(other).at_key($tag)),
                })
            }
        }
    };
    ($ty:ident, $tag:literal $([$deny:ident])? { $($v:ident $vn:literal { $($body:tt)* }),* $(,)? }) => {
        $crate::json_tagged_from!(@impl $ty, $tag, [$($deny)?], { $($v $vn { $($body)* }),* });
    };
}

/// Implements both directions for an internally tagged enum.
#[macro_export]
macro_rules! json_tagged {
    ($ty:ident, $tag:literal $([$deny:ident])? { $($v:ident $vn:literal { $($body:tt)* }),* $(,)? }) => {
        $crate::json_tagged_to!($ty, $tag { $($v $vn { $($body)* }),* });
        $crate::json_tagged_from!($ty, $tag $([$deny])? { $($v $vn { $($body)* }),* });
    };
}

/// The text of a JSON object from `"key": expression` pairs, in that order (each
/// expression is written with its `ToJson`; keys are literals that need no escaping).
/// Written straight to text: no [`Value`](crate::json::Value) tree in between.
#[allow(unused_macros)] // used by the wasm binding only
#[macro_export]
macro_rules! json_text {
    ($($k:literal : $v:expr),* $(,)?) => {{
        let mut out = String::new();
        let mut w = $crate::json::ObjectWriter::new(&mut out);
        $( w.field($k, &$v); )*
        w.end();
        out
    }};
}
