//! The generated types of the job-message contract (`proto/`), shared by
//! the gateway (producer) and the packer (consumer).

pub mod jobs {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/insider_bulk.jobs.v1.rs"));

        /// The minor revision of v1 this build writes.
        pub const CONTRACT_VERSION: u32 = 1;
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::jobs::v1::{FormType, GenerateBundle, Reason};

    #[test]
    fn round_trips_through_the_wire_format() {
        let job = GenerateBundle {
            contract_version: super::jobs::v1::CONTRACT_VERSION,
            job_id: "8f1a2b30-c4d5-46e7-9f01-23456789abcd".into(),
            form_type: FormType::FormType4.into(),
            year: 2025,
            month: 9,
            reason: Reason::OnDemand.into(),
            requested_at_unix_ms: 1_746_132_912_000,
            account_id: "acct_1".into(),
            trace_id: String::new(),
        };
        let bytes = job.encode_to_vec();
        assert_eq!(GenerateBundle::decode(bytes.as_slice()).unwrap(), job);
        assert!(GenerateBundle::decode(&b"\xff\xff\xff"[..]).is_err());
    }
}
