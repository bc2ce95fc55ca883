"""Knowledge base: entries, loaders, embedders, the vector store, indexing and retrieval."""
