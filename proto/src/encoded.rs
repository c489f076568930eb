//! A message kept as its wire bytes, to be decoded and encoded where the
//! server chooses.
//!
//! tonic decodes a request on the runtime worker that reads the connection
//! and encodes the response on the worker that writes it. `hqld` decides on
//! separate decision threads, so a call's lead was allocated (about a
//! hundred strings) on a worker and freed on a decision thread, and its
//! decision the other way round: every one of those frees crossed threads,
//! which costs the allocator more than a free at home, and the worker did
//! the decoding and encoding besides serving connections. The methods built
//! with `Encoded` (see `build.rs`) hand the worker only the bytes; the
//! decision thread decodes, decides, encodes, and frees what it allocated.
//!
//! The bytes are not checked on arrival: whoever reads them finds a
//! malformed message and answers it. [`Encoded::decode`] reads them with
//! prost (the load harness's floor server does); `hqld` reads its requests
//! in place instead, text borrowing these bytes (the server's
//! `convert::wire`), and keeps them alive until the lead is decided.

use std::fmt;
use std::marker::PhantomData;

use prost::Message;
use prost::bytes::Bytes;

/// A message of type `M` as protobuf wire bytes.
pub struct Encoded<M> {
    bytes: Bytes,
    message: PhantomData<fn() -> M>,
}

impl<M> Encoded<M> {
    /// `bytes` taken to be an encoded `M`; nothing is checked until
    /// [`Encoded::decode`].
    pub fn from_bytes(bytes: Bytes) -> Encoded<M> {
        Encoded { bytes, message: PhantomData }
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes, given up.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl<M: Message + Default> Encoded<M> {
    /// `message`, encoded.
    pub fn encode(message: &M) -> Encoded<M> {
        Encoded::from_bytes(Bytes::from(message.encode_to_vec()))
    }

    /// The message, decoded from one slice.
    pub fn decode(&self) -> Result<M, prost::DecodeError> {
        M::decode(self.as_bytes())
    }
}

impl<M> Clone for Encoded<M> {
    fn clone(&self) -> Encoded<M> {
        Encoded::from_bytes(self.bytes.clone())
    }
}

impl<M> fmt::Debug for Encoded<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Encoded<{}>({} bytes)", std::any::type_name::<M>(), self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;

    #[test]
    fn a_message_decodes_back_from_its_bytes() {
        let request = pb::QualifyRequest {
            lead: Some(pb::Lead { lead_id: "lead-1".to_owned(), ..pb::Lead::default() }),
            as_of: Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 5 }),
        };
        let encoded = Encoded::encode(&request);
        assert_eq!(encoded.as_bytes(), request.encode_to_vec().as_slice());
        assert_eq!(encoded.decode(), Ok(request));
    }

    #[test]
    fn malformed_bytes_fail_only_when_decoded() {
        // Field 1 (lead), length-delimited, claiming 9 bytes where 1 follows.
        let encoded = Encoded::<pb::QualifyRequest>::from_bytes(Bytes::from_static(&[0x0a, 0x09, 0x00]));
        assert_eq!(encoded.as_bytes().len(), 3);
        assert!(encoded.decode().is_err());
    }
}
