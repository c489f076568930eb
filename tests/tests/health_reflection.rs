//! What an orchestrator and a new client see before sending any lead:
//! `grpc.health.v1.Health` (SERVING once the policy and plugins are loaded,
//! NOT_SERVING as soon as shutdown starts, watches ended after that) and server reflection v1 and
//! v1alpha (so `grpcurl list`, `describe` and calls work without proto files).

use std::time::Duration;

use hql_tests::{Hqld, PluginDir, default_policy, serve_args};
use tokio_stream::StreamExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

const SERVICE: &str = "hql.v1.LeadQualificationService";

async fn health(server: &Hqld) -> HealthClient<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(server.url()).expect("url").connect().await;
    HealthClient::new(channel.expect("connects"))
}

async fn check(server: &Hqld, service: &str) -> Result<HealthCheckResponse, tonic::Status> {
    health(server).await.check(HealthCheckRequest { service: service.into() }).await.map(|r| r.into_inner())
}

/// One reflection request on a fresh stream.
async fn reflect(server: &Hqld, request: MessageRequest) -> MessageResponse {
    let channel = tonic::transport::Endpoint::from_shared(server.url()).expect("url").connect().await;
    let mut client = ServerReflectionClient::new(channel.expect("connects"));
    let outbound =
        tokio_stream::iter([ServerReflectionRequest { host: String::new(), message_request: Some(request) }]);
    let mut inbound = client.server_reflection_info(outbound).await.expect("reflection stream").into_inner();
    let reply: ServerReflectionResponse = inbound.next().await.expect("one answer").expect("not an error");
    reply.message_response.expect("a response")
}

#[tokio::test]
async fn the_server_and_the_service_report_serving_once_loaded() {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    for service in ["", SERVICE] {
        let status = check(&server, service).await.expect("health check").status();
        assert_eq!(status, ServingStatus::Serving, "service {service:?}");
    }
    let unknown = check(&server, "hql.v1.NoSuchService").await.expect_err("unknown service");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn health_turns_not_serving_as_soon_as_shutdown_starts() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--shutdown-grace".into(), "5".into()]);
    let mut server = Hqld::start(args);
    let mut watch = health(&server)
        .await
        .watch(HealthCheckRequest { service: SERVICE.into() })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.next().await.expect("first status").expect("ok");
    assert_eq!(first.status(), ServingStatus::Serving);

    let sent = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status();
    assert!(sent.expect("kill runs").success());
    let next = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("a status change before the grace period ends")
        .expect("the watch stream carries it")
        .expect("ok");
    assert_eq!(next.status(), ServingStatus::NotServing);
    // The watch then ends (cleanly), so it does not hold the drain open.
    let after = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the watch ends before the grace period does");
    assert!(after.is_none(), "the watch ends after NOT_SERVING, got {after:?}");
    assert!(server.terminate(Duration::from_secs(10)).success(), "exits 0 after draining");
}

#[tokio::test]
async fn reflection_lists_and_describes_the_contract() {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());

    let MessageResponse::ListServicesResponse(list) =
        reflect(&server, MessageRequest::ListServices(String::new())).await
    else {
        panic!("not a service list");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in [SERVICE, "grpc.health.v1.Health"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }

    // A client built at run time needs the file and, by name, everything it imports.
    let service_file =
        descriptors(reflect(&server, MessageRequest::FileContainingSymbol(SERVICE.into())).await);
    assert_eq!(service_file.iter().map(|f| f.name()).collect::<Vec<_>>(), ["hql/v1/service.proto"]);
    let imports = &service_file[0].dependency;
    for expected in ["hql/v1/lead.proto", "hql/v1/decision.proto", "google/protobuf/timestamp.proto"] {
        assert!(imports.iter().any(|d| d == expected), "{expected} not imported: {imports:?}");
    }
    for import in imports {
        let file = descriptors(reflect(&server, MessageRequest::FileByFilename(import.clone())).await);
        assert!(file.iter().any(|f| f.name() == import), "{import} is not served by name");
    }
}

/// The file descriptors in a reflection answer.
fn descriptors(response: MessageResponse) -> Vec<prost_types::FileDescriptorProto> {
    let MessageResponse::FileDescriptorResponse(files) = response else {
        panic!("not a file descriptor answer: {response:?}");
    };
    files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost::Message::decode(bytes.as_slice()).expect("a FileDescriptorProto"))
        .collect()
}
