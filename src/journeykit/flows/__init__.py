"""Flows: automations per journey stage — flow files, their validation, scenarios and send policy.

The engine (durable runs, timers, outbox, channels) builds on these models in a later step.
"""
