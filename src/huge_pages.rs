//! Transparent huge pages, switched off for the length of a cold build.
//!
//! mimalloc asks the kernel for 2 MiB pages where it may. A cold build
//! touches most of its memory once, so huge pages only make it resident in
//! larger pieces: on the 10 000-page corpus its peak RSS was 136–140 MiB
//! with them and 103–105 MiB without, for the same CPU time (see
//! docs/benchmarks.md). Builds that start from the cache keep them: there
//! they save page faults, and a one-page edit took a quarter more CPU
//! without them.

/// While held, memory the process faults in comes in small pages. Dropping
/// it restores what was there before (a process started with huge pages
/// off keeps them off).
#[must_use = "huge pages come back when this is dropped"]
pub struct SmallPages {
    restore: bool,
}

impl SmallPages {
    /// Ask the kernel for small pages from now on; does nothing where it cannot.
    pub fn for_cold_build() -> SmallPages {
        SmallPages {
            restore: switch_off(),
        }
    }
}

impl Drop for SmallPages {
    fn drop(&mut self) {
        if self.restore {
            #[cfg(target_os = "linux")]
            let _ = rustix::thread::disable_transparent_huge_pages(false);
        }
    }
}

/// Switch huge pages off for the process; true when this call did it.
fn switch_off() -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{disable_transparent_huge_pages, transparent_huge_pages_are_disabled};
        transparent_huge_pages_are_disabled() == Ok(false)
            && disable_transparent_huge_pages(true).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn are_off() -> bool {
        rustix::thread::transparent_huge_pages_are_disabled() == Ok(true)
    }

    #[test]
    fn small_pages_while_held_and_restored_after() {
        if are_off() {
            return; // started with them off: nothing to switch
        }
        let held = SmallPages::for_cold_build();
        assert!(are_off());
        drop(held);
        assert!(!are_off());
    }
}
