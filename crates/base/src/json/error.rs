//! A JSON error: what went wrong and where (`$.grants[2].amount`).

use std::fmt;

/// One step of the path to the place an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// Why a JSON text or value was refused, with the path to the offending place.
///
/// One pointer wide (the details are boxed): every `Result<T, JsonError>` the readers
/// pass around stays small, and so does the code that moves it.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonError(Box<Details>);

#[derive(Clone, PartialEq, Eq)]
struct Details {
    message: String,
    /// Outermost last (steps are added while the error travels outwards).
    path: Vec<Step>,
}

impl JsonError {
    /// An error with this message at the current place.
    pub fn new(message: impl Into<String>) -> Self {
        Self::from_message(message.into())
    }

    #[inline(never)]
    fn from_message(message: String) -> Self {
        JsonError(Box::new(Details { message, path: Vec::new() }))
    }

    /// `invalid type: expected {what}` (a value of the wrong JSON type).
    pub fn invalid_type(what: &str) -> Self {
        Self::new(["invalid type: expected ", what].concat())
    }

    /// The same error, one object member further in.
    pub fn at_key(mut self, key: &str) -> Self {
        self.0.path.push(Step::Key(key.to_string()));
        self
    }

    /// The same error, one array element further in.
    pub fn at_index(mut self, index: usize) -> Self {
        self.0.path.push(Step::Index(index));
        self
    }

    /// The message without the path.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The path, e.g. `$.grants[2].amount` (`$` for the whole document).
    pub fn path(&self) -> String {
        let mut p = String::from("$");
        for step in self.0.path.iter().rev() {
            match step {
                Step::Key(k) => {
                    p.push('.');
                    p.push_str(k);
                }
                Step::Index(i) => {
                    p.push('[');
                    super::write::push_u64(&mut p, *i as u64);
                    p.push(']');
                }
            }
        }
        p
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.path.is_empty() {
            f.write_str(&self.0.message)
        } else {
            f.write_str(&self.0.message)?;
            f.write_str(" at ")?;
            f.write_str(&self.path())
        }
    }
}

/// Written like the derive on the unboxed struct would: `JsonError { message, path }`.
impl fmt::Debug for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonError").field("message", &self.0.message).field("path", &self.0.path).finish()
    }
}

impl std::error::Error for JsonError {}
