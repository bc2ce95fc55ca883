"""Drafting: retrieve sources, render prompts, complete with a provider, return a cited draft."""
