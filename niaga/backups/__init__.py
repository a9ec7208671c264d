"""Backups of the whole shop (database, stored webhooks, media), encrypted, verified by a
restore into a scratch database, made daily by the worker, restored by ``niaga restore``."""
