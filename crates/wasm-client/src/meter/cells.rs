//! Borrowing the meter's `RefCell`s through one call site each for shared and mutable
//! borrows, instead of `RefCell::borrow{,_mut}` at every use.
//!
//! `borrow` and `borrow_mut` are `#[track_caller]`: each call site puts its own panic
//! location (file, line, column: 16 bytes of data plus its reference in the code) into the
//! .wasm, 30 of them here, for a panic the re-entrancy rule in `super` (no borrow held
//! across a JS call or an `await`) keeps from happening. These two functions are not
//! `#[track_caller]`, so every borrow reports the location inside them; the message
//! ("RefCell already borrowed" / "already mutably borrowed") is the same.

use std::cell::{Ref, RefCell, RefMut};

/// `cell.borrow()`, with the panic location of this function.
pub(super) fn shared<T>(cell: &RefCell<T>) -> Ref<'_, T> {
    cell.borrow()
}

/// `cell.borrow_mut()`, with the panic location of this function.
pub(super) fn exclusive<T>(cell: &RefCell<T>) -> RefMut<'_, T> {
    cell.borrow_mut()
}
