//! The engine in force, replaceable while requests run.
//!
//! A reload ([`crate::reload`]) builds a whole new [`Engine`] (policy and
//! scorer instances) off the request path and swaps it in with one atomic
//! pointer store. Each request takes the engine in force when it starts
//! (`get`, a lock-free read and a reference count) and finishes on it, so an
//! in-flight request never sees half of one policy and half of another, and
//! the old engine is dropped (its scorer instances destroyed) when its last
//! request ends. A `QualifyStream` takes the engine per message, so a
//! long-lived stream follows reloads.

use std::sync::Arc;

use arc_swap::ArcSwap;
use hql_qualifier::Engine;

/// The engine in force. Cheap to clone (all clones see the same swaps).
#[derive(Clone)]
pub struct CurrentEngine {
    engine: Arc<ArcSwap<Engine>>,
}

impl CurrentEngine {
    /// `engine`, in force until the first [`CurrentEngine::replace`].
    pub fn new(engine: Engine) -> CurrentEngine {
        CurrentEngine { engine: Arc::new(ArcSwap::from_pointee(engine)) }
    }

    /// The engine in force now; keep it for the whole request.
    pub fn get(&self) -> Engine {
        Engine::clone(&self.engine.load())
    }

    /// Puts `engine` in force and returns the one it replaces.
    pub fn replace(&self, engine: Engine) -> Engine {
        Engine::clone(&self.engine.swap(Arc::new(engine)))
    }
}

impl From<Engine> for CurrentEngine {
    fn from(engine: Engine) -> CurrentEngine {
        CurrentEngine::new(engine)
    }
}
