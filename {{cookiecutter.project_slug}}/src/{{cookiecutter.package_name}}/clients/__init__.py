"""Clients of the AI services this project talks to."""
