//! Between `hql.v1` messages and the domain: requests in, answers out.
//!
//! Kept apart from the handlers so each direction can be read, and tested,
//! without a server: [`wire`] reads the deciding requests' bytes in place,
//! [`lead`] validates and normalises the leads read,
//! [`decision`] carries decisions and explanations back, [`encode`] writes
//! the deciding RPCs' answers straight from the engine's borrowed decision,
//! and [`time`] is the one place that knows how a `Timestamp` maps to the
//! domain's milliseconds.

pub(crate) mod decision;
pub(crate) mod encode;
pub(crate) mod lead;
pub(crate) mod time;
pub(crate) mod wire;
