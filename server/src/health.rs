//! What `grpc.health.v1` reports, and why it changes.
//!
//! One status for the whole server (`""`) and the same for
//! `hql.v1.LeadQualificationService`, driven by two inputs:
//!
//! - **shutdown**: NOT_SERVING from the moment it starts, for good, so load
//!   balancers and readiness probes stop sending work while in-flight calls
//!   drain;
//! - **stuck scorer calls**: NOT_SERVING while the qualifier's watchdog
//!   ([`hql_qualifier::watchdog`]) sees a scorer call running past the
//!   policy's `stuck_after`. A stuck call holds a thread that nothing
//!   in-process can take back; failing the liveness probe lets the
//!   orchestrator replace the pod. If the call returns after all, the status
//!   goes back to SERVING.
//!
//! SERVING otherwise, from the moment the server runs, which is after the
//! policy and plugins loaded and validated.
//!
//! The watchdog is process-wide (it watches every thread that runs scorers),
//! so its verdict is a process-wide `watch` channel: [`start_watchdog`]
//! starts the thread once and feeds the channel; every server subscribes.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::server::SERVICE_NAME;

/// How often the watchdog looks at the calls in flight: the delay between a
/// call passing `stuck_after` and health turning NOT_SERVING.
pub const WATCHDOG_POLL: Duration = Duration::from_millis(100);

/// `true` while some scorer call is stuck.
fn stuck() -> &'static watch::Sender<bool> {
    static STUCK: OnceLock<watch::Sender<bool>> = OnceLock::new();
    STUCK.get_or_init(|| watch::channel(false).0)
}

/// Starts the watchdog thread (once per process; later calls do nothing).
pub fn start_watchdog() -> std::io::Result<()> {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.get().is_some() {
        return Ok(());
    }
    hql_qualifier::watchdog::spawn(WATCHDOG_POLL, |calls| {
        stuck().send_replace(!calls.is_empty());
    })?;
    let _ = STARTED.set(());
    Ok(())
}

/// Reports SERVING (or NOT_SERVING while a call is stuck) at once, then
/// returns the future that keeps the status current until `shutdown`
/// completes and reports NOT_SERVING after it. That future completes with
/// `shutdown`, so it can stand in for it as the server's shutdown signal.
///
/// The first status is set before this returns, that is before the server
/// accepts its first connection: a client connecting as soon as the port is
/// open must never see the service unregistered (`NOT_FOUND`).
pub(crate) async fn track(
    mut reporter: HealthReporter,
    shutdown: impl Future<Output = ()>,
) -> impl Future<Output = ()> {
    let mut calls_stuck = stuck().subscribe();
    let mut now_stuck = *calls_stuck.borrow_and_update();
    set(&reporter, status(now_stuck)).await;
    async move {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                changed = calls_stuck.changed() => {
                    if changed.is_err() {
                        // The sender is a static: it is never dropped.
                        shutdown.as_mut().await;
                        break;
                    }
                    let is_stuck = *calls_stuck.borrow_and_update();
                    if is_stuck != now_stuck {
                        now_stuck = is_stuck;
                        if is_stuck {
                            tracing::error!("health NOT_SERVING: a scorer call is stuck (see the watchdog's log)");
                        } else {
                            tracing::warn!("health SERVING again: the stuck scorer call returned");
                        }
                        set(&reporter, status(is_stuck)).await;
                    }
                }
            }
        }
        set(&reporter, ServingStatus::NotServing).await;
        end_watches(&mut reporter).await;
    }
}

/// Ends every open `Watch` stream once it has carried NOT_SERVING, so a
/// client watching health (a proxy, a sidecar) does not hold the drain open
/// for the whole grace period; it reconnects elsewhere. `Check` and new
/// watches keep answering NOT_SERVING.
///
/// A watch stream ends when its channel's sender is dropped, after yielding
/// the value it has not seen yet; clearing a service drops the sender, and
/// setting it again starts a fresh channel for later callers.
async fn end_watches(reporter: &mut HealthReporter) {
    for service in ["", SERVICE_NAME] {
        reporter.clear_service_status(service).await;
        reporter.set_service_status(service, ServingStatus::NotServing).await;
    }
}

fn status(stuck: bool) -> ServingStatus {
    if stuck { ServingStatus::NotServing } else { ServingStatus::Serving }
}

/// Reports `status` for the whole server and for the qualification service.
async fn set(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter.set_service_status(SERVICE_NAME, status).await;
}
