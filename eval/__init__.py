"""Offline evaluation harness (see issue 4); calls the drafting service like any client."""
