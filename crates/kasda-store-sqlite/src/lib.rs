//! kasda-store-sqlite (being written; see ARCHITECTURE.md).
