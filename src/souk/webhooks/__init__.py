"""Webhooks: signed deliveries of domain events to integrators (Standard Webhooks)."""
