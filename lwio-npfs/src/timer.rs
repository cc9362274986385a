//! One timer thread per driver, for the timeouts of FSCTL_PIPE_WAIT. It starts with the
//! first timed wait and stops at driver shutdown (or when the driver is dropped).
//!
//! Callbacks run on the timer thread with no lock of the timer held; they hold only weak
//! references to what they complete, so a stale entry does nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

type Callback = Box<dyn FnOnce() + Send>;

struct State {
    entries: BTreeMap<(Instant, u64), Callback>,
    next_key: u64,
    stop: bool,
    thread: Option<JoinHandle<()>>,
    thread_id: Option<ThreadId>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The driver's timer.
pub(crate) struct Timer {
    shared: Arc<Shared>,
}

/// Identifies one scheduled callback, to cancel it.
#[derive(Clone)]
pub(crate) struct TimerKey {
    shared: Weak<Shared>,
    key: (Instant, u64),
}

impl TimerKey {
    /// Forgets the callback if it has not run yet.
    pub(crate) fn cancel(&self) {
        if let Some(shared) = self.shared.upgrade() {
            let removed = shared.state.lock().entries.remove(&self.key);
            drop(removed);
        }
    }
}

impl Timer {
    pub(crate) fn new() -> Self {
        Timer {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    entries: BTreeMap::new(),
                    next_key: 0,
                    stop: false,
                    thread: None,
                    thread_id: None,
                }),
                wake: Condvar::new(),
            }),
        }
    }

    /// Runs `callback` after `delay` on the timer thread; `None` when the timer was stopped
    /// or its thread cannot start.
    pub(crate) fn schedule(
        &self,
        delay: Duration,
        callback: impl FnOnce() + Send + 'static,
    ) -> Option<TimerKey> {
        let deadline = Instant::now().checked_add(delay)?;
        let mut st = self.shared.state.lock();
        if st.stop {
            return None;
        }
        if st.thread.is_none() {
            let shared = Arc::clone(&self.shared);
            let thread = std::thread::Builder::new()
                .name("npfs-timer".into())
                .spawn(move || run(&shared));
            match thread {
                Ok(handle) => {
                    st.thread_id = Some(handle.thread().id());
                    st.thread = Some(handle);
                }
                Err(err) => {
                    tracing::error!(%err, "npfs: cannot start the timer thread");
                    return None;
                }
            }
        }
        let key = (deadline, st.next_key);
        st.next_key += 1;
        st.entries.insert(key, Box::new(callback));
        drop(st);
        self.shared.wake.notify_one();
        Some(TimerKey {
            shared: Arc::downgrade(&self.shared),
            key,
        })
    }

    /// Stops the thread; callbacks not yet run are dropped.
    pub(crate) fn stop(&self) {
        let (thread, entries, own) = {
            let mut st = self.shared.state.lock();
            st.stop = true;
            let own = st.thread_id == Some(std::thread::current().id());
            (st.thread.take(), std::mem::take(&mut st.entries), own)
        };
        drop(entries);
        self.shared.wake.notify_all();
        if let Some(thread) = thread {
            if !own && thread.join().is_err() {
                tracing::error!("npfs: the timer thread panicked");
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: &Shared) {
    let mut st = shared.state.lock();
    loop {
        if st.stop {
            return;
        }
        let now = Instant::now();
        match st.entries.keys().next().copied() {
            Some(key) if key.0 <= now => {
                let callback = st.entries.remove(&key);
                drop(st);
                if let Some(callback) = callback {
                    callback();
                }
                st = shared.state.lock();
            }
            Some(key) => {
                shared.wake.wait_until(&mut st, key.0);
            }
            None => shared.wake.wait(&mut st),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn fires_in_order_and_cancels() {
        let timer = Timer::new();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let tx3 = tx.clone();
        timer.schedule(Duration::from_millis(30), move || tx.send(2).unwrap());
        timer.schedule(Duration::from_millis(5), move || tx2.send(1).unwrap());
        let key = timer
            .schedule(Duration::from_millis(10), move || tx3.send(3).unwrap())
            .unwrap();
        key.cancel();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(1));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(2));
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        timer.stop();
        assert!(timer.schedule(Duration::ZERO, || {}).is_none());
    }
}
