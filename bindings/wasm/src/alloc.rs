//! The wasm32 global allocator: the system allocator (dlmalloc), except that an allocation it
//! cannot satisfy panics instead of aborting.
//!
//! On stable Rust an allocation failure calls `handle_alloc_error`, which aborts without running
//! the panic hook: `RuntimeError: unreachable` and an instance nobody replaces. Panicking here
//! instead sends out-of-memory through the same path as every other panic ([`crate::panic`]): a
//! `WanggeError` ("memory allocation of N bytes failed") and a fresh instance for the next call.
//!
//! A global allocator must not unwind; with `panic = "abort"` nothing unwinds: the hook throws a
//! JS exception, so this function never returns to its caller and the instance it belongs to is
//! discarded. Fallible allocation (`try_reserve`) panics too; nothing in wangge relies on it.
//! If the heap is so full that the hook cannot format its message, the panic inside the hook
//! aborts as before.

use std::alloc::{GlobalAlloc, Layout, System};

/// [`System`], panicking on failure.
pub struct PanicOnFailure;

#[cold]
#[inline(never)]
fn failed(size: usize) -> ! {
    panic!("memory allocation of {size} bytes failed (out of WebAssembly memory)");
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; a null
// result becomes a panic that never returns (see the module docs), so no caller ever receives
// a pointer `System` did not hand out.
unsafe impl GlobalAlloc for PanicOnFailure {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are `System`'s.
        let ptr = unsafe { System.alloc(layout) };
        if ptr.is_null() {
            failed(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            failed(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` is the caller's, checked by it.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            failed(new_size);
        }
        new
    }
}
