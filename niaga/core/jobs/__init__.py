"""One layer for background work: loops, periodic jobs and durable delayed jobs."""
