//! The allocator, and how it is tuned.

use libmimalloc_sys::mi_option_set;
use std::ffi::c_int;

/// The pipeline allocates and frees row buffers and legs across threads at
/// a high rate; mimalloc handles that far better than the system allocator
/// (measured on `bench import`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: its place in v3's `mi_option_t`
/// (the bindings name only older options; the test below checks it).
const PURGE_DELAY: c_int = 15;

/// Keeps memory freed for reuse instead of handing it back to the system
/// 10 ms later, unless `MIMALLOC_PURGE_DELAY` says otherwise. Correlation
/// frees legs on one thread that were made on others, at hundreds of
/// thousands a second: handed back and taken again, the same memory was
/// zeroed by the kernel over and over (a quarter of an import's system
/// time). The process then keeps its peak, which its bounds already bound.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option; called before any thread is started.
        unsafe { mi_option_set(PURGE_DELAY, -1) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    /// The option set is the one `MIMALLOC_PURGE_DELAY` sets: run again in
    /// a child process with the variable set.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        const CHILD: &str = "BLUEWHALE_TEST_PURGE_DELAY_CHILD";
        if std::env::var_os(CHILD).is_some() {
            // SAFETY: reads an option.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 1234);
            return;
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "allocator::tests::the_option_set_is_the_purge_delay"])
            .env(CHILD, "1")
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .status()
            .unwrap();
        assert!(status.success(), "the child read another option");
    }
}
