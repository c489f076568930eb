//! The floor: `hql.v1.LeadQualificationService` doing no work.
//!
//! What `hqld` costs only means something next to what the transport alone
//! costs on the same machine with the same client. The floor is that
//! transport: the same tonic server settings as `hqld` (TCP_NODELAY, 16 MiB
//! messages both ways, the default multi-threaded runtime), the same request
//! decoded in full by prost, and answers of the same size,
//! because they are `hqld`'s own: at start-up the floor asks a running
//! `hqld` to qualify and explain every lead of the workload and keeps the
//! answers by lead id. Serving one is a map lookup and a clone, encoded
//! like any answer. It serves through the same generated server as `hqld`,
//! whose deciding methods take and give wire bytes (`hql_proto::encoded`),
//! and decodes and encodes in the handler, on the connection's worker, the
//! work tonic's codec did there before. What it leaves out is exactly `hqld`'s work:
//! validation and conversion, the blocking-pool hop, the engine, the
//! decision's conversion, and its metrics and deadline layers.
//!
//! A lead the floor has no answer for is refused with NOT_FOUND, so a client
//! run with another `--seed` or `--leads` than the floor's shows up as
//! errors instead of quietly measuring something else.

use std::collections::HashMap;
use std::sync::Arc;

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use hql_proto::pb::lead_qualification_service_server::{
    LeadQualificationService, LeadQualificationServiceServer,
};
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};

use crate::driver::{MAX_MESSAGE_BYTES, connect};
use crate::error::LoadError;
use crate::workload::Workload;

/// The stdout line prefix the floor prints once bound, as `hqld` does.
pub const LISTENING_PREFIX: &str = "hql-load floor listening on ";

/// Stream answers buffered ahead of a slow reader, as in `hqld`.
const RESPONSE_BUFFER: usize = 32;

/// `hqld`'s answers for every lead of a workload.
#[derive(Debug, Default)]
pub struct Answers {
    decisions: HashMap<String, pb::Decision>,
    explanations: HashMap<String, pb::Explanation>,
}

impl Answers {
    /// Asks the server at `url` to qualify and explain each of `workload`'s
    /// leads.
    pub async fn capture(url: &str, workload: &Workload) -> Result<Answers, LoadError> {
        let channels = connect(url, 1).await?;
        let channel = channels.into_iter().next().ok_or_else(|| LoadError::Usage("no channel".into()))?;
        let mut client = LeadQualificationServiceClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let as_of = Some(Workload::as_of());
        let mut answers = Answers::default();
        for lead in &workload.leads {
            let lead_id = lead.lead_id.clone();
            let failed = |rpc| {
                let lead_id = lead_id.clone();
                move |status| LoadError::Capture { rpc, lead_id, status: Box::new(status) }
            };
            let request = pb::QualifyRequest { lead: Some(lead.clone()), as_of };
            let decision = client.qualify(request).await.map_err(failed("Qualify"))?.into_inner().decision;
            let request = pb::ExplainRequest { lead: Some(lead.clone()), as_of };
            let explanation =
                client.explain(request).await.map_err(failed("Explain"))?.into_inner().explanation;
            let missing = |rpc| Status::internal(format!("{rpc} answered OK without an answer"));
            answers.decisions.insert(
                lead_id.clone(),
                decision.ok_or_else(|| missing("Qualify")).map_err(failed("Qualify"))?,
            );
            answers.explanations.insert(
                lead_id.clone(),
                explanation.ok_or_else(|| missing("Explain")).map_err(failed("Explain"))?,
            );
        }
        Ok(answers)
    }

    /// Leads with an answer.
    pub fn len(&self) -> usize {
        self.decisions.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }

    fn decision(&self, lead: Option<&pb::Lead>) -> Result<pb::Decision, Status> {
        let lead_id = lead.map_or("", |lead| lead.lead_id.as_str());
        self.decisions.get(lead_id).cloned().ok_or_else(|| unknown(lead_id))
    }

    fn explanation(&self, lead: Option<&pb::Lead>) -> Result<pb::Explanation, Status> {
        let lead_id = lead.map_or("", |lead| lead.lead_id.as_str());
        self.explanations.get(lead_id).cloned().ok_or_else(|| unknown(lead_id))
    }
}

fn unknown(lead_id: &str) -> Status {
    Status::not_found(format!(
        "the floor captured no answer for lead {lead_id:?}: run the client with the floor's --seed and --leads"
    ))
}

/// A lead's result in a batch or stream.
fn outcome(decision: Result<pb::Decision, Status>) -> pb::QualifyBatchResult {
    use pb::qualify_batch_result::Outcome;
    let outcome = match decision {
        Ok(decision) => Outcome::Decision(decision),
        Err(status) => Outcome::Error(rpc_status(&status)),
    };
    pb::QualifyBatchResult { outcome: Some(outcome) }
}

fn rpc_status(status: &Status) -> tonic_types::pb::Status {
    tonic_types::pb::Status {
        code: status.code() as i32,
        message: status.message().to_string(),
        details: Vec::new(),
    }
}

/// The floor service.
#[derive(Debug, Clone)]
pub struct Floor {
    answers: Arc<Answers>,
}

impl Floor {
    /// A floor answering with `answers`.
    pub fn new(answers: Answers) -> Floor {
        Floor { answers: Arc::new(answers) }
    }
}

#[tonic::async_trait]
impl LeadQualificationService for Floor {
    async fn qualify(
        &self,
        request: Request<Encoded<pb::QualifyRequest>>,
    ) -> Result<Response<Encoded<pb::QualifyResponse>>, Status> {
        let request = decoded(request)?;
        let decision = self.answers.decision(request.lead.as_ref())?;
        Ok(Response::new(Encoded::encode(&pb::QualifyResponse { decision: Some(decision) })))
    }

    async fn qualify_batch(
        &self,
        request: Request<Encoded<pb::QualifyBatchRequest>>,
    ) -> Result<Response<Encoded<pb::QualifyBatchResponse>>, Status> {
        let request = decoded(request)?;
        let results = request.leads.iter().map(|lead| outcome(self.answers.decision(Some(lead)))).collect();
        Ok(Response::new(Encoded::encode(&pb::QualifyBatchResponse { results })))
    }

    type QualifyStreamStream = ReceiverStream<Result<Encoded<pb::QualifyStreamResponse>, Status>>;

    async fn qualify_stream(
        &self,
        request: Request<Streaming<Encoded<pb::QualifyStreamRequest>>>,
    ) -> Result<Response<Self::QualifyStreamStream>, Status> {
        let (tx, rx) = mpsc::channel(RESPONSE_BUFFER);
        tokio::spawn(answer_stream(self.answers.clone(), request.into_inner(), tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn explain(
        &self,
        request: Request<Encoded<pb::ExplainRequest>>,
    ) -> Result<Response<Encoded<pb::ExplainResponse>>, Status> {
        let request = decoded(request)?;
        let explanation = self.answers.explanation(request.lead.as_ref())?;
        Ok(Response::new(Encoded::encode(&pb::ExplainResponse { explanation: Some(explanation) })))
    }

    async fn list_scorers(
        &self,
        _request: Request<pb::ListScorersRequest>,
    ) -> Result<Response<pb::ListScorersResponse>, Status> {
        Ok(Response::new(pb::ListScorersResponse::default()))
    }
}

/// The request decoded in full, as tonic's generated code would on the
/// connection's worker; a message that does not parse is INTERNAL, as there.
fn decoded<M: Message + Default>(request: Request<Encoded<M>>) -> Result<M, Status> {
    request.into_inner().decode().map_err(|error| Status::internal(error.to_string()))
}

/// Answers each stream message as it arrives, in order, like `hqld`.
async fn answer_stream(
    answers: Arc<Answers>,
    mut inbound: Streaming<Encoded<pb::QualifyStreamRequest>>,
    tx: mpsc::Sender<Result<Encoded<pb::QualifyStreamResponse>, Status>>,
) {
    let mut index = 0u64;
    loop {
        let reply = match inbound.message().await {
            Ok(Some(message)) => match message.decode() {
                Ok(message) => Ok(Encoded::encode(&pb::QualifyStreamResponse {
                    index,
                    result: Some(outcome(answers.decision(message.lead.as_ref()))),
                })),
                Err(error) => Err(Status::internal(error.to_string())),
            },
            Ok(None) => return,
            Err(status) => Err(status),
        };
        let last = reply.is_err();
        if tx.send(reply).await.is_err() || last {
            return;
        }
        index += 1;
    }
}

/// Serves the floor on `listener` until the process ends.
pub async fn serve(listener: TcpListener, floor: Floor) -> Result<(), LoadError> {
    let service = LeadQualificationServiceServer::new(floor)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder().add_service(service).serve_with_incoming(incoming).await?;
    Ok(())
}
