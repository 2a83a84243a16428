//! The `/docs` page as a browser renders it: headless Chromium (Debian's
//! `chromium`, which `scripts/test` installs) loads the real page from a
//! running gateway, and the DOM it builds shows the descriptions' markdown
//! rendered: code as code, no backticks left as literal text.

mod common;

use std::process::Command;

use common::TestGateway;
use insider_bulk_testing::Backend;

fn chromium() -> String {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return candidate.to_owned();
        }
    }
    panic!("no Chromium on this machine: scripts/test installs Debian's chromium (apt-get install chromium)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_renders_its_markdown_in_chromium() {
    let browser = chromium();
    let gw = TestGateway::start(Backend::Sqlite).await;
    let url = format!("{}/docs", gw.base);
    let profile = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--dump-dom"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(&url)
            .output()
            .expect("run chromium")
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && dom.contains("</html>"), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dom.contains("<h2>Endpoints</h2>"), "the page loaded: {dom}");
    assert!(dom.contains("/api/insiders/bulk/account"), "every endpoint is listed");
    assert!(!dom.contains('`'), "no markdown backtick is left as literal text");
    assert!(dom.contains("<code>generated_at</code>"), "inline code in the descriptions renders as <code>");
}
