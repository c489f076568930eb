//! One log line per RPC: at DEBUG (so `--log-level
//! info,hql_server::rpc_trace=debug` shows every call) with the method, the
//! gRPC code, the duration, the peer and, for a batch, the lead count; and
//! nothing per call at the default level, where only server failures
//! (INTERNAL, UNKNOWN, DATA_LOSS) are logged, at ERROR.

use std::time::Duration;

use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, pb, serve_args, sql_lead, ts};
use tonic::Code;

/// Qualify, a QualifyBatch of two leads, and a Qualify refused as invalid.
async fn calls(server: &Hqld) {
    let mut client = server.client().await;
    client.qualify(sql_lead("ok", AS_OF_MS).qualify_request(AS_OF_MS)).await.expect("Qualify answers");
    let leads = vec![sql_lead("b1", AS_OF_MS).build(), sql_lead("b2", AS_OF_MS).build()];
    client
        .qualify_batch(pb::QualifyBatchRequest { leads, as_of: Some(ts(AS_OF_MS)) })
        .await
        .expect("answers");
    let invalid =
        client.qualify(sql_lead("", AS_OF_MS).qualify_request(AS_OF_MS)).await.expect_err("invalid");
    assert_eq!(invalid.code(), Code::InvalidArgument);
}

/// Stops `server` with SIGTERM off the runtime (whose client connections
/// must keep answering the server's shutdown), and returns its stderr.
async fn stop(mut server: Hqld) -> String {
    tokio::task::spawn_blocking(move || {
        assert_eq!(server.terminate(Duration::from_secs(30)).code(), Some(0));
        server.stderr()
    })
    .await
    .expect("stopped")
}

/// Every JSON log line of `stderr` naming `method`.
fn lines_for<'a>(stderr: &'a str, method: &str) -> Vec<&'a str> {
    let needle = format!("\"method\":\"hql.v1.LeadQualificationService/{method}\"");
    stderr.lines().filter(|line| line.contains(&needle)).collect()
}

#[tokio::test]
async fn at_debug_every_call_gets_one_line_with_its_code_duration_peer_and_leads() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--log-format", "json", "--log-level", "info,hql_server::rpc_trace=debug"].map(Into::into));
    let server = Hqld::start(args);
    calls(&server).await;
    let stderr = stop(server).await;

    let batch = lines_for(&stderr, "QualifyBatch");
    assert_eq!(batch.len(), 1, "{stderr}");
    let batch = batch[0];
    for field in [
        r#""level":"DEBUG""#,
        r#""message":"rpc""#,
        r#""code":"Ok""#,
        r#""leads":2"#,
        r#""peer":"127.0.0.1:"#,
        r#""elapsed_ms":"#,
    ] {
        assert!(batch.contains(field), "no {field} in {batch}");
    }
    assert!(batch.contains(r#""target":"hql_server::rpc_trace""#), "{batch}");

    let qualify = lines_for(&stderr, "Qualify");
    assert_eq!(qualify.len(), 2, "{stderr}");
    assert!(qualify[0].contains(r#""code":"Ok""#) && !qualify[0].contains(r#""leads""#), "{}", qualify[0]);
    assert!(qualify[1].contains(r#""code":"InvalidArgument""#), "{}", qualify[1]);
}

#[tokio::test]
async fn at_the_default_level_calls_are_not_logged_one_by_one() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--log-format", "json"].map(Into::into));
    let server = Hqld::start(args);
    calls(&server).await;
    let stderr = stop(server).await;
    assert!(!stderr.contains(r#""message":"rpc""#), "{stderr}");
}
