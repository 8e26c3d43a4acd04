//! The crate's one error type.

use kasda_core::posting::PostingError;

#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    #[error("match {natural_key}: cannot build its journal entry: {source}")]
    Entry {
        natural_key: String,
        #[source]
        source: PostingError,
    },
    #[error("ground truth: {size} bytes; the limit is {limit} bytes")]
    GroundTruthTooLarge { size: usize, limit: usize },
    #[error("ground truth: invalid JSON at line {line}, column {column}: {message}; expected {{\"irregularities\":[{{\"type\":…,\"refs\":[…]}}]}}")]
    GroundTruthJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("ground truth: {count} irregularities; the limit is {limit}")]
    GroundTruthTooMany { count: usize, limit: usize },
}
