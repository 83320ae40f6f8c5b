"""Polls: reader polls with exact counts and deadlines that survive restarts."""
