//! Compiles the job-message contract in `proto/` into Rust types at build
//! time, with a pure-Rust protobuf compiler (no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = "../../proto";
    let files = [format!("{root}/insider_bulk/jobs/v1/jobs.proto")];
    println!("cargo:rerun-if-changed={root}");
    let descriptors = protox::compile(&files, [root])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
