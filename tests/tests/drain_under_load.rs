//! SIGTERM under load loses nothing that was accepted: clients hammering
//! Qualify over shared connections while `hqld` is told to stop see every
//! call either answered or refused as UNAVAILABLE (never accepted then
//! dropped: no CANCELLED, UNKNOWN or INTERNAL), and the server exits 0 after
//! draining. This is what lets Kubernetes roll pods without failed requests
//! for clients that retry UNAVAILABLE.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, hql_lead, serve_args, sql_lead};
use tonic::Code;

const CLIENTS: usize = 8;

/// Whether the call provably never reached the server.
fn never_sent(status: &tonic::Status) -> bool {
    status.code() == Code::Unavailable
        || (status.code() == Code::Cancelled && status.message() == "operation was canceled")
        || refused_by_goaway(status)
}

/// A stream the client opened while the server's graceful GOAWAY (reason
/// NO_ERROR) was on the wire: its id is above the GOAWAY's last stream id,
/// which by the HTTP/2 spec (RFC 9113, 6.8) means the server did not and will
/// not process it, so it is safe to retry. tonic reports it as INTERNAL
/// ("h2 protocol error"), hence the look at the underlying h2 error.
fn refused_by_goaway(status: &tonic::Status) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(error) = source {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return h2.is_go_away() && h2.is_remote() && h2.reason() == Some(h2::Reason::NO_ERROR);
        }
        source = error.source();
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_or_refuses_every_call() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--shutdown-grace".into(), "10".into()]);
    let mut server = Hqld::start(args);

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for c in 0..CLIENTS {
        let client = server.client().await;
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut client = client;
            let (mut ok, mut refused, mut lost) = (0usize, 0usize, Vec::new());
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let lead = if i.is_multiple_of(2) {
                    hql_lead(&format!("c{c}-{i}"), AS_OF_MS)
                } else {
                    sql_lead(&format!("c{c}-{i}"), AS_OF_MS)
                };
                match client.qualify(lead.qualify_request(AS_OF_MS)).await {
                    Ok(response) => {
                        assert!(response.into_inner().decision.is_some(), "an OK answer carries a decision");
                        ok += 1;
                    }
                    // Never accepted, safe to retry elsewhere: refused by the
                    // server (GOAWAY, REFUSED_STREAM: UNAVAILABLE), or still
                    // queued in the client when the connection closed, which
                    // hyper reports as "canceled before being sent" and tonic
                    // as CANCELLED with this exact message.
                    Err(status) if never_sent(&status) => {
                        refused += 1;
                        // Once refused, this connection is going away.
                        break;
                    }
                    Err(status) => lost.push(format!("{:?}: {}", status.code(), status.message())),
                }
                i += 1;
            }
            (ok, refused, lost)
        }));
    }

    // Let the load build up, then ask the server to stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status();
    assert!(sent.expect("kill runs").success());
    let status = tokio::task::spawn_blocking(move || {
        let status = server.terminate(Duration::from_secs(30));
        (status, server.stderr())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);

    let (mut ok, mut refused, mut lost) = (0, 0, Vec::new());
    for worker in workers {
        let (o, r, l) = worker.await.expect("worker");
        ok += o;
        refused += r;
        lost.extend(l);
    }
    let (exit, stderr) = status.await.expect("join");
    assert!(lost.is_empty(), "{} accepted call(s) lost: {lost:?}", lost.len());
    assert!(ok > CLIENTS, "load ran: {ok} answered, {refused} refused");
    assert!(exit.success(), "hqld exits 0 after draining: {exit:?}\n{stderr}");
    // The drain ended within the grace period: every stream the server
    // accepted (at or below its GOAWAY's last stream id) was answered, so a
    // GOAWAY error a client saw was for a stream the server never took.
    assert!(
        !stderr.contains("still running after the shutdown grace period"),
        "the drain hit the grace period: {stderr}"
    );
    println!("answered {ok}, refused {refused}, lost 0");
}
