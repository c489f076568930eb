//! Compiles `hql/v1/*.proto` without a system `protoc`: `protox` parses the
//! files in pure Rust into a descriptor set, which `tonic-prost-build` turns
//! into messages and the client. The encoded descriptor set is kept too, for
//! gRPC reflection.
//!
//! The server is generated from the same descriptor set through
//! `tonic-build`'s manual service definition, so that the methods named in
//! [`AS_BYTES`] can take and return their messages as wire bytes
//! (`crate::encoded::Encoded`): `hqld` decodes and encodes those on its
//! decision threads, not on the connection's (see `src/encoded.rs`). Every
//! route, streaming kind, message type and comment comes from the
//! descriptor, so the server cannot drift from `service.proto`.

use std::path::PathBuf;

use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet, MethodDescriptorProto, ServiceDescriptorProto};

/// The service the manual definition generates.
const SERVICE: &str = "LeadQualificationService";
/// Methods whose requests and responses the server handles as wire bytes.
const AS_BYTES: [&str; 4] = ["Qualify", "QualifyBatch", "QualifyStream", "Explain"];

/// `FileDescriptorProto` field 6 (`service`), `ServiceDescriptorProto` field
/// 2 (`method`): the source-info path of a method's comments.
const SERVICE_FIELD: i32 = 6;
const METHOD_FIELD: i32 = 2;

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
        .build_server(false)
        .compile_fds(fds.clone())?;
    tonic_build::manual::Builder::new().build_client(false).out_dir(&out).compile(&[server(&fds)?]);
    Ok(())
}

/// The manual definition of [`SERVICE`], read from `fds`.
fn server(fds: &FileDescriptorSet) -> Result<tonic_build::manual::Service, String> {
    let (file, index, service) = fds
        .file
        .iter()
        .find_map(|file| {
            let index = file.service.iter().position(|s| s.name() == SERVICE)?;
            Some((file, index, &file.service[index]))
        })
        .ok_or_else(|| format!("no service {SERVICE} in the descriptor set"))?;
    let mut builder = tonic_build::manual::Service::builder().name(SERVICE).package(file.package());
    for line in comment(file, &[SERVICE_FIELD, index_of(index)?]) {
        builder = builder.comment(line);
    }
    for (m, method) in service.method.iter().enumerate() {
        builder = builder.method(server_method(file, index, service, m, method)?);
    }
    Ok(builder.build())
}

/// One method: its route and streaming kinds as declared, its messages as
/// generated types or, for [`AS_BYTES`] methods, as `Encoded` wire bytes.
fn server_method(
    file: &FileDescriptorProto,
    service_index: usize,
    service: &ServiceDescriptorProto,
    index: usize,
    method: &MethodDescriptorProto,
) -> Result<tonic_build::manual::Method, String> {
    let as_bytes = AS_BYTES.contains(&method.name());
    let message = |proto_type: &str| -> Result<String, String> {
        let name = proto_type.strip_prefix(&format!(".{}.", file.package())).ok_or_else(|| {
            format!("{}.{}: {proto_type} is not in this package", service.name(), method.name())
        })?;
        Ok(if as_bytes {
            format!("crate::encoded::Encoded<super::{name}>")
        } else {
            format!("super::{name}")
        })
    };
    let mut builder = tonic_build::manual::Method::builder()
        .name(snake_case(method.name()))
        .route_name(method.name())
        .input_type(message(method.input_type())?)
        .output_type(message(method.output_type())?)
        .codec_path(if as_bytes { "crate::codec::EncodedCodec" } else { "crate::codec::SliceCodec" });
    if method.client_streaming() {
        builder = builder.client_streaming();
    }
    if method.server_streaming() {
        builder = builder.server_streaming();
    }
    for line in comment(file, &[SERVICE_FIELD, index_of(service_index)?, METHOD_FIELD, index_of(index)?]) {
        builder = builder.comment(line);
    }
    Ok(builder.build())
}

/// The leading comment at `path` in `file`'s source info, a line each.
fn comment(file: &FileDescriptorProto, path: &[i32]) -> Vec<String> {
    file.source_code_info
        .iter()
        .flat_map(|info| info.location.iter())
        .find(|location| location.path == path)
        .map(|location| location.leading_comments().lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn index_of(index: usize) -> Result<i32, String> {
    i32::try_from(index).map_err(|_| format!("descriptor index {index} out of range"))
}

/// `QualifyBatch` → `qualify_batch`, as prost names the methods.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
