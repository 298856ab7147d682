"""Shared foundations: value types, errors, settings, tokens, text helpers, files, the link and instruction rules."""
