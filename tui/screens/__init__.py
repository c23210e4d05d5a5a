"""Screens of the promptdeck app, one per module."""
