"""Composition: settings, the one place that builds the object graph from them, the shops and the chat model."""
