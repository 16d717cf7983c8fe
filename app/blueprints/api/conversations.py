"""PRD 7.4 conversations."""
