//! Reading a struct's fields from a JSON object: the members sorted into one slot per
//! field name, then taken out in field order (what the `json_from!` readers expand to).
//!
//! Everything that does not depend on a field's type is here, non-generic and out of
//! line, so each struct's reader is one short call per field.

use super::convert::{field, slots, take_object};
use super::{FromJson, JsonError, Value};

/// An object's members, one slot per field name, taken out in field order.
pub struct Fields {
    slots: Vec<Option<Value>>,
    next: usize,
}

impl Fields {
    /// The members of the object `v` sorted into one slot per name in `names`; with
    /// `deny`, a member not in `names` is an error (as is a value that is no object).
    #[inline(never)]
    pub fn of(v: Value, names: &[&str], deny: bool) -> Result<Fields, JsonError> {
        Fields::from_members(take_object(v, "an object")?, names, deny)
    }

    /// Like [`Fields::of`], from members already taken out of their object.
    #[inline(never)]
    pub fn from_members(members: Vec<(String, Value)>, names: &[&str], deny: bool) -> Result<Fields, JsonError> {
        Ok(Fields { slots: slots(members, names, deny)?, next: 0 })
    }

    /// The next field's value (`None`: absent).
    #[inline(never)]
    pub fn next_slot(&mut self) -> Option<Value> {
        let slot = self.slots.get_mut(self.next).and_then(Option::take);
        self.next += 1;
        slot
    }

    /// Reads the next field, named `name`: absent is `T::missing()` (`None` for an
    /// `Option`) or a `missing field` error; errors carry the name in their path.
    pub fn field<T: FromJson>(&mut self, name: &str) -> Result<T, JsonError> {
        field(self.next_slot(), name)
    }

    /// Reads the next field, named `name`; absent is `T::default()`.
    pub fn field_or_default<T: FromJson + Default>(&mut self, name: &str) -> Result<T, JsonError> {
        match self.next_slot() {
            Some(v) => field(Some(v), name),
            None => Ok(T::default()),
        }
    }
}
