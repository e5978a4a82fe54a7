"""Answers: sentences chosen from the passages (extractive), optionally generated, always cited."""
