"""Roll-up, trial and alarm tasks."""
