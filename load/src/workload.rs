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
use hql_benches::leads::{AS_OF_MS, generate, generate_attributed};
use hql_proto::pb;
use prost::Message;

use crate::lead_pb::{timestamp, to_pb};

/// Which leads a run sends: the same people and events either way, so the
/// same decisions; what differs is the bytes each call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// As a CRM sends them: the scored fields plus campaign names, UTM
    /// parameters, landing page, record ids and owner (about 1.5 KB encoded).
    #[default]
    Attributed,
    /// The scored fields only (about 0.75 KB encoded): the leads of the
    /// criterion benches, and of the load runs before attribution was added.
    Compact,
}

impl Shape {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Attributed => "attributed",
            Shape::Compact => "compact",
        }
    }
}

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
    /// Which leads.
    pub shape: Shape,
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
    /// Which leads.
    pub shape: Shape,
}

impl Workload {
    /// `count` leads of `shape` from `seed` as of the generator's fixed
    /// time, with batches of `batch_size` (at least 1).
    pub fn generate(seed: u64, count: usize, batch_size: usize, shape: Shape) -> Workload {
        let count = count.max(1);
        let batch_size = batch_size.max(1);
        let records = match shape {
            Shape::Attributed => generate_attributed(seed, count),
            Shape::Compact => generate(seed, count),
        };
        let leads: Vec<pb::Lead> = records.iter().map(to_pb).collect();
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
        Workload { leads, single, batches, batch_size, seed, shape }
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
            shape: self.shape,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_bytes() {
        let a = Workload::generate(42, 64, 10, Shape::Attributed);
        let b = Workload::generate(42, 64, 10, Shape::Attributed);
        assert_eq!(a.single, b.single);
        assert_eq!(a.batches, b.batches);
        assert_ne!(a.single, Workload::generate(43, 64, 10, Shape::Attributed).single);
    }

    #[test]
    fn single_requests_decode_as_every_single_lead_rpc() {
        let w = Workload::generate(7, 8, 4, Shape::Attributed);
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
        let w = Workload::generate(7, 10, 4, Shape::Attributed);
        assert_eq!(w.batches.len(), 16);
        let first = pb::QualifyBatchRequest::decode(w.batches[0].clone()).expect("batch");
        assert_eq!(first.leads, w.leads[..4]);
        let third = pb::QualifyBatchRequest::decode(w.batches[2].clone()).expect("batch");
        assert_eq!(third.leads[2], w.leads[0], "wraps around");
    }

    #[test]
    fn leads_have_10_to_40_events_and_the_size_of_their_shape() {
        let attributed = Workload::generate(42, 256, 100, Shape::Attributed).sizes();
        assert!((10.0..=41.0).contains(&attributed.mean_events), "{attributed:?}");
        // About 1.5 KB: what the load runs are specified with.
        assert!((1300.0..1700.0).contains(&attributed.mean_lead_bytes), "{attributed:?}");
        let compact = Workload::generate(42, 256, 100, Shape::Compact).sizes();
        assert_eq!(compact.mean_events, attributed.mean_events);
        assert!((600.0..900.0).contains(&compact.mean_lead_bytes), "{compact:?}");
    }

    #[test]
    fn both_shapes_carry_the_same_leads() {
        let a = Workload::generate(42, 32, 8, Shape::Attributed);
        let c = Workload::generate(42, 32, 8, Shape::Compact);
        for (a, c) in a.leads.iter().zip(&c.leads) {
            assert_eq!(
                (&a.lead_id, &a.contact, &a.company, &a.bant),
                (&c.lead_id, &c.contact, &c.company, &c.bant)
            );
            assert!(a.encoded_len() > c.encoded_len());
        }
    }
}
