"""The trainer service: runs training jobs on this machine's GPUs (or CPU) as child processes."""
