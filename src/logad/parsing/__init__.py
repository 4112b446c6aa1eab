"""Message preprocessing: regex masking, Drain template mining and the persisted template store."""
