//! Software prefetch: asking the CPU to start fetching a cache line that
//! will be read soon, without waiting for it (see `batch.rs`).

/// Prefetches the `count` cache lines from the start of `value`.
#[inline(always)]
pub(crate) fn lines<T>(value: &T, count: usize) {
    let start = (value as *const T).cast::<i8>();
    for line in 0..count {
        fetch(start.wrapping_add(64 * line));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fetch(address: *const i8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint; it never faults and reads nothing the
    // program sees, whatever the address. (It needs only SSE, part of
    // every x86-64 target; newer compilers deem the call safe, hence the
    // allowance.)
    #[allow(unused_unsafe)]
    unsafe {
        _mm_prefetch(address, _MM_HINT_T0)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn fetch(_address: *const i8) {}
