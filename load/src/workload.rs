//! The leads a run sends, generated once and encoded once.
//!
//! A fixed seed gives the same population on every machine and in both
//! servers of a comparison, so their figures compare. Requests are encoded
//! before the clock starts: the client shares the machine's cores with the
//! server it measures, and every microsecond it spends building messages is
//! one the server does not get. A Qualify, Explain and QualifyStream request
//! for the same lead are byte-identical on the wire (each is `lead = 1,
//! as_of = 2`), so one encoding serves all three; batches are encoded
//! separately, a window of consecutive leads each.

use bytes::Bytes;
use hql_benches::leads::{AS_OF_MS, generate};
use hql_proto::pb;
use prost::Message;

use crate::lead_pb::{timestamp, to_pb};

/// Everything a run sends, pre-encoded.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The leads, as sent (the floor captures its answers for these).
    pub leads: Vec<pb::Lead>,
    /// One encoded single-lead request per lead (Qualify, Explain and
    /// QualifyStream messages share the encoding).
    pub single: Vec<Bytes>,
    /// Encoded QualifyBatch requests of `batch_size` consecutive leads.
    pub batches: Vec<Bytes>,
    /// Leads per batch request.
    pub batch_size: usize,
    /// The seed the leads were generated from.
    pub seed: u64,
}

/// How big the workload's messages are, for the report.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WorkloadSizes {
    /// Leads in the population.
    pub leads: usize,
    /// Mean encoded size of one `hql.v1.Lead`, bytes.
    pub mean_lead_bytes: f64,
    /// Mean events per lead.
    pub mean_events: f64,
    /// Mean encoded size of one QualifyBatch request, bytes.
    pub mean_batch_bytes: f64,
}

impl Workload {
    /// `count` leads from `seed` as of the generator's fixed time, with
    /// batches of `batch_size` (at least 1).
    pub fn generate(seed: u64, count: usize, batch_size: usize) -> Workload {
        let count = count.max(1);
        let batch_size = batch_size.max(1);
        let leads: Vec<pb::Lead> = generate(seed, count).iter().map(to_pb).collect();
        let as_of = Some(timestamp(AS_OF_MS));
        let single = leads
            .iter()
            .map(|lead| Bytes::from(pb::QualifyRequest { lead: Some(lead.clone()), as_of }.encode_to_vec()))
            .collect();
        // Enough distinct batches that consecutive calls carry different
        // leads, and every lead is in some batch.
        let batch_count = count.div_ceil(batch_size).max(16);
        let batches = (0..batch_count)
            .map(|b| {
                let leads = (0..batch_size).map(|i| leads[(b * batch_size + i) % count].clone()).collect();
                Bytes::from(pb::QualifyBatchRequest { leads, as_of }.encode_to_vec())
            })
            .collect();
        Workload { leads, single, batches, batch_size, seed }
    }

    /// The `as_of` every request carries.
    pub fn as_of() -> prost_types::Timestamp {
        timestamp(AS_OF_MS)
    }

    /// Sizes of what is sent.
    pub fn sizes(&self) -> WorkloadSizes {
        let n = self.leads.len() as f64;
        let lead_bytes: usize = self.leads.iter().map(Message::encoded_len).sum();
        let events: usize = self.leads.iter().map(|lead| lead.events.len()).sum();
        let batch_bytes: usize = self.batches.iter().map(Bytes::len).sum();
        WorkloadSizes {
            leads: self.leads.len(),
            mean_lead_bytes: lead_bytes as f64 / n,
            mean_events: events as f64 / n,
            mean_batch_bytes: batch_bytes as f64 / self.batches.len() as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_bytes() {
        let a = Workload::generate(42, 64, 10);
        let b = Workload::generate(42, 64, 10);
        assert_eq!(a.single, b.single);
        assert_eq!(a.batches, b.batches);
        assert_ne!(a.single, Workload::generate(43, 64, 10).single);
    }

    #[test]
    fn single_requests_decode_as_every_single_lead_rpc() {
        let w = Workload::generate(7, 8, 4);
        let qualify = pb::QualifyRequest::decode(w.single[3].clone()).expect("qualify");
        let explain = pb::ExplainRequest::decode(w.single[3].clone()).expect("explain");
        let stream = pb::QualifyStreamRequest::decode(w.single[3].clone()).expect("stream");
        assert_eq!(qualify.lead.as_ref(), Some(&w.leads[3]));
        assert_eq!(explain.lead, qualify.lead);
        assert_eq!(stream.lead, qualify.lead);
        assert_eq!(qualify.as_of, Some(Workload::as_of()));
    }

    #[test]
    fn batches_cover_every_lead_in_order() {
        let w = Workload::generate(7, 10, 4);
        assert_eq!(w.batches.len(), 16);
        let first = pb::QualifyBatchRequest::decode(w.batches[0].clone()).expect("batch");
        assert_eq!(first.leads, w.leads[..4]);
        let third = pb::QualifyBatchRequest::decode(w.batches[2].clone()).expect("batch");
        assert_eq!(third.leads[2], w.leads[0], "wraps around");
    }

    #[test]
    fn leads_have_10_to_40_events() {
        let sizes = Workload::generate(42, 256, 100).sizes();
        assert!((10.0..=41.0).contains(&sizes.mean_events), "{sizes:?}");
        assert!(sizes.mean_lead_bytes > 300.0, "{sizes:?}");
    }
}
