//! Compiles `hql/v1/*.proto` without a system `protoc`: `protox` parses the
//! files in pure Rust into a descriptor set, which `tonic-prost-build` turns
//! into messages, the server trait and the client. The encoded descriptor set
//! is kept too, for gRPC reflection.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["hql/v1/lead.proto", "hql/v1/decision.proto", "hql/v1/service.proto"];
    for f in files.iter().chain(["google/rpc/status.proto"].iter()) {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["."])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("hql_v1_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        // Maps are ordered so a lead encodes, digests and renders the same way
        // every time (decision ids are digests).
        .btree_map(".")
        // Reuse tonic-types' google.rpc.Status so rich-error helpers apply.
        .extern_path(".google.rpc", "::tonic_types::pb")
        // prost's encoding, decoding each message from one slice (src/codec.rs).
        .codec_path("crate::codec::SliceCodec")
        .compile_fds(fds)?;
    Ok(())
}
