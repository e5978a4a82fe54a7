"""Vidensmægler: the domain core (settings, shared data types, errors, search, answers, CLI)."""
