//! kasda-recon (being written; see ARCHITECTURE.md).
