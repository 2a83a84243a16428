//! Log set-up shared by every binary: human-readable lines on stderr,
//! filtered by `RUST_LOG` (default `warn,insider_bulk=info`).

pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,insider_bulk=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}
