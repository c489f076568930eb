//! The floor: `hql.v1.LeadQualificationService` doing no work.
//!
//! What `hqld` costs only means something next to what the transport alone
//! costs on the same machine with the same client. The floor is that
//! transport: the same tonic server settings as `hqld` (TCP_NODELAY, 16 MiB
//! messages both ways, the default multi-threaded runtime), the same request
//! decoded in full by the same generated code, and answers of the same size,
//! because they are `hqld`'s own: at start-up the floor asks a running
//! `hqld` to qualify and explain every lead of the workload and keeps the
//! answers by lead id. Serving one is a map lookup and a clone, then tonic
//! encodes it like any answer. What it leaves out is exactly `hqld`'s work:
//! validation and conversion, the blocking-pool hop, the engine, the
//! decision's conversion, and its metrics and deadline layers.
//!
//! A lead the floor has no answer for is refused with NOT_FOUND, so a client
//! run with another `--seed` or `--leads` than the floor's shows up as
//! errors instead of quietly measuring something else.

use std::collections::HashMap;
use std::sync::Arc;

use hql_proto::pb;
use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use hql_proto::pb::lead_qualification_service_server::{
    LeadQualificationService, LeadQualificationServiceServer,
};
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
        request: Request<pb::QualifyRequest>,
    ) -> Result<Response<pb::QualifyResponse>, Status> {
        let decision = self.answers.decision(request.get_ref().lead.as_ref())?;
        Ok(Response::new(pb::QualifyResponse { decision: Some(decision) }))
    }

    async fn qualify_batch(
        &self,
        request: Request<pb::QualifyBatchRequest>,
    ) -> Result<Response<pb::QualifyBatchResponse>, Status> {
        let results =
            request.get_ref().leads.iter().map(|lead| outcome(self.answers.decision(Some(lead)))).collect();
        Ok(Response::new(pb::QualifyBatchResponse { results }))
    }

    type QualifyStreamStream = ReceiverStream<Result<pb::QualifyStreamResponse, Status>>;

    async fn qualify_stream(
        &self,
        request: Request<Streaming<pb::QualifyStreamRequest>>,
    ) -> Result<Response<Self::QualifyStreamStream>, Status> {
        let (tx, rx) = mpsc::channel(RESPONSE_BUFFER);
        tokio::spawn(answer_stream(self.answers.clone(), request.into_inner(), tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn explain(
        &self,
        request: Request<pb::ExplainRequest>,
    ) -> Result<Response<pb::ExplainResponse>, Status> {
        let explanation = self.answers.explanation(request.get_ref().lead.as_ref())?;
        Ok(Response::new(pb::ExplainResponse { explanation: Some(explanation) }))
    }

    async fn list_scorers(
        &self,
        _request: Request<pb::ListScorersRequest>,
    ) -> Result<Response<pb::ListScorersResponse>, Status> {
        Ok(Response::new(pb::ListScorersResponse::default()))
    }
}

/// Answers each stream message as it arrives, in order, like `hqld`.
async fn answer_stream(
    answers: Arc<Answers>,
    mut inbound: Streaming<pb::QualifyStreamRequest>,
    tx: mpsc::Sender<Result<pb::QualifyStreamResponse, Status>>,
) {
    let mut index = 0u64;
    loop {
        let reply = match inbound.message().await {
            Ok(Some(message)) => Ok(pb::QualifyStreamResponse {
                index,
                result: Some(outcome(answers.decision(message.lead.as_ref()))),
            }),
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
