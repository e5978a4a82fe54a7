"""The demo corpus builder: sources in corpus-src/ read, written as PDF, Word, HTML, text, Markdown and an export."""
