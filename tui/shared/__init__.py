"""Presentation helpers shared by the TUI and the CLI: pure Python, neither Textual nor click."""
