"""Diagnosing the connection to Meta and Niaga itself: ``niaga doctor`` and the status page."""
