"""Widgets of the promptdeck app, one per module."""
