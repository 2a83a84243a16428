//! Streaming a stored bundle with validators and one byte range (RFC 9110),
//! so an interrupted download resumes where it stopped.

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use futures_lite::StreamExt;

use super::bulk::{matches_etag, repr_digest};
use crate::error::ApiError;
use crate::state::AppState;

pub async fn stream(
    state: &AppState,
    req: &HttpRequest,
    object_key: &str,
    size: u64,
    sha256: &str,
    file_name: &str,
) -> Result<HttpResponse, ApiError> {
    let etag = format!("\"{sha256}\"");
    if matches_etag(req.headers(), &etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    // If-Range: a range of a file that has changed since would splice two files.
    let range_applies = req.headers().get(header::IF_RANGE).is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag));
    let range = match req.headers().get(header::RANGE).filter(|_| range_applies) {
        Some(value) => parse_range(value.to_str().unwrap_or(""), size)?,
        None => None,
    };
    let read = state.store.read(object_key, range.clone()).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(read) = read else {
        return Err(ApiError::Internal(format!("indexed object {object_key} is missing from the store")));
    };
    let body = read.into_stream().map(|chunk| chunk.map_err(|e| -> Box<dyn std::error::Error> { Box::new(e) }));
    let mut response = match &range {
        Some(r) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1)));
            partial
        }
        None => HttpResponse::Ok(),
    };
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    Ok(response
        .content_type("application/gzip")
        .insert_header((header::ETAG, etag))
        .insert_header(("Repr-Digest", repr_digest(sha256)))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .body(SizedStream::new(length, body)))
}

/// One `bytes=` range as a half-open interval. Several ranges, or a form
/// this server does not serve, mean "send the whole file" (allowed by RFC
/// 9110); a range wholly outside the file is a 416.
pub fn parse_range(value: &str, size: u64) -> Result<Option<std::ops::Range<u64>>, ApiError> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Ok(None) };
    let number = |s: &str| if s.is_empty() { Ok(None) } else { s.parse::<u64>().map(Some).map_err(|_| ()) };
    let (Ok(first), Ok(last)) = (number(first.trim()), number(last.trim())) else { return Ok(None) };
    let range = match (first, last) {
        (Some(first), last) => {
            if first >= size {
                return Err(ApiError::RangeNotSatisfiable { size });
            }
            let end = last.map_or(size, |l| l.saturating_add(1).min(size));
            if end <= first {
                return Ok(None);
            }
            first..end
        }
        // A suffix of an empty file is unsatisfiable (RFC 9110 §14.1.1), not
        // an empty 206: found by the request_parameters fuzz target.
        (None, Some(suffix)) if suffix > 0 && size > 0 => size.saturating_sub(suffix)..size,
        (None, _) => return Err(ApiError::RangeNotSatisfiable { size }),
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms_of_a_byte_range() {
        assert!(parse_range("bytes=-000000018446744073709551", 0).is_err(), "fuzz: a suffix of an empty file");
        assert!(parse_range("bytes=-5", 0).is_err());
        assert_eq!(parse_range("bytes=0-99", 1000).unwrap(), Some(0..100));
        assert_eq!(parse_range("bytes=900-", 1000).unwrap(), Some(900..1000));
        assert_eq!(parse_range("bytes=-100", 1000).unwrap(), Some(900..1000));
        assert_eq!(parse_range("bytes=990-5000", 1000).unwrap(), Some(990..1000));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 1000).unwrap(), None);
        assert_eq!(parse_range("bytes=abc", 1000).unwrap(), None);
        assert!(matches!(parse_range("bytes=1000-", 1000), Err(ApiError::RangeNotSatisfiable { size: 1000 })));
        assert!(matches!(parse_range("bytes=-0", 1000), Err(ApiError::RangeNotSatisfiable { .. })));
    }
}
