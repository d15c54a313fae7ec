//! Promises waiting for an event, by key (an operation id, a hold id), kept roughly
//! oldest first.
//!
//! Saves and pushes complete in the order they were made, so the search from the front
//! ends at the first element in the common case; a `VecDeque` removes there in O(1).
//! A removal elsewhere moves the front element into the gap.
//! (A `HashMap` would add its hashing and table code to the .wasm for a handful of
//! entries.)

use std::collections::VecDeque;

/// Values waiting under keys; keys are unique (ids the machine hands out).
#[derive(Debug)]
pub struct Waiting<K, V>(VecDeque<(K, V)>);

impl<K, V> Default for Waiting<K, V> {
    fn default() -> Self {
        Waiting::new()
    }
}

impl<K, V> Waiting<K, V> {
    /// Nothing waiting.
    pub fn new() -> Self {
        Waiting(VecDeque::new())
    }

    /// Adds `value` under `key`.
    pub fn insert(&mut self, key: K, value: V) {
        self.0.push_back((key, value));
    }

    /// Takes out the value under `key`, if any.
    pub fn remove(&mut self, key: &K) -> Option<V>
    where
        K: PartialEq,
    {
        self.take(&mut |k, _| k == key)
    }

    /// Takes out the first value that `found` picks, if any. (A `dyn` predicate: one copy
    /// of the search in the .wasm whatever the callers look for.)
    pub fn take(&mut self, found: &mut dyn FnMut(&K, &V) -> bool) -> Option<V> {
        let i = self.0.iter().position(|(k, v)| found(k, v))?;
        // The front moves into the gap: order is only a search hint, and this spares
        // `VecDeque::remove`'s shifting code.
        self.0.swap_remove_front(i).map(|(_, v)| v)
    }
}
