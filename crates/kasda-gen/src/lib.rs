//! kasda-gen (being written; see ARCHITECTURE.md).
