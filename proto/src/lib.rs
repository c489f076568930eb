//! The `hql.v1` contract: generated messages, the `LeadQualificationService`
//! server trait and client, and the encoded descriptor set for reflection.
//!
//! The `.proto` files beside this crate are the source of truth; they follow
//! buf's STANDARD lint rules and change only additively within `v1`.

pub mod codec;
pub mod encoded;

/// Generated code for package `hql.v1`.
// The proto's comments are written for every language's generated code:
// `<scorer>.<fact>` and `[3]` are text there, not HTML or links.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
#[allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]
pub mod v1 {
    tonic::include_proto!("hql.v1");
    // The server, from the same descriptors (build.rs).
    include!(concat!(env!("OUT_DIR"), "/hql.v1.LeadQualificationService.rs"));

    /// The encoded `FileDescriptorSet` of `hql.v1` (and its imports), for
    /// gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hql_v1_descriptor.bin"));
}

pub use v1 as pb;

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn descriptor_set_decodes_and_names_the_service() {
        let fds = prost_types::FileDescriptorSet::decode(super::v1::FILE_DESCRIPTOR_SET)
            .expect("descriptor set decodes");
        let service = fds
            .file
            .iter()
            .flat_map(|f| f.service.iter().map(move |s| (f.package(), s.name())))
            .find(|(_, s)| *s == "LeadQualificationService");
        assert_eq!(service, Some(("hql.v1", "LeadQualificationService")));
    }
}
