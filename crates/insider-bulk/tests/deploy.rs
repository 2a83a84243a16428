//! The Dockerfiles cannot be built here (no Docker engine), so this checks
//! what would break them: every `cargo build -p/--bin`, `COPY` and
//! `ENTRYPOINT` names a package, binary and path that the workspace really
//! has and builds, and the build context lets those paths through.

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// (package name, binary names) of every workspace member.
fn workspace_binaries() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("crates")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let mut section = String::new();
        let (mut package, mut bins) = (None, Vec::new());
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.to_owned();
                continue;
            }
            let Some(value) = line.strip_prefix("name = ").map(|v| v.trim_matches('"').to_owned()) else { continue };
            match section.as_str() {
                "[package]" => package = Some(value),
                "[[bin]]" => bins.push(value),
                _ => {}
            }
        }
        out.push((package.expect("a [package] name"), bins));
    }
    out
}

fn words_after<'a>(line: &'a str, flag: &str) -> Option<&'a str> {
    let mut words = line.split_whitespace();
    words.by_ref().find(|w| *w == flag)?;
    words.next()
}

#[test]
fn every_dockerfile_names_what_the_workspace_builds() {
    let binaries = workspace_binaries();
    let built_dir = PathBuf::from(env!("CARGO_BIN_EXE_insider-bulk")).parent().unwrap().to_path_buf();
    let dockerignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let allowed: Vec<&str> =
        dockerignore.lines().filter_map(|l| l.strip_prefix('!')).map(|l| l.trim_end_matches('/')).collect();
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("deploy")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "Dockerfile") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap().replace("\\\n", " ");
        let name = path.display().to_string();
        let build =
            text.lines().find(|l| l.contains("cargo build")).unwrap_or_else(|| panic!("{name}: no cargo build"));
        let package = words_after(build, "-p").unwrap_or_else(|| panic!("{name}: cargo build without -p"));
        let bin = words_after(build, "--bin").unwrap_or_else(|| panic!("{name}: cargo build without --bin"));
        let (_, bins) = binaries
            .iter()
            .find(|(p, _)| p == package)
            .unwrap_or_else(|| panic!("{name}: no workspace package {package}"));
        assert!(bins.iter().any(|b| b == bin), "{name}: package {package} has no binary {bin} ({bins:?})");
        assert!(built_dir.join(bin).exists(), "{name}: the workspace build did not produce {bin}");

        let mut installed = None;
        for line in text.lines().filter(|l| l.starts_with("COPY ")) {
            let parts: Vec<&str> = line.split_whitespace().skip(1).collect();
            if parts[0].starts_with("--from=") {
                let (source, dest) = (parts[1], parts[2]);
                assert_eq!(source, format!("/src/target/release/{bin}"), "{name}: copies {source}, builds {bin}");
                installed = Some(dest.to_owned());
            } else {
                for source in &parts[..parts.len() - 1] {
                    assert!(repo().join(source).exists(), "{name}: COPY {source}: no such path in the repository");
                    assert!(allowed.contains(source), "{name}: COPY {source} is excluded by .dockerignore");
                }
            }
        }
        let installed = installed.unwrap_or_else(|| panic!("{name}: no COPY --from=build of the binary"));
        let entrypoint = text.lines().find_map(|l| l.strip_prefix("ENTRYPOINT ")).expect("an ENTRYPOINT");
        let entrypoint: Vec<String> = serde_json::from_str(entrypoint).expect("ENTRYPOINT in exec form");
        assert_eq!(entrypoint[0], installed, "{name}: ENTRYPOINT runs what was copied");
        assert!(!text.contains("HEALTHCHECK"), "{name}: Kubernetes probes do the health checks");
        assert!(text.contains("USER 65532"), "{name}: runs as a non-root user");
        checked += 1;
    }
    assert_eq!(checked, 3, "gateway, packer and ingest images");
}
