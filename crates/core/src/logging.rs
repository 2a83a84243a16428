//! Log set-up shared by every binary: human-readable lines on stderr,
//! filtered by `RUST_LOG` (default `warn,insider_bulk=info`).

pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,insider_bulk=info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: a log collector
        // (kubectl logs, a file) gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Waits for SIGTERM (Kubernetes stopping a pod) or SIGINT (Ctrl-C) and
/// logs which one came, so that an operator reading the log sees why the
/// process began to stop. Every listener of a signal hears it: the HTTP
/// server's own handler still drains connections.
pub async fn shutdown_signal(process: &str) {
    let received = wait_for_signal().await;
    tracing::info!(target: "insider_bulk", process, signal = received, "shutting down: finishing work in hand");
}

async fn wait_for_signal() -> &'static str {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => tokio::select! { _ = ctrl_c => "SIGINT", _ = term.recv() => "SIGTERM" },
            Err(_) => {
                let _ = ctrl_c.await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
        "SIGINT"
    }
}

/// The last line of a server process: it stopped of its own accord.
pub fn stopped(process: &str) {
    tracing::info!(target: "insider_bulk", process, "stopped");
}
