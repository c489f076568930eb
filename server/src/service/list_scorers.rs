//! ListScorers: what is loaded, so an operator can check which plugin
//! builds (by sha256) and which policy version a server decides with.

use hql_plugin_api::abi::{HQL_ABI_MAJOR, HQL_ABI_MINOR};
use hql_proto::pb;
use tonic::Request;

use super::QualificationService;
use crate::convert::decision;

/// The loaded scorers in policy order, the policy, and the host's ABI version.
pub(super) fn list_scorers(
    service: &QualificationService,
    request: Request<pb::ListScorersRequest>,
) -> pb::ListScorersResponse {
    let pb::ListScorersRequest {} = request.into_inner();
    let engine = service.engine.get();
    pb::ListScorersResponse {
        scorers: engine.scorers().into_iter().map(decision::scorer_info).collect(),
        policy: Some(decision::policy_ref(engine.policy().clone())),
        host_abi_version: format!("{HQL_ABI_MAJOR}.{HQL_ABI_MINOR}"),
    }
}
