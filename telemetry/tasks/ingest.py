"""Ingestion tasks."""
