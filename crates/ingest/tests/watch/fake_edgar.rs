//! A fake EDGAR on loopback: the current-filings feed in EDGAR's own Atom
//! form, listing the fixture full submissions (each twice, as the owner's
//! and as the issuer's, under their accessions and CIKs, with the real
//! mixed feed's other forms between them), the submissions at the paths
//! the feed's links lead to, and a daily form index for the
//! reconciliation. Tests break it on purpose through [`Upstream`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use insider_bulk_testing::fixtures_dir;

/// The fixture full submission texts: four Forms 4 and a 4/A, filed in
/// four months.
pub const SUBMISSIONS: [&str; 5] = [
    "form4_0000842517-24-000086.txt",
    "form4_0000899243-22-035394.txt",
    "form4_0001127602-25-001055.txt",
    "form4_0001493152-25-009612.txt",
    "form4A_0000707549-25-000004.txt",
];

/// A fixture submission, as the fake lists and serves it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub accession: String,
    pub form: String,
    pub owner_cik: String,
    pub issuer_cik: String,
    /// `YYYYMMDD`, from the header.
    pub filed: String,
    /// `YYYY-MM`, the month the filing is in.
    pub month: String,
    pub text: Vec<u8>,
}

fn header_value(text: &str, key: &str) -> String {
    let line = text.lines().find(|l| l.trim_start().starts_with(key)).unwrap_or_else(|| panic!("{key} in header"));
    line.split_once(':').map_or(line, |(_, v)| v).trim().to_owned()
}

/// The CIK of the header's first `{section}` block.
fn section_cik(text: &str, section: &str) -> String {
    let at = text.find(section).unwrap_or_else(|| panic!("{section} in header"));
    header_value(&text[at..], "CENTRAL INDEX KEY:")
}

pub fn submission(name: &str) -> Submission {
    let text = std::fs::read(fixtures_dir().join(name)).unwrap();
    let head = String::from_utf8_lossy(&text[..text.len().min(6000)]).into_owned();
    let filed = header_value(&head, "FILED AS OF DATE:");
    Submission {
        accession: header_value(&head, "ACCESSION NUMBER:"),
        form: header_value(&head, "CONFORMED SUBMISSION TYPE:"),
        owner_cik: section_cik(&head, "REPORTING-OWNER:"),
        issuer_cik: section_cik(&head, "ISSUER:"),
        month: format!("{}-{}", &filed[..4], &filed[4..6]),
        filed,
        text,
    }
}

pub fn submissions() -> Vec<Submission> {
    SUBMISSIONS.iter().map(|name| submission(name)).collect()
}

/// How the fake misbehaves. Counters count down as answers are served.
#[derive(Default)]
pub struct Upstream {
    /// Listed in the type-4 feed, newest first.
    pub listed: Vec<Submission>,
    /// Served at their archive paths (a listed filing absent here 404s).
    pub documents: BTreeMap<String, Vec<u8>>,
    /// Accession → 404s to serve before the document.
    pub not_yet: BTreeMap<String, usize>,
    /// Accession → HTML error pages (with 200) to serve before the document.
    pub html_first: BTreeMap<String, usize>,
    /// Accession → cut-off texts to serve before the document.
    pub truncated_first: BTreeMap<String, usize>,
    /// Bodies served instead of the type-4 feed, one per request, first.
    pub bad_feeds: Vec<Vec<u8>>,
    /// Extra raw `<entry>` elements at the top of the type-4 feed.
    pub extra_entries: Vec<String>,
    /// Answers of 429 to serve to any request, first.
    pub throttle: usize,
    /// Listed in the daily form index of the day each was filed; other
    /// weekdays have an index without them, weekends none.
    pub indexed: Vec<Submission>,
    /// Paths served, in order, and the User-Agents seen.
    pub requests: Vec<String>,
    pub user_agents: BTreeSet<String>,
}

impl Upstream {
    /// Lists and serves `listed`.
    pub fn listing(listed: Vec<Submission>) -> Self {
        let documents = listed.iter().map(|s| (s.accession.clone(), s.text.clone())).collect();
        Upstream { listed, documents, ..Upstream::default() }
    }

    pub fn document_requests(&self, accession: &str) -> usize {
        self.requests.iter().filter(|p| p.ends_with(&format!("/{accession}.txt"))).count()
    }

    pub fn feed_requests(&self) -> usize {
        self.requests.iter().filter(|p| p.contains("browse-edgar")).count()
    }
}

pub type Shared = web::Data<Mutex<Upstream>>;

/// One feed entry in EDGAR's form: `role` is Reporting or Issuer.
pub fn entry(s: &Submission, cik: &str, role: &str) -> String {
    let nodash = s.accession.replace('-', "");
    let cik_n: u64 = cik.parse().unwrap();
    let filed = format!("{}-{}-{}", &s.filed[..4], &s.filed[4..6], &s.filed[6..]);
    format!(
        "<entry>\n<title>{form} - FILER ({cik:0>10}) ({role})</title>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"https://www.sec.gov/Archives/edgar/data/{cik_n}/{nodash}/{acc}-index.htm\"/>\n\
         <summary type=\"html\">\n &lt;b&gt;Filed:&lt;/b&gt; {filed} &lt;b&gt;AccNo:&lt;/b&gt; {acc} &lt;b&gt;Size:&lt;/b&gt; 6 KB\n</summary>\n\
         <updated>{filed}T18:16:37-04:00</updated>\n\
         <category scheme=\"https://www.sec.gov/\" label=\"form type\" term=\"{form}\"/>\n\
         <id>urn:tag:sec.gov,2008:accession-number={acc}</id>\n</entry>\n",
        form = s.form,
        acc = s.accession,
    )
}

/// The real mixed feed's entries of other forms (424B2, 485BXT, 497J).
fn other_forms() -> Vec<String> {
    let feed = std::fs::read_to_string(fixtures_dir().join("getcurrent_type4_mixed_2026-09-23.atom")).unwrap();
    feed.split("<entry>")
        .skip(1)
        .map(|e| format!("<entry>{}", &e[..e.find("</entry>").unwrap() + "</entry>".len()]))
        .filter(|e| !e.contains("term=\"4\""))
        .collect()
}

fn feed(entries: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>Latest Filings</title>\n<updated>2026-09-21T18:17:21-04:00</updated>\n",
    );
    entries.iter().for_each(|e| xml.push_str(e));
    xml + "</feed>\n"
}

fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

async fn serve(req: HttpRequest, upstream: Shared) -> HttpResponse {
    let mut up = upstream.lock().unwrap();
    let path = req.path().to_owned();
    up.requests.push(match req.query_string() {
        "" => path.clone(),
        query => format!("{path}?{query}"),
    });
    let ua = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    up.user_agents.insert(ua);
    if up.throttle > 0 {
        up.throttle -= 1;
        return HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .body("Request Rate Threshold Exceeded");
    }
    if path == "/cgi-bin/browse-edgar" {
        let query = req.query_string().to_owned();
        if query_value(&query, "type") != Some("4") {
            return HttpResponse::Ok().body(feed(&[]));
        }
        if !up.bad_feeds.is_empty() {
            return HttpResponse::Ok().body(up.bad_feeds.remove(0));
        }
        let mut entries = up.extra_entries.clone();
        let others = other_forms();
        for (i, s) in up.listed.iter().enumerate() {
            entries.push(entry(s, &s.owner_cik, "Reporting"));
            entries.extend(others.get(i).cloned());
            entries.push(entry(s, &s.issuer_cik, "Issuer"));
        }
        let start: usize = query_value(&query, "start").and_then(|v| v.parse().ok()).unwrap_or(0);
        let count: usize = query_value(&query, "count").and_then(|v| v.parse().ok()).unwrap_or(40);
        let page: Vec<String> = entries.into_iter().skip(start).take(count).collect();
        return HttpResponse::Ok().body(feed(&page));
    }
    if let Some(file) = path.strip_prefix("/Archives/edgar/daily-index/") {
        let day = file.rsplit_once("form.").and_then(|(_, d)| d.strip_suffix(".idx")).unwrap_or_default().to_owned();
        let format = time::macros::format_description!("[year][month][day]");
        let weekday = time::Date::parse(&day, &format)
            .is_ok_and(|d| !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday));
        if !weekday {
            return HttpResponse::NotFound().finish();
        }
        let that_day: Vec<Submission> = up.indexed.iter().filter(|s| s.filed == day).cloned().collect();
        return HttpResponse::Ok().body(form_index(&that_day));
    }
    let Some(file) = path.strip_prefix("/Archives/edgar/data/") else { return HttpResponse::NotFound().finish() };
    let Some(accession) = file.rsplit('/').next().and_then(|f| f.strip_suffix(".txt")).map(str::to_owned) else {
        return HttpResponse::NotFound().finish();
    };
    let text = up.documents.get(&accession).cloned();
    if take(&mut up.html_first, &accession) {
        return HttpResponse::Ok()
            .content_type("text/html")
            .body("<!DOCTYPE html><html><body>Service Unavailable</body></html>");
    }
    if take(&mut up.truncated_first, &accession) {
        let text = text.unwrap_or_default();
        return HttpResponse::Ok().body(text[..text.len() / 2].to_vec());
    }
    if take(&mut up.not_yet, &accession) {
        return HttpResponse::NotFound().finish();
    }
    match text {
        Some(text) => HttpResponse::Ok().body(text),
        None => HttpResponse::NotFound().finish(),
    }
}

/// Counts one bad answer down for `accession`; whether one was due.
fn take(counters: &mut BTreeMap<String, usize>, accession: &str) -> bool {
    match counters.get_mut(accession) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

/// A daily form index in EDGAR's layout, listing each filing once per filer.
fn form_index(listed: &[Submission]) -> String {
    let mut text = String::from(
        "Description:           Daily Index of EDGAR Dissemination Feed by Form Type\n \n\
         Form Type   Company Name                                                  CIK         Date Filed  File Name\n",
    );
    text.push_str(&"-".repeat(140));
    text.push('\n');
    for s in listed {
        for cik in [&s.owner_cik, &s.issuer_cik] {
            let n: u64 = cik.parse().unwrap();
            let path = format!("edgar/data/{n}/{}.txt", s.accession);
            text.push_str(&format!("{:<12}{:<62}{:<12}{:<12}{path}\n", s.form, "FILER", n, s.filed));
        }
    }
    text
}

/// Starts the fake; its port and a handle to stop it.
pub fn start(upstream: Shared) -> (u16, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(move || App::new().app_data(upstream.clone()).default_service(web::to(serve)))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let port = server.addrs()[0].port();
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);
    (port, handle)
}
