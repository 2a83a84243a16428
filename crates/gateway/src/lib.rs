//! The public HTTP face of insider-bulk (actix-web): auth, billing, rate
//! limits and the bulk routes. Filled in by the gateway issue.
