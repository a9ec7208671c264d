"""Message templates as a domain: the business's templates, their review and quality history,
submission and sync; the channel only talks to Meta and reports what Meta said."""
