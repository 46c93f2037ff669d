"""Jinja2 templates for everything the bot says."""
