//! kasda-store (being written; see ARCHITECTURE.md).
