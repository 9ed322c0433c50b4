//! Limits on template renders, which nothing can stop from outside: a
//! [`Watch`] lists the renders in flight, and whoever waits for the build
//! (the CLI's main thread, `serve`'s watcher) asks it for one that has run
//! past the time limit or asked for too much memory at once, then gives the
//! build up. The render's own thread stops at its next allocation: the
//! allocator ([`Guarded`]) parks it for good instead of letting it go on,
//! and parks before it allocates a block over [`MAX_RENDER_ALLOCATION`], so a
//! template that doubles a string forty times is reported, not an abort.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The largest block of memory a render may ask for at once (1 GiB).
pub const MAX_RENDER_ALLOCATION: usize = 1 << 30;

/// How long one render may run unless `render_timeout` in config.toml says otherwise.
pub const DEFAULT_RENDER_TIMEOUT: Duration = Duration::from_secs(30);

/// Some render somewhere has been told to stop: allocations look at their thread's render.
static STOPPING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The render this thread is running, if any.
    static CURRENT: Cell<*const Slot> = const { Cell::new(std::ptr::null()) };
}

/// One render in flight.
struct Slot {
    template: String,
    page: PathBuf,
    started: Instant,
    /// Set by the watcher: park at the next allocation.
    stop: AtomicBool,
    /// The size of the block it asked for over the limit (0 when none).
    asked: AtomicUsize,
}

/// Why a build was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overrun {
    pub template: String,
    pub page: PathBuf,
    /// What it did: "ran longer than 30 s", "asked for 2048 MiB at once".
    pub what: String,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rendering {} with templates/{} {}",
            self.page.display(),
            self.template,
            self.what
        )
    }
}

impl Overrun {
    /// The error that reports it.
    pub fn diagnostic(&self) -> crate::diagnostics::Diagnostic {
        crate::diagnostics::Diagnostic::error("template", self.to_string())
            .in_file(Path::new(crate::templates::TEMPLATES_DIR).join(&self.template))
            .note("the render was stopped and the build given up; look for a loop that never ends or a value that keeps growing")
    }
}

/// The renders of one build in flight, and its time limit.
#[derive(Default)]
pub struct Watch {
    renders: Mutex<Vec<Arc<Slot>>>,
    /// The time limit in milliseconds; 0 means the default.
    limit_ms: AtomicU64,
}

impl Watch {
    /// Set the time limit of one render.
    pub fn set_limit(&self, limit: Duration) {
        self.limit_ms
            .store(limit.as_millis().max(1) as u64, Ordering::Relaxed);
    }

    fn limit(&self) -> Duration {
        match self.limit_ms.load(Ordering::Relaxed) {
            0 => DEFAULT_RENDER_TIMEOUT,
            ms => Duration::from_millis(ms),
        }
    }

    /// Register a render of `template` for `page` until the guard is dropped.
    pub fn rendering(&self, template: &str, page: &Path) -> Rendering<'_> {
        let slot = Arc::new(Slot {
            template: template.to_string(),
            page: page.to_path_buf(),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            asked: AtomicUsize::new(0),
        });
        self.lock().push(slot.clone());
        let previous = CURRENT.with(|c| c.replace(Arc::as_ptr(&slot)));
        Rendering {
            watch: self,
            slot,
            previous,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Slot>>> {
        self.renders.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A render over its limits, if any; it is told to stop.
    pub fn overrun(&self) -> Option<Overrun> {
        let limit = self.limit();
        let renders = self.lock();
        let (slot, what) = renders.iter().find_map(|s| {
            let asked = s.asked.load(Ordering::Relaxed);
            if asked > 0 {
                return Some((
                    s,
                    format!(
                        "asked for {} MiB of memory at once (the limit is {} MiB)",
                        asked >> 20,
                        MAX_RENDER_ALLOCATION >> 20
                    ),
                ));
            }
            (s.started.elapsed() > limit).then(|| {
                (
                    s,
                    format!(
                        "ran longer than {} (render_timeout in config.toml)",
                        seconds(limit)
                    ),
                )
            })
        })?;
        slot.stop.store(true, Ordering::Relaxed);
        STOPPING.store(true, Ordering::Relaxed);
        Some(Overrun {
            template: slot.template.clone(),
            page: slot.page.clone(),
            what,
        })
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// A render registered with a [`Watch`], until dropped.
pub struct Rendering<'a> {
    watch: &'a Watch,
    slot: Arc<Slot>,
    previous: *const Slot,
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
        self.watch.lock().retain(|s| !Arc::ptr_eq(s, &self.slot));
    }
}

/// Called before every allocation: a render that must stop, or that asks
/// for a block over the limit, parks here for good.
#[inline]
fn before_alloc(size: usize) {
    if size >= MAX_RENDER_ALLOCATION || STOPPING.load(Ordering::Relaxed) {
        check_render(size);
    }
}

#[cold]
fn check_render(size: usize) {
    // `try_with`: the thread-local may be gone while a thread exits.
    let Ok(current) = CURRENT.try_with(Cell::get) else {
        return;
    };
    if current.is_null() {
        return;
    }
    // SAFETY: `CURRENT` points at a slot its `Rendering` guard keeps alive,
    // and the guard clears it before letting go.
    let slot = unsafe { &*current };
    if size >= MAX_RENDER_ALLOCATION {
        slot.asked.store(size, Ordering::Relaxed);
    } else if !slot.stop.load(Ordering::Relaxed) {
        return;
    }
    // Nothing is allocated from here on: the build is being given up, and
    // this thread must neither take the memory nor go on burning a core.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// A global allocator that applies the render limits, then asks `A`.
pub struct Guarded<A>(pub A);

// SAFETY: every call is passed on to `A` unchanged; `before_alloc` only
// reads atomics and a thread-local, and may block the calling thread.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Guarded<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        before_alloc(layout.size());
        // SAFETY: passed on as received.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        before_alloc(layout.size());
        // SAFETY: passed on as received.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: passed on as received.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        before_alloc(new_size);
        // SAFETY: passed on as received.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}
