//! kasda-documents (being written; see ARCHITECTURE.md).
