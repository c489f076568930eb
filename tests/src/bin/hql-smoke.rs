//! `hql-smoke ADDR`: one real call of each kind a deployment check needs
//! against a running hqld (ListScorers, then Qualify of a known lead), for
//! scripts such as `deploy/image/smoke.sh`. Exits non-zero on any failure.

use std::process::ExitCode;

use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use hql_tests::{AS_OF_MS, hql_lead, pb};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: hql-smoke HOST:PORT");
        return ExitCode::from(2);
    };
    match smoke(&addr).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hql-smoke: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn smoke(addr: &str) -> Result<String, String> {
    let mut client = LeadQualificationServiceClient::connect(format!("http://{addr}"))
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let scorers = client
        .list_scorers(pb::ListScorersRequest {})
        .await
        .map_err(|s| format!("ListScorers: {s:?}"))?
        .into_inner();
    let decision = client
        .qualify(hql_lead("smoke-dana", AS_OF_MS).qualify_request(AS_OF_MS))
        .await
        .map_err(|s| format!("Qualify: {s:?}"))?
        .into_inner()
        .decision
        .ok_or("Qualify answered without a decision")?;
    if decision.stage() != pb::Stage::Hql {
        return Err(format!("the HQL persona came back {:?}", decision.stage()));
    }
    Ok(format!("{} scorers loaded; Qualify: {:?}", scorers.scorers.len(), decision.stage()))
}
