"""The scheduler: one process that runs the platform's periodic jobs (compaction, device status, later deadline
escalation and alert rules) and records every run."""
