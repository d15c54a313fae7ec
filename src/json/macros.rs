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
                $( json_to!(@field w, &self.$f, $n, [$($mode)?]); )*
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
        json_to!(impl [] $ty { $($body)* });
    };
}

/// Implements `FromJson` for a struct; `[deny]` refuses unknown members.
macro_rules! json_from {
    (@deny [deny]) => {
        true
    };
    (@deny []) => {
        false
    };
    // The value of one field from its slot (`None`: absent), by its mode.
    (@field $slot:expr, $n:literal, []) => {
        $crate::json::field($slot, $n)?
    };
    (@field $slot:expr, $n:literal, [default]) => {
        $crate::json::field_or_default($slot, $n)?
    };
    (@field $slot:expr, $n:literal, [opt]) => {
        $crate::json::field($slot, $n)?
    };
    (@field $slot:expr, $n:literal, [($e:expr)]) => {
        match $slot {
            Some(v) => $crate::json::field(Some(v), $n)?,
            None => $e,
        }
    };
    // Builds `$path { … }` from the object members `$members` (a `Vec<(String, Value)>`):
    // the members are sorted into one slot per field by a shared, non-generic function,
    // then each field is read by a function generic only over the field's type.
    (@build $path:path, $members:expr, [$($deny:ident)?], { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }) => {{
        #[allow(unused_mut, unused_variables)]
        let mut slots = $crate::json::slots($members, &[$($n),*], json_from!(@deny [$($deny)?]))?.into_iter();
        $path {
            $( $f: json_from!(@field slots.next().flatten(), $n, [$($mode)?]), )*
        }
    }};
    ($ty:ident $([$deny:ident])? { $($body:tt)* }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(v: $crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                let members = $crate::json::take_object(v, "an object")?;
                Ok(json_from!(@build Self, members, [$($deny)?], { $($body)* }))
            }
        }
    };
}

/// Implements both `ToJson` and `FromJson` for a struct.
macro_rules! json_struct {
    ($ty:ident $([$deny:ident])? { $($body:tt)* }) => {
        json_to!($ty { $($body)* });
        json_from!($ty $([$deny])? { $($body)* });
    };
}

/// Implements `ToJson` and `FromJson` for an enum of unit variants written as strings.
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
macro_rules! json_tagged_to {
    ($ty:ident, $tag:literal { $($v:ident $vn:literal { $($f:ident : $n:literal $(= $mode:tt)?),* $(,)? }),* $(,)? }) => {
        impl $crate::json::ToJsonFields for $ty {
            fn write_fields(&self, w: &mut $crate::json::ObjectWriter<'_>) {
                match self {
                    $( Self::$v { $($f),* } => {
                        w.field($tag, $vn);
                        $( json_to!(@field w, $f, $n, [$($mode)?]); )*
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
macro_rules! json_tagged_from {
    (@impl $ty:ident, $tag:literal, $deny:tt, { $($v:ident $vn:literal { $($body:tt)* }),* }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(v: $crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                let mut members = $crate::json::take_object(v, "an object")?;
                let tag = match $crate::json::take_member(&mut members, $tag) {
                    Some($crate::json::Value::String(s)) => s,
                    Some(_) => return Err($crate::json::JsonError::invalid_type("a string").at_key($tag)),
                    None => return Err($crate::json::missing_field($tag)),
                };
                Ok(match tag.as_str() {
                    $( $vn => json_from!(@build Self::$v, members, $deny, { $($body)* }), )*
                    other => return Err($crate::json::unknown_variant(other).at_key($tag)),
                })
            }
        }
    };
    ($ty:ident, $tag:literal $([$deny:ident])? { $($v:ident $vn:literal { $($body:tt)* }),* $(,)? }) => {
        json_tagged_from!(@impl $ty, $tag, [$($deny)?], { $($v $vn { $($body)* }),* });
    };
}

/// Implements both directions for an internally tagged enum.
macro_rules! json_tagged {
    ($ty:ident, $tag:literal $([$deny:ident])? { $($v:ident $vn:literal { $($body:tt)* }),* $(,)? }) => {
        json_tagged_to!($ty, $tag { $($v $vn { $($body)* }),* });
        json_tagged_from!($ty, $tag $([$deny])? { $($v $vn { $($body)* }),* });
    };
}

/// A [`Value`](crate::json::Value) object from `"key": expression` pairs, in that order
/// (each expression is written with its `ToJson`).
#[allow(unused_macros)] // used by the wasm binding only
macro_rules! json_object {
    ($($k:literal : $v:expr),* $(,)?) => {
        $crate::json::Value::Object(vec![$(($k.to_string(), $crate::json::to_value(&$v))),*])
    };
}
