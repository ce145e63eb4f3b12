"""Delivery channels: each turns one outbox row into a message at a provider."""
