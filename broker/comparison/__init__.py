"""Comparing practice: municipalities side by side, and the aspects x municipalities matrix with its note."""
