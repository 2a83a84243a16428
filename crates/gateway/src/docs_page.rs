//! The `/docs` page: the OpenAPI document rendered as one self-contained
//! HTML page (inline CSS, no scripts, no fonts, nothing fetched), so it
//! reads the same on an air-gapped network.

use std::fmt::Write;

use serde_json::Value;

const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:960px;margin:2em auto;\
padding:0 1em;color:#1d232a}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}pre{background:#f4f6f8;padding:.8em;\
overflow-x:auto;border-radius:6px}table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #d8dee4;\
padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f4f6f8}.op{border:1px solid #d8dee4;border-radius:8px;\
padding:0 1em 1em;margin:1.5em 0}.m{display:inline-block;min-width:4em;text-align:center;color:#fff;border-radius:4px;\
padding:0 .4em;font-weight:600}.get{background:#1f7a3f}.post{background:#1f5fa8}.delete{background:#a8321f}";

pub fn render(spec: &Value) -> String {
    let info = &spec["info"];
    let title = text(&info["title"]);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} API</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = write!(page, "<h1>{} <small>{}</small></h1>", escape(&title), escape(&text(&info["version"])));
    paragraphs(&mut page, &text(&info["description"]));
    security(&mut page, &spec["components"]["securitySchemes"]);
    let operations = operations(spec);
    page.push_str("<h2>Endpoints</h2><ul>");
    for (i, (method, path, op)) in operations.iter().enumerate() {
        let _ = write!(
            page,
            "<li><a href=\"#op{i}\"><code>{} {}</code></a> {}</li>",
            method.to_uppercase(),
            escape(path),
            escape(&text(&op["summary"]))
        );
    }
    page.push_str("</ul>");
    for (i, (method, path, op)) in operations.iter().enumerate() {
        operation(&mut page, i, method, path, op);
    }
    if let Some(schemas) = spec["components"]["schemas"].as_object() {
        page.push_str("<h2>Schemas</h2>");
        for (name, schema) in schemas {
            let _ = write!(page, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
            fields(&mut page, schema, spec, 0);
        }
    }
    page.push_str("</body></html>");
    page
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item[method].is_object() {
                    out.push((method.to_owned(), path.clone(), item[method].clone()));
                }
            }
        }
    }
    out
}

fn operation(page: &mut String, i: usize, method: &str, path: &str, op: &Value) {
    let _ = write!(
        page,
        "<div class=\"op\" id=\"op{i}\"><h3><span class=\"m {method}\">{}</span> <code>{}</code></h3>",
        method.to_uppercase(),
        escape(path)
    );
    let _ = write!(page, "<p><strong>{}</strong></p>", escape(&text(&op["summary"])));
    paragraphs(page, &text(&op["description"]));
    if let Some(params) = op["parameters"].as_array() {
        page.push_str("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>type</th><th>description</th><th>example</th></tr>");
        for p in params {
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&text(&p["name"])),
                escape(&text(&p["in"])),
                if p["required"].as_bool() == Some(true) { "yes" } else { "no" },
                escape(&type_of(&p["schema"])),
                inline(&text(&p["description"])),
                escape(&text(&p["example"]))
            );
        }
        page.push_str("</table>");
    }
    if let Some(responses) = op["responses"].as_object() {
        page.push_str(
            "<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>headers</th><th>body</th></tr>",
        );
        for (status, response) in responses {
            let headers = response["headers"].as_object().map(|h| h.keys().cloned().collect::<Vec<_>>().join(", "));
            let schema = response["content"].as_object().and_then(|c| c.values().next()).map(|c| &c["schema"]);
            let body = schema.map(type_of).unwrap_or_default();
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                inline(&text(&response["description"])),
                escape(&headers.unwrap_or_default()),
                escape(&body)
            );
        }
        page.push_str("</table>");
    }
    let example_path = op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path").fold(
        path.to_owned(),
        |acc, p| {
            let example =
                p["example"].as_str().map(str::to_owned).or_else(|| p["schema"]["example"].as_str().map(str::to_owned));
            acc.replace(
                &format!("{{{}}}", text(&p["name"])),
                &example.unwrap_or_else(|| format!("{{{}}}", text(&p["name"]))),
            )
        },
    );
    let flag = if method == "get" { String::new() } else { format!("-X {} ", method.to_uppercase()) };
    let _ = write!(
        page,
        "<h4>Example</h4><pre>curl {flag}-H \"X-API-Key: YOUR_API_KEY\" \"https://HOST{}\"</pre></div>",
        escape(&example_path)
    );
}

/// A schema's fields as a table, following `$ref`s to a bounded depth (the
/// depth bound also ends reference cycles).
fn fields(page: &mut String, schema: &Value, spec: &Value, depth: usize) {
    let schema = resolve(schema, spec);
    let Some(properties) = schema["properties"].as_object() else {
        let _ = write!(page, "<p><code>{}</code></p>", escape(&type_of(schema)));
        return;
    };
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    page.push_str("<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>");
    for (name, property) in properties {
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}",
            escape(name),
            escape(&type_of(property)),
            if required.contains(&name.as_str()) { "yes" } else { "no" },
            inline(&text(&property["description"]))
        );
        let inner = resolve(property, spec);
        if depth < 3 && (inner["properties"].is_object() || property["$ref"].is_string()) {
            fields(page, property, spec, depth + 1);
        }
        page.push_str("</td></tr>");
    }
    page.push_str("</table>");
}

fn resolve<'a>(schema: &'a Value, spec: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &spec["components"]["schemas"][name],
        None => schema,
    }
}

fn type_of(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return name.to_owned();
    }
    if let Some(options) = schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array()) {
        return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().map(text).collect::<Vec<_>>().join(" | "),
        other => text(other),
    };
    match (kind.as_str(), &schema["items"], schema["format"].as_str()) {
        ("array", items, _) if !items.is_null() => format!("array of {}", type_of(items)),
        (_, _, Some(format)) => format!("{kind} ({format})"),
        _ => kind,
    }
}

fn security(page: &mut String, schemes: &Value) {
    let Some(schemes) = schemes.as_object() else { return };
    page.push_str("<h2>Authentication</h2><ul>");
    for (name, scheme) in schemes {
        let how = match text(&scheme["type"]).as_str() {
            "apiKey" => format!(
                "API key in the {} parameter <code>{}</code>",
                escape(&text(&scheme["in"])),
                escape(&text(&scheme["name"]))
            ),
            "http" => format!("HTTP <code>Authorization: {} …</code>", escape(&capitalize(&text(&scheme["scheme"])))),
            other => escape(other),
        };
        let _ = write!(page, "<li><code>{}</code>: {how}</li>", escape(name));
    }
    page.push_str("</ul>");
}

/// A description rendered as CommonMark. Raw HTML in it is shown as text,
/// never passed through: the descriptions are ours, but the page must stay
/// safe whatever a description says.
fn paragraphs(page: &mut String, text: &str) {
    use pulldown_cmark::{html, Event, Parser};
    let events = Parser::new(text).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    html::push_html(page, events);
}

/// A short description for a table cell: markdown without the paragraph
/// around it.
fn inline(text: &str) -> String {
    let mut rendered = String::new();
    paragraphs(&mut rendered, text);
    let trimmed = rendered.trim();
    match trimmed.strip_prefix("<p>").and_then(|t| t.strip_suffix("</p>")) {
        Some(one) if !one.contains("<p>") => one.to_owned(),
        _ => trimmed.to_owned(),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_operations_escaped_offline_and_through_cycles() {
        let spec = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "description": "first <script>alert(1)</script>\n\nsecond"},
            "paths": {"/a/{id}": {"post": {"summary": "make", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "example": "42"}],
                "responses": {"200": {"description": "ok", "headers": {"ETag": {}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {
                "schemas": {"Node": {"type": "object", "required": ["next"], "properties": {
                    "next": {"$ref": "#/components/schemas/Node"}, "tags": {"type": "array", "items": {"type": "string"}}}}},
                "securitySchemes": {"api_key": {"type": "apiKey", "in": "query", "name": "api_Token"}}
            }
        });
        let page = render(&spec);
        assert!(page.contains("/a/{id}") && page.contains("ETag") && page.contains("api_Token"));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("curl -X POST -H \"X-API-Key: YOUR_API_KEY\" \"https://HOST/a/42\""), "{page}");
        for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!page.contains(external), "{external}");
        }
        assert!(!render(&json!({})).is_empty());
    }

    #[test]
    fn descriptions_are_markdown() {
        let mut page = String::new();
        paragraphs(&mut page, "Send `api_Token` once.\n\n- first\n- second <b>bold</b>");
        assert!(page.contains("<code>api_Token</code>") && !page.contains('`'), "{page}");
        assert!(page.contains("<li>first</li>"), "{page}");
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"), "raw HTML is shown as text: {page}");
        assert_eq!(inline("the `sha256` of the file"), "the <code>sha256</code> of the file");
    }
}
