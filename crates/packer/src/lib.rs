//! The queue consumer that builds, stores and indexes monthly bundles.
//! Filled in by the packer issue.
