"""loyalty domain: one program, one points ledger per member, every channel."""
