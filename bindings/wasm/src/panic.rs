//! Panics in WebAssembly: a thrown `WanggeError` and a fresh instance, not a dead module.
//!
//! wasm32-unknown-unknown builds with `panic = "abort"` (unwinding needs the exception-handling
//! proposal and a nightly `build-std`): a panic runs the panic hook, then executes `unreachable`,
//! which traps out of the call with `RuntimeError: unreachable`, skipping every destructor. The
//! instance is then unsound to use: the shadow stack pointer is not restored, borrows stay
//! taken, and data structures may be half updated.
//!
//! [`hook`], installed by the module's start function, therefore never returns to the abort:
//! 1. it builds a JS `Error` named `"WanggeError"` whose message carries the panic's message and
//!    location;
//! 2. it schedules a re-initialisation (`wasm_bindgen::handler::schedule_reinit`);
//! 3. it throws the error (`wasm_bindgen::throw_val`). A JS exception crosses the Wasm frames
//!    without running any of their code, so they are simply abandoned with the old instance.
//!
//! The glue replaces the instance with a fresh one from the same compiled module (the start
//! function runs again and reinstalls the hook). wasm-bindgen 0.2.130 would do that lazily, at
//! the next export call, but after that call's arguments were already written into the old
//! instance's memory; `wasm/build.mjs` (`patchReinit`) makes the throwing import replace the
//! instance before the error reaches the caller, and makes `free()` of an old object a no-op.
//! Objects made by the old instance (`City`, `Dispatcher`, `Planner`, `Preview`) carry its id,
//! so using one afterwards throws `Error("Invalid stale object from previous Wasm instance")`
//! instead of reading the new instance's memory.
//!
//! Out of memory goes the same way: the global allocator (`alloc.rs`) panics when an allocation
//! fails, where stable Rust would abort without calling the hook.
//!
//! What this cannot cover: an abort that does not go through the panic hook (a panic inside
//! this hook, e.g. when even its message cannot be allocated) still surfaces as
//! `RuntimeError: unreachable` without a re-initialisation, and the engine's own stack overflow
//! is a `RangeError`.

use crate::convert::{named_error, string_arg, JsResult};
use std::panic::PanicHookInfo;
use wasm_bindgen::prelude::*;

/// The panic hook: throw a `WanggeError` and have the glue replace the instance first.
pub fn hook(info: &PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    let at = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let err = named_error(
        wangge::ErrorKind::Other.name(),
        &format!(
            "internal error in wangge (please report it): {message}{at}; the WebAssembly \
             instance was replaced by a fresh one: objects made before this error (City, \
             Dispatcher, Planner, Preview) can no longer be used"
        ),
    );
    // Scheduled only once the error exists: nothing between here and the throw can fail.
    wasm_bindgen::handler::schedule_reinit();
    wasm_bindgen::throw_val(err.into());
}

/// Installs [`hook`]; the glue calls this when the module is instantiated (and re-instantiated
/// after a panic).
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(hook));
}

/// Test hook, not part of the API: allocates 1 GiB blocks (never touched) until the WebAssembly
/// memory cannot grow (4 GiB at most), to show that out of memory is thrown as a `WanggeError`
/// and recovered like a panic. Returns the number of blocks if they all fit (they cannot).
#[wasm_bindgen(js_name = _outOfMemoryForTests)]
pub fn out_of_memory_for_tests() -> u32 {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for _ in 0..8 {
        blocks.push(Vec::with_capacity(1 << 30));
    }
    blocks.len() as u32
}

/// Test hook, not part of the API: panics with `message` inside a call that would return a
/// string, to show that a panic is thrown as a `WanggeError` and the next call gets a fresh
/// instance.
#[wasm_bindgen(js_name = _panicForTests)]
pub fn panic_for_tests(
    #[wasm_bindgen(unchecked_param_type = "string")] message: JsValue,
) -> JsResult<String> {
    let message = string_arg(&message, "message")?;
    panic!("deliberate panic from wangge's _panicForTests test hook: {message}");
}
