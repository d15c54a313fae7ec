//! The module's memory allocator: Talc (crate `talc`) in place of Rust's default for Wasm,
//! dlmalloc. Only the size of the `.wasm` differs: dlmalloc's malloc, free and their helpers
//! were 7 KB of the module; allocations and frees are the same calls either way, on one
//! thread, from memory grown as needed.

/// The global allocator: Talc over memory it grows from the Wasm memory on demand.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
