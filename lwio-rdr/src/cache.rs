//! Sessions shared by every open: one connection and session per (server, port, user),
//! made on first use, reference counted by the files open on it, and closed by a reaper
//! after [`RdrConfig::idle_timeout`] without an open file.
//!
//! A connection that failed is dropped from the cache at the next lookup (and by the
//! reaper), so the next open makes a new one; files opened on one the network lost
//! reconnect through the same lookup ([`crate::open`]), those on one the client dropped
//! keep failing with STATUS_CONNECTION_DISCONNECTED.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use crate::config::RdrConfig;
use crate::creds::Credentials;
use crate::error::RdrError;
use crate::handles::Parked;
use crate::lease::{Budget, FlushBehind};
use crate::session::Session;

type Key = (String, u16, String);

/// The opens of one name that gather writes, by address.
type Gathering = HashMap<usize, Weak<dyn FlushBehind>>;

/// The session cache.
#[derive(Debug)]
pub struct Cache {
    config: RdrConfig,
    credentials: Mutex<Credentials>,
    sessions: tokio::sync::Mutex<HashMap<Key, Arc<Session>>>,
    /// What the read caches of every lease may hold together.
    budget: Arc<Budget>,
    /// The handles parked under H after their callers closed them.
    parked: Arc<Parked>,
    /// What the writes gathered under W may hold together ([`crate::writeback`]).
    write_budget: Arc<Budget>,
    /// The opens that gather writes, by name ([`crate::handles::handle_name`]) then by
    /// address (weak: the caller's handle owns the open), to flush before another open
    /// of the name and at shutdown; an open leaves at its close.
    gathering: Mutex<HashMap<String, Gathering>>,
}

impl Cache {
    /// An empty cache logging on as `credentials`.
    pub fn new(config: RdrConfig, credentials: Credentials) -> Self {
        let budget = Arc::new(Budget::new(
            config.cache_total_bytes,
            config.cache_file_bytes,
        ));
        let write_budget = Arc::new(Budget::new(
            config.write_behind_total_bytes,
            config.write_behind_file_bytes,
        ));
        Cache {
            config,
            credentials: Mutex::new(credentials),
            sessions: tokio::sync::Mutex::new(HashMap::new()),
            budget,
            parked: Arc::new(Parked::default()),
            write_budget,
            gathering: Mutex::new(HashMap::new()),
        }
    }

    /// The bound of the writes gathered under W, and what they hold now.
    pub fn write_budget(&self) -> &Arc<Budget> {
        &self.write_budget
    }

    /// Notes an open of `name` that gathers writes, to flush before another open of the
    /// name and at shutdown.
    pub(crate) fn gathering(&self, name: String, open: Weak<dyn FlushBehind>) {
        let at = open.as_ptr().cast::<()>() as usize;
        self.gathering
            .lock()
            .entry(name)
            .or_default()
            .insert(at, open);
    }

    /// Forgets an open of `name` (its close sent what it gathered).
    pub(crate) fn done_gathering(&self, name: &str, open: &Weak<dyn FlushBehind>) {
        let at = open.as_ptr().cast::<()>() as usize;
        let mut g = self.gathering.lock();
        if let Some(opens) = g.get_mut(name) {
            opens.remove(&at);
            if opens.is_empty() {
                g.remove(name);
            }
        }
    }

    /// Sends what the opens of `name` gathered (before another open of the name, which
    /// must see it: a `stat` by name after a write).
    pub(crate) async fn flush_name(&self, name: &str) {
        let opens: Vec<_> = {
            let g = self.gathering.lock();
            match g.get(name) {
                Some(opens) => opens.values().filter_map(Weak::upgrade).collect(),
                None => return,
            }
        };
        for open in opens {
            open.flush_behind(Some(self)).await;
        }
    }

    /// The settings.
    pub fn config(&self) -> &RdrConfig {
        &self.config
    }

    /// The bound of the leases' read caches, and what they hold now.
    pub fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// The handles parked under a lease's H ([`crate::handles`]).
    pub fn parked(&self) -> &Arc<Parked> {
        &self.parked
    }

    /// Replaces the credentials later connections log on with.
    pub fn set_credentials(&self, credentials: Credentials) {
        *self.credentials.lock() = credentials;
    }

    /// The session for `server:port`, connecting and logging on if there is none.
    pub async fn session(&self, server: &str, port: u16) -> Result<Arc<Session>, RdrError> {
        let creds = self.credentials.lock().clone();
        let key = (
            server.to_lowercase(),
            port,
            format!("{}\\{}", creds.domain, creds.user).to_lowercase(),
        );
        let mut sessions = self.sessions.lock().await;
        if let Some(s) = sessions.get(&key) {
            if s.is_alive() {
                s.touch();
                return Ok(Arc::clone(s));
            }
            sessions.remove(&key);
        }
        let s = Arc::new(Session::connect(server, port, &creds, &self.config).await?);
        sessions.insert(key, Arc::clone(&s));
        Ok(s)
    }

    /// The sessions cached now.
    pub async fn sessions(&self) -> Vec<Arc<Session>> {
        self.sessions.lock().await.values().cloned().collect()
    }

    /// How many sessions are cached.
    pub async fn len(&self) -> usize {
        self.sessions.lock().await.len()
    }

    /// True when no session is cached.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// Drops failed sessions, and closes those no file holds that were idle for longer
    /// than the timeout.
    pub async fn reap(&self) {
        let idle = self.config.idle_timeout;
        let mut closing = Vec::new();
        self.sessions.lock().await.retain(|_, s| {
            if !s.is_alive() {
                return false;
            }
            if Arc::strong_count(s) == 1 && s.idle_for() >= idle {
                closing.push(Arc::clone(s));
                return false;
            }
            true
        });
        for s in closing {
            s.close().await;
        }
    }

    /// Sends every open's gathered writes, closes every parked handle, then every
    /// session (the driver's shutdown).
    pub async fn close_all(&self) {
        let gathering: Vec<_> = self
            .gathering
            .lock()
            .drain()
            .flat_map(|(_, opens)| opens.into_values())
            .filter_map(|o| o.upgrade())
            .collect();
        for open in gathering {
            open.flush_behind(Some(self)).await;
        }
        self.parked.close_all().await;
        let all: Vec<_> = self.sessions.lock().await.drain().map(|(_, s)| s).collect();
        for s in all {
            s.close().await;
        }
    }
}

/// The reaper: runs [`Cache::reap`] every quarter of the idle timeout (at most each
/// second) until the cache is gone.
pub async fn reaper(cache: Weak<Cache>) {
    loop {
        let tick = match cache.upgrade() {
            Some(c) => {
                (c.config.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
            }
            None => return,
        };
        tokio::time::sleep(tick).await;
        match cache.upgrade() {
            Some(c) => c.reap().await,
            None => return,
        }
    }
}
