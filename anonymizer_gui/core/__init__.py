"""Headless engine: media, project model, detection, tracking, rendering, export. Never imports Qt."""
